"""Data preparation for Clotho v2.1 (audio captioning).

Reads the on-disk layout of the Clotho v2.1 release (Zenodo)::

    <data_folder>/clotho_captions_development.csv   # file_name, caption_1..caption_5
    <data_folder>/clotho_captions_validation.csv
    <data_folder>/clotho_captions_evaluation.csv
    <data_folder>/development/<file_name>            # 44.1 kHz mono WAV, 15-30 s
    <data_folder>/validation/<file_name>
    <data_folder>/evaluation/<file_name>

and writes one manifest per split, ``<save_folder>/<split>.csv``, with the
columns ``ID, duration, wav, file_name, caption_1, ..., caption_5``: one row
per clip, all five references kept. The recipe draws one of the five as the
training target each time a clip is visited and scores every evaluation
caption against all five.

Why one row per clip (and not one row per caption): an epoch is then one
pass over the audio, so each clip's frozen encoder features are computed or
read once per epoch, a batch never holds the same clip twice, and the loss
still sees every caption over the epochs (a new draw at every visit).

Clotho file names are Freesound titles, with spaces, commas, quotes and
other characters; the captions hold commas and quotes too. Everything is
written and read with Python's ``csv`` module, so every caption survives
the round trip. Read manifests with :func:`load_manifest`, not
``DynamicItemDataset.from_csv``: SpeechBrain's CSV loader substitutes
``$name`` patterns in every value (and fails on a caption with "$5").

Every clip is checked (``speechbrain_listen.data.checks``): missing,
unreadable or empty audio, an empty caption, a file listed twice, a sample
rate other than the split's usual one, several channels; with
``check_audio_content`` also NaN and silent audio. Under
``on_bad_data="skip"`` (default) such clips are left out (rate and channels:
kept, converted when loaded), counted in a logged summary and listed in
``<save_folder>/<split>_problems.csv``; under ``"stop"`` the first problem
stops preparation with the file named.

Preparation is idempotent: the options of the last successful run and the
size and modification time of each captions CSV are recorded next to the
manifests; a repeated call with the same options and unchanged CSVs returns
at once.

Run as a script::

    python clotho_prepare.py DATA_FOLDER SAVE_FOLDER

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
    atomic_write,
    clear_record,
    file_signature,
    write_record,
)

logger = get_logger(__name__)

SPLITS = ("development", "validation", "evaluation")
NUM_CAPTIONS = 5
CAPTION_COLUMNS = tuple(f"caption_{n}" for n in range(1, NUM_CAPTIONS + 1))
CSV_HEADER = ("ID", "duration", "wav", "file_name") + CAPTION_COLUMNS
OPTS_FILE = "clotho_prepare_opts.json"


def captions_csv_name(split):
    """The captions file of a split in the Clotho release.

    Example
    -------
    >>> captions_csv_name("evaluation")
    'clotho_captions_evaluation.csv'
    """
    return f"clotho_captions_{split}.csv"


def prepare_clotho(
    data_folder,
    save_folder,
    splits=SPLITS,
    skip_prep=False,
    on_bad_data="skip",
    check_audio_content=False,
):
    """Writes one manifest per requested Clotho split.

    Arguments
    ---------
    data_folder : str or os.PathLike
        Folder holding ``clotho_captions_<split>.csv`` and the ``<split>/``
        audio folders.
    save_folder : str or os.PathLike
        Where ``<split>.csv`` and the options record are written (created
        if missing).
    splits : str or sequence of str
        Split names, among ``development``, ``validation``, ``evaluation``
        (any name with a captions CSV and an audio folder works).
    skip_prep : bool
        If True, do nothing and return an empty dict.
    on_bad_data : str
        ``"skip"`` leaves out (and counts) clips with problems; ``"stop"``
        raises at the first one.
    check_audio_content : bool
        Also decode every clip to find NaN and silent audio.

    Returns
    -------
    dict
        Split name -> ``pathlib.Path`` of its manifest.

    Raises
    ------
    FileNotFoundError
        A missing data folder, captions CSV or audio folder (the message
        names it).
    ValueError
        A captions CSV without a needed column (the message names file and
        column).
    speechbrain_listen.data.checks.DataError
        With ``on_bad_data="stop"``: the first clip with a problem.

    Example
    -------
    >>> csvs = prepare_clotho("/data/clotho", "results/prepare")  # doctest: +SKIP
    >>> sorted(csvs)  # doctest: +SKIP
    ['development', 'evaluation', 'validation']
    """
    if skip_prep:
        return {}
    splits = [splits] if isinstance(splits, str) else list(dict.fromkeys(splits))
    data_folder = Path(os.path.abspath(data_folder))
    save_folder = Path(os.path.abspath(save_folder))
    csv_files = {split: save_folder / f"{split}.csv" for split in splits}
    opts_file = save_folder / OPTS_FILE

    if not data_folder.is_dir():
        raise FileNotFoundError(f"Clotho data folder not found: {data_folder}")
    for split in splits:
        captions = data_folder / captions_csv_name(split)
        if not captions.is_file():
            raise FileNotFoundError(f"Clotho captions file for split '{split}' not found: {captions}")
        if not (data_folder / split).is_dir():
            raise FileNotFoundError(
                f"Clotho audio folder for split '{split}' not found: {data_folder / split}"
            )

    opts = {
        "data_folder": str(data_folder),
        "splits": splits,
        "on_bad_data": on_bad_data,
        "check_audio_content": check_audio_content,
        # A replaced captions file (e.g. a corrected release) is re-read.
        "captions": {split: file_signature(data_folder / captions_csv_name(split)) for split in splits},
    }
    if already_done(csv_files, opts_file, opts):
        logger.info("Clotho preparation already done in %s, skipping.", save_folder)
        return csv_files

    # Drop the old record first, so that a crash half-way can never leave a
    # record that matches manifests built from other options.
    clear_record(opts_file)
    for split in splits:
        report = DataReport(split, on_bad_data)
        rows, examples = _scan_split(data_folder, split, report, check_audio_content)
        problems_file = report.write(save_folder / f"{split}_problems.csv")
        if problems_file is not None:
            logger.warning("%s; details in %s", report.summary(examples), problems_file)
        atomic_write(csv_files[split], lambda out, rows=rows: _write_rows(out, rows), newline="")
        hours = sum(row[1] for row in rows) / 3600
        logger.info("%s: %d clips, %.2f hours -> %s", split, len(rows), hours, csv_files[split])
    write_record(opts_file, opts)
    return csv_files


def read_captions_csv(path):
    """Reads a ``clotho_captions_<split>.csv`` into (file name, captions) pairs.

    Values are stripped; empty captions and repeated file names are kept
    as they are (the preparation reports them). A missing column raises.

    Arguments
    ---------
    path : str or os.PathLike
        The captions CSV.

    Returns
    -------
    list of (str, list of str)
        File name and its five captions (surrounding whitespace removed),
        in file order.

    Raises
    ------
    ValueError
        A missing column, an empty caption or a repeated file name.

    Example
    -------
    >>> path = getfixture("tmp_path") / "c.csv"
    >>> _ = path.write_text(
    ...     'file_name,caption_1,caption_2,caption_3,caption_4,caption_5\\n'
    ...     'a b.wav,"One, ""quoted"".",Two.,Three.,Four.,Five.\\n',
    ...     encoding="utf-8",
    ... )
    >>> read_captions_csv(path)
    [('a b.wav', ['One, "quoted".', 'Two.', 'Three.', 'Four.', 'Five.'])]
    """
    path = Path(path)
    # utf-8-sig: a byte-order mark (spreadsheet exports) is not a column name.
    with open(path, encoding="utf-8-sig", newline="") as fin:
        reader = csv.DictReader(fin)
        columns = [name.strip() for name in (reader.fieldnames or [])]
        missing = [c for c in ("file_name",) + CAPTION_COLUMNS if c not in columns]
        if missing:
            raise ValueError(
                f"{path} lacks column(s) {', '.join(missing)} (found: {columns}); "
                f"a Clotho captions file has file_name, {', '.join(CAPTION_COLUMNS)}"
            )
        reader.fieldnames = columns
        return [
            (
                (row["file_name"] or "").strip(),
                [(row[column] or "").strip() for column in CAPTION_COLUMNS],
            )
            for row in reader
        ]


def load_manifest(csv_file):
    """Reads a manifest into the dict that ``DynamicItemDataset`` takes.

    Every value is kept verbatim (no ``$`` substitution), ``duration`` is a
    float, and ``references`` holds the captions as a list.

    Arguments
    ---------
    csv_file : str or os.PathLike
        A manifest written by :func:`prepare_clotho`.

    Returns
    -------
    dict
        ID -> ``{"duration", "wav", "file_name", "caption_1".., "references"}``.

    Example
    -------
    >>> path = getfixture("tmp_path") / "m.csv"
    >>> with open(path, "w", newline="", encoding="utf-8") as out:
    ...     _write_rows(out, [("dev/x", 1.5, "/x.wav", "x.wav", "A $5 bill.", "b", "c", "d", "e")])
    >>> load_manifest(path)["dev/x"]["references"][0]
    'A $5 bill.'
    """
    data = {}
    with open(csv_file, encoding="utf-8", newline="") as fin:
        for row in csv.DictReader(fin):
            uid = row.pop("ID")
            if uid in data:
                raise ValueError(f"{csv_file}: duplicate ID {uid!r}")
            row["duration"] = float(row["duration"])
            row["references"] = [row[c] for c in CAPTION_COLUMNS if row.get(c)]
            data[uid] = row
    return data


def _usual_sample_rate(files):
    """The most common sample rate among the readable files (None if none)."""
    rates = collections.Counter()
    for path in files:
        try:
            rates[soundfile.info(str(path)).samplerate] += 1
        except (soundfile.LibsndfileError, RuntimeError, TypeError):
            continue
    return rates.most_common(1)[0][0] if rates else None


def _scan_split(data_folder, split, report, check_content=False):
    """Manifest rows ``(ID, duration, wav, file_name, caption_1..5)`` of a
    split, and the number of clips listed (kept or not)."""
    captions_file = data_folder / captions_csv_name(split)
    audio_folder = data_folder / split
    listed_rows = read_captions_csv(captions_file)
    # Clotho has no fixed rate in its description: the split's usual rate is
    # the reference (44.1 kHz in the release), outliers are reported.
    usual_rate = _usual_sample_rate(
        audio_folder / name for name, _ in listed_rows if name and (audio_folder / name).is_file()
    )
    rows = []
    for line, (file_name, captions) in enumerate(listed_rows, start=2):
        wav = audio_folder / file_name
        if not file_name:
            problems = [("missing", f"empty file_name in {captions_file}, row {line}")]
        else:
            problems = audio_problems(str(wav), usual_rate, check_content)
        for column, caption in zip(CAPTION_COLUMNS, captions):
            problems += [
                (name, f"{column} {detail}, in {captions_file}, row {line}")
                for name, detail in text_problems(caption)
            ]
        if not report.keep(file_name or f"row {line}", wav, problems):
            continue
        duration = soundfile.info(str(wav)).duration
        # The split in the ID keeps IDs (and feature-cache entries) distinct
        # even if two splits hold clips of the same name.
        uid = f"{split}/{os.path.splitext(file_name)[0]}"
        rows.append((uid, duration, str(wav), file_name, *captions))
    listed = {row[3] for row in rows}
    unlisted = [p.name for p in audio_folder.iterdir() if p.is_file() and p.name not in listed]
    if unlisted:
        logger.warning(
            "%d audio file(s) in %s have no captions and are left out (e.g. %s)",
            len(unlisted),
            audio_folder,
            sorted(unlisted)[0],
        )
    return sorted(rows), len(listed_rows)


def _write_rows(out, rows):
    """Writes the header and the rows of a manifest to an open text file."""
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Write Clotho manifests (one per split).")
    parser.add_argument("data_folder", help="Clotho v2.1 folder (captions CSVs + audio folders)")
    parser.add_argument("save_folder", help="where to write <split>.csv")
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), help="default: %(default)s")
    add_bad_data_arguments(parser, "clips")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    prepare_clotho(
        args.data_folder,
        args.save_folder,
        args.splits,
        on_bad_data=args.on_bad_data,
        check_audio_content=args.check_audio_content,
    )


if __name__ == "__main__":
    main()
