"""A synthetic LibriSpeech: real English sentences read by espeak-ng voices.

The real corpus cannot be downloaded here, so this module writes a stand-in
with exactly the LibriSpeech on-disk layout, which the unchanged
``recipes/LibriSpeech/librispeech_prepare.py`` (and any other LibriSpeech
tool) reads as it reads the real one::

    <root>/LibriSpeech/
        SPEAKERS.TXT
        synthetic_librispeech.json        # options + summary (skip marker)
        train-clean-100/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac
        train-clean-100/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt
        dev-clean/...
        test-clean/...

Audio is 16 kHz mono 16-bit FLAC. Each line of a ``.trans.txt`` file is
``<utt_id> <TRANSCRIPT>`` with LibriSpeech's normalisation (upper case,
``A-Z``, apostrophes, single spaces).

* **Text**: sentences of Python's shipped documentation
  (:mod:`listen_offline.synthetic.text` says why that source), 5 to 20
  words by default. No sentence is used twice in the corpus, so no sentence
  is shared between splits.
* **Speakers**: a speaker is one fixed espeak-ng setting: an English voice
  (accent), a voice variant (timbre, male or female), a speed and a pitch.
  Every speaker of the corpus has its own (voice, variant) pair, so no
  train speaker even sounds like a dev or test speaker; speaker ids are
  distinct across splits, as in LibriSpeech.
* **Engines**: ``engines=("espeak",)`` (the API default, and
  ``--engines espeak``) is the espeak-only corpus described here, with the
  same plan and record as before engines existed. ``--engines all`` (the
  command line's default when flite, festival and piper are all installed)
  deals the speakers in turn to espeak-ng, flite, festival and piper
  (:mod:`listen_offline.synthetic.voices`), each speaker with a setting no
  other speaker has.
* **Speech**: ``espeak-ng`` (22.05 kHz WAV on its stdout) piped through
  ``sox`` (3 dB of headroom so that resampling never clips, resampling to
  16 kHz, FLAC). Both are Debian packages:
  ``apt-get install -y espeak-ng sox``.
* **Determinism**: the same seed and options give identical transcripts and
  byte-identical audio (with the same espeak-ng, sox and Python versions,
  which the marker records). The test and dev sets are drawn before the
  training set, so changing the training size leaves them unchanged.
* **Idempotence**: the options are recorded in
  ``synthetic_librispeech.json``; a call with the same options finds it and
  returns at once. The corpus is built in a hidden sibling folder and
  renamed into place when complete, so an interrupted run never leaves a
  half-written ``LibriSpeech`` folder that looks finished.

The default corpus (train-clean-100: 40 speakers x 50 utterances in 2
chapters each; dev-clean: 10 x 10; test-clean: 20 x 10; 2300 utterances,
2.5 hours of speech, 96% of the utterances between 2 and 8 s) takes about
40 s on 2 cores, 150 MB of FLAC.

Command line::

    python -m listen_offline.synthetic.librispeech data/synthetic
    python recipes/LibriSpeech/librispeech_prepare.py \\
        data/synthetic/LibriSpeech results/prepare

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import dataclasses
import functools
import logging
import random
import re
import shutil
import subprocess
from pathlib import Path

import soundfile

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
from listen_offline.synthetic.voices import (
    ENGINES,
    EngineVoice,
    draw_voice,
    engine_versions,
    missing_engine,
    piper_session_seed,
    synthesize_engine,
    synthesize_piper_speaker,
    voice_pool,
)

# Plain logging (not speechbrain's get_logger): importing speechbrain pulls
# in torch, seconds of start-up that a data generator does not need.
logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
CORPUS_DIR = "LibriSpeech"
MARKER_FILE = "synthetic_librispeech.json"
SPEAKERS_FILE = "SPEAKERS.TXT"
GENERATOR = "listen_offline.synthetic.librispeech"
# Bump when the same options would produce different files.
FORMAT_VERSION = 1

# espeak-ng's own English voices (accents). The MBROLA voices that
# ``espeak-ng --voices=en`` also lists need MBROLA databases that Debian
# does not install with espeak-ng, so they are left out.
ESPEAK_VOICES = (
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-rp",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
# Voice variants (timbres) and their sex, as ``espeak-ng --voices=variant``
# lists them. Novelty variants (whisper, croak, robots, announcer, ...) are
# left out: they do not sound like a person reading a book.
ESPEAK_VARIANTS = {
    "m1": "M", "m2": "M", "m3": "M", "m4": "M", "m5": "M", "m6": "M",
    "m7": "M", "m8": "M", "f1": "F", "f2": "F", "f3": "F", "f4": "F",
    "f5": "F", "klatt": "M", "klatt2": "M", "klatt3": "M", "adam": "M",
    "Alicia": "F", "Andrea": "F", "Andy": "M", "Annie": "F", "anika": "F",
    "aunty": "F", "belinda": "F", "benjamin": "M", "caleb": "M",
    "david": "M", "edward": "M", "john": "M", "linda": "F", "max": "M",
    "paul": "M", "rob": "M", "robert": "M", "steph": "F", "zac": "M",
}  # fmt: skip
# Words per minute (espeak-ng's default is 175; LibriSpeech readers are
# mostly a little slower) and pitch (0-99, default 50).
ESPEAK_SPEEDS = tuple(range(135, 190, 5))
ESPEAK_PITCHES = tuple(range(35, 70, 5))

# Speaker and chapter ids are drawn from these ranges, like LibriSpeech's
# (speakers 19..9026, chapters up to six digits).
_SPEAKER_IDS = range(10, 10000)
_CHAPTER_IDS = range(10000, 200000)


@dataclasses.dataclass(frozen=True)
class SplitSpec:
    """The size of one split of the synthetic corpus.

    Arguments
    ---------
    name : str
        LibriSpeech split name, e.g. ``"train-clean-100"``; ``dev*`` and
        ``test*`` names are allocated before the others (see
        :func:`plan_librispeech`).
    speakers : int
        Number of speakers (each one new to the corpus).
    utts_per_speaker : int
        Utterances read by each speaker.
    chapters_per_speaker : int
        Chapters per speaker; the speaker's utterances are dealt to them as
        evenly as possible (so it may not exceed ``utts_per_speaker``).

    Example
    -------
    >>> SplitSpec("dev-clean", speakers=3, utts_per_speaker=4).utterances
    12
    """

    name: str
    speakers: int
    utts_per_speaker: int
    chapters_per_speaker: int = 1

    def __post_init__(self):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", self.name):
            raise ValueError(f"Invalid split name: {self.name!r}")
        if self.speakers < 1 or self.utts_per_speaker < 1:
            raise ValueError(
                f"Split {self.name!r} needs at least one speaker and one "
                f"utterance per speaker, got {self.speakers} and "
                f"{self.utts_per_speaker}"
            )
        if not 1 <= self.chapters_per_speaker <= self.utts_per_speaker:
            raise ValueError(
                f"Split {self.name!r}: chapters_per_speaker must be between "
                f"1 and utts_per_speaker ({self.utts_per_speaker}), got "
                f"{self.chapters_per_speaker}"
            )

    @property
    def utterances(self):
        """Total number of utterances in the split."""
        return self.speakers * self.utts_per_speaker


DEFAULT_SPLITS = (
    SplitSpec("train-clean-100", 40, 50, 2),
    SplitSpec("dev-clean", 10, 10, 1),
    SplitSpec("test-clean", 20, 10, 1),
)


@dataclasses.dataclass(frozen=True)
class EspeakVoice:
    """One fixed espeak-ng setting: the identity of a synthetic speaker.

    Arguments
    ---------
    voice : str
        English voice (accent), e.g. ``"en-gb-scotland"``.
    variant : str
        Voice variant (timbre), e.g. ``"f3"``.
    speed : int
        Words per minute.
    pitch : int
        Base pitch, 0 to 99.

    Example
    -------
    >>> v = EspeakVoice("en-gb", "f3", 160, 45)
    >>> v.espeak_args()
    ['-v', 'en-gb+f3', '-s', '160', '-p', '45']
    >>> v.sex, v.description
    ('F', 'espeak-ng en-gb+f3 speed 160 pitch 45')
    """

    voice: str
    variant: str
    speed: int
    pitch: int

    @property
    def sex(self):
        """``"M"`` or ``"F"``, from the variant."""
        return ESPEAK_VARIANTS.get(self.variant, "M")

    @property
    def description(self):
        """A readable name, used as the speaker name in ``SPEAKERS.TXT``."""
        return f"espeak-ng {self.voice}+{self.variant} speed {self.speed} pitch {self.pitch}"

    def espeak_args(self):
        """The espeak-ng command-line options that select this voice."""
        return [
            "-v",
            f"{self.voice}+{self.variant}",
            "-s",
            str(self.speed),
            "-p",
            str(self.pitch),
        ]


@dataclasses.dataclass(frozen=True)
class PlannedUtterance:
    """One utterance of the corpus, before synthesis.

    Arguments
    ---------
    split : str
        Split name.
    speaker_id : int
        LibriSpeech-style speaker id.
    chapter_id : int
        LibriSpeech-style chapter id.
    index : int
        Position in the chapter (the last field of the utterance id).
    spoken : str
        Text given to the synthesizer (with punctuation for prosody).
    transcript : str
        LibriSpeech-style transcript written to ``.trans.txt``.
    voice : EspeakVoice or EngineVoice
        The speaker's voice.
    """

    split: str
    speaker_id: int
    chapter_id: int
    index: int
    spoken: str
    transcript: str
    voice: "EspeakVoice | EngineVoice"

    @property
    def utt_id(self):
        """``<speaker>-<chapter>-<index:04d>``, as in LibriSpeech."""
        return f"{self.speaker_id}-{self.chapter_id}-{self.index:04d}"

    @property
    def chapter_dir(self):
        """Chapter folder relative to the corpus folder."""
        return Path(self.split, str(self.speaker_id), str(self.chapter_id))

    @property
    def audio_path(self):
        """FLAC path relative to the corpus folder."""
        return self.chapter_dir / f"{self.utt_id}.flac"


def plan_librispeech(
    seed=0,
    splits=DEFAULT_SPLITS,
    sentences=None,
    min_words=5,
    max_words=20,
    engines=("espeak",),
):
    """Decides every utterance of the corpus: who reads what, where.

    Pure and fast (no synthesis), so it is the place where the corpus's
    guarantees are made: each sentence is used at most once in the whole
    corpus, each speaker gets a new id and a (voice, variant) pair no other
    speaker has, and everything follows from ``seed``.

    Sentences, speakers and ids are each taken from one seeded shuffle,
    test splits first, then dev, then train (in the given order within a
    role). So the dev and test sets do not change when only the training
    split's size changes.

    Arguments
    ---------
    seed : int
        Seed of every random choice.
    splits : sequence of SplitSpec
        The splits and their sizes (names must be distinct).
    sentences : sequence of Sentence, optional
        Sentence pool; by default :func:`python_docs_sentences` with
        ``min_words`` and ``max_words``.
    min_words : int
        Fewest words per transcript (used for the default pool only).
    max_words : int
        Most words per transcript (used for the default pool only).
    engines : sequence of str
        Speech engines (of ``ENGINES``). ``("espeak",)``, the default,
        gives exactly the espeak-only plan of earlier versions. With
        several, speakers are dealt to the engines in turn (in the order
        of ``ENGINES``), each with a setting no other speaker has: an
        espeak-ng (voice, variant) pair or an (engine voice, pitch shift)
        pair (:func:`~listen_offline.synthetic.voices.voice_pool`).

    Returns
    -------
    list of PlannedUtterance
        In split order (as given), then by utterance id.

    Raises
    ------
    ValueError
        If split names repeat, or the pool has too few sentences or there
        are too few (voice, variant) pairs for the requested sizes.

    Example
    -------
    >>> from listen_offline.synthetic.text import Sentence
    >>> pool = [Sentence(f"Line {w}.", f"LINE {w.upper()}") for w in "abcdef"]
    >>> plan = plan_librispeech(
    ...     seed=0, splits=[SplitSpec("dev-clean", 2, 3)], sentences=pool
    ... )
    >>> len(plan), len({u.speaker_id for u in plan})
    (6, 2)
    """
    splits = list(splits)
    names = [spec.name for spec in splits]
    if len(set(names)) != len(names):
        raise ValueError(f"Split names must be distinct, got {names}")
    if sentences is None:
        sentences = python_docs_sentences(min_words, max_words)

    needed_sentences = sum(spec.utterances for spec in splits)
    if needed_sentences > len(sentences):
        raise ValueError(
            f"The splits need {needed_sentences} distinct sentences but the "
            f"pool has {len(sentences)}; ask for fewer utterances or widen "
            f"the word range."
        )
    engines = normalize_engines(engines)
    pairs = [(v, variant) for v in ESPEAK_VOICES for variant in ESPEAK_VARIANTS]
    needed_speakers = sum(spec.speakers for spec in splits)
    per_engine = _speakers_per_engine(needed_speakers, engines)
    for engine, count in per_engine.items():
        available = len(pairs) if engine == "espeak" else len(voice_pool(engine))
        if count > available:
            raise ValueError(
                f"The splits need {count} {engine} speakers but there are "
                f"only {available} distinct {engine} settings"
                + (" ((voice, variant) pairs)." if engine == "espeak" else " ((voice, pitch) pairs).")
            )
    needed_chapters = sum(s.speakers * s.chapters_per_speaker for s in splits)
    if needed_chapters > len(_CHAPTER_IDS):
        raise ValueError(f"Too many chapters requested: {needed_chapters}")

    # One independent generator per kind of choice, seeded by name (string
    # seeds are hashed with SHA-512, so this does not depend on
    # PYTHONHASHSEED): changing how many speakers are drawn does not shift
    # which sentences are drawn, and vice versa.
    def shuffled(items, purpose):
        items = list(items)
        random.Random(f"{seed}:{purpose}").shuffle(items)
        return iter(items)

    sentence_stream = shuffled(sentences, "sentences")
    pair_stream = shuffled(pairs, "voices")
    speaker_stream = shuffled(_SPEAKER_IDS, "speaker-ids")
    chapter_stream = shuffled(_CHAPTER_IDS, "chapter-ids")
    prosody_rng = random.Random(f"{seed}:prosody")
    # Other engines: their own streams, so espeak speakers are drawn as
    # in the espeak-only corpus.
    engine_streams = {e: shuffled(voice_pool(e), f"voices:{e}") for e in engines if e != "espeak"}
    engine_rngs = {e: random.Random(f"{seed}:prosody:{e}") for e in engines if e != "espeak"}
    speaker_count = 0

    planned = {}
    for spec in sorted(splits, key=lambda s: _ROLE_ORDER[_split_role(s.name)]):
        utterances = []
        for _ in range(spec.speakers):
            engine = engines[speaker_count % len(engines)]
            speaker_count += 1
            if engine == "espeak":
                voice_name, variant = next(pair_stream)
                voice = EspeakVoice(
                    voice_name,
                    variant,
                    prosody_rng.choice(ESPEAK_SPEEDS),
                    prosody_rng.choice(ESPEAK_PITCHES),
                )
            else:
                name, cents = next(engine_streams[engine])
                voice = draw_voice(engine, name, cents, engine_rngs[engine])
            speaker_id = next(speaker_stream)
            chapters = sorted(next(chapter_stream) for _ in range(spec.chapters_per_speaker))
            sizes = _deal(spec.utts_per_speaker, len(chapters))
            for chapter_id, size in zip(chapters, sizes, strict=True):
                for index in range(size):
                    sentence = next(sentence_stream)
                    utterances.append(
                        PlannedUtterance(
                            split=spec.name,
                            speaker_id=speaker_id,
                            chapter_id=chapter_id,
                            index=index,
                            spoken=sentence.spoken,
                            transcript=sentence.transcript,
                            voice=voice,
                        )
                    )
        planned[spec.name] = sorted(utterances, key=lambda u: u.utt_id)
    return [utt for name in names for utt in planned[name]]


def generate_librispeech(
    root,
    seed=0,
    splits=DEFAULT_SPLITS,
    min_words=5,
    max_words=20,
    num_workers=2,
    progress=True,
    engines=("espeak",),
):
    """Writes (or finds) a synthetic LibriSpeech corpus under ``root``.

    The corpus goes to ``<root>/LibriSpeech`` (the ``data_folder`` of
    ``prepare_librispeech``). If that folder already holds a corpus made
    with the same options, text source and tool versions, nothing is done.
    If it holds a synthetic corpus made differently, it is replaced. If it
    holds anything else (a real LibriSpeech, say), an error is raised
    rather than touching it.

    Arguments
    ---------
    root : str or os.PathLike
        Folder that will contain ``LibriSpeech/`` (created if missing).
    seed : int
        Seed of every random choice (sentences, voices, ids).
    splits : sequence of SplitSpec
        Splits and sizes; defaults to :data:`DEFAULT_SPLITS`.
    min_words : int
        Fewest words per utterance.
    max_words : int
        Most words per utterance.
    num_workers : int
        Utterances synthesized at the same time (each one runs an espeak-ng
        and a sox process).
    progress : bool
        Show a tqdm progress bar.
    engines : sequence of str
        Speech engines to mix (see :func:`plan_librispeech`);
        ``("espeak",)`` writes the espeak-only corpus of earlier versions,
        with the same record (so an existing one is reused).

    Returns
    -------
    pathlib.Path
        ``<root>/LibriSpeech``.

    Raises
    ------
    RuntimeError
        If ``espeak-ng`` or ``sox`` is not installed, or synthesis fails.
    FileExistsError
        If ``<root>/LibriSpeech`` exists but is not a synthetic corpus.

    Example
    -------
    >>> corpus = generate_librispeech(
    ...     "data/synthetic",
    ...     splits=[SplitSpec("dev-clean", speakers=2, utts_per_speaker=3)],
    ... )  # doctest: +SKIP
    >>> len(list(corpus.glob("dev-clean/*/*/*.flac")))  # doctest: +SKIP
    6
    """
    engines = normalize_engines(engines)
    missing = missing_tools()
    if missing and "espeak" in engines:
        raise RuntimeError(
            f"{' and '.join(missing)} not found: the synthetic LibriSpeech "
            f"needs them (Debian: apt-get install -y espeak-ng sox)."
        )
    problems = [missing_engine(engine) for engine in engines]
    problems = [problem for problem in problems if problem]
    if problems:
        raise RuntimeError("Cannot synthesize: " + "; ".join(problems))
    if num_workers < 1:
        raise ValueError(f"num_workers must be >= 1, got {num_workers}")
    splits = list(splits)
    root = Path(root)
    corpus = root / CORPUS_DIR
    marker = corpus / MARKER_FILE

    sentences = python_docs_sentences(min_words, max_words)
    record = {
        # Not __name__, which is "__main__" when run with python -m.
        "generator": GENERATOR,
        "format_version": FORMAT_VERSION,
        "options": {
            "seed": seed,
            "splits": [dataclasses.asdict(spec) for spec in splits],
            "min_words": min_words,
            "max_words": max_words,
            "sample_rate": SAMPLE_RATE,
        },
        "text_source": source_fingerprint(sentences),
        "tools": tool_versions(),
    }
    if engines != ("espeak",):
        # Only then: an espeak-only record stays what it always was.
        record["options"]["engines"] = list(engines)
        record["tools"].update(engine_versions(engines))

    previous = corpus_info(corpus)
    if previous is not None and _same_corpus(previous, record):
        logger.info("Synthetic LibriSpeech already in %s, skipping.", corpus)
        return corpus
    if corpus.exists() and previous is None and not marker.exists():
        raise FileExistsError(
            f"{corpus} exists and is not a synthetic LibriSpeech (no "
            f"{MARKER_FILE}); refusing to overwrite it. Choose another root."
        )

    plan = plan_librispeech(seed, splits, sentences, engines=engines)
    # Built aside and renamed at the end: a crash leaves no LibriSpeech/
    # that looks complete.
    with built_aside(corpus) as partial:
        logger.info(
            "Synthesizing %d utterances (%d speakers) into %s",
            len(plan),
            len({u.speaker_id for u in plan}),
            corpus,
        )
        for chapter_dir in sorted({u.chapter_dir for u in plan}):
            (partial / chapter_dir).mkdir(parents=True, exist_ok=True)
        jobs = _synthesis_jobs(plan, partial, seed)
        run_parallel(jobs, num_workers, progress, desc="Synthesizing LibriSpeech", unit="utt")

        durations = {u.utt_id: soundfile.info(str(partial / u.audio_path)).duration for u in plan}
        _write_transcripts(plan, partial)
        _write_speakers(plan, durations, partial / SPEAKERS_FILE)
        record["summary"] = _summary(plan, durations, splits)
        write_record(partial / MARKER_FILE, record)

    for name, stats in record["summary"].items():
        logger.info(
            "%s: %d utterances, %d speakers, %.2f hours",
            name,
            stats["utterances"],
            stats["speakers"],
            stats["hours"],
        )
    return corpus


def normalize_engines(engines):
    """Checks engine names and puts them in the order of ``ENGINES``.

    Arguments
    ---------
    engines : str or sequence of str
        Engine names, or one comma-separated string; ``"all"`` (or
        ``"mix"``) means every engine.

    Returns
    -------
    tuple of str

    Example
    -------
    >>> normalize_engines("piper,espeak")
    ('espeak', 'piper')
    >>> normalize_engines("mix")
    ('espeak', 'flite', 'festival', 'piper')
    """
    if isinstance(engines, str):
        engines = [e.strip() for e in engines.split(",") if e.strip()]
    engines = list(engines)
    if engines in (["all"], ["mix"]):
        engines = list(ENGINES)
    unknown = [e for e in engines if e not in ENGINES]
    if unknown or not engines:
        raise ValueError(f"Unknown engines {unknown or engines}; choose from {', '.join(ENGINES)}")
    return tuple(e for e in ENGINES if e in engines)


def available_engines():
    """The engines ready on this machine, and why the others are not.

    Returns
    -------
    tuple
        ``(ready, problems)``: a tuple of engine names and a list of
        sentences naming what is missing with the install command.

    Example
    -------
    >>> ready, problems = available_engines()
    >>> len(ready) + len(problems) == len(ENGINES)
    True
    """
    ready, problems = [], []
    for engine in ENGINES:
        problem = missing_engine(engine)
        if problem:
            problems.append(problem)
        else:
            ready.append(engine)
    return tuple(ready), problems


def _synthesis_jobs(plan, folder, seed):
    """One job per espeak-ng, flite or festival utterance, per piper speaker.

    A piper speaker's utterances go in one job, in utterance-id order,
    through one session seeded for that speaker: that is what makes piper's
    sampled audio reproducible.
    """
    jobs = []
    piper_speakers = {}
    for utt in plan:
        engine = getattr(utt.voice, "engine", "espeak")
        if engine == "espeak":
            jobs.append(functools.partial(synthesize, utt.spoken, utt.voice, folder / utt.audio_path))
        elif engine == "piper":
            piper_speakers.setdefault(utt.speaker_id, []).append(utt)
        else:
            jobs.append(functools.partial(synthesize_engine, utt.spoken, utt.voice, folder / utt.audio_path))
    # Piper jobs first: they are the longest, so they should not be last.
    piper_jobs = [
        functools.partial(
            synthesize_piper_speaker,
            [(u.spoken, folder / u.audio_path) for u in sorted(utts, key=lambda u: u.utt_id)],
            utts[0].voice,
            piper_session_seed(seed, speaker_id),
        )
        for speaker_id, utts in sorted(piper_speakers.items())
    ]
    return piper_jobs + jobs


def corpus_info(corpus):
    """Reads the record that a synthetic corpus keeps about itself.

    Arguments
    ---------
    corpus : str or os.PathLike
        A ``LibriSpeech`` folder written by :func:`generate_librispeech`.

    Returns
    -------
    dict or None
        The options, text source, tool versions and per-split ``summary``
        (utterances, speakers, chapters, hours, durations), or None if the
        folder has no readable record.

    Example
    -------
    >>> corpus_info("/nonexistent") is None
    True
    """
    return read_record(Path(corpus) / MARKER_FILE)


def synthesize(text, voice, path, sample_rate=SAMPLE_RATE):
    """Speaks ``text`` with ``voice`` into a 16-bit mono FLAC file.

    Arguments
    ---------
    text : str
        What to say (plain English; punctuation shapes the prosody).
    voice : EspeakVoice
        The voice.
    path : str or os.PathLike
        Output FLAC path (its folder must exist).
    sample_rate : int
        Output sampling rate; espeak-ng itself produces 22.05 kHz.

    Raises
    ------
    RuntimeError
        If espeak-ng or sox fails or produces no audio.

    Example
    -------
    >>> synthesize(
    ...     "Hello world.", EspeakVoice("en-us", "m3", 175, 50), "hello.flac"
    ... )  # doctest: +SKIP
    """
    # The text goes in as one argument (never through a shell), and it
    # never starts with "-", so espeak-ng cannot take it for an option.
    espeak = subprocess.run(
        ["espeak-ng", *voice.espeak_args(), "--stdout", text],
        capture_output=True,
        check=False,
    )
    if espeak.returncode != 0 or len(espeak.stdout) <= 44:
        raise RuntimeError(
            f"espeak-ng failed for {voice.description!r} on {text!r}: "
            f"{espeak.stderr.decode(errors='replace').strip()}"
        )
    # -R: repeatable (fixed seeds, no timestamps); -D: no dither, the only
    # random part of a bit-depth change. So equal input gives equal bytes.
    # "gain -3" first leaves headroom: resampling overshoots peaks that
    # espeak-ng puts near full scale, which would otherwise clip.
    sox = subprocess.run(
        [
            "sox",
            "-R",
            "-D",
            "-V1",
            "-t",
            "wav",
            "-",
            "-t",
            "flac",
            "-b",
            "16",
            "-c",
            "1",
            "--comment",
            "",
            str(path),
            "gain",
            "-3",
            "rate",
            str(sample_rate),
        ],  # fmt: skip
        input=espeak.stdout,
        capture_output=True,
        check=False,
    )
    if sox.returncode != 0:
        raise RuntimeError(f"sox failed writing {path}: {sox.stderr.decode(errors='replace').strip()}")


def missing_tools():
    """Names the command-line tools the generator needs but cannot find.

    Returns
    -------
    list of str
        A subset of ``["espeak-ng", "sox"]``; empty when all is installed.

    Example
    -------
    >>> set(missing_tools()) <= {"espeak-ng", "sox"}
    True
    """
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def tool_versions():
    """The versions of espeak-ng and sox, recorded with each corpus.

    Different versions may synthesize different audio, so a corpus made
    with other versions is not reused.

    Returns
    -------
    dict
        ``{"espeak-ng": "1.51", "sox": "14.4.2"}`` (``"unknown"`` when a
        version cannot be read).
    """
    versions = {}
    for tool in ("espeak-ng", "sox"):
        try:
            out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
            text = out.stdout + out.stderr
        except OSError:
            text = ""
        match = re.search(r"(\d+\.\d+(?:\.\d+)*)", text)
        versions[tool] = match.group(1) if match else "unknown"
    return versions


_ROLE_ORDER = {"test": 0, "dev": 1, "train": 2}


def _split_role(name):
    """``"test"``, ``"dev"`` or ``"train"``, from a LibriSpeech split name.

    Arguments
    ---------
    name : str
        Split name.

    Returns
    -------
    str

    Example
    -------
    >>> _split_role("test-other"), _split_role("dev-clean"), _split_role("x")
    ('test', 'dev', 'train')
    """
    for role in ("test", "dev"):
        if name.startswith(role):
            return role
    return "train"


def _speakers_per_engine(speakers, engines):
    """How many of ``speakers`` each engine gets when they take turns.

    Example
    -------
    >>> _speakers_per_engine(10, ("espeak", "flite", "piper"))
    {'espeak': 4, 'flite': 3, 'piper': 3}
    """
    return dict(zip(engines, _deal(speakers, len(engines)), strict=True))


def _deal(total, parts):
    """Splits ``total`` items into ``parts`` near-equal counts, larger first.

    Example
    -------
    >>> _deal(7, 3)
    [3, 2, 2]
    """
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _same_corpus(previous, record):
    """Tells whether a recorded corpus was made exactly as ``record`` asks.

    Arguments
    ---------
    previous : dict
        The record read from an existing corpus.
    record : dict
        The record the current call would write (without ``summary``).

    Returns
    -------
    bool
    """
    keys = ("generator", "format_version", "options", "text_source", "tools")
    return all(previous.get(key) == record[key] for key in keys)


def _write_transcripts(plan, folder):
    """Writes one ``<speaker>-<chapter>.trans.txt`` per chapter.

    Arguments
    ---------
    plan : list of PlannedUtterance
        All utterances.
    folder : pathlib.Path
        Corpus folder.
    """
    chapters = {}
    for utt in plan:
        chapters.setdefault(utt.chapter_dir, []).append(utt)
    for chapter_dir, utts in sorted(chapters.items()):
        first = utts[0]
        trans_file = folder / chapter_dir / f"{first.speaker_id}-{first.chapter_id}.trans.txt"
        with open(trans_file, "w", encoding="utf-8", newline="\n") as fout:
            for utt in sorted(utts, key=lambda u: u.utt_id):
                fout.write(f"{utt.utt_id} {utt.transcript}\n")


def _write_speakers(plan, durations, path):
    """Writes a ``SPEAKERS.TXT`` in LibriSpeech's format.

    The name column says which espeak-ng setting each speaker is.

    Arguments
    ---------
    plan : list of PlannedUtterance
        All utterances.
    durations : dict
        Utterance id to duration in seconds.
    path : pathlib.Path
        Output file.
    """
    speakers = {}
    for utt in plan:
        entry = speakers.setdefault(utt.speaker_id, [utt.split, utt.voice, 0.0])
        entry[2] += durations[utt.utt_id]
    espeak_only = all(isinstance(utt.voice, EspeakVoice) for utt in plan)
    lines = [
        "; Synthetic LibriSpeech: each speaker is one "
        + ("espeak-ng voice setting" if espeak_only else "speech-engine voice setting"),
        "; (listen_offline.synthetic.librispeech).",
        ";ID  |SEX| SUBSET           |MINUTES| NAME",
    ]
    for speaker_id in sorted(speakers):
        split, voice, seconds = speakers[speaker_id]
        lines.append(
            f"{speaker_id:<5}| {voice.sex} | {split:<16} | {seconds / 60:5.2f} | {voice.description}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _summary(plan, durations, splits):
    """Per-split counts and durations, for the record and the log.

    Arguments
    ---------
    plan : list of PlannedUtterance
        All utterances.
    durations : dict
        Utterance id to duration in seconds.
    splits : list of SplitSpec
        The splits, in order.

    Returns
    -------
    dict
        Split name to ``utterances``, ``speakers``, ``chapters``,
        ``hours``, ``min_seconds``, ``mean_seconds``, ``max_seconds``.
    """
    summary = {}
    for spec in splits:
        utts = [u for u in plan if u.split == spec.name]
        secs = [durations[u.utt_id] for u in utts]
        summary[spec.name] = {
            "utterances": len(utts),
            "speakers": len({u.speaker_id for u in utts}),
            "chapters": len({u.chapter_id for u in utts}),
            **duration_summary(secs),
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
        The corpus folder (``ROOT/LibriSpeech``).
    """
    parser = argparse.ArgumentParser(
        prog="python -m listen_offline.synthetic.librispeech",
        description=(
            "Write a synthetic LibriSpeech (espeak-ng voices reading "
            "sentences of Python's documentation) to ROOT/LibriSpeech."
        ),
    )
    parser.add_argument("root", help="folder that will hold LibriSpeech/")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    for spec in DEFAULT_SPLITS:
        role = _split_role(spec.name)
        parser.add_argument(
            f"--{role}_split",
            default=spec.name,
            help="split folder name (default: %(default)s)",
        )
        parser.add_argument(
            f"--{role}_speakers",
            type=int,
            default=spec.speakers,
            help="speakers in the split (default: %(default)s)",
        )
        parser.add_argument(
            f"--{role}_utts_per_speaker",
            type=int,
            default=spec.utts_per_speaker,
            help="utterances per speaker (default: %(default)s)",
        )
        parser.add_argument(
            f"--{role}_chapters_per_speaker",
            type=int,
            default=None,
            help=(
                f"chapters per speaker (default: {spec.chapters_per_speaker}, "
                "or fewer if a speaker has fewer utterances)"
            ),
        )
    parser.add_argument(
        "--min_words",
        type=int,
        default=5,
        help="fewest words per utterance (default: %(default)s)",
    )
    parser.add_argument(
        "--max_words",
        type=int,
        default=20,
        help="most words per utterance (default: %(default)s)",
    )
    parser.add_argument(
        "--num_workers",
        type=int,
        default=2,
        help="parallel syntheses (default: %(default)s)",
    )
    parser.add_argument(
        "--engines",
        # espeak by default: every published result so far was measured on
        # the espeak-only corpus, and an old command must rebuild it.
        default="espeak",
        help=(
            "comma-separated speech engines to mix, of "
            f"{','.join(ENGINES)} (or 'all'); default 'espeak', the "
            "espeak-only corpus of earlier versions; 'auto': all engines if "
            "all are installed, else espeak only (with a warning naming what "
            "is missing)"
        ),
    )
    parser.add_argument("--no_progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    splits = []
    for spec in DEFAULT_SPLITS:
        role = _split_role(spec.name)
        utts = getattr(args, f"{role}_utts_per_speaker")
        chapters = getattr(args, f"{role}_chapters_per_speaker")
        if chapters is None:
            # "--train_utts_per_speaker 1" alone should just work.
            chapters = max(1, min(spec.chapters_per_speaker, utts))
        splits.append(
            SplitSpec(
                getattr(args, f"{role}_split"),
                getattr(args, f"{role}_speakers"),
                utts,
                chapters,
            )
        )
    if args.engines == "auto":
        ready, problems = available_engines()
        if problems:
            logger.warning(
                "Not all speech engines are installed, so this corpus uses "
                "espeak-ng only (--engines espeak). Missing: %s",
                "; ".join(problems),
            )
            engines = ("espeak",)
        else:
            engines = ready
    else:
        engines = normalize_engines(args.engines)
    corpus = generate_librispeech(
        args.root,
        seed=args.seed,
        splits=splits,
        min_words=args.min_words,
        max_words=args.max_words,
        num_workers=args.num_workers,
        progress=not args.no_progress,
        engines=engines,
    )
    info = corpus_info(corpus)
    print(f"Synthetic LibriSpeech in {corpus}")
    for name, stats in info["summary"].items():
        print(
            f"  {name}: {stats['utterances']} utterances, "
            f"{stats['speakers']} speakers, {stats['hours']:.2f} h "
            f"({stats['min_seconds']:.1f}-{stats['max_seconds']:.1f} s)"
        )
    return corpus


if __name__ == "__main__":
    main()
