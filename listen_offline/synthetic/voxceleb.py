"""A synthetic VoxCeleb1: espeak-ng speakers for speaker verification.

The real VoxCeleb1 cannot be downloaded here, so this module writes an
offline stand-in for the speaker-verification task of the multitask recipe,
with the layout of the real corpus (its ``wav/`` tree, ``vox1_meta.csv`` and
the ``veri_test2.txt`` trial list)::

    <root>/VoxCeleb1/
        vox1_meta.csv                   # one row per speaker, tab-separated
        veri_test2.txt                  # trials over the test speakers
        synthetic_voxceleb.json         # options + summary (skip marker)
        synthetic_voxceleb_transcripts.txt   # <wav path> <TRANSCRIPT>
        wav/<speaker id>/<video id>/<NNNNN>.wav

* **Layout**: speaker ids are ``id10001``, ``id10002``, ... with the dev
  speakers first, then the test speakers (the real corpus numbers its 1251
  speakers the same way; its 40 test speakers are ``id10270``-``id10309``).
  Video ids are 11-character YouTube-like strings (``[A-Za-z0-9_-]``) and
  utterances are numbered ``00001.wav`` upward within each video. Audio is
  16 kHz mono 16-bit WAV, like VoxCeleb1's.
* ``vox1_meta.csv`` has the real header ``VoxCeleb1 ID, VGGFace1 ID,
  Gender, Nationality, Set`` (tab-separated); the VGGFace1 name says which
  espeak-ng setting the speaker is (``espeak_en-gb_f3_160_45``), the gender
  (``m``/``f``) comes from the voice variant and the nationality from the
  accent (``en-us`` USA, ``en-gb*`` UK, ``en-029`` Jamaica).
* ``veri_test2.txt`` has lines ``<label> <enrol wav> <test wav>`` (paths
  relative to ``wav/``), label 1 for a same-speaker trial and 0 otherwise,
  over the test speakers only: half the trials are targets, which pair two
  different videos of the speaker whenever the speaker has more than one,
  and no pair of utterances appears twice (in either order).
* **Speakers**: a speaker is one :class:`~listen_offline.synthetic.\
librispeech.EspeakVoice`: an English accent, a voice variant (timbre, male
  or female), a speed and a pitch. Each (accent, variant) pair belongs to at
  most one speaker of the whole corpus, so no test speaker even sounds like
  a dev speaker and a verifier cannot win by telling speeds or pitches
  apart within one timbre. There are ``8 accents x 36 variants = 288``
  pairs (:data:`MAX_SPEAKERS`); asking for more speakers raises a
  ``ValueError``. The real corpus's 1251 speakers cannot be matched.
* **Text**: sentences of Python's shipped documentation
  (:mod:`listen_offline.synthetic.text`), 4 to 10 words by default
  (about 1.5-4 s of speech); no sentence is used twice in the corpus.
  The transcripts are kept in ``synthetic_voxceleb_transcripts.txt``.
* **Speech**: :func:`~listen_offline.synthetic.librispeech.synthesize`
  (espeak-ng piped through sox to 16 kHz FLAC), decoded losslessly into
  16-bit WAV. Both tools are Debian packages:
  ``apt-get install -y espeak-ng sox``.
* **Determinism**: the same seed and options give identical transcripts,
  ids, trial list and byte-identical audio (with the same espeak-ng, sox
  and Python versions, which the marker records). The test speakers are
  drawn before the dev speakers, so changing ``dev_speakers`` leaves their
  voices, videos, sentences, audio and trials unchanged; only their id
  numbers move, since they follow the dev ids.
* **Idempotence**: a call with the options recorded in
  ``synthetic_voxceleb.json`` returns at once; the corpus is built in a
  hidden sibling folder and renamed into place when complete, so an
  interrupted run never leaves a ``VoxCeleb1`` folder that looks finished.

The default corpus (dev: 48 speakers, test: 16 speakers, 2 videos x 4
utterances each; 512 utterances of 1.3-5.5 s, 0.43 hours; 400 trials, all
200 targets across videos) takes 16-23 s on 2 cores (measured while other
jobs shared them), 5 s of which read the sentence pool; 49 MB of WAV.

Command line::

    python -m listen_offline.synthetic.voxceleb data/synthetic

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import dataclasses
import functools
import itertools
import logging
import random
import string
from pathlib import Path

import soundfile

from listen_offline.synthetic.librispeech import (
    ESPEAK_PITCHES,
    ESPEAK_SPEEDS,
    ESPEAK_VARIANTS,
    ESPEAK_VOICES,
    SAMPLE_RATE,
    EspeakVoice,
    _same_corpus,
    missing_tools,
    synthesize,
    tool_versions,
)
from listen_offline.synthetic.parallel import run_parallel
from listen_offline.synthetic.records import (
    built_aside,
    duration_summary,
    read_record,
    write_record,
)
from listen_offline.synthetic.text import (
    python_docs_sentences,
    source_fingerprint,
)

# Plain logging, as in librispeech.py: no torch import for a data generator.
logger = logging.getLogger(__name__)

CORPUS_DIR = "VoxCeleb1"
WAV_DIR = "wav"
META_FILE = "vox1_meta.csv"
META_HEADER = ("VoxCeleb1 ID", "VGGFace1 ID", "Gender", "Nationality", "Set")
TRIALS_FILE = "veri_test2.txt"
MARKER_FILE = "synthetic_voxceleb.json"
TRANSCRIPTS_FILE = "synthetic_voxceleb_transcripts.txt"
GENERATOR = "listen_offline.synthetic.voxceleb"
# Bump when the same options would produce different files.
FORMAT_VERSION = 1

# Every speaker has its own (accent, variant) pair: this many at most.
MAX_SPEAKERS = len(ESPEAK_VOICES) * len(ESPEAK_VARIANTS)
# The first speaker id, as in the real corpus.
FIRST_SPEAKER_ID = 10001
VIDEO_ID_LENGTH = 11
VIDEO_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
# The country each espeak-ng accent stands for, in vox1_meta.csv's terms.
NATIONALITIES = {
    "en-us": "USA",
    "en-us-nyc": "USA",
    "en-gb": "UK",
    "en-gb-scotland": "UK",
    "en-gb-x-gbclan": "UK",
    "en-gb-x-rp": "UK",
    "en-gb-x-gbcwmd": "UK",
    "en-029": "Jamaica",
}


@dataclasses.dataclass(frozen=True)
class VoxUtterance:
    """One utterance of the synthetic VoxCeleb1, before synthesis.

    Arguments
    ---------
    split : str
        ``"dev"`` or ``"test"`` (the ``Set`` column of ``vox1_meta.csv``).
    speaker_id : str
        ``idNNNNN``.
    video_id : str
        11-character YouTube-like id.
    index : int
        Position in the video, from 1.
    spoken : str
        Text given to the synthesizer.
    transcript : str
        LibriSpeech-style normalised transcript.
    voice : EspeakVoice
        The speaker's voice.

    Example
    -------
    >>> u = VoxUtterance("test", "id10003", "abcdefghijk", 2, "Hi there.",
    ...                  "HI THERE", EspeakVoice("en-us", "m3", 160, 50))
    >>> u.path
    'id10003/abcdefghijk/00002.wav'
    """

    split: str
    speaker_id: str
    video_id: str
    index: int
    spoken: str
    transcript: str
    voice: EspeakVoice

    @property
    def path(self):
        """``<speaker>/<video>/<NNNNN>.wav``, relative to ``wav/``."""
        return f"{self.speaker_id}/{self.video_id}/{self.index:05d}.wav"


def vggface_name(voice):
    """The readable name that stands for a VGGFace1 identity.

    Arguments
    ---------
    voice : EspeakVoice
        The speaker's voice.

    Returns
    -------
    str

    Example
    -------
    >>> vggface_name(EspeakVoice("en-gb", "f3", 160, 45))
    'espeak_en-gb_f3_160_45'
    """
    return f"espeak_{voice.voice}_{voice.variant}_{voice.speed}_{voice.pitch}"


def plan_voxceleb(
    seed=0,
    dev_speakers=48,
    test_speakers=16,
    videos_per_speaker=2,
    utterances_per_video=4,
    sentences=None,
    min_words=4,
    max_words=10,
):
    """Decides every utterance of the corpus: who says what, in which video.

    Pure and fast (no synthesis). Each kind of choice has its own seeded
    stream, and every stream serves the test speakers before the dev
    speakers, so the test set does not depend on ``dev_speakers``.

    Arguments
    ---------
    seed : int
        Seed of every random choice.
    dev_speakers : int
        Speakers of the ``dev`` set (at least 1).
    test_speakers : int
        Speakers of the ``test`` set (at least 2, for non-target trials).
    videos_per_speaker : int
        Videos of each speaker.
    utterances_per_video : int
        Utterances of each video.
    sentences : sequence of Sentence, optional
        Sentence pool; by default :func:`python_docs_sentences` with
        ``min_words`` and ``max_words``.
    min_words : int
        Fewest words per utterance (default pool only).
    max_words : int
        Most words per utterance (default pool only).

    Returns
    -------
    list of VoxUtterance
        Sorted by path (hence dev speakers first).

    Raises
    ------
    ValueError
        For sizes below the minimums, more speakers than
        :data:`MAX_SPEAKERS`, or a pool with too few sentences.

    Example
    -------
    >>> from listen_offline.synthetic.text import Sentence
    >>> pool = [Sentence(f"Line {i}.", f"LINE {i}") for i in range(20)]
    >>> plan = plan_voxceleb(dev_speakers=1, test_speakers=2,
    ...                      utterances_per_video=2, sentences=pool)
    >>> len(plan), sorted({(u.speaker_id, u.split) for u in plan})
    (12, [('id10001', 'dev'), ('id10002', 'test'), ('id10003', 'test')])
    >>> plan[0].path[:8], len(plan[0].video_id), plan[0].index
    ('id10001/', 11, 1)
    """
    for name, value, least in (
        ("dev_speakers", dev_speakers, 1),
        ("test_speakers", test_speakers, 2),
        ("videos_per_speaker", videos_per_speaker, 1),
        ("utterances_per_video", utterances_per_video, 1),
    ):
        if value < least:
            raise ValueError(f"{name} must be >= {least}, got {value}")
    if videos_per_speaker * utterances_per_video < 2:
        raise ValueError(
            "Each speaker needs at least 2 utterances for target trials; "
            "raise videos_per_speaker or utterances_per_video."
        )
    speakers = dev_speakers + test_speakers
    if speakers > MAX_SPEAKERS:
        raise ValueError(
            f"{speakers} speakers requested, but only {MAX_SPEAKERS} can be "
            f"distinct: {len(ESPEAK_VOICES)} espeak-ng accents x "
            f"{len(ESPEAK_VARIANTS)} variants, one pair per speaker."
        )
    if sentences is None:
        sentences = python_docs_sentences(min_words, max_words)
    per_speaker = videos_per_speaker * utterances_per_video
    if speakers * per_speaker > len(sentences):
        raise ValueError(
            f"The corpus needs {speakers * per_speaker} distinct sentences "
            f"but the pool has {len(sentences)}; ask for fewer utterances or "
            f"widen the word range."
        )

    # String seeds are hashed with SHA-512: independent of PYTHONHASHSEED,
    # and one stream per purpose, so drawing more of one kind of thing
    # never shifts another.
    def shuffled(items, purpose):
        items = list(items)
        random.Random(f"{seed}:{purpose}").shuffle(items)
        return iter(items)

    pairs = shuffled(
        [(v, variant) for v in ESPEAK_VOICES for variant in ESPEAK_VARIANTS],
        "voices",
    )
    sentence_stream = shuffled(sentences, "sentences")
    prosody_rng = random.Random(f"{seed}:prosody")
    video_rng = random.Random(f"{seed}:video-ids")
    used_videos = set()

    def new_video_id():
        # Collisions are astronomically rare; redrawing keeps ids unique.
        while True:
            video_id = "".join(video_rng.choice(VIDEO_ID_ALPHABET) for _ in range(VIDEO_ID_LENGTH))
            if video_id not in used_videos:
                used_videos.add(video_id)
                return video_id

    plan = []
    # Test first (see above); their ids still come after the dev ids.
    for split, count, first in (
        ("test", test_speakers, FIRST_SPEAKER_ID + dev_speakers),
        ("dev", dev_speakers, FIRST_SPEAKER_ID),
    ):
        for offset in range(count):
            voice_name, variant = next(pairs)
            voice = EspeakVoice(
                voice_name,
                variant,
                prosody_rng.choice(ESPEAK_SPEEDS),
                prosody_rng.choice(ESPEAK_PITCHES),
            )
            for _ in range(videos_per_speaker):
                video_id = new_video_id()
                for index in range(1, utterances_per_video + 1):
                    sentence = next(sentence_stream)
                    plan.append(
                        VoxUtterance(
                            split=split,
                            speaker_id=f"id{first + offset}",
                            video_id=video_id,
                            index=index,
                            spoken=sentence.spoken,
                            transcript=sentence.transcript,
                            voice=voice,
                        )
                    )
    return sorted(plan, key=lambda u: u.path)


def plan_trials(utterances, num_trials=400, seed=0):
    """Draws a balanced verification trial list over ``utterances``.

    Target trials are dealt round-robin over the speakers (in a seeded
    order), each speaker's pairs of two different videos first, so every
    speaker gets its share and a pair from the same video only appears
    when a speaker has run out of cross-video pairs. Non-target trials are
    drawn uniformly among the pairs of utterances of different speakers.
    A pair is never drawn twice, in either order.

    Arguments
    ---------
    utterances : sequence of VoxUtterance
        The utterances to pair (the test set).
    num_trials : int
        Number of trials, even: half targets, half non-targets.
    seed : int
        Seed of the draw.

    Returns
    -------
    list of tuple
        ``(label, enrol_path, test_path)`` with ``label`` 1 for a target, 0
        otherwise and paths relative to ``wav/``, sorted by enrolment path
        like the real list.

    Raises
    ------
    ValueError
        If ``num_trials`` is odd or below 2, there are fewer than two
        speakers, or there are not enough distinct pairs.

    Example
    -------
    >>> from listen_offline.synthetic.text import Sentence
    >>> pool = [Sentence(f"Line {i}.", f"LINE {i}") for i in range(20)]
    >>> plan = plan_voxceleb(dev_speakers=1, test_speakers=2,
    ...                      utterances_per_video=2, sentences=pool)
    >>> trials = plan_trials([u for u in plan if u.split == "test"], 6)
    >>> sorted(label for label, _, _ in trials)
    [0, 0, 0, 1, 1, 1]
    >>> all((a[:7] == b[:7]) == bool(label) for label, a, b in trials)
    True
    """
    if num_trials < 2 or num_trials % 2:
        raise ValueError(f"num_trials must be even and >= 2 (half targets), got {num_trials}")
    half = num_trials // 2
    by_speaker = {}
    for utt in sorted(utterances, key=lambda u: u.path):
        by_speaker.setdefault(utt.speaker_id, []).append(utt)
    if len(by_speaker) < 2:
        raise ValueError("Trials need at least two speakers")
    rng = random.Random(f"{seed}:trials")

    cross, same = [], []
    for utts in by_speaker.values():
        speaker_cross, speaker_same = [], []
        for a, b in itertools.combinations(utts, 2):
            pair = (a.path, b.path)
            if a.video_id != b.video_id:
                speaker_cross.append(pair)
            else:
                speaker_same.append(pair)
        rng.shuffle(speaker_cross)
        rng.shuffle(speaker_same)
        cross.append(speaker_cross)
        same.append(speaker_same)
    order = list(range(len(by_speaker)))
    rng.shuffle(order)
    targets = _round_robin([cross[i] for i in order])
    targets += _round_robin([same[i] for i in order])
    if half > len(targets):
        raise ValueError(
            f"{half} target trials requested but the test speakers only "
            f"have {len(targets)} distinct same-speaker pairs."
        )
    targets = targets[:half]

    flat = [utt for utts in by_speaker.values() for utt in utts]
    possible = len(flat) * (len(flat) - 1) // 2 - sum(
        len(utts) * (len(utts) - 1) // 2 for utts in by_speaker.values()
    )
    if half > possible:
        raise ValueError(
            f"{half} non-target trials requested but the test speakers "
            f"only have {possible} distinct different-speaker pairs."
        )
    if 2 * half >= possible:
        # Dense request: list them all (there are at most 2 * half).
        candidates = [
            (a.path, b.path) for a, b in itertools.combinations(flat, 2) if a.speaker_id != b.speaker_id
        ]
        nontargets = rng.sample(candidates, half)
    else:
        # Sparse request: rejection sampling never lists the quadratic set;
        # at most half the different-speaker pairs are taken, so rejections
        # of already drawn pairs stay few.
        seen = set()
        nontargets = []
        while len(nontargets) < half:
            i, j = sorted(rng.sample(range(len(flat)), 2))
            if flat[i].speaker_id == flat[j].speaker_id or (i, j) in seen:
                continue
            seen.add((i, j))
            nontargets.append((flat[i].path, flat[j].path))

    trials = []
    for label, pairs in ((1, targets), (0, nontargets)):
        for a, b in pairs:
            # Either utterance may be the enrolment one.
            if rng.random() < 0.5:
                a, b = b, a
            trials.append((label, a, b))
    return sorted(trials, key=lambda t: (t[1], t[2]))


def generate_voxceleb(
    root,
    seed=0,
    dev_speakers=48,
    test_speakers=16,
    videos_per_speaker=2,
    utterances_per_video=4,
    test_trials=400,
    min_words=4,
    max_words=10,
    num_workers=2,
    progress=True,
):
    """Writes (or finds) a synthetic VoxCeleb1 corpus under ``root``.

    If ``<root>/VoxCeleb1`` already holds a corpus made with the same
    options, text source and tool versions, nothing is done. If it holds a
    synthetic corpus made differently, it is replaced. If it holds anything
    else (a real VoxCeleb1, say), an error is raised rather than touching it.

    Arguments
    ---------
    root : str or os.PathLike
        Folder that will contain ``VoxCeleb1/`` (created if missing).
    seed : int
        Seed of every random choice.
    dev_speakers : int
        Speakers of the ``dev`` set.
    test_speakers : int
        Speakers of the ``test`` set (the trial list's).
    videos_per_speaker : int
        Videos per speaker.
    utterances_per_video : int
        Utterances per video.
    test_trials : int
        Lines of ``veri_test2.txt`` (even: half targets).
    min_words : int
        Fewest words per utterance.
    max_words : int
        Most words per utterance.
    num_workers : int
        Utterances synthesized at the same time (each runs an espeak-ng and
        a sox process).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pathlib.Path
        ``<root>/VoxCeleb1``.

    Raises
    ------
    RuntimeError
        If ``espeak-ng`` or ``sox`` is not installed, or synthesis fails.
    ValueError
        If the sizes are impossible (see :func:`plan_voxceleb` and
        :func:`plan_trials`).
    FileExistsError
        If ``<root>/VoxCeleb1`` exists but is not a synthetic corpus.

    Example
    -------
    >>> corpus = generate_voxceleb(
    ...     "data/synthetic", dev_speakers=2, test_speakers=2, test_trials=8
    ... )  # doctest: +SKIP
    >>> len(list(corpus.glob("wav/*/*/*.wav")))  # doctest: +SKIP
    32
    """
    missing = missing_tools()
    if missing:
        raise RuntimeError(
            f"{' and '.join(missing)} not found: the synthetic VoxCeleb1 "
            f"needs them (Debian: apt-get install -y espeak-ng sox)."
        )
    if num_workers < 1:
        raise ValueError(f"num_workers must be >= 1, got {num_workers}")
    root = Path(root)
    corpus = root / CORPUS_DIR

    sentences = python_docs_sentences(min_words, max_words)
    record = {
        # Not __name__, which is "__main__" when run with python -m.
        "generator": GENERATOR,
        "format_version": FORMAT_VERSION,
        "options": {
            "seed": seed,
            "dev_speakers": dev_speakers,
            "test_speakers": test_speakers,
            "videos_per_speaker": videos_per_speaker,
            "utterances_per_video": utterances_per_video,
            "test_trials": test_trials,
            "min_words": min_words,
            "max_words": max_words,
            "sample_rate": SAMPLE_RATE,
        },
        "text_source": source_fingerprint(sentences),
        "tools": tool_versions(),
    }
    previous = corpus_info(corpus)
    if previous is not None and _same_corpus(previous, record):
        logger.info("Synthetic VoxCeleb1 already in %s, skipping.", corpus)
        return corpus
    if corpus.exists() and not (corpus / MARKER_FILE).exists():
        raise FileExistsError(
            f"{corpus} exists and is not a synthetic VoxCeleb1 (no "
            f"{MARKER_FILE}); refusing to overwrite it. Choose another root."
        )

    # Both plans before any synthesis: impossible sizes fail at once.
    plan = plan_voxceleb(
        seed,
        dev_speakers,
        test_speakers,
        videos_per_speaker,
        utterances_per_video,
        sentences,
    )
    trials = plan_trials([u for u in plan if u.split == "test"], test_trials, seed)
    # Built aside and renamed at the end: a crash leaves no VoxCeleb1/ that
    # looks complete.
    with built_aside(corpus) as partial:
        logger.info(
            "Synthesizing %d utterances (%d speakers) into %s",
            len(plan),
            dev_speakers + test_speakers,
            corpus,
        )
        wav_dir = partial / WAV_DIR
        for video_dir in sorted({(u.speaker_id, u.video_id) for u in plan}):
            (wav_dir / Path(*video_dir)).mkdir(parents=True)
        jobs = [functools.partial(_synthesize_wav, u.spoken, u.voice, wav_dir / u.path) for u in plan]
        run_parallel(jobs, num_workers, progress, desc="Synthesizing VoxCeleb1", unit="utt")
        durations = {u.path: soundfile.info(str(wav_dir / u.path)).duration for u in plan}
        _write_meta(plan, partial / META_FILE)
        _write_lines(
            partial / TRIALS_FILE,
            (f"{label} {a} {b}" for label, a, b in trials),
        )
        _write_lines(
            partial / TRANSCRIPTS_FILE,
            (f"{u.path} {u.transcript}" for u in plan),
        )
        record["summary"] = _summary(plan, durations, trials)
        write_record(partial / MARKER_FILE, record)

    for split in ("dev", "test"):
        stats = record["summary"][split]
        logger.info(
            "%s: %d speakers, %d utterances, %.2f hours",
            split,
            stats["speakers"],
            stats["utterances"],
            stats["hours"],
        )
    logger.info("%s: %d trials", TRIALS_FILE, len(trials))
    return corpus


def corpus_info(corpus):
    """Reads the record that a synthetic VoxCeleb1 keeps about itself.

    Arguments
    ---------
    corpus : str or os.PathLike
        A ``VoxCeleb1`` folder written by :func:`generate_voxceleb`.

    Returns
    -------
    dict or None
        Options, text source, tool versions and ``summary``, or None if the
        folder has no readable record.

    Example
    -------
    >>> corpus_info("/nonexistent") is None
    True
    """
    return read_record(Path(corpus) / MARKER_FILE)


def _round_robin(lists):
    """One item of each list in turn, skipping exhausted lists.

    Example
    -------
    >>> _round_robin([[1, 2, 3], [4], [5, 6]])
    [1, 4, 5, 2, 6, 3]
    """
    out = []
    for items in itertools.zip_longest(*lists):
        out.extend(item for item in items if item is not None)
    return out


def _synthesize_wav(text, voice, path):
    """Speaks ``text`` into a 16-bit WAV at ``path``.

    :func:`synthesize` writes FLAC; decoding it is lossless, so the WAV
    holds exactly the samples sox produced.

    Arguments
    ---------
    text : str
        What to say.
    voice : EspeakVoice
        The voice.
    path : pathlib.Path
        Output WAV path (its folder must exist).
    """
    flac = path.with_suffix(".flac")
    synthesize(text, voice, flac)
    audio, rate = soundfile.read(str(flac), dtype="int16")
    soundfile.write(str(path), audio, rate, subtype="PCM_16", format="WAV")
    flac.unlink()


def _write_meta(plan, path):
    """Writes ``vox1_meta.csv``: one tab-separated row per speaker.

    Arguments
    ---------
    plan : list of VoxUtterance
        All utterances.
    path : pathlib.Path
        Output file.
    """
    speakers = {}
    for utt in plan:
        speakers.setdefault(utt.speaker_id, (utt.voice, utt.split))
    rows = ["\t".join(META_HEADER)]
    for speaker_id in sorted(speakers):
        voice, split = speakers[speaker_id]
        rows.append(
            "\t".join(
                (
                    speaker_id,
                    vggface_name(voice),
                    voice.sex.lower(),
                    NATIONALITIES[voice.voice],
                    split,
                )
            )
        )
    _write_lines(path, rows)


def _write_lines(path, lines):
    """Writes text lines with ``\\n`` endings on every platform."""
    with open(path, "w", encoding="utf-8", newline="\n") as fout:
        for line in lines:
            fout.write(line + "\n")


def _summary(plan, durations, trials):
    """Per-set counts and durations, and trial counts, for the record.

    Arguments
    ---------
    plan : list of VoxUtterance
        All utterances.
    durations : dict
        Utterance path to duration in seconds.
    trials : list of tuple
        The trial list.

    Returns
    -------
    dict
        ``dev`` and ``test``: ``speakers``, ``videos``, ``utterances``,
        ``hours``, ``min_seconds``, ``mean_seconds``, ``max_seconds``;
        ``trials``: ``total``, ``targets``, ``nontargets`` and
        ``cross_video_targets``.
    """
    summary = {}
    for split in ("dev", "test"):
        utts = [u for u in plan if u.split == split]
        secs = [durations[u.path] for u in utts]
        summary[split] = {
            "speakers": len({u.speaker_id for u in utts}),
            "videos": len({u.video_id for u in utts}),
            "utterances": len(utts),
            **duration_summary(secs),
        }
    targets = [(a, b) for label, a, b in trials if label == 1]
    summary["trials"] = {
        "total": len(trials),
        "targets": len(targets),
        "nontargets": len(trials) - len(targets),
        "cross_video_targets": sum(a.split("/")[1] != b.split("/")[1] for a, b in targets),
    }
    return summary


def main(argv=None):
    """Command-line entry point.

    Arguments
    ---------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    pathlib.Path
        The corpus folder (``ROOT/VoxCeleb1``).
    """
    parser = argparse.ArgumentParser(
        prog="python -m listen_offline.synthetic.voxceleb",
        description=(
            "Write a synthetic VoxCeleb1 (espeak-ng speakers reading "
            "sentences of Python's documentation, with a verification "
            "trial list) to ROOT/VoxCeleb1."
        ),
    )
    parser.add_argument("root", help="folder that will hold VoxCeleb1/")
    for name, default, help_text in (
        ("seed", 0, "random seed"),
        ("dev_speakers", 48, "speakers of the dev set"),
        ("test_speakers", 16, "speakers of the test set"),
        ("videos_per_speaker", 2, "videos per speaker"),
        ("utterances_per_video", 4, "utterances per video"),
        ("test_trials", 400, "lines of veri_test2.txt (even)"),
        ("min_words", 4, "fewest words per utterance"),
        ("max_words", 10, "most words per utterance"),
        ("num_workers", 2, "parallel syntheses"),
    ):
        parser.add_argument(
            f"--{name}",
            type=int,
            default=default,
            help=f"{help_text} (default: %(default)s)",
        )
    parser.add_argument("--no_progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    corpus = generate_voxceleb(
        args.root,
        seed=args.seed,
        dev_speakers=args.dev_speakers,
        test_speakers=args.test_speakers,
        videos_per_speaker=args.videos_per_speaker,
        utterances_per_video=args.utterances_per_video,
        test_trials=args.test_trials,
        min_words=args.min_words,
        max_words=args.max_words,
        num_workers=args.num_workers,
        progress=not args.no_progress,
    )
    summary = corpus_info(corpus)["summary"]
    print(f"Synthetic VoxCeleb1 in {corpus}")
    for split in ("dev", "test"):
        stats = summary[split]
        print(
            f"  {split}: {stats['speakers']} speakers, "
            f"{stats['utterances']} utterances, {stats['hours']:.2f} h "
            f"({stats['min_seconds']:.1f}-{stats['max_seconds']:.1f} s)"
        )
    print(f"  {TRIALS_FILE}: {summary['trials']['total']} trials")
    return corpus


if __name__ == "__main__":
    main()
