"""Data preparation for LibriSQA Part I (spoken question answering).

LibriSQA Part I (Hugging Face dataset ``ZihanZhao/LibriSQA``) pairs
LibriSpeech utterances with free-form questions and answers. Its release
holds two JSON files, either in a ``LibriSQA-PartI/`` sub-folder or directly
in the data folder::

    <data_folder>/LibriSQA-PartI/LibriSQA-PartI-train.json
    <data_folder>/LibriSQA-PartI/LibriSQA-PartI-test.json

Each is a JSON list of objects::

    {"speech_path": "train-clean-360/103/1240/103-1240-0000.flac",
     "question": "...", "answer": "...", "text": "<transcript>", "duration": 14.7}

The audio itself is LibriSpeech's, in its usual layout::

    <librispeech_folder>/<split>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac

``speech_path`` is relative to a LibriSpeech root, or an absolute path from
the machine the authors built the files on. It is resolved in this order:
an absolute path as given (when it exists), a relative one below
``librispeech_folder``, and finally the utterance stem
``<speaker>-<chapter>-<utt>`` looked up under every split folder of
``librispeech_folder``; so any copy of LibriSpeech with the standard layout
works, whatever path the JSON recorded.

Manifests (:mod:`speechbrain_listen.tasks.manifest`), task ``sqa``:

* ``sqa_train.csv`` / ``sqa_valid.csv``: the train JSON; a seeded
  ``valid_fraction`` of its *utterances* (all questions of an utterance go
  to the same side, so validation audio is never trained on) is held out;
* ``sqa_test.csv``: the test JSON.

One utterance carries several questions, so an example's id is the stem plus
the question's index among that utterance's questions
(``sqa-103-1240-0000_q1``). ``target`` is the answer and ``question`` the
question (which is the instruction of the task). Durations are read from the
audio files; the JSON ``duration`` is not trusted.

Every example is checked (:mod:`speechbrain_listen.data.checks`): audio that
cannot be found, read or is empty, an empty question or answer, a repeated
id; with ``check_audio_content`` also NaN and silent audio. Under
``on_bad_data="skip"`` (default) such examples are left out, counted in a
logged summary and listed in ``<save_folder>/sqa_<role>_problems.csv``;
``"stop"`` raises at the first one, with the file named.

Preparation is idempotent: the options and the size and modification time
of both JSON files are recorded in ``<save_folder>/librisqa_prepare_opts.json``
after a successful run; the same call again returns at once.

Run as a script::

    python librisqa_prepare.py DATA_FOLDER LIBRISPEECH_FOLDER SAVE_FOLDER

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import collections
import json
import logging
import os
import random
import re
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
    first_existing,
    report_problems,
    write_record,
)
from speechbrain_listen.tasks.manifest import manifest_paths, manifest_row, write_manifest

logger = get_logger(__name__)

TASK = "sqa"
OPTS_FILE = "librisqa_prepare_opts.json"
SUBFOLDER = "LibriSQA-PartI"
JSON_FILES = {"train": "LibriSQA-PartI-train.json", "test": "LibriSQA-PartI-test.json"}
SAMPLE_RATE = 16000
AUDIO_EXT = ".flac"
# <speaker>-<chapter>-<utterance>: the only part of an authors' absolute
# path that is certain to hold on another machine.
STEM_PATTERN = re.compile(r"^(\d+)-(\d+)-(\d+)$")


def prepare_librisqa(
    data_folder,
    librispeech_folder,
    save_folder,
    valid_fraction=0.05,
    seed=0,
    skip_prep=False,
    on_bad_data="skip",
    check_audio_content=False,
):
    """Writes the ``sqa`` train, valid and test manifests of LibriSQA Part I.

    Arguments
    ---------
    data_folder : str or os.PathLike
        Folder holding ``LibriSQA-PartI/LibriSQA-PartI-{train,test}.json``
        (or the two JSON files directly).
    librispeech_folder : str or os.PathLike
        LibriSpeech root: the folder holding ``train-clean-360/`` etc.
    save_folder : str or os.PathLike
        Where ``sqa_<role>.csv``, the problem lists and the options record
        are written (created if missing).
    valid_fraction : float
        Fraction of the train JSON's utterances held out for validation
        (at least one utterance when positive).
    seed : int
        Seed of the held-out draw.
    skip_prep : bool
        If True, do nothing and return an empty dict.
    on_bad_data : str
        ``"skip"`` leaves out (and counts) examples with problems;
        ``"stop"`` raises at the first one.
    check_audio_content : bool
        Also decode every file to find NaN and silent audio.

    Returns
    -------
    dict
        Role (``train``, ``valid``, ``test``) -> manifest path (str).

    Raises
    ------
    FileNotFoundError
        A missing data folder, LibriSpeech folder or JSON file (named).
    ValueError
        A JSON file that is not a list of objects; a bad ``valid_fraction``.
    speechbrain_listen.data.checks.DataError
        With ``on_bad_data="stop"``: the first example with a problem.

    Example
    -------
    >>> csvs = prepare_librisqa("/data/LibriSQA", "/data/LibriSpeech", "results/prep")  # doctest: +SKIP
    >>> sorted(csvs)  # doctest: +SKIP
    ['test', 'train', 'valid']
    """
    if skip_prep:
        return {}
    if not 0 <= valid_fraction < 1:
        raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
    data_folder = Path(os.path.abspath(data_folder))
    librispeech_folder = Path(os.path.abspath(librispeech_folder))
    save_folder = Path(os.path.abspath(save_folder))
    if not data_folder.is_dir():
        raise FileNotFoundError(f"LibriSQA data folder not found: {data_folder}")
    if not librispeech_folder.is_dir():
        raise FileNotFoundError(f"LibriSpeech folder (the audio of LibriSQA) not found: {librispeech_folder}")
    json_files = {part: find_json(data_folder, part) for part in JSON_FILES}
    manifests = manifest_paths(save_folder, TASK)
    opts = {
        "data_folder": str(data_folder),
        "librispeech_folder": str(librispeech_folder),
        "valid_fraction": valid_fraction,
        "seed": seed,
        "on_bad_data": on_bad_data,
        "check_audio_content": check_audio_content,
        # A replaced JSON (a corrected release) is re-read.
        "json_files": {part: [str(path), *file_signature(path)] for part, path in json_files.items()},
    }
    opts_file = save_folder / OPTS_FILE
    if already_done(manifests, opts_file, opts):
        logger.info("LibriSQA preparation already done in %s, skipping.", save_folder)
        return manifests

    # Before any manifest is rewritten: a crash half-way leaves no record.
    clear_record(opts_file)
    splits = _split_folders(librispeech_folder)
    train_entries = load_entries(json_files["train"])
    held_out = _held_out_stems(
        [_stem(entry.get("speech_path"), index) for index, entry in enumerate(train_entries)],
        valid_fraction,
        seed,
    )
    # role -> [(example_id, entry, json file)]
    examples = {role: [] for role in ("train", "valid", "test")}
    for part, entries in (("train", train_entries), ("test", load_entries(json_files["test"]))):
        for example_id, stem, entry in _with_ids(entries):
            role = part if part == "test" else ("valid" if stem in held_out else "train")
            examples[role].append((example_id, entry, json_files[part]))

    for role, listed in examples.items():
        report = DataReport(f"{TASK}_{role}", on_bad_data)
        rows = []
        for example_id, entry, json_file in listed:
            row = _check_example(
                example_id, entry, json_file, librispeech_folder, splits, report, check_audio_content
            )
            if row is not None:
                rows.append(row)
        rows.sort(key=lambda row: row["ID"])
        write_manifest(manifests[role], rows)
        report_problems(report, save_folder / f"{TASK}_{role}_problems.csv", len(listed), logger)
        hours = sum(float(row["duration"]) for row in rows) / 3600
        logger.info("%s %s: %d questions, %.2f hours -> %s", TASK, role, len(rows), hours, manifests[role])
    # Written last: it exists only once every manifest is complete.
    write_record(opts_file, opts)
    return manifests


def find_json(data_folder, part):
    """The JSON file of ``part`` (``train`` or ``test``) in a LibriSQA folder.

    Arguments
    ---------
    data_folder : pathlib.Path
        The LibriSQA folder.
    part : str
        ``"train"`` or ``"test"``.

    Returns
    -------
    pathlib.Path
        ``<data_folder>/LibriSQA-PartI/<file>``, else ``<data_folder>/<file>``.

    Raises
    ------
    FileNotFoundError
        Neither exists; both places are named.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> _ = (folder / "LibriSQA-PartI-test.json").write_text("[]")
    >>> find_json(folder, "test").name
    'LibriSQA-PartI-test.json'
    """
    name = JSON_FILES[part]
    candidates = [Path(data_folder) / SUBFOLDER / name, Path(data_folder) / name]
    return first_existing(candidates, f"LibriSQA Part I {part} file")


def load_entries(json_file):
    """The list of question objects of a LibriSQA JSON file.

    A JSON-lines file (one object per line, as some Hugging Face exports
    are) is accepted too.

    Arguments
    ---------
    json_file : str or os.PathLike
        A LibriSQA JSON file.

    Returns
    -------
    list of dict

    Raises
    ------
    ValueError
        The file is neither a JSON list of objects nor JSON lines.

    Example
    -------
    >>> path = getfixture("tmp_path") / "q.json"
    >>> _ = path.write_text('{"question": "Who?", "answer": "Ann."}\\n{"question": "Why?"}\\n')
    >>> [entry["question"] for entry in load_entries(path)]
    ['Who?', 'Why?']
    """
    with open(json_file, encoding="utf-8-sig") as fin:
        text = fin.read()
    try:
        entries = json.loads(text)
    except ValueError:
        try:
            entries = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as err:
            raise ValueError(f"{json_file}: neither a JSON list nor JSON lines ({err})") from err
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ValueError(f"{json_file}: expected a JSON list of objects with speech_path, question, answer")
    return entries


def resolve_audio(speech_path, librispeech_folder, split_folders=None):
    """Finds the LibriSpeech file that a LibriSQA ``speech_path`` names.

    Arguments
    ---------
    speech_path : str
        The JSON's path: relative to a LibriSpeech root, or absolute (maybe
        from another machine).
    librispeech_folder : pathlib.Path
        The local LibriSpeech root.
    split_folders : list of pathlib.Path, optional
        Its split folders (computed when None; pass them when resolving
        many paths).

    Returns
    -------
    pathlib.Path or None
        The existing file, or None when none of the candidates exists.

    Example
    -------
    >>> root = getfixture("tmp_path")
    >>> chapter = root / "dev-clean" / "84" / "121123"
    >>> chapter.mkdir(parents=True)
    >>> _ = (chapter / "84-121123-0001.flac").write_bytes(b"")
    >>> resolve_audio("/home/someone/LibriSpeech/dev-clean/84/121123/84-121123-0001.flac", root).name
    '84-121123-0001.flac'
    >>> resolve_audio("train-other-500/1/2/1-2-0003.flac", root) is None
    True
    """
    if not speech_path:
        return None
    librispeech_folder = Path(librispeech_folder)
    given = Path(speech_path)
    candidates = []
    if given.is_absolute():
        candidates.append(given)
    else:
        candidates.append(librispeech_folder / given)
    for path in candidates:
        if path.is_file():
            return path
    # The stem names the speaker and chapter folders; only the split folder
    # (and the root above it) differs between machines.
    match = STEM_PATTERN.match(given.stem)
    if match is None:
        return None
    speaker, chapter, _ = match.groups()
    if split_folders is None:
        split_folders = _split_folders(librispeech_folder)
    names = [given.stem + AUDIO_EXT]
    if given.suffix and given.suffix != AUDIO_EXT:
        names.append(given.name)
    # The split named in the path (if it is one of ours) first: it is right
    # unless the authors' copy was laid out differently.
    ordered = sorted(split_folders, key=lambda folder: folder.name not in given.parts)
    for folder in ordered:
        for name in names:
            path = folder / speaker / chapter / name
            if path.is_file():
                return path
    return None


def _split_folders(librispeech_folder):
    """The sub-folders of a LibriSpeech root (``train-clean-100``, ...)."""
    return sorted(
        path for path in Path(librispeech_folder).iterdir() if path.is_dir() and not path.name.startswith(".")
    )


def _stem(speech_path, index):
    """The utterance name of an entry (``row<index>`` when it has no path).

    Example
    -------
    >>> _stem("/x/train-clean-360/103/1240/103-1240-0000.flac", 0), _stem(None, 7)
    ('103-1240-0000', 'row7')
    """
    if not speech_path:
        return f"row{index}"
    return Path(str(speech_path)).stem


def _with_ids(entries):
    """Yields ``(example_id, stem, entry)``; ids count the questions of
    each utterance in file order.

    Example
    -------
    >>> entries = [{"speech_path": "a/1-2-3.flac"}, {"speech_path": "b/1-2-3.flac"}, {}]
    >>> [example_id for example_id, _, _ in _with_ids(entries)]
    ['1-2-3_q0', '1-2-3_q1', 'row2_q0']
    """
    seen = collections.Counter()
    for index, entry in enumerate(entries):
        stem = _stem(entry.get("speech_path"), index)
        yield f"{stem}_q{seen[stem]}", stem, entry
        seen[stem] += 1


def _held_out_stems(stems, fraction, seed):
    """A seeded set of utterance stems for validation.

    Drawn from the sorted distinct stems, so the draw depends only on the
    JSON's utterances, not on its order or on which audio files are bad.

    Example
    -------
    >>> stems = [f"1-1-{n:04d}" for n in range(40)]
    >>> held = _held_out_stems(stems + stems, 0.1, seed=0)
    >>> len(held), held == _held_out_stems(list(reversed(stems)), 0.1, seed=0)
    (4, True)
    >>> _held_out_stems(stems, 0.0, seed=0)
    set()
    """
    distinct = sorted(set(stems))
    if fraction <= 0 or len(distinct) < 2:
        return set()
    count = min(len(distinct) - 1, max(1, round(fraction * len(distinct))))
    return set(random.Random(seed).sample(distinct, count))


def _text(entry, key):
    """A text field of an entry, stripped ('' when absent or not text)."""
    value = entry.get(key)
    return value.strip() if isinstance(value, str) else ""


def _check_example(example_id, entry, json_file, librispeech_folder, splits, report, check_content):
    """The manifest row of one question, or None when it is skipped."""
    speech_path = entry.get("speech_path")
    wav = resolve_audio(str(speech_path) if speech_path else "", librispeech_folder, splits)
    if wav is None:
        problems = [
            ("missing", f"speech_path {speech_path!r} not found under {librispeech_folder}, in {json_file}")
        ]
        shown = speech_path or f"(no speech_path) in {json_file}"
    else:
        problems = audio_problems(str(wav), SAMPLE_RATE, check_content)
        shown = wav
    question, answer = _text(entry, "question"), _text(entry, "answer")
    for key, text in (("question", question), ("answer", answer)):
        problems += [(name, f"{key}: {detail}, in {json_file}") for name, detail in text_problems(text)]
    if not report.keep(example_id, shown, problems):
        return None
    info = soundfile.info(str(wav))
    return manifest_row(TASK, example_id, info.frames / info.samplerate, str(wav), answer, question=question)


def main(argv=None):
    """Command-line entry point.

    Arguments
    ---------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description="Write the LibriSQA Part I manifests (task sqa).")
    parser.add_argument("data_folder", help="folder with LibriSQA-PartI/LibriSQA-PartI-{train,test}.json")
    parser.add_argument("librispeech_folder", help="LibriSpeech root (holds train-clean-360/ ...)")
    parser.add_argument("save_folder", help="where to write sqa_<role>.csv")
    parser.add_argument("--valid_fraction", type=float, default=0.05, help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    add_bad_data_arguments(parser, "questions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    prepare_librisqa(
        args.data_folder,
        args.librispeech_folder,
        args.save_folder,
        valid_fraction=args.valid_fraction,
        seed=args.seed,
        on_bad_data=args.on_bad_data,
        check_audio_content=args.check_audio_content,
    )


if __name__ == "__main__":
    main()
