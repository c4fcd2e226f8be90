"""The JSON record each synthetic corpus keeps about itself, and the
building aside that makes a corpus with a record a complete one.

Authors
 * speechbrain-listen contributors 2026
"""

import contextlib
import json
import os
import shutil
from pathlib import Path


def read_record(path):
    """A JSON object from ``path``, or None if missing, unreadable or not a dict.

    Example
    -------
    >>> read_record("/nonexistent/record.json") is None
    True
    """
    try:
        with open(Path(path), encoding="utf-8") as fin:
            info = json.load(fin)
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def write_record(path, record):
    """Writes a corpus's record as indented JSON (:func:`read_record` reads it).

    Arguments
    ---------
    path : str or os.PathLike
        The record file (its folder must exist).
    record : dict
        Options, text source, tool versions, summary, ...

    Example
    -------
    >>> path = getfixture("tmp_path") / "record.json"
    >>> write_record(path, {"format_version": 1})
    >>> read_record(path)
    {'format_version': 1}
    """
    with open(Path(path), "w", encoding="utf-8") as fout:
        json.dump(record, fout, indent=2)
        fout.write("\n")


@contextlib.contextmanager
def built_aside(corpus):
    """Builds a corpus in a hidden sibling folder, then renames it into place.

    The body writes into the folder this yields, ``.<name>.partial`` next
    to ``corpus`` (a leftover of a crashed run is deleted first). If the
    body raises (also on Ctrl-C) that folder is deleted and nothing else
    is touched; otherwise an existing ``corpus`` is replaced by it (the
    caller checks first that it may be: a synthetic corpus made with other
    options). So an interrupted run never leaves a ``corpus`` that looks
    complete.

    Arguments
    ---------
    corpus : str or os.PathLike
        The corpus folder to write (its parent is created if missing).

    Yields
    ------
    pathlib.Path
        The folder to build the corpus in (empty).

    Example
    -------
    >>> corpus = getfixture("tmp_path") / "Corpus"
    >>> with built_aside(corpus) as partial:
    ...     _ = (partial / "a.txt").write_text("a")
    >>> sorted(p.name for p in corpus.parent.iterdir())
    ['Corpus']
    >>> (corpus / "a.txt").read_text()
    'a'
    """
    corpus = Path(corpus)
    partial = corpus.parent / f".{corpus.name}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        yield partial
    except BaseException:
        # Also on Ctrl-C: leave no half-built corpus behind.
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if corpus.exists():
        shutil.rmtree(corpus)
    os.replace(partial, corpus)


def duration_summary(seconds):
    """Total hours and shortest, mean and longest durations, for a record.

    Arguments
    ---------
    seconds : list of float
        Durations of the utterances of one split (at least one).

    Returns
    -------
    dict
        ``hours`` (4 decimals), ``min_seconds``, ``mean_seconds`` and
        ``max_seconds`` (3 decimals).

    Example
    -------
    >>> summary = duration_summary([1.0, 2.5, 3.5])
    >>> summary["hours"], summary["mean_seconds"], summary["max_seconds"]
    (0.0019, 2.333, 3.5)
    """
    return {
        "hours": round(sum(seconds) / 3600, 4),
        "min_seconds": round(min(seconds), 3),
        "mean_seconds": round(sum(seconds) / len(seconds), 3),
        "max_seconds": round(max(seconds), 3),
    }
