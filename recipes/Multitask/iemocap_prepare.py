"""Data preparation for IEMOCAP (4-class speech emotion recognition).

Reads the layout of the ``IEMOCAP_full_release`` folder::

    <data_folder>/Session<n>/sentences/wav/<dialog>/<utterance>.wav     # n = 1..5
    <data_folder>/Session<n>/dialog/EmoEvaluation/<dialog>.txt

Each evaluation file holds, among headers, blank lines and the individual
annotators' lines (``C-E1:``, ``A-E2:``, ...), one consensus line per
utterance::

    [6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]

Only those lines are read. The usual four-class setup is kept (the one the
LiSTEN paper reports): ``neu`` -> neutral, ``hap`` and ``exc`` -> happy,
``ang`` -> angry, ``sad`` -> sad (:data:`EMOTION_WORDS`). Utterances with
any other label (frustration, surprise, ``xxx`` = no agreement, ...) are
left out; they are counted in the log, not reported as problems.

Manifests (:mod:`speechbrain_listen.tasks.manifest`), task ``emotion``, split
by session (speaker-independent: each session is one pair of actors):
``valid_session`` -> ``emotion_valid.csv``, ``test_session`` ->
``emotion_test.csv``, the other three sessions -> ``emotion_train.csv``.
``target`` is the emotion word, the ID the utterance name
(``emotion-Ses01F_impro01_F000``).

Every utterance is checked (:mod:`speechbrain_listen.data.checks`): missing,
unreadable or empty audio, a repeated utterance, a rate other than 16 kHz
(kept); with ``check_audio_content`` also NaN and silent audio. Under
``on_bad_data="skip"`` (default) bad utterances are left out, counted in a
logged summary and listed in ``<save_folder>/emotion_<role>_problems.csv``;
``"stop"`` raises at the first one, with the file named.

Preparation is idempotent: the options and the size and modification time
of every evaluation file are recorded in
``<save_folder>/iemocap_prepare_opts.json``; the same call again returns at
once.

Run as a script::

    python iemocap_prepare.py DATA_FOLDER SAVE_FOLDER --valid_session 4 --test_session 5

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import collections
import logging
import os
import re
from pathlib import Path

import soundfile
from speechbrain.utils.logger import get_logger

from speechbrain_listen.data.checks import DataReport, add_bad_data_arguments, audio_problems
from speechbrain_listen.data.preparation_records import (
    already_done,
    clear_record,
    file_signature,
    report_problems,
    write_record,
)
from speechbrain_listen.tasks.manifest import manifest_paths, manifest_row, write_manifest

logger = get_logger(__name__)

TASK = "emotion"
OPTS_FILE = "iemocap_prepare_opts.json"
SESSIONS = (1, 2, 3, 4, 5)
SAMPLE_RATE = 16000
# IEMOCAP's label -> the word the model answers. "exc" (excited) joins
# "hap": the standard 4-class merge, without which "happy" is tiny.
EMOTION_WORDS = {"neu": "neutral", "hap": "happy", "exc": "happy", "ang": "angry", "sad": "sad"}
# The four answers, in the order scoring reports them.
EMOTION_CLASSES = ("neutral", "happy", "angry", "sad")
# "[start - end]<TAB>utterance<TAB>label<TAB>[V, A, D]"
LABEL_LINE = re.compile(r"^\[\s*([\d.]+)\s*-\s*([\d.]+)\s*\]\s+(\S+)\s+(\S+)\s+\[")


def prepare_iemocap(
    data_folder,
    save_folder,
    valid_session=4,
    test_session=5,
    skip_prep=False,
    on_bad_data="skip",
    check_audio_content=False,
):
    """Writes the ``emotion`` train, valid and test manifests of IEMOCAP.

    Arguments
    ---------
    data_folder : str or os.PathLike
        The ``IEMOCAP_full_release`` folder (holds ``Session1`` ..
        ``Session5``).
    save_folder : str or os.PathLike
        Where ``emotion_<role>.csv``, the problem lists and the options
        record are written (created if missing).
    valid_session : int
        Session (1-5) of the validation manifest.
    test_session : int
        Session (1-5) of the test manifest; the other three train.
    skip_prep : bool
        If True, do nothing and return an empty dict.
    on_bad_data : str
        ``"skip"`` leaves out (and counts) utterances with problems;
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
        A missing data folder or a session's ``dialog/EmoEvaluation``
        folder (named).
    ValueError
        Sessions out of range or equal.
    speechbrain_listen.data.checks.DataError
        With ``on_bad_data="stop"``: the first utterance with a problem.

    Example
    -------
    >>> csvs = prepare_iemocap("/data/IEMOCAP_full_release", "results/prep")  # doctest: +SKIP
    >>> sorted(csvs)  # doctest: +SKIP
    ['test', 'train', 'valid']
    """
    if skip_prep:
        return {}
    valid_session, test_session = int(valid_session), int(test_session)
    for name, session in (("valid_session", valid_session), ("test_session", test_session)):
        if session not in SESSIONS:
            raise ValueError(f"{name} must be one of {SESSIONS}, got {session}")
    if valid_session == test_session:
        raise ValueError(f"valid_session and test_session are both {test_session}: they must differ")
    data_folder = Path(os.path.abspath(data_folder))
    save_folder = Path(os.path.abspath(save_folder))
    if not data_folder.is_dir():
        raise FileNotFoundError(f"IEMOCAP data folder not found: {data_folder}")
    label_files = {}
    for session in SESSIONS:
        folder = evaluation_folder(data_folder, session)
        if not folder.is_dir():
            raise FileNotFoundError(f"IEMOCAP Session{session} labels not found: expected folder {folder}")
        # macOS copies of the release carry "._<name>.txt" resource forks.
        label_files[session] = sorted(p for p in folder.glob("*.txt") if not p.name.startswith("."))
        if not label_files[session]:
            raise FileNotFoundError(f"no <dialog>.txt label files in {folder}")

    manifests = manifest_paths(save_folder, TASK)
    opts = {
        "data_folder": str(data_folder),
        "valid_session": valid_session,
        "test_session": test_session,
        "on_bad_data": on_bad_data,
        "check_audio_content": check_audio_content,
        # A corrected label file is re-read.
        "label_files": {
            str(path.relative_to(data_folder)): file_signature(path)
            for session in SESSIONS
            for path in label_files[session]
        },
    }
    opts_file = save_folder / OPTS_FILE
    if already_done(manifests, opts_file, opts):
        logger.info("IEMOCAP preparation already done in %s, skipping.", save_folder)
        return manifests

    # Before any manifest is rewritten: a crash half-way leaves no record.
    clear_record(opts_file)
    roles = {valid_session: "valid", test_session: "test"}
    labelled = {"train": [], "valid": [], "test": []}  # role -> [(utterance, word, wav, label file)]
    dropped = {"train": collections.Counter(), "valid": collections.Counter(), "test": collections.Counter()}
    for session in SESSIONS:
        role = roles.get(session, "train")
        for label_file in label_files[session]:
            wav_folder = data_folder / f"Session{session}" / "sentences" / "wav" / label_file.stem
            for utterance, label in read_labels(label_file):
                word = EMOTION_WORDS.get(label)
                if word is None:
                    dropped[role][label] += 1
                    continue
                labelled[role].append((utterance, word, wav_folder / f"{utterance}.wav", label_file))

    for role, listed in labelled.items():
        report = DataReport(f"{TASK}_{role}", on_bad_data)
        rows = []
        for utterance, word, wav, label_file in listed:
            problems = [
                (name, f"{detail} (labelled in {label_file})")
                for name, detail in audio_problems(str(wav), SAMPLE_RATE, check_audio_content)
            ]
            if not report.keep(utterance, wav, problems):
                continue
            info = soundfile.info(str(wav))
            rows.append(manifest_row(TASK, utterance, info.frames / info.samplerate, str(wav), word))
        rows.sort(key=lambda row: row["ID"])
        write_manifest(manifests[role], rows)
        report_problems(report, save_folder / f"{TASK}_{role}_problems.csv", len(listed), logger)
        other = ", ".join(f"{label}: {n}" for label, n in sorted(dropped[role].items()))
        classes = collections.Counter(row["target"] for row in rows)
        logger.info(
            "%s %s: %d utterances (%s) -> %s; other emotions left out: %s",
            TASK,
            role,
            len(rows),
            ", ".join(f"{word} {classes[word]}" for word in EMOTION_CLASSES),
            manifests[role],
            other or "none",
        )
    write_record(opts_file, opts)
    return manifests


def evaluation_folder(data_folder, session):
    """``<data_folder>/Session<n>/dialog/EmoEvaluation``.

    Example
    -------
    >>> evaluation_folder(Path("IEMOCAP_full_release"), 3).as_posix()
    'IEMOCAP_full_release/Session3/dialog/EmoEvaluation'
    """
    return Path(data_folder) / f"Session{session}" / "dialog" / "EmoEvaluation"


def read_labels(label_file):
    """The ``(utterance, label)`` pairs of one EmoEvaluation file.

    Arguments
    ---------
    label_file : str or os.PathLike
        A ``<dialog>.txt`` file.

    Returns
    -------
    list of (str, str)
        In file order; headers, annotator and blank lines are ignored.

    Example
    -------
    >>> path = getfixture("tmp_path") / "Ses01F_impro01.txt"
    >>> _ = path.write_text(
    ...     "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\\n\\n"
    ...     "[6.2901 - 8.2357]\\tSes01F_impro01_F000\\tneu\\t[2.5000, 2.5000, 2.5000]\\n"
    ...     "C-E2:\\tNeutral;\\t()\\n"
    ...     "[10.0100 - 11.3925]\\tSes01F_impro01_F001\\txxx\\t[2.5000, 2.5000, 2.5000]\\n"
    ... )
    >>> read_labels(path)
    [('Ses01F_impro01_F000', 'neu'), ('Ses01F_impro01_F001', 'xxx')]
    """
    pairs = []
    # latin-1: never fails on a stray byte, and the lines we read are ASCII.
    with open(label_file, encoding="latin-1") as fin:
        for line in fin:
            match = LABEL_LINE.match(line.strip())
            if match is not None:
                pairs.append((match.group(3), match.group(4)))
    return pairs


def main(argv=None):
    """Command-line entry point.

    Arguments
    ---------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description="Write the IEMOCAP 4-class manifests (task emotion).")
    parser.add_argument("data_folder", help="the IEMOCAP_full_release folder")
    parser.add_argument("save_folder", help="where to write emotion_<role>.csv")
    parser.add_argument("--valid_session", type=int, default=4, help="default: %(default)s")
    parser.add_argument("--test_session", type=int, default=5, help="default: %(default)s")
    add_bad_data_arguments(parser, "utterances")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    prepare_iemocap(
        args.data_folder,
        args.save_folder,
        valid_session=args.valid_session,
        test_session=args.test_session,
        on_bad_data=args.on_bad_data,
        check_audio_content=args.check_audio_content,
    )


if __name__ == "__main__":
    main()
