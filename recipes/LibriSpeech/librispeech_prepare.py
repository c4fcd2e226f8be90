"""Data preparation for LibriSpeech.

Scans the on-disk LibriSpeech layout::

    <data_folder>/<split>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac
    <data_folder>/<split>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt

and writes one CSV manifest per split to ``<save_folder>/<split>.csv`` with
the columns ``ID,duration,wav,spk_id,wrd``. The manifests are the input of
the LibriSpeech recipes' data pipelines.

Preparation is idempotent: the options of the last successful run are
recorded next to the manifests, and a repeated call with the same options
returns without touching the disk.

Every utterance is checked (``speechbrain_listen.data.checks``): missing,
unreadable or empty audio, an empty or non-ASCII transcript, a duplicate id;
with ``check_audio_content`` also NaN and silent audio. Under
``on_bad_data="skip"`` (default) such utterances are left out, counted in a
logged summary and listed in ``<save_folder>/<split>_problems.csv``; under
``"stop"`` the first problem stops preparation with the file named. Other
sample rates and multi-channel files are reported and kept (loading
resamples and averages them).

Run as a script for convenience::

    python librispeech_prepare.py DATA_FOLDER SAVE_FOLDER \\
        --splits train-clean-100 dev-clean test-clean

Authors
 * speechbrain-listen contributors
"""

import argparse
import csv
import json
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
    atomic_write,
    clear_record,
)

# The options record is written through a name of this module, which the
# tests replace to stand in for a crash just before the record is written.
from speechbrain_listen.data.preparation_records import (
    atomic_write_text as _atomic_write_text,
)

logger = get_logger(__name__)

CSV_HEADER = ["ID", "duration", "wav", "spk_id", "wrd"]
OPTS_FILE = "librispeech_prepare_opts.json"
AUDIO_EXT = ".flac"
TRANS_SUFFIX = ".trans.txt"
SAMPLE_RATE = 16000


def prepare_librispeech(
    data_folder,
    save_folder,
    tr_splits=(),
    dev_splits=(),
    te_splits=(),
    skip_prep=False,
    on_bad_data="skip",
    check_audio_content=False,
):
    """Writes one CSV manifest per requested LibriSpeech split.

    Each manifest is ``<save_folder>/<split>.csv`` with header
    ``ID,duration,wav,spk_id,wrd``: the utterance id, its duration in
    seconds, the absolute path of its audio file, the speaker id and the
    transcript exactly as written in the ``.trans.txt`` file (upper case in
    LibriSpeech). Rows are sorted by ID.

    If every requested manifest exists and
    ``<save_folder>/librispeech_prepare_opts.json`` records the same
    ``data_folder`` and splits, nothing is done. Otherwise all requested
    manifests are regenerated.

    Arguments
    ---------
    data_folder : str or os.PathLike
        Folder holding the LibriSpeech split folders (e.g. the one that
        contains ``train-clean-100/``).
    save_folder : str or os.PathLike
        Folder where the CSV manifests (and the options JSON) are written.
        Created if missing.
    tr_splits : str or sequence of str
        Training split names, e.g. ``["train-clean-100", "train-clean-360"]``.
    dev_splits : str or sequence of str
        Validation split names, e.g. ``["dev-clean"]``.
    te_splits : str or sequence of str
        Test split names, e.g. ``["test-clean", "test-other"]``.
    skip_prep : bool
        If True, do nothing and return an empty dict.
    on_bad_data : str
        ``"skip"`` leaves out (and counts) utterances with problems;
        ``"stop"`` raises at the first one.
    check_audio_content : bool
        Also decode every file to find NaN and silent audio (slow on the
        full corpus: every file is read).

    Returns
    -------
    dict
        Maps each requested split name to the ``pathlib.Path`` of its CSV
        (empty when ``skip_prep`` is True).

    Raises
    ------
    FileNotFoundError
        If ``data_folder`` or a split folder is missing.
    speechbrain_listen.data.checks.DataError
        With ``on_bad_data="stop"``: the first utterance with a problem.

    Example
    -------
    >>> csvs = prepare_librispeech(
    ...     "/data/LibriSpeech",
    ...     "results/prepare",
    ...     tr_splits=["train-clean-100"],
    ...     dev_splits=["dev-clean"],
    ...     te_splits=["test-clean"],
    ... )  # doctest: +SKIP
    >>> sorted(csvs)  # doctest: +SKIP
    ['dev-clean', 'test-clean', 'train-clean-100']
    """
    if skip_prep:
        return {}

    tr_splits = _as_list(tr_splits)
    dev_splits = _as_list(dev_splits)
    te_splits = _as_list(te_splits)
    # A split requested in two roles (e.g. dev and test) maps to one CSV,
    # so it is prepared once.
    splits = list(dict.fromkeys(tr_splits + dev_splits + te_splits))

    # abspath (not resolve) so the wav column keeps the user's symlinks,
    # which are often how datasets are mounted on clusters.
    data_folder = Path(os.path.abspath(data_folder))
    save_folder = Path(os.path.abspath(save_folder))
    csv_files = {split: save_folder / f"{split}.csv" for split in splits}
    opts = {
        "data_folder": str(data_folder),
        "tr_splits": tr_splits,
        "dev_splits": dev_splits,
        "te_splits": te_splits,
        "on_bad_data": on_bad_data,
        "check_audio_content": check_audio_content,
    }
    opts_file = save_folder / OPTS_FILE

    if already_done(csv_files, opts_file, opts):
        logger.info(
            "LibriSpeech preparation already done in %s with the same options, skipping.",
            save_folder,
        )
        return csv_files

    # Fail before any slow scanning if a split is missing altogether.
    if not data_folder.is_dir():
        raise FileNotFoundError(f"LibriSpeech data folder not found: {data_folder}")
    for split in splits:
        split_folder = data_folder / split
        if not split_folder.is_dir():
            raise FileNotFoundError(f"LibriSpeech split '{split}' not found: expected folder {split_folder}")

    # Drop the old record first: if this run dies after rewriting some
    # CSVs, a stale record could otherwise match a later call and make it
    # accept CSVs built from different options.
    clear_record(opts_file)

    for split in splits:
        report = DataReport(split, on_bad_data)
        rows, examples = _scan_split(data_folder / split, split, report, check_audio_content)
        _write_csv(csv_files[split], rows)
        problems_file = report.write(save_folder / f"{split}_problems.csv")
        if problems_file is not None:
            logger.warning("%s; details in %s", report.summary(examples), problems_file)
        hours = sum(row[1] for row in rows) / 3600
        logger.info(
            "%s: %d utterances, %.2f hours -> %s",
            split,
            len(rows),
            hours,
            csv_files[split],
        )

    # Written last, so it only exists once every CSV is complete.
    _atomic_write_text(opts_file, json.dumps(opts, indent=2) + "\n")
    return csv_files


def _as_list(splits):
    """Returns the split names as a list, accepting a single string.

    Arguments
    ---------
    splits : str or sequence of str or None
        One split name or several.

    Returns
    -------
    list of str
        The split names.

    Example
    -------
    >>> _as_list("dev-clean")
    ['dev-clean']
    >>> _as_list(("dev-clean", "dev-other"))
    ['dev-clean', 'dev-other']
    """
    if splits is None:
        return []
    # A bare string would otherwise be iterated character by character.
    if isinstance(splits, str):
        return [splits]
    return [str(split) for split in splits]


def _scan_split(split_folder, split, report, check_content=False):
    """Collects the manifest rows of one split.

    Arguments
    ---------
    split_folder : pathlib.Path
        The split folder, e.g. ``<data_folder>/dev-clean``.
    split : str
        The split name, used in error messages.
    report : speechbrain_listen.data.checks.DataReport
        Receives every utterance's problems and decides what is kept.
    check_content : bool
        Decode the audio to look for NaN and silence too.

    Returns
    -------
    rows : list of tuple
        ``(ID, duration, wav, spk_id, wrd)`` rows sorted by ID.
    examples : int
        Utterances listed in the transcripts (kept or not).
    """
    # Sorted so that errors (and therefore reruns) are reproducible.
    trans_files = sorted(split_folder.glob(f"*/*/*{TRANS_SUFFIX}"))
    if not trans_files:
        logger.warning(
            "No %s files found in split '%s' (%s).",
            TRANS_SUFFIX,
            split,
            split_folder,
        )

    rows = {}
    examples = 0
    for trans_file in trans_files:
        for utt_id, words in _read_transcript(trans_file):
            examples += 1
            wav = trans_file.parent / f"{utt_id}{AUDIO_EXT}"
            problems = audio_problems(str(wav), SAMPLE_RATE, check_content)
            problems += [
                (name, f"{detail}, in {trans_file}") for name, detail in text_problems(words, ascii_only=True)
            ]
            if not report.keep(utt_id, wav, problems):
                continue
            duration = soundfile.info(str(wav)).duration
            spk_id = utt_id.split("-")[0]
            rows[utt_id] = (utt_id, duration, str(wav), spk_id, words)

    return [rows[utt_id] for utt_id in sorted(rows)], examples


def _read_transcript(trans_file):
    """Yields ``(utt_id, words)`` pairs from a ``.trans.txt`` file.

    Arguments
    ---------
    trans_file : pathlib.Path
        A LibriSpeech chapter transcript file.

    Yields
    ------
    utt_id : str
        The utterance id (first field of the line).
    words : str
        The rest of the line, with surrounding whitespace removed (empty
        when the line holds the id alone: the caller reports it).
    """
    with open(trans_file, encoding="utf-8") as fin:
        for line in fin:
            fields = line.strip().split(maxsplit=1)
            if not fields:
                # Tolerate blank lines, e.g. a trailing empty line.
                continue
            yield fields[0], fields[1] if len(fields) > 1 else ""


def _write_csv(csv_file, rows):
    """Writes a manifest atomically.

    Arguments
    ---------
    csv_file : pathlib.Path
        Destination CSV path.
    rows : list of tuple
        ``(ID, duration, wav, spk_id, wrd)`` rows.
    """

    def write(fout):
        writer = csv.writer(fout)
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)

    atomic_write(csv_file, write, newline="")


def _split_role(split):
    """Guesses the role of a split from its LibriSpeech name.

    Arguments
    ---------
    split : str
        A split name.

    Returns
    -------
    str
        ``"dev"``, ``"test"`` or ``"train"``.

    Example
    -------
    >>> _split_role("dev-other"), _split_role("test-clean"), _split_role("x")
    ('dev', 'test', 'train')
    """
    for role in ("dev", "test"):
        if split.startswith(role):
            return role
    return "train"


def main(argv=None):
    """Command-line entry point.

    Arguments
    ---------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description="Write LibriSpeech CSV manifests (one per split).")
    parser.add_argument("data_folder", help="LibriSpeech root folder")
    parser.add_argument("save_folder", help="where to write the CSVs")
    parser.add_argument(
        "--splits",
        nargs="+",
        default=["train-clean-100", "dev-clean", "test-clean"],
        help="split names (default: %(default)s)",
    )
    add_bad_data_arguments(parser, "utterances")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    # The role only affects what is recorded in the options JSON; every
    # split gets a CSV regardless.
    by_role = {"train": [], "dev": [], "test": []}
    for split in args.splits:
        by_role[_split_role(split)].append(split)
    prepare_librispeech(
        args.data_folder,
        args.save_folder,
        tr_splits=by_role["train"],
        dev_splits=by_role["dev"],
        te_splits=by_role["test"],
        on_bad_data=args.on_bad_data,
        check_audio_content=args.check_audio_content,
    )


if __name__ == "__main__":
    main()
