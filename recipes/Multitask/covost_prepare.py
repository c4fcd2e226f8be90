"""Data preparation for CoVoST 2 English -> Chinese speech translation.

CoVoST 2 ships translations only; the audio is Common Voice's. Reads a
Common Voice English release folder and the CoVoST 2 table::

    <data_folder>/clips/<name>.mp3                  # Common Voice clips
    <data_folder>/validated.tsv                     # path, sentence, ... (Common Voice)
    <data_folder>/covost_v2.en_zh-CN.tsv            # default place of the CoVoST table

The CoVoST table (``covost_v2.en_zh-CN.tsv``, unpacked from CoVoST's
``.tsv.tar.gz``) is tab-separated with a header naming at least ``path``
(the mp3 name in ``clips/``), ``translation`` and ``split``, and usually
``sentence`` (the English text). Without ``sentence`` the English text is
joined from ``validated.tsv`` on ``path`` (see :func:`read_covost_table`;
the manifest format has no transcript column, so the sentence only serves
that table and the log's count of clips Common Voice does not list). Both
files are read with quoting off: Common Voice sentences contain unpaired
quotes that a quoting-aware reader would swallow lines with.

Splits: ``train`` and every other ``train*`` value (``train_covost``, ...)
-> train, ``dev*`` -> valid, ``test*`` -> test; rows of any other split are
left out (counted in the log). Manifests
(:mod:`speechbrain_listen.tasks.manifest`), task ``en2zh``:
``en2zh_<role>.csv``, ``target`` = the translation, ID = the clip name
without extension (``en2zh-common_voice_en_19664034``). ``max_train`` keeps
the first that many usable train rows, in table order.

Every row is checked (:mod:`speechbrain_listen.data.checks`): a missing,
unreadable (libsndfile reads MP3 from version 1.1) or empty clip, an empty
translation, a clip listed twice in a role; with ``check_audio_content``
also NaN and silent audio. No sample rate is enforced (Common Voice clips
come at 48 kHz and other rates; loading resamples). Under
``on_bad_data="skip"`` (default) bad rows are left out, counted in a logged
summary and listed in ``<save_folder>/en2zh_<role>_problems.csv``;
``"stop"`` raises at the first one, with the file named.

Preparation is idempotent: the options and the size and modification time
of the table (and of ``validated.tsv`` when joined) are recorded in
``<save_folder>/covost_prepare_opts.json``; the same call again returns at
once.

Run as a script::

    python covost_prepare.py DATA_FOLDER SAVE_FOLDER [--covost_tsv TSV]

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import collections
import csv
import logging
import os
from pathlib import Path

import soundfile
from speechbrain.utils.logger import get_logger

from speechbrain_listen.data.checks import (
    DataReport,
    add_bad_data_arguments,
    audio_problems,
    text_problems,
)
from speechbrain_listen.data.preparation_records import (
    already_done,
    clear_record,
    file_signature,
    report_problems,
    write_record,
)
from speechbrain_listen.tasks.manifest import manifest_paths, manifest_row, write_manifest

logger = get_logger(__name__)

# The language pairs with a task in the manifest format.
TASK_OF_PAIR = {("en", "zh-CN"): "en2zh"}
OPTS_FILE = "covost_prepare_opts.json"
VALIDATED_TSV = "validated.tsv"
NEEDED_COLUMNS = ("path", "translation", "split")


def covost_tsv_name(source="en", target="zh-CN"):
    """The CoVoST 2 table of a language pair.

    Example
    -------
    >>> covost_tsv_name()
    'covost_v2.en_zh-CN.tsv'
    """
    return f"covost_v2.{source}_{target}.tsv"


def prepare_covost(
    data_folder,
    save_folder,
    covost_tsv=None,
    source="en",
    target="zh-CN",
    max_train=None,
    skip_prep=False,
    on_bad_data="skip",
    check_audio_content=False,
):
    """Writes the ``en2zh`` train, valid and test manifests of CoVoST 2.

    Arguments
    ---------
    data_folder : str or os.PathLike
        Common Voice English release folder (``clips/``, ``validated.tsv``).
    save_folder : str or os.PathLike
        Where ``en2zh_<role>.csv``, the problem lists and the options record
        are written (created if missing).
    covost_tsv : str or os.PathLike, optional
        The CoVoST 2 table; default ``<data_folder>/covost_v2.<source>_<target>.tsv``.
    source, target : str
        Language pair (CoVoST codes); only pairs in :data:`TASK_OF_PAIR`
        have a task.
    max_train : int, optional
        Keep only the first this many usable train rows (table order).
    skip_prep : bool
        If True, do nothing and return an empty dict.
    on_bad_data : str
        ``"skip"`` leaves out (and counts) rows with problems; ``"stop"``
        raises at the first one.
    check_audio_content : bool
        Also decode every clip to find NaN and silent audio.

    Returns
    -------
    dict
        Role (``train``, ``valid``, ``test``) -> manifest path (str).

    Raises
    ------
    FileNotFoundError
        A missing data folder, ``clips/`` folder, CoVoST table, or
        ``validated.tsv`` when the table has no ``sentence`` (named).
    ValueError
        An unsupported language pair; a table without a needed column.
    speechbrain_listen.data.checks.DataError
        With ``on_bad_data="stop"``: the first row with a problem.

    Example
    -------
    >>> csvs = prepare_covost("/data/cv-corpus-4-en", "results/prep")  # doctest: +SKIP
    >>> sorted(csvs)  # doctest: +SKIP
    ['test', 'train', 'valid']
    """
    if skip_prep:
        return {}
    task = TASK_OF_PAIR.get((source, target))
    if task is None:
        raise ValueError(f"no task for {source} -> {target}: supported pairs are {sorted(TASK_OF_PAIR)}")
    if max_train is not None and max_train < 0:
        raise ValueError(f"max_train must be >= 0 or None, got {max_train}")
    data_folder = Path(os.path.abspath(data_folder))
    save_folder = Path(os.path.abspath(save_folder))
    if not data_folder.is_dir():
        raise FileNotFoundError(f"Common Voice data folder not found: {data_folder}")
    clips_folder = data_folder / "clips"
    if not clips_folder.is_dir():
        raise FileNotFoundError(f"Common Voice clips folder not found: expected {clips_folder}")
    covost_tsv = (
        Path(os.path.abspath(covost_tsv)) if covost_tsv else data_folder / covost_tsv_name(source, target)
    )
    if not covost_tsv.is_file():
        raise FileNotFoundError(f"CoVoST 2 table not found: expected {covost_tsv}")
    validated_tsv = None
    if "sentence" not in tsv_header(covost_tsv):
        validated_tsv = data_folder / VALIDATED_TSV
        if not validated_tsv.is_file():
            raise FileNotFoundError(
                f"{covost_tsv} has no 'sentence' column, so the English text is joined from "
                f"Common Voice's {validated_tsv}, which was not found"
            )

    manifests = manifest_paths(save_folder, task)
    opts = {
        "data_folder": str(data_folder),
        "covost_tsv": [str(covost_tsv), *file_signature(covost_tsv)],
        "validated_tsv": [str(validated_tsv), *file_signature(validated_tsv)] if validated_tsv else None,
        "source": source,
        "target": target,
        "max_train": max_train,
        "on_bad_data": on_bad_data,
        "check_audio_content": check_audio_content,
    }
    opts_file = save_folder / OPTS_FILE
    if already_done(manifests, opts_file, opts):
        logger.info("CoVoST 2 preparation already done in %s, skipping.", save_folder)
        return manifests

    # Before any manifest is rewritten: a crash half-way leaves no record.
    clear_record(opts_file)
    by_role = {"train": [], "valid": [], "test": []}
    other_splits = collections.Counter()
    no_sentence = 0
    for line, row in read_covost_table(covost_tsv, validated_tsv):
        role = covost_role(row["split"])
        if role is None:
            other_splits[row["split"]] += 1
            continue
        no_sentence += not row["sentence"]
        by_role[role].append((line, row))
    if other_splits:
        logger.info(
            "%s: rows of other splits left out: %s",
            covost_tsv,
            ", ".join(f"{split or '(empty)'}: {n}" for split, n in sorted(other_splits.items())),
        )
    if no_sentence:
        logger.warning(
            "%d rows have no English sentence (not in %s?): Common Voice release and CoVoST table may differ",
            no_sentence,
            validated_tsv or covost_tsv,
        )

    for role, listed in by_role.items():
        report = DataReport(f"{task}_{role}", on_bad_data)
        limit = max_train if role == "train" else None
        rows = []
        examples = 0
        for line, row in listed:
            if limit is not None and len(rows) >= limit:
                break
            examples += 1
            kept = _check_row(task, line, row, clips_folder, covost_tsv, report, check_audio_content)
            if kept is not None:
                rows.append(kept)
        rows.sort(key=lambda kept: kept["ID"])
        write_manifest(manifests[role], rows)
        report_problems(report, save_folder / f"{task}_{role}_problems.csv", examples, logger)
        hours = sum(float(kept["duration"]) for kept in rows) / 3600
        logger.info(
            "%s %s: %d clips, %.2f hours -> %s%s",
            task,
            role,
            len(rows),
            hours,
            manifests[role],
            f" (first {limit} usable of {len(listed)})" if limit is not None and limit < len(listed) else "",
        )
    write_record(opts_file, opts)
    return manifests


def covost_role(split):
    """The manifest role of a CoVoST ``split`` value (None: not used).

    Example
    -------
    >>> [covost_role(s) for s in ("train", "train_covost", "dev", "test", "excluded")]
    ['train', 'train', 'valid', 'test', None]
    """
    split = (split or "").strip()
    for prefix, role in (("train", "train"), ("dev", "valid"), ("test", "test")):
        if split.startswith(prefix):
            return role
    return None


def tsv_header(path):
    """The column names of a Common Voice style TSV (``[]`` when empty).

    Example
    -------
    >>> path = getfixture("tmp_path") / "t.tsv"
    >>> _ = path.write_text("path\\tsentence\\n", encoding="utf-8")
    >>> tsv_header(path)
    ['path', 'sentence']
    """
    with open(path, encoding="utf-8-sig", newline="") as fin:
        first = next(_tsv_reader(fin), [])
    return [name.strip() for name in first]


def iter_tsv(path):
    """Yields the rows of a Common Voice style TSV, quoting off.

    Streams: Common Voice's ``validated.tsv`` has over a million rows.

    Arguments
    ---------
    path : str or os.PathLike
        A tab-separated file with a header line.

    Yields
    ------
    line : int
        The row's line number in the file.
    row : dict
        ``{column: value}``, values stripped, missing trailing fields ``""``.

    Example
    -------
    >>> path = getfixture("tmp_path") / "t.tsv"
    >>> _ = path.write_text('path\\tsentence\\na.mp3\\tHe said "hi.\\n\\nb.mp3\\n', encoding="utf-8")
    >>> [(line, row["sentence"]) for line, row in iter_tsv(path)]
    [(2, 'He said "hi.'), (4, '')]
    """
    with open(path, encoding="utf-8-sig", newline="") as fin:
        reader = _tsv_reader(fin)
        header = [name.strip() for name in next(reader, [])]
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            values = values + [""] * (len(header) - len(values))
            yield reader.line_num, dict(zip(header, (value.strip() for value in values)))


def _tsv_reader(fin):
    """A csv reader for tab-separated text in which quotes are plain text."""
    return csv.reader(fin, delimiter="\t", quoting=csv.QUOTE_NONE)


def read_covost_table(covost_tsv, validated_tsv=None):
    """The rows of a CoVoST 2 table, each with its English sentence.

    Arguments
    ---------
    covost_tsv : str or os.PathLike
        The CoVoST table (``path``, ``translation``, ``split``, maybe
        ``sentence``).
    validated_tsv : str or os.PathLike, optional
        Common Voice's ``validated.tsv``: where ``sentence`` comes from when
        the table has none (required then).

    Returns
    -------
    list of (int, dict)
        Line number and ``{"path", "sentence", "translation", "split"}``
        (sentence ``""`` when neither file has it).

    Raises
    ------
    ValueError
        A missing column (file and column named), or no ``sentence`` and
        no ``validated_tsv``.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> _ = (folder / "validated.tsv").write_text(
    ...     "client_id\\tpath\\tsentence\\nc1\\ta.mp3\\tIt's \\"fine\\".\\n", encoding="utf-8")
    >>> _ = (folder / "covost.tsv").write_text(
    ...     "path\\ttranslation\\tsplit\\na.mp3\\t很好。\\ttrain_covost\\n", encoding="utf-8")
    >>> read_covost_table(folder / "covost.tsv", folder / "validated.tsv")[0][1]["sentence"]
    'It\\'s "fine".'
    """
    header = tsv_header(covost_tsv)
    missing = [column for column in NEEDED_COLUMNS if column not in header]
    if missing:
        raise ValueError(
            f"{covost_tsv} lacks column(s) {', '.join(missing)} (found: {header}); a CoVoST 2 "
            f"table has {', '.join(NEEDED_COLUMNS)} and usually sentence"
        )
    sentences = None
    if "sentence" not in header:
        if validated_tsv is None:
            raise ValueError(f"{covost_tsv} has no 'sentence' column and no validated.tsv was given")
        validated_header = tsv_header(validated_tsv)
        for column in ("path", "sentence"):
            if column not in validated_header:
                raise ValueError(f"{validated_tsv} lacks column {column} (found: {validated_header})")
        # Only the table's clips: validated.tsv lists every clip of the release.
        wanted = {row["path"] for _, row in iter_tsv(covost_tsv)}
        sentences = {
            row["path"]: row["sentence"] for _, row in iter_tsv(validated_tsv) if row["path"] in wanted
        }
    table = []
    for line, row in iter_tsv(covost_tsv):
        sentence = row.get("sentence", "") if sentences is None else sentences.get(row["path"], "")
        table.append(
            (
                line,
                {
                    "path": row["path"],
                    "sentence": sentence,
                    "translation": row["translation"],
                    "split": row["split"],
                },
            )
        )
    return table


def _check_row(task, line, row, clips_folder, covost_tsv, report, check_content):
    """The manifest row of one table row, or None when it is skipped."""
    name = row["path"]
    wav = clips_folder / name
    if not name:
        problems = [("missing", f"empty path in {covost_tsv}, line {line}")]
        example_id, shown = f"line{line}", f"{covost_tsv}, line {line}"
    else:
        problems = audio_problems(str(wav), None, check_content)
        example_id, shown = os.path.splitext(name)[0], wav
    problems += [
        (problem, f"translation {detail}, in {covost_tsv}, line {line}")
        for problem, detail in text_problems(row["translation"])
    ]
    if not report.keep(example_id, shown, problems):
        return None
    info = soundfile.info(str(wav))
    return manifest_row(task, example_id, info.frames / info.samplerate, str(wav), row["translation"])


def main(argv=None):
    """Command-line entry point.

    Arguments
    ---------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description="Write the CoVoST 2 En->Zh manifests (task en2zh).")
    parser.add_argument("data_folder", help="Common Voice English folder (clips/, validated.tsv)")
    parser.add_argument("save_folder", help="where to write en2zh_<role>.csv")
    parser.add_argument("--covost_tsv", default=None, help="default: <data_folder>/covost_v2.en_zh-CN.tsv")
    parser.add_argument("--max_train", type=int, default=None, help="default: every train row")
    add_bad_data_arguments(parser, "clips")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    prepare_covost(
        args.data_folder,
        args.save_folder,
        covost_tsv=args.covost_tsv,
        max_train=args.max_train,
        on_bad_data=args.on_bad_data,
        check_audio_content=args.check_audio_content,
    )


if __name__ == "__main__":
    main()
