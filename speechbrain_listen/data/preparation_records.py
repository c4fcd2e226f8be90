"""Bookkeeping every data preparer shares: the options record that makes
preparation idempotent, file signatures, atomic writes, and finding a
corpus file in the places its releases put it.

A preparer records its options (and the signatures of the files it read)
next to its outputs once every output is complete; a later call with the
same options finds the record and returns at once. The steps, in order::

    opts = {"data_folder": ..., "labels": file_signature(label_file)}
    if already_done(outputs, opts_file, opts):
        return outputs
    clear_record(opts_file)      # before any output is rewritten
    ...                          # write the outputs (atomically)
    write_record(opts_file, opts)  # last: only complete outputs have a record

Dropping the old record first means that a run which dies half-way never
leaves a record that matches outputs built from other options.

Authors
 * speechbrain-listen contributors 2026
"""

import json
import os
import tempfile
from pathlib import Path


def file_signature(path):
    """Size and modification time of a file: enough to notice a replaced file.

    Arguments
    ---------
    path : str or os.PathLike
        An existing file.

    Returns
    -------
    list of int
        ``[size in bytes, modification time in ns]`` (a list, so that it
        compares equal to itself after a JSON round trip).

    Example
    -------
    >>> path = getfixture("tmp_path") / "labels.txt"
    >>> _ = path.write_text("abc")
    >>> size, mtime_ns = file_signature(path)
    >>> size
    3
    """
    stat = os.stat(path)
    return [stat.st_size, stat.st_mtime_ns]


def first_existing(candidates, what):
    """The first of ``candidates`` that is a file (releases differ in layout).

    Arguments
    ---------
    candidates : list of pathlib.Path
        Where the file may be, most usual place first.
    what : str
        What the file is, for the error.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        None exists; the first place (and the others) are named.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> _ = (folder / "b.txt").write_text("")
    >>> first_existing([folder / "a.txt", folder / "b.txt"], "list").name
    'b.txt'
    """
    for path in candidates:
        if path.is_file():
            return path
    others = ", ".join(str(path) for path in candidates[1:])
    raise FileNotFoundError(
        f"{what} not found: expected {candidates[0]}" + (f" (or {others})" if others else "")
    )


def already_done(outputs, opts_file, opts):
    """Tells whether a previous run already produced these outputs.

    Arguments
    ---------
    outputs : dict
        Any keys -> the paths (str or os.PathLike) that must all exist.
    opts_file : str or os.PathLike
        The JSON record of the last successful run.
    opts : dict
        The options of the current call (JSON-serialisable).

    Returns
    -------
    bool
        True when every output exists and the record equals ``opts``; an
        unreadable record counts as a missing one.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> outputs = {"test": folder / "sv_test.csv"}
    >>> _ = outputs["test"].write_text("ID\\n")
    >>> already_done(outputs, folder / "opts.json", {"seed": 0})
    False
    >>> write_record(folder / "opts.json", {"seed": 0})
    >>> already_done(outputs, folder / "opts.json", {"seed": 0})
    True
    >>> already_done(outputs, folder / "opts.json", {"seed": 1})
    False
    """
    if not os.path.isfile(opts_file) or not all(os.path.isfile(path) for path in outputs.values()):
        return False
    try:
        with open(opts_file, encoding="utf-8") as fin:
            return json.load(fin) == opts
    except (OSError, ValueError):
        return False


def clear_record(opts_file):
    """Creates the record's folder and removes a record left by an earlier run.

    Called before any output is rewritten: if this run dies half-way, no
    stale record can match outputs built from other options.

    Arguments
    ---------
    opts_file : str or os.PathLike
        The JSON record (its folder is the preparer's save folder).

    Example
    -------
    >>> opts_file = getfixture("tmp_path") / "save" / "opts.json"
    >>> clear_record(opts_file)
    >>> write_record(opts_file, {"seed": 0})
    >>> clear_record(opts_file)
    >>> opts_file.exists(), opts_file.parent.is_dir()
    (False, True)
    """
    opts_file = Path(opts_file)
    opts_file.parent.mkdir(parents=True, exist_ok=True)
    if opts_file.exists():
        opts_file.unlink()


def write_record(opts_file, opts):
    """Writes the options record (indented JSON) atomically.

    Called last, so that the record exists only once every output is
    complete.

    Arguments
    ---------
    opts_file : str or os.PathLike
        The JSON record (its folder must exist).
    opts : dict
        The options of the run (JSON-serialisable).

    Example
    -------
    >>> opts_file = getfixture("tmp_path") / "opts.json"
    >>> write_record(opts_file, {"seed": 0})
    >>> opts_file.read_text()
    '{\\n  "seed": 0\\n}\\n'
    """
    atomic_write_text(opts_file, json.dumps(opts, indent=2) + "\n")


def atomic_write(path, write_fn, newline=None):
    """Calls ``write_fn`` on a temporary file next to ``path``, then renames it.

    The temporary file lives in the destination folder because
    ``os.replace`` is only atomic within one filesystem. An interrupted
    write (an error, or Ctrl-C) therefore never leaves a truncated file at
    ``path``, nor any temporary file.

    Arguments
    ---------
    path : str or os.PathLike
        Destination file (its folder must exist).
    write_fn : callable
        Called with the open (UTF-8) text file object.
    newline : str or None
        Passed to ``open``; the csv module needs ``""``.

    Example
    -------
    >>> import csv
    >>> path = getfixture("tmp_path") / "rows.csv"
    >>> atomic_write(path, lambda out: csv.writer(out).writerow(["ID", "wav"]), newline="")
    >>> path.read_bytes()
    b'ID,wav\\r\\n'
    """
    path = Path(path)
    fd, tmp_path = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8", newline=newline) as out:
            write_fn(out)
        os.replace(tmp_path, path)
    except BaseException:
        # Also on KeyboardInterrupt: leave no temporary file behind.
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def atomic_write_text(path, text):
    """Writes ``text`` to ``path`` atomically (see :func:`atomic_write`).

    Arguments
    ---------
    path : str or os.PathLike
        Destination file (its folder must exist).
    text : str
        The whole content.

    Example
    -------
    >>> path = getfixture("tmp_path") / "note.txt"
    >>> atomic_write_text(path, "done\\n")
    >>> path.read_text()
    'done\\n'
    """
    atomic_write(path, lambda out: out.write(text))


def report_problems(report, problems_csv, examples, logger, unit="examples"):
    """Writes the problem list of a split and logs its one-line summary.

    Arguments
    ---------
    report : speechbrain_listen.data.checks.DataReport
        The split's report, once every example went through it.
    problems_csv : str or os.PathLike
        Where the problem list goes (written only when there are problems;
        an old one is removed).
    examples : int
        How many examples were checked (kept or not).
    logger : logging.Logger
        The preparer's logger: a warning naming the problem list when
        there are problems, else an info line.
    unit : str
        What the summary calls the examples (``"clips"``, ...).

    Returns
    -------
    str or None
        ``problems_csv``, or None when there was no problem.

    Example
    -------
    >>> import logging
    >>> from speechbrain_listen.data.checks import DataReport
    >>> report = DataReport("sv_test")
    >>> report.keep("a", "a.wav", [("missing", "file not found")])
    False
    >>> path = str(getfixture("tmp_path") / "sv_test_problems.csv")
    >>> report_problems(report, path, 1, logging.getLogger("doctest"), unit="clips") == path
    True
    """
    problems_file = report.write(str(problems_csv))
    summary = report.summary(examples=examples).replace("examples", unit)
    if problems_file is not None:
        logger.warning("%s; details in %s", summary, problems_file)
    else:
        logger.info(summary)
    return problems_file
