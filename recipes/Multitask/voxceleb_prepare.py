"""Data preparation for VoxCeleb1 speaker verification as a yes/no question.

Reads the VoxCeleb1 layout that SpeechBrain's VoxCeleb recipe expects (dev
and test speakers unpacked into one ``wav/`` folder)::

    <data_folder>/wav/<speaker>/<video>/<clip>.wav      # id10001/1zcIwhmdeo4/00001.wav
    <data_folder>/veri_test2.txt                        # or <data_folder>/meta/veri_test2.txt

``veri_test2.txt`` is the cleaned VoxCeleb1-O trial list, one trial a line,
``<label> <clip> <clip>`` with label 1 for the same speaker and 0 for two
speakers, paths relative to ``wav/`` (read by
:mod:`speechbrain_listen.data.speaker_trials`)::

    1 id10270/x6uYqmx31kE/00001.wav id10270/8jEAjG6SegY/00008.wav

The LLM hears both clips of a pair, the second after ``PAIR_GAP_SECONDS`` of
silence, and answers "yes" (same person) or "no". Manifests
(:mod:`speechbrain_listen.tasks.manifest`), task ``sv``, one row per pair
(``wav`` = first clip, ``wav2`` = second, ``duration`` = both clips plus the
gap, ``target`` = ``yes``/``no``):

* ``sv_test.csv``: the trial list, in its order; with ``max_test_pairs`` a
  seeded subset with as many same- as different-speaker trials.
* ``sv_train.csv`` / ``sv_valid.csv``: pairs drawn from every speaker folder
  that no trial uses (the dev speakers: the test speakers are never trained
  on). A seeded ``valid_speakers_fraction`` of them is held out for the
  validation pairs, so validation speakers are unseen as well. Half the
  pairs are of one speaker, taken from two different videos when that
  speaker has more than one (otherwise the task could be solved by
  recognising the recording, not the voice); half are of two speakers.
  Draws are seeded: the same call gives the same pairs.

A pair's ID is made of its two clips (``sv-id10270/x6uYqmx31kE/00001+
id10270/8jEAjG6SegY/00008``): one ID is always one audio, and IDs never
clash across roles.

Every clip used is checked once (:mod:`speechbrain_listen.data.checks`):
missing, unreadable or empty audio, a rate other than 16 kHz (kept); with
``check_audio_content`` also NaN and silent audio. A pair with a bad clip is
left out (a generated pair is replaced by another draw); the clip is
listed, once, in ``<save_folder>/sv_<role>_problems.csv`` and the summary
counts clips. ``"stop"`` raises at the first bad clip, with the file named.
``max_pair_seconds`` leaves out pairs longer than that (counted in the log).

Preparation is idempotent: the options, the trial list's size and
modification time and the list of speaker folders are recorded in
``<save_folder>/voxceleb_prepare_opts.json``; the same call again returns at
once.

Run as a script::

    python voxceleb_prepare.py DATA_FOLDER SAVE_FOLDER --train_pairs 20000

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import collections
import hashlib
import logging
import os
import random
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
from speechbrain_listen.data.speaker_trials import clip_id, find_trial_list, pair_id, read_trials
from speechbrain_listen.tasks.manifest import (
    PAIR_GAP_SECONDS,
    manifest_paths,
    manifest_row,
    write_manifest,
)

logger = get_logger(__name__)

TASK = "sv"
OPTS_FILE = "voxceleb_prepare_opts.json"
SAMPLE_RATE = 16000
ANSWERS = {1: "yes", 0: "no"}


def prepare_voxceleb_pairs(
    data_folder,
    save_folder,
    train_pairs=20000,
    valid_pairs=1000,
    valid_speakers_fraction=0.05,
    max_test_pairs=None,
    seed=0,
    skip_prep=False,
    on_bad_data="skip",
    check_audio_content=False,
    max_pair_seconds=None,
):
    """Writes the ``sv`` train, valid and test pair manifests of VoxCeleb1.

    Arguments
    ---------
    data_folder : str or os.PathLike
        VoxCeleb1 folder holding ``wav/`` and ``veri_test2.txt`` (or
        ``meta/veri_test2.txt``).
    save_folder : str or os.PathLike
        Where ``sv_<role>.csv``, the problem lists and the options record
        are written (created if missing).
    train_pairs : int
        Pairs drawn for training (half same speaker, half different).
    valid_pairs : int
        Pairs drawn for validation, from held-out speakers; 0: an empty
        validation manifest and no speaker held out.
    valid_speakers_fraction : float
        Fraction of the training speakers held out for validation (at
        least 2 when ``valid_pairs`` > 0: a different-speaker pair needs
        two).
    max_test_pairs : int or None
        None: every trial; else a seeded subset of this many, half of each
        label.
    seed : int
        Seed of every draw.
    skip_prep : bool
        If True, do nothing and return an empty dict.
    on_bad_data : str
        ``"skip"`` leaves out (and counts) pairs with a bad clip;
        ``"stop"`` raises at the first bad clip.
    check_audio_content : bool
        Also decode every used clip to find NaN and silent audio.
    max_pair_seconds : float or None
        Leave out pairs whose total duration (clips + gap) exceeds this.

    Returns
    -------
    dict
        Role (``train``, ``valid``, ``test``) -> manifest path (str).

    Raises
    ------
    FileNotFoundError
        A missing data folder, ``wav/`` folder or trial list (named).
    ValueError
        A malformed trial list; too few training speakers for the pairs
        asked for.
    speechbrain_listen.data.checks.DataError
        With ``on_bad_data="stop"``: the first bad clip.

    Example
    -------
    >>> csvs = prepare_voxceleb_pairs("/data/VoxCeleb1", "results/prep")  # doctest: +SKIP
    >>> sorted(csvs)  # doctest: +SKIP
    ['test', 'train', 'valid']
    """
    if skip_prep:
        return {}
    for name, value in (("train_pairs", train_pairs), ("valid_pairs", valid_pairs)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    if not 0 <= valid_speakers_fraction < 1:
        raise ValueError(f"valid_speakers_fraction must be in [0, 1), got {valid_speakers_fraction}")
    data_folder = Path(os.path.abspath(data_folder))
    save_folder = Path(os.path.abspath(save_folder))
    if not data_folder.is_dir():
        raise FileNotFoundError(f"VoxCeleb1 data folder not found: {data_folder}")
    wav_folder = data_folder / "wav"
    if not wav_folder.is_dir():
        raise FileNotFoundError(
            f"VoxCeleb1 audio folder not found: expected {wav_folder} (<speaker>/<video>/<clip>.wav)"
        )
    trial_list = find_trial_list(data_folder)
    speaker_folders = sorted(
        entry.name for entry in os.scandir(wav_folder) if entry.is_dir() and not entry.name.startswith(".")
    )

    manifests = manifest_paths(save_folder, TASK)
    opts = {
        "data_folder": str(data_folder),
        "train_pairs": train_pairs,
        "valid_pairs": valid_pairs,
        "valid_speakers_fraction": valid_speakers_fraction,
        "max_test_pairs": max_test_pairs,
        "seed": seed,
        "on_bad_data": on_bad_data,
        "check_audio_content": check_audio_content,
        "max_pair_seconds": max_pair_seconds,
        "trial_list": [str(trial_list), *file_signature(trial_list)],
        # Speakers added or removed change the pools; a digest keeps the
        # record short (1,251 names in VoxCeleb1).
        "speakers": hashlib.sha1("\n".join(speaker_folders).encode()).hexdigest(),
    }
    opts_file = save_folder / OPTS_FILE
    if already_done(manifests, opts_file, opts):
        logger.info("VoxCeleb1 pair preparation already done in %s, skipping.", save_folder)
        return manifests

    trials = read_trials(trial_list)
    test_speakers = {clip.split("/")[0] for _, first, second in trials for clip in (first, second)}
    dev_speakers = [speaker for speaker in speaker_folders if speaker not in test_speakers]
    valid_speakers = _valid_speakers(dev_speakers, valid_pairs, valid_speakers_fraction, train_pairs, seed)
    pools = {
        "train": scan_clips(wav_folder, [s for s in dev_speakers if s not in valid_speakers]),
        "valid": scan_clips(wav_folder, sorted(valid_speakers)),
    }

    # Before any manifest is rewritten: a crash half-way leaves no record.
    clear_record(opts_file)
    wanted = {"train": train_pairs, "valid": valid_pairs}
    for role in ("train", "valid", "test"):
        report = DataReport(f"{TASK}_{role}", on_bad_data)
        checker = _ClipChecker(wav_folder, report, check_audio_content)
        counts = collections.Counter()
        if role == "test":
            rows = _test_rows(trials, checker, max_test_pairs, seed, max_pair_seconds, counts)
            speakers = len(test_speakers)
        else:
            rng = random.Random(f"{seed}:{role}-pairs")
            rows = _draw_rows(pools[role], wanted[role], rng, checker, max_pair_seconds, counts)
            rows.sort(key=lambda row: row["ID"])
            speakers = len(pools[role])
        write_manifest(manifests[role], rows)
        report_problems(
            report, save_folder / f"{TASK}_{role}_problems.csv", checker.checked, logger, unit="clips"
        )
        answers = collections.Counter(row["target"] for row in rows)
        left_out = ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items()))
        logger.info(
            "%s %s: %d pairs (%d yes, %d no) of %d speakers -> %s%s",
            TASK,
            role,
            len(rows),
            answers["yes"],
            answers["no"],
            speakers,
            manifests[role],
            f"; left out: {left_out}" if left_out else "",
        )
    write_record(opts_file, opts)
    return manifests


def scan_clips(wav_folder, speakers):
    """The clips of some speakers: ``{speaker: {video: [clip, ...]}}``.

    Clips are paths relative to ``wav_folder`` (``id1/v1/00001.wav``),
    sorted, so every draw from them is reproducible. Speakers without any
    clip are left out.

    Example
    -------
    >>> wav = getfixture("tmp_path") / "wav"
    >>> for clip in ("id1/vB/00002.wav", "id1/vA/00001.wav", "id2/vC/00001.wav"):
    ...     (wav / clip).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (wav / clip).write_bytes(b"")
    >>> scan_clips(wav, ["id1"])
    {'id1': {'vA': ['id1/vA/00001.wav'], 'vB': ['id1/vB/00002.wav']}}
    """
    wav_folder = Path(wav_folder)
    pools = {}
    for speaker in speakers:
        videos = {}
        speaker_folder = wav_folder / speaker
        for video in sorted(entry.name for entry in os.scandir(speaker_folder) if entry.is_dir()):
            clips = sorted(
                entry.name
                for entry in os.scandir(speaker_folder / video)
                if entry.name.endswith(".wav") and not entry.name.startswith(".")
            )
            if clips:
                videos[video] = [f"{speaker}/{video}/{clip}" for clip in clips]
        if videos:
            pools[speaker] = videos
    return pools


class _ClipChecker:
    """Checks each clip once and remembers its duration (None: bad clip).

    The test list uses each clip in several trials and drawn pairs reuse
    clips too; checking (and reporting) a clip once keeps the problem list
    one line per bad file.
    """

    def __init__(self, wav_folder, report, check_content):
        self.wav_folder = Path(wav_folder)
        self.report = report
        self.check_content = check_content
        self.durations = {}

    @property
    def checked(self):
        """How many distinct clips were checked."""
        return len(self.durations)

    def duration(self, clip):
        """Seconds of ``clip`` (relative to ``wav/``), None if it is bad."""
        if clip not in self.durations:
            path = self.wav_folder / clip
            problems = audio_problems(str(path), SAMPLE_RATE, self.check_content)
            seconds = None
            if self.report.keep(clip_id(clip), path, problems):
                info = soundfile.info(str(path))
                seconds = info.frames / info.samplerate
            self.durations[clip] = seconds
        return self.durations[clip]


def _pair_row(first, second, target, checker, max_pair_seconds, counts):
    """The manifest row of a pair, or None (bad clip, too long: counted)."""
    first_seconds = checker.duration(first)
    # Short-circuit: under "stop" the first bad clip is the one named.
    second_seconds = checker.duration(second) if first_seconds is not None else None
    if first_seconds is None or second_seconds is None:
        counts["pairs with a bad clip"] += 1
        return None
    seconds = first_seconds + PAIR_GAP_SECONDS + second_seconds
    if max_pair_seconds is not None and seconds > max_pair_seconds:
        counts[f"pairs over {max_pair_seconds} s"] += 1
        return None
    return manifest_row(
        TASK,
        pair_id(first, second),
        seconds,
        str(checker.wav_folder / first),
        target,
        wav2=str(checker.wav_folder / second),
    )


def _test_rows(trials, checker, max_test_pairs, seed, max_pair_seconds, counts):
    """Rows of the trial list (or of its balanced subset), in list order."""
    seen = set()
    unique = []
    for index, (_label, first, second) in enumerate(trials):
        if (first, second) in seen:
            counts["repeated trials"] += 1
            continue
        seen.add((first, second))
        unique.append(index)
    if max_test_pairs is None:
        chosen = unique
    else:
        # Walk each label's trials in a seeded order and take good ones
        # until its half is full: only the clips of the subset are checked
        # and a bad clip does not unbalance the labels.
        rng = random.Random(f"{seed}:test-pairs")
        quota = {1: max_test_pairs // 2, 0: max_test_pairs - max_test_pairs // 2}
        chosen = []
        for label in (1, 0):
            candidates = [index for index in unique if trials[index][0] == label]
            rng.shuffle(candidates)
            taken = 0
            for index in candidates:
                if taken == quota[label]:
                    break
                _, first, second = trials[index]
                if _pair_row(first, second, ANSWERS[label], checker, max_pair_seconds, counts) is not None:
                    chosen.append(index)
                    taken += 1
            if taken < quota[label]:
                logger.warning(
                    "sv test: only %d usable trials with label %d (%d asked for)", taken, label, quota[label]
                )
        chosen.sort()
    rows = []
    for index in chosen:
        label, first, second = trials[index]
        # Clips are cached: this re-reads nothing, and a chosen subset
        # trial is good, so nothing is counted twice.
        row = _pair_row(first, second, ANSWERS[label], checker, max_pair_seconds, counts)
        if row is not None:
            rows.append(row)
    return rows


def _valid_speakers(speakers, valid_pairs, fraction, train_pairs, seed):
    """The seeded set of speakers held out for validation pairs."""
    if valid_pairs == 0:
        return set()
    count = max(2, round(fraction * len(speakers)))
    if len(speakers) - count < (2 if train_pairs > 0 else 0):
        raise ValueError(
            f"{len(speakers)} speaker folder(s) outside the trial list: too few to hold out "
            f"{count} for validation and keep 2 for training"
        )
    return set(random.Random(f"{seed}:valid-speakers").sample(sorted(speakers), count))


def _draw_rows(pool, count, rng, checker, max_pair_seconds, counts):
    """``count`` distinct pairs from ``pool``: ``count // 2`` of one speaker
    (``yes``), the rest of two speakers (``no``)."""
    if count == 0:
        return []
    speakers = sorted(pool)
    clips = {
        speaker: [c for video in sorted(pool[speaker]) for c in pool[speaker][video]] for speaker in speakers
    }
    repeatable = [speaker for speaker in speakers if len(clips[speaker]) >= 2]
    if len(speakers) < 2 or not repeatable:
        raise ValueError(
            f"{len(speakers)} speaker(s) with clips, {len(repeatable)} of them with two clips or more: "
            "different-speaker pairs need two speakers and same-speaker pairs a speaker with two clips"
        )

    def same_speaker():
        speaker = rng.choice(repeatable)
        videos = sorted(pool[speaker])
        if len(videos) >= 2:
            first_video, second_video = rng.sample(videos, 2)
            return rng.choice(pool[speaker][first_video]), rng.choice(pool[speaker][second_video])
        first, second = rng.sample(clips[speaker], 2)
        return first, second

    def two_speakers():
        first_speaker, second_speaker = rng.sample(speakers, 2)
        return rng.choice(clips[first_speaker]), rng.choice(clips[second_speaker])

    rows = []
    drawn = set()  # unordered pairs seen, kept or not: never drawn twice
    for target, draw, wanted in (("yes", same_speaker, count // 2), ("no", two_speakers, count - count // 2)):
        taken = 0
        # Small pools run out of distinct pairs; stop instead of looping.
        for _ in range(20 * wanted + 100):
            if taken == wanted:
                break
            first, second = draw()
            key = tuple(sorted((first, second)))
            if key in drawn:
                continue
            drawn.add(key)
            row = _pair_row(first, second, target, checker, max_pair_seconds, counts)
            if row is not None:
                rows.append(row)
                taken += 1
        if taken < wanted:
            logger.warning(
                "sv: only %d distinct '%s' pairs could be drawn (%d asked for)", taken, target, wanted
            )
    return rows


def main(argv=None):
    """Command-line entry point.

    Arguments
    ---------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description="Write the VoxCeleb1 verification pair manifests (task sv).")
    parser.add_argument("data_folder", help="VoxCeleb1 folder with wav/ and veri_test2.txt")
    parser.add_argument("save_folder", help="where to write sv_<role>.csv")
    parser.add_argument("--train_pairs", type=int, default=20000, help="default: %(default)s")
    parser.add_argument("--valid_pairs", type=int, default=1000, help="default: %(default)s")
    parser.add_argument("--valid_speakers_fraction", type=float, default=0.05, help="default: %(default)s")
    parser.add_argument("--max_test_pairs", type=int, default=None, help="default: every trial")
    parser.add_argument("--max_pair_seconds", type=float, default=None, help="default: no limit")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    add_bad_data_arguments(parser, "clips")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    prepare_voxceleb_pairs(
        args.data_folder,
        args.save_folder,
        train_pairs=args.train_pairs,
        valid_pairs=args.valid_pairs,
        valid_speakers_fraction=args.valid_speakers_fraction,
        max_test_pairs=args.max_test_pairs,
        seed=args.seed,
        on_bad_data=args.on_bad_data,
        check_audio_content=args.check_audio_content,
        max_pair_seconds=args.max_pair_seconds,
    )


if __name__ == "__main__":
    main()
