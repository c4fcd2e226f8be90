"""Procedural sound scenes and truthful human-style captions for them.

A :class:`SoundScene` is a clip: an optional steady background (rain, wind
or an electrical hum) under one to three foreground :class:`SoundEvent` s
placed in time, one after the other or overlapping. Each event has a kind
(beeps, a steady tone, a siren, noise bursts, footsteps, a ticking clock,
piano-like chords, or a voice speaking through espeak-ng), a loudness
(``loud`` / ``quiet``), a loudness change (``steady``, ``rising``,
``fading``), and where it applies a pitch (``low`` / ``high``), a count
(beeps, bursts, chords) or a tempo (footsteps, ticking).

Three pure functions do the work, so each can be tested alone:

* :func:`plan_scene` draws a scene from a seeded generator;
* :func:`render_scene` turns it into a waveform (numpy only, plus
  espeak-ng and sox for voices);
* :func:`caption_scene` writes five different captions, in the style of
  Clotho's annotators (one sentence, present tense, no transcription of
  speech), each naming every event in its order, the background, and
  the loudness, pitch, count, tempo and loudness changes (every detail is
  stated in at least two of the five captions; a caption may leave a detail
  out, as people do, but never says anything the audio does not hold).

The audio really holds what the captions say: a "high-pitched" beep is
above 1.2 kHz and a "low" one below 600 Hz, a "loud" event is 14 dB above a
"quiet" one, "growing louder" is a 20 dB rise, "three times" is three
onsets, "quick" footsteps are twice as fast as "slow" ones, and "then"
means the next event starts after the previous one ends (overlapping events
are joined by "while"). ``tests/test_synthetic_clotho.py`` measures these.

Authors
 * speechbrain-listen contributors 2026
"""

import dataclasses
import hashlib
import re
import shutil
import subprocess

import numpy as np

FOREGROUND_KINDS = ("beeps", "tone", "siren", "noise", "footsteps", "ticking", "chords", "voice")
BACKGROUNDS = ("rain", "wind", "hum")
LEVELS = ("loud", "quiet")
ENVELOPES = ("steady", "rising", "fading")
# RMS of an event (before its loudness change) and of a background: "loud"
# is 14 dB above "quiet", and a loud background stays under a loud event.
EVENT_RMS = {"loud": 0.15, "quiet": 0.03}
BACKGROUND_RMS = {"loud": 0.05, "quiet": 0.012}
# Loudness changes, in dB over the event: rising ends 20 dB above its start.
RAMP_DB = {"steady": (0.0, 0.0), "rising": (-20.0, 0.0), "fading": (0.0, -24.0)}
# Pitch ranges (Hz) behind the words "low" and "high".
BEEP_HZ = {"low": (300.0, 550.0), "high": (1300.0, 2600.0)}
TONE_HZ = {"low": (110.0, 220.0), "high": (1300.0, 2400.0)}
SIREN_HZ = {"low": (450.0, 650.0), "high": (1000.0, 1500.0)}  # centre of the sweep
CHORD_ROOT_HZ = {"low": (98.0, 147.0), "high": (440.0, 660.0)}
TEMPO_HZ = {"footsteps": {"slow": 1.4, "fast": 2.8}, "ticking": {"slow": 1.0, "fast": 2.0}}
# espeak-ng voices: variant -> sex; pitch 25 reads as "deep", 75 as "high".
VOICE_VARIANTS = {"m1": "male", "m2": "male", "m3": "male", "m4": "male", "m7": "male",
                  "f1": "female", "f2": "female", "f3": "female", "f4": "female"}  # fmt: skip
VOICE_PITCH = {"low": 25, "high": 75}
PHRASES = (
    "Could you pass me the keys please",
    "We should leave before it gets dark",
    "I think the train is running late today",
    "Turn left at the next corner",
    "Have you seen my blue umbrella",
    "The meeting starts in ten minutes",
    "Let me know when you are ready",
    "It is much colder than yesterday",
    "Please close the window behind you",
    "I will call you back in a moment",
    "Where did you put the shopping list",
    "This way, follow me",
    "Thank you very much for coming",
    "Wait here for a second",
    "The shop closes at six",
    "Can you hear that noise outside",
)
MIN_EVENT_SECONDS = 1.4
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


@dataclasses.dataclass(frozen=True)
class SoundEvent:
    """One foreground sound of a scene.

    Arguments
    ---------
    kind : str
        One of :data:`FOREGROUND_KINDS`.
    start : float
        Onset in seconds.
    duration : float
        Length in seconds.
    level : str
        ``"loud"`` or ``"quiet"``.
    envelope : str
        ``"steady"``, ``"rising"`` or ``"fading"``.
    pitch : str, optional
        ``"low"`` or ``"high"`` (beeps, tone, siren, chords, voice).
    count : int
        Beeps, noise bursts or chords (0 for other kinds).
    tempo : str, optional
        ``"slow"`` or ``"fast"`` (footsteps, ticking).
    voice : str, optional
        espeak-ng voice variant of a ``voice`` event (e.g. ``"f2"``).
    text : str, optional
        What a ``voice`` event says (never put in captions).
    seed : int
        Seed of the event's random details (exact frequencies, noise).

    Example
    -------
    >>> SoundEvent("beeps", 0.5, 2.0, "loud", "steady", pitch="high", count=3).end
    2.5
    """

    kind: str
    start: float
    duration: float
    level: str
    envelope: str = "steady"
    pitch: str = None
    count: int = 0
    tempo: str = None
    voice: str = None
    text: str = None
    seed: int = 0

    @property
    def end(self):
        """Offset in seconds."""
        return round(self.start + self.duration, 6)


@dataclasses.dataclass(frozen=True)
class SoundScene:
    """A clip: background plus foreground events.

    Arguments
    ---------
    duration : float
        Clip length in seconds.
    events : tuple of SoundEvent
        Foreground events, sorted by onset.
    background : str, optional
        ``"rain"``, ``"wind"``, ``"hum"`` or None.
    background_level : str, optional
        ``"loud"`` or ``"quiet"`` when there is a background.
    seed : int
        Seed of the background's random details.
    """

    duration: float
    events: tuple
    background: str = None
    background_level: str = None
    seed: int = 0

    def to_dict(self):
        """A JSON-ready description (the ground truth of the clip).

        Example
        -------
        >>> SoundScene(2.0, (), "rain", "quiet").to_dict()["background"]
        'rain'
        """
        return dataclasses.asdict(self)


def seeded_rng(*parts):
    """A numpy generator seeded by a hash of ``parts`` (any printable values).

    Independent of PYTHONHASHSEED, so the same parts give the same stream
    in every process.

    Example
    -------
    >>> float(seeded_rng(0, "x").random()) == float(seeded_rng(0, "x").random())
    True
    """
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


# ---------------------------------------------------------------- planning --


def plan_scene(rng, min_seconds=5.0, max_seconds=10.0, max_events=3, with_voices=True):
    """Draws a random scene.

    Arguments
    ---------
    rng : numpy.random.Generator
        Source of every choice.
    min_seconds : float
        Shortest clip.
    max_seconds : float
        Longest clip.
    max_events : int
        Most foreground events (1 to 3).
    with_voices : bool
        Allow ``voice`` events (they need espeak-ng and sox).

    Returns
    -------
    SoundScene

    Example
    -------
    >>> scene = plan_scene(np.random.default_rng(0), 4.0, 6.0)
    >>> 4.0 <= scene.duration <= 6.0 and 1 <= len(scene.events) <= 3
    True
    """
    if not 1 <= max_events <= 3:
        raise ValueError(f"max_events must be 1 to 3, got {max_events}")
    if min_seconds < 2.0 or max_seconds < min_seconds:
        raise ValueError(f"Need 2 <= min_seconds <= max_seconds, got {min_seconds}, {max_seconds}")
    duration = round(float(rng.uniform(min_seconds, max_seconds)), 3)
    # Every event gets at least MIN_EVENT_SECONDS, so a short clip holds fewer.
    margin = 0.2
    most = max(1, min(max_events, int((duration - 2 * margin + 0.4) // (MIN_EVENT_SECONDS + 0.4))))
    weights = np.array([0.35, 0.45, 0.2][:most])
    n_events = int(rng.choice(np.arange(1, most + 1), p=weights / weights.sum()))
    kinds = [k for k in FOREGROUND_KINDS if with_voices or k != "voice"]
    chosen = [str(k) for k in rng.choice(kinds, size=n_events, replace=False)]

    background = None
    if rng.random() < 0.7:
        background = str(rng.choice(BACKGROUNDS))
    background_level = str(rng.choice(LEVELS)) if background else None

    # Timeline: one slot per event, in order, with 0.15-0.4 s gaps; the rest
    # of the clip is shared at random. An event may instead run on into the
    # middle of the next one's slot (then the captions say "while").
    gaps = rng.uniform(0.15, 0.4, size=n_events - 1)
    spare = duration - 2 * margin - gaps.sum() - n_events * MIN_EVENT_SECONDS
    lengths = MIN_EVENT_SECONDS + max(spare, 0.0) * rng.dirichlet(np.ones(n_events))
    starts = margin + np.concatenate([[0.0], np.cumsum(lengths[:-1] + gaps)])
    ends = starts + lengths
    for i in range(n_events - 1):
        if rng.random() < 0.25:
            ends[i] = starts[i + 1] + 0.5 * lengths[i + 1]
    events = [
        _plan_event(rng, kind, round(float(start), 3), round(float(end - start), 3))
        for kind, start, end in zip(chosen, starts, ends)
    ]
    events.sort(key=lambda e: e.start)
    return SoundScene(duration, tuple(events), background, background_level, int(rng.integers(2**31)))


def _plan_event(rng, kind, start, duration):
    """The details of one event (see :class:`SoundEvent`)."""
    level = str(rng.choice(LEVELS, p=[0.6, 0.4]))
    envelope = str(rng.choice(ENVELOPES, p=[0.6, 0.2, 0.2]))
    fields = {}
    if kind in ("beeps", "tone", "siren", "chords"):
        fields["pitch"] = str(rng.choice(("low", "high")))
    if kind in ("beeps", "noise"):
        fields["count"] = int(rng.integers(2, 6))
    if kind == "chords":
        fields["count"] = int(rng.integers(2, 5))
    if kind in ("footsteps", "ticking"):
        fields["tempo"] = str(rng.choice(("slow", "fast")))
    if kind == "voice":
        # Speech keeps its level: people rarely caption a voice "growing louder".
        envelope = "steady"
        fields["voice"] = str(rng.choice(sorted(VOICE_VARIANTS)))
        fields["pitch"] = str(rng.choice(("low", "high")))
        # A phrase that fits its slot (espeak-ng at 165 words per minute).
        fitting = [p for p in PHRASES if 0.36 * len(p.split()) + 0.3 <= duration]
        fields["text"] = str(rng.choice(fitting or sorted(PHRASES, key=len)[:3]))
    return SoundEvent(kind, start, duration, level, envelope, seed=int(rng.integers(2**31)), **fields)


# --------------------------------------------------------------- rendering --


def render_scene(scene, sample_rate=16000):
    """The waveform of a scene.

    Arguments
    ---------
    scene : SoundScene
        What to render.
    sample_rate : int
        Samples per second.

    Returns
    -------
    numpy.ndarray
        ``[round(duration * sample_rate)]`` float32, peak at most 0.95.

    Example
    -------
    >>> event = SoundEvent("beeps", 0.2, 1.5, "loud", pitch="high", count=3)
    >>> render_scene(SoundScene(2.0, (event,), "hum", "quiet"), 8000).shape
    (16000,)
    """
    n = int(round(scene.duration * sample_rate))
    mix = np.zeros(n)
    if scene.background is not None:
        rng = seeded_rng(scene.seed, "background")
        mix += BACKGROUND_RMS[scene.background_level] * _normalized(
            _BACKGROUND_RENDERERS[scene.background](rng, n, sample_rate)
        )
    for event in scene.events:
        sound = render_event(event, sample_rate)
        begin = int(round(event.start * sample_rate))
        sound = sound[: max(0, n - begin)]
        mix[begin : begin + len(sound)] += sound
    peak = np.abs(mix).max() if n else 0.0
    if peak > 0.95:
        # Scaled down only: quiet scenes stay quiet.
        mix *= 0.95 / peak
    return mix.astype(np.float32)


def render_event(event, sample_rate=16000):
    """One event at its level and with its loudness change.

    Arguments
    ---------
    event : SoundEvent
        What to render.
    sample_rate : int
        Samples per second.

    Returns
    -------
    numpy.ndarray
        ``[round(duration * sample_rate)]`` float64.

    Example
    -------
    >>> render_event(SoundEvent("ticking", 0.0, 1.0, "quiet", tempo="slow"), 8000).shape
    (8000,)
    """
    n = int(round(event.duration * sample_rate))
    rng = seeded_rng(event.seed, event.kind)
    sound = _normalized(_EVENT_RENDERERS[event.kind](event, rng, n, sample_rate))
    start_db, end_db = RAMP_DB[event.envelope]
    ramp = 10 ** (np.linspace(start_db, end_db, n) / 20)
    return EVENT_RMS[event.level] * sound * ramp * _fade(n, sample_rate)


def _normalized(x):
    """``x`` at RMS 1 (silence stays silence)."""
    rms = np.sqrt(np.mean(x**2)) if len(x) else 0.0
    return x / rms if rms > 0 else x


def _fade(n, sample_rate, seconds=0.01):
    """10 ms fade in and out, so no event starts or ends with a click."""
    k = min(n // 2, int(seconds * sample_rate))
    gain = np.ones(n)
    if k > 0:
        gain[:k] = np.linspace(0, 1, k)
        gain[-k:] = np.linspace(1, 0, k)
    return gain


def _shaped_noise(rng, n, sample_rate, low=None, high=None, slope=0.0):
    """Gaussian noise filtered in the frequency domain.

    ``slope`` 1 gives pink noise (power ~ 1/f), 2 brown; ``low`` and
    ``high`` are smooth (4th-order-like) high-pass and low-pass corners.
    """
    if n == 0:
        return np.zeros(0)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.maximum(np.fft.rfftfreq(n, 1.0 / sample_rate), 1.0)
    gain = freqs ** (-slope / 2)
    if low:
        gain /= 1 + (low / freqs) ** 4
    if high:
        gain /= 1 + (freqs / high) ** 4
    return np.fft.irfft(spectrum * gain, n)


def _harmonic(freq_hz, t, harmonics=(1.0, 0.3, 0.1)):
    """A tone with a few harmonics (phase from the integral of frequency)."""
    freq_hz = np.broadcast_to(freq_hz, t.shape)
    phase = 2 * np.pi * np.cumsum(freq_hz) * (t[1] - t[0] if len(t) > 1 else 0.0)
    return sum(a * np.sin((k + 1) * phase) for k, a in enumerate(harmonics))


def _pulses(n, sample_rate, onsets, kernel):
    """Adds ``kernel`` at every onset (seconds)."""
    out = np.zeros(n)
    for onset in onsets:
        i = int(onset * sample_rate)
        piece = kernel[: max(0, n - i)]
        out[i : i + len(piece)] += piece
    return out


def _even_onsets(rng, duration, count, length):
    """``count`` onsets spread over ``duration``, each followed by ``length`` s."""
    slot = duration / count
    jitter = max(0.0, slot - length) * 0.3
    return [i * slot + float(rng.uniform(0, jitter)) + 0.02 for i in range(count)]


def _render_beeps(event, rng, n, sr):
    t = np.arange(n) / sr
    freq = rng.uniform(*BEEP_HZ[event.pitch])
    length = min(0.25, 0.6 * event.duration / event.count)
    beep = _harmonic(freq, t[: int(length * sr)], (1.0, 0.2)) * _fade(int(length * sr), sr, 0.005)
    return _pulses(n, sr, _even_onsets(rng, event.duration, event.count, length), beep)


def _render_tone(event, rng, n, sr):
    t = np.arange(n) / sr
    freq = rng.uniform(*TONE_HZ[event.pitch]) * (1 + 0.003 * np.sin(2 * np.pi * 5 * t))
    return _harmonic(freq, t, (1.0, 0.25, 0.08))


def _render_siren(event, rng, n, sr):
    t = np.arange(n) / sr
    centre = rng.uniform(*SIREN_HZ[event.pitch])
    rate = rng.uniform(0.3, 0.6) if rng.random() < 0.6 else rng.uniform(2.5, 4.0)  # wail / yelp
    freq = centre * (1 + 0.25 * np.sin(2 * np.pi * rate * t - np.pi / 2))
    return _harmonic(freq, t, (1.0, 0.5, 0.33, 0.25, 0.2))


def _render_noise(event, rng, n, sr):
    length = min(0.3, 0.6 * event.duration / event.count)
    k = int(length * sr)
    burst = _shaped_noise(rng, k, sr, low=800, high=6000) * np.exp(-np.arange(k) / (0.35 * k))
    return _pulses(n, sr, _even_onsets(rng, event.duration, event.count, length), burst)


def _steps(event, rng, n, sr, kernel):
    period = 1.0 / TEMPO_HZ[event.kind][event.tempo]
    onsets = np.arange(0.05, event.duration - 0.05, period)
    onsets = onsets + rng.uniform(-0.03, 0.03, size=len(onsets)) * period
    return _pulses(n, sr, np.clip(onsets, 0, None), kernel)


def _render_footsteps(event, rng, n, sr):
    k = int(0.12 * sr)
    decay = np.exp(-np.arange(k) / (0.02 * sr))
    thump = np.sin(2 * np.pi * rng.uniform(70, 110) * np.arange(k) / sr)
    scuff = _shaped_noise(rng, k, sr, low=200, high=3000)
    scuff /= np.abs(scuff).max() + 1e-9
    return _steps(event, rng, n, sr, (thump + 0.5 * scuff) * decay)


def _render_ticking(event, rng, n, sr):
    k = int(0.012 * sr)
    click = _shaped_noise(rng, k, sr, low=2000, high=7000) * np.exp(-np.arange(k) / (0.002 * sr))
    return _steps(event, rng, n, sr, click / (np.abs(click).max() + 1e-9))


def _render_chords(event, rng, n, sr):
    root = rng.uniform(*CHORD_ROOT_HZ[event.pitch])
    slot = event.duration / event.count
    k = int(slot * sr)
    t = np.arange(k) / sr
    out = np.zeros(n)
    for i in range(event.count):
        # Major or minor triads on the root, its fourth or its fifth.
        base = root * float(rng.choice((1.0, 4 / 3, 3 / 2)))
        third = 5 / 4 if rng.random() < 0.5 else 6 / 5
        chord = sum(_harmonic(base * r, t, (1.0, 0.4, 0.2, 0.1)) for r in (1.0, third, 1.5))
        # Decays to ~5% by the next chord, so each chord is heard as a new one.
        chord *= np.exp(-t / min(0.5, slot / 3)) * _fade(k, sr, 0.005)
        begin = int(i * slot * sr)
        piece = chord[: max(0, n - begin)]
        out[begin : begin + len(piece)] += piece
    return out


def _render_voice(event, rng, n, sr):
    speech = espeak_speech(event.text, event.voice, VOICE_PITCH[event.pitch], sr)
    out = np.zeros(n)
    speech = speech[:n]
    out[: len(speech)] = speech
    return out


def _render_rain(rng, n, sr):
    hiss = _shaped_noise(rng, n, sr, low=400, high=7000, slope=1.0)
    hiss /= np.sqrt(np.mean(hiss**2)) + 1e-12
    drops = np.zeros(n)
    # Droplets: sparse decaying clicks, about 40 per second.
    k = int(0.004 * sr)
    kernel = np.exp(-np.arange(k) / (0.0008 * sr))
    for onset in rng.uniform(0, n / sr, size=int(40 * n / sr)):
        i = int(onset * sr)
        piece = kernel[: n - i] * rng.uniform(1.0, 4.0) * rng.choice((-1, 1))
        drops[i : i + len(piece)] += piece
    return hiss + drops


def _render_wind(rng, n, sr):
    t = np.arange(n) / sr
    gusts = 1 + 0.6 * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * t + rng.uniform(0, 2 * np.pi))
    return _shaped_noise(rng, n, sr, low=40, high=600, slope=1.0) * gusts


def _render_hum(rng, n, sr):
    t = np.arange(n) / sr
    mains = float(rng.choice((50.0, 60.0)))
    return _harmonic(np.full(n, mains), t, (1.0, 0.6, 0.4, 0.25, 0.15))


_EVENT_RENDERERS = {
    "beeps": _render_beeps,
    "tone": _render_tone,
    "siren": _render_siren,
    "noise": _render_noise,
    "footsteps": _render_footsteps,
    "ticking": _render_ticking,
    "chords": _render_chords,
    "voice": _render_voice,
}
_BACKGROUND_RENDERERS = {"rain": _render_rain, "wind": _render_wind, "hum": _render_hum}


def espeak_speech(text, variant, pitch, sample_rate=16000, voice="en-us", speed=165):
    """Speech from espeak-ng, as float samples at ``sample_rate``.

    espeak-ng writes 22.05 kHz WAV to its stdout; sox (repeatable, no
    dither) converts it to raw float32 at the wanted rate.

    Arguments
    ---------
    text : str
        What to say (plain words, never starting with "-").
    variant : str
        Voice variant, e.g. ``"m3"`` or ``"f2"``.
    pitch : int
        espeak-ng pitch, 0 to 99.
    sample_rate : int
        Output rate.
    voice : str
        espeak-ng voice (accent).
    speed : int
        Words per minute.

    Returns
    -------
    numpy.ndarray
        ``[samples]`` float64.

    Raises
    ------
    RuntimeError
        If espeak-ng or sox is missing or fails.

    Example
    -------
    >>> espeak_speech("hello", "f2", 60).shape[0] > 1000  # doctest: +SKIP
    True
    """
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(
            f"{' and '.join(missing)} not found: voices in synthetic sound scenes "
            "need them (Debian: apt-get install -y espeak-ng sox)"
        )
    args = ["-v", f"{voice}+{variant}", "-s", str(speed), "-p", str(pitch)]
    espeak = subprocess.run(["espeak-ng", *args, "--stdout", text], capture_output=True, check=False)
    if espeak.returncode != 0 or len(espeak.stdout) <= 44:
        raise RuntimeError(f"espeak-ng failed on {text!r}: {espeak.stderr.decode(errors='replace')}")
    sox = subprocess.run(
        ["sox", "-R", "-D", "-V1", "-t", "wav", "-", "-t", "raw", "-e", "floating-point",
         "-b", "32", "-c", "1", "-r", str(sample_rate), "-"],
        input=espeak.stdout,
        capture_output=True,
        check=False,
    )  # fmt: skip
    if sox.returncode != 0:
        raise RuntimeError(f"sox failed converting speech: {sox.stderr.decode(errors='replace')}")
    return np.frombuffer(sox.stdout, dtype=np.float32).astype(np.float64)


# ---------------------------------------------------------------- captions --


def caption_scene(scene, rng, num_captions=5):
    """Different human-style captions that all describe ``scene`` truly.

    Every caption names every event (in onset order, "then" between
    consecutive events, "while" for overlapping ones) and the background.
    Details (loudness, pitch, count, tempo, loudness change) are given by
    each caption with probability 0.6 and always by the first two drawn, so
    each detail is in at least two captions; the captions are then shuffled.

    Arguments
    ---------
    scene : SoundScene
        The clip.
    rng : numpy.random.Generator
        Source of word choices.
    num_captions : int
        How many distinct captions.

    Returns
    -------
    list of str
        ``num_captions`` distinct sentences, capitalised, ending with ".".

    Example
    -------
    >>> scene = SoundScene(4.0, (SoundEvent("siren", 0.2, 3.5, "loud", "rising", pitch="high"),), "rain", "loud")
    >>> captions = caption_scene(scene, np.random.default_rng(0))
    >>> len(set(captions)), all("siren" in c.lower() for c in captions)
    (5, True)
    """
    captions, styles = [], list(_STYLES)
    attempts = 0
    while len(captions) < num_captions:
        attempts += 1
        if attempts > 200:
            raise RuntimeError(f"Could not write {num_captions} distinct captions for {scene}")
        detailed = len(captions) < 2 or rng.random() < 0.6
        style = styles[len(captions) % len(styles)] if attempts <= num_captions else rng.choice(styles)
        caption = _finish(style(scene, rng, detailed))
        if caption not in captions:
            captions.append(caption)
    order = rng.permutation(len(captions))
    return [captions[i] for i in order]


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _detail(rng, detailed, phrase):
    """``phrase`` when details are on (always) else with probability 0.5."""
    return phrase if detailed or rng.random() < 0.5 else ""


def _level_adj(event, rng, detailed):
    words = {"loud": ("loud ",), "quiet": ("quiet ", "faint ", "soft ")}[event.level]
    return _detail(rng, detailed, _pick(rng, words))


def _level_adv(event, rng, detailed):
    words = {"loud": (" loudly",), "quiet": (" quietly", " softly")}[event.level]
    return _detail(rng, detailed, _pick(rng, words))


def _pitch_adj(
    event, rng, detailed, high=("high-pitched ", "high ", "shrill "), low=("low ", "deep ", "low-pitched ")
):
    return _detail(rng, detailed, _pick(rng, high if event.pitch == "high" else low))


def _times(event, rng, detailed):
    if detailed or rng.random() < 0.5:
        return _pick(
            rng, (f"{NUMBER_WORDS[event.count]} times", f"{NUMBER_WORDS[event.count]} times in a row")
        )
    return _pick(rng, ("several times", "repeatedly", "a few times"))


def _envelope_tail(event, rng, detailed):
    phrases = {
        "steady": ("",),
        "rising": (", growing louder", ", getting louder and louder", ", becoming louder"),
        "fading": (", fading away", ", getting quieter", ", slowly fading out", ", dying away"),
    }[event.envelope]
    return _detail(rng, detailed, _pick(rng, phrases))


def _event_phrase(event, rng, detailed, nominal):
    """Finite clause ("a siren wails") or nominal phrase ("a siren wailing")."""
    lvl = _level_adj(event, rng, detailed)
    kind = event.kind
    if kind == "beeps":
        pitch = _pitch_adj(event, rng, detailed)
        subject, verb, gerund = _pick(rng, (
            (f"a {lvl}{pitch}beep", "sounds", "sounding"),
            (f"a {lvl}{pitch}electronic beep", "repeats", "repeating"),
            (f"a {lvl}device", f"beeps with a {pitch}tone", f"beeping with a {pitch}tone"),
            (f"a {lvl}{pitch}alarm", "beeps", "beeping"),
        ))  # fmt: skip
        rest = " " + _times(event, rng, detailed)
    elif kind == "tone":
        pitch = _pitch_adj(event, rng, detailed)
        subject, verb, gerund = _pick(rng, (
            (f"a {lvl}{pitch}tone", "sounds steadily", "sounding steadily"),
            (f"a {lvl}{pitch}electronic drone", "rings on", "ringing on"),
            (f"a {lvl}continuous {pitch}tone", "plays", "playing"),
            (f"a {lvl}{pitch}sine tone", "hums without a break", "humming without a break"),
        ))  # fmt: skip
        rest = ""
    elif kind == "siren":
        pitch = _pitch_adj(event, rng, detailed)
        subject, verb, gerund = _pick(rng, (
            (f"a {lvl}{pitch}siren", "wails", "wailing"),
            (f"a {lvl}{pitch}siren", "rises and falls", "rising and falling"),
            (f"an {lvl}{pitch}emergency siren", "sounds", "sounding"),
            (f"a {lvl}{pitch}alarm siren", "sweeps up and down", "sweeping up and down"),
        ))  # fmt: skip
        rest = ""
    elif kind == "noise":
        adv = _level_adv(event, rng, detailed)
        subject, verb, gerund = _pick(rng, (
            (f"a {lvl}burst of static", "hisses", "hissing"),
            (f"a {lvl}burst of white noise", "repeats", "repeating"),
            ("something", f"hisses{adv or ' sharply'}", f"hissing{adv or ' sharply'}"),
            (f"a {lvl}crackle of noise", "comes", "coming"),
        ))  # fmt: skip
        rest = " " + _times(event, rng, detailed)
    elif kind == "footsteps":
        fast = event.tempo == "fast"
        adverb = _detail(
            rng,
            detailed,
            " "
            + _pick(
                rng,
                ("quickly", "rapidly", "in a hurry") if fast else ("slowly", "at a slow pace", "unhurriedly"),
            ),
        )
        adjective = _detail(
            rng, detailed, _pick(rng, ("quick ", "rapid ", "hurried ") if fast else ("slow ", "unhurried "))
        )
        steps = _detail(rng, detailed, f" with {event.level} steps")
        subject, verb, gerund = _pick(rng, (
            ("someone", f"walks{adverb}{steps}", f"walking{adverb}{steps}"),
            (f"{lvl}{adjective}footsteps", "cross a hard floor", "crossing a hard floor"),
            ("a person", f"walks{adverb} across a wooden floor{steps}", f"walking{adverb} across a wooden floor{steps}"),
        ))  # fmt: skip
        rest = ""
    elif kind == "ticking":
        fast = event.tempo == "fast"
        adverb = _detail(
            rng,
            detailed,
            " "
            + _pick(
                rng,
                ("quickly", "rapidly", "fast") if fast else ("slowly", "steadily", "at a slow, even pace"),
            ),
        )
        subject, verb, gerund = _pick(rng, (
            (f"a {lvl}clock", "ticks" + adverb, "ticking" + adverb),
            (f"a {lvl}clicking sound", "repeats" + adverb, "repeating" + adverb),
            (f"a {lvl}mechanical timer", "ticks" + adverb, "ticking" + adverb),
        ))  # fmt: skip
        rest = ""
    elif kind == "chords":
        pitch = _pitch_adj(event, rng, detailed, high=("high ", "high-pitched "), low=("low ", "deep "))
        number = NUMBER_WORDS[event.count] if (detailed or rng.random() < 0.5) else "a few"
        subject, verb, gerund = _pick(rng, (
            ("someone", f"plays {number} {lvl}{pitch}chords on a piano", f"playing {number} {lvl}{pitch}chords on a piano"),
            (f"{number} {lvl}{pitch}piano chords", "ring out one after another", "ringing out one after another"),
            (f"a {lvl}keyboard", f"plays {number} {pitch}chords", f"playing {number} {pitch}chords"),
        ))  # fmt: skip
        rest = ""
    elif kind == "voice":
        sex = VOICE_VARIANTS[event.voice]
        noun = _pick(rng, ("man", "male voice") if sex == "male" else ("woman", "female voice"))
        person = f"a {noun}"
        if detailed or rng.random() < 0.5:
            low = event.pitch == "low"
            if noun.endswith("voice"):
                person = f"a {'deep' if low else 'high-pitched'} {noun}"
            else:
                person = f"a {noun} with a {_pick(rng, ('deep', 'low') if low else ('high', 'high-pitched'))} voice"
        adverb = _level_adv(event, rng, detailed)
        subject, verb, gerund = _pick(rng, (
            (person, "speaks" + adverb, "speaking" + adverb),
            (person, "says a few words" + adverb, "saying a few words" + adverb),
            (person, "talks" + adverb + " for a moment", "talking" + adverb + " for a moment"),
        ))  # fmt: skip
        rest = ""
    else:  # pragma: no cover - plan_scene only makes the kinds above
        raise ValueError(f"Unknown event kind {kind!r}")
    phrase = f"{subject} {gerund if nominal else verb}{rest}"
    return _squeeze(phrase + _envelope_tail(event, rng, detailed))


def _background_phrase(scene, rng, detailed, form):
    """The background as a suffix (", while rain falls") or prefix ("Over rain, ")."""
    bg, loud = scene.background, scene.background_level == "loud"
    if bg is None:
        return ""
    adjective = {
        "rain": ("heavy ", "pouring ") if loud else ("light ", "gentle "),
        "wind": ("strong ", "gusty ") if loud else ("light ", "soft "),
        "hum": ("loud ", "strong ") if loud else ("faint ", "quiet "),
    }[bg]
    adj = _detail(rng, detailed, _pick(rng, adjective))
    noun = {"rain": "rain", "wind": "wind", "hum": "electrical hum"}[bg]
    if form == "prefix":
        article = "an " if bg == "hum" and not adj else ("a " if bg == "hum" else "")
        return _pick(rng, (f"Over {article}{adj}{noun}, ", f"With {article}{adj}{noun} in the background, "))
    verb = {"rain": "falls", "wind": "blows", "hum": "drones on"}[bg]
    subject = {
        "rain": f"{adj}rain",
        "wind": f"the {adj}wind" if adj else "the wind",
        "hum": f"a {adj}electrical hum",
    }[bg]
    return _pick(rng, (
        f", while {subject} {verb} in the background",
        f" as {subject} {verb}",
        f" with {subject} in the background",
    ))  # fmt: skip


def _join(scene, rng, detailed, nominal, style):
    """All events in order, joined by "then" / "while" words."""
    parts = [_event_phrase(scene.events[0], rng, detailed, nominal)]
    for prev, event in zip(scene.events, scene.events[1:]):
        phrase = _event_phrase(event, rng, detailed, nominal)
        if event.start < prev.end:
            link = (
                _pick(rng, (" while ", " as "))
                if not nominal
                else _pick(rng, (" together with ", " along with "))
            )
        elif nominal:
            link = _pick(rng, (", followed by ", ", then "))
        else:
            link = {
                "first": _pick(rng, (", and then ", ", then ", ", after that ")),
                "plain": _pick(rng, (", then ", " and then ", ", and afterwards ")),
            }[style]
        parts.append(link + phrase)
    return "".join(parts)


def _style_sequential(scene, rng, detailed):
    return _join(scene, rng, detailed, False, "plain") + _background_phrase(scene, rng, detailed, "suffix")


def _style_first(scene, rng, detailed):
    body = _join(scene, rng, detailed, False, "first")
    if len(scene.events) > 1 and scene.events[1].start >= scene.events[0].end:
        body = _pick(rng, ("first ", "at first ", "in the beginning ")) + body
    return body + _background_phrase(scene, rng, detailed, "suffix")


def _style_background_first(scene, rng, detailed):
    prefix = _background_phrase(scene, rng, detailed, "prefix")
    return prefix + _join(scene, rng, detailed, False, "plain")


def _style_nominal(scene, rng, detailed):
    return _join(scene, rng, detailed, True, "plain") + _background_phrase(scene, rng, detailed, "suffix")


def _style_hear(scene, rng, detailed):
    opener = _pick(rng, ("you can hear ", "one can hear ", "there is the sound of "))
    return (
        opener
        + _join(scene, rng, detailed, True, "plain")
        + _background_phrase(scene, rng, detailed, "suffix")
    )


_STYLES = (_style_sequential, _style_first, _style_background_first, _style_nominal, _style_hear)


def _squeeze(text):
    return re.sub(r"\s+", " ", text).strip()


def _finish(text):
    """Articles agree ("an electronic", "a loud"), one space, capital, period."""
    text = _squeeze(text.replace(" ,", ","))
    text = re.sub(r"\b([Aa])n ([^aeiouAEIOU\W])", r"\1 \2", text)
    text = re.sub(r"\b([Aa]) ([aeiouAEIOU])", r"\1n \2", text)
    text = text.rstrip(",. ")
    return text[0].upper() + text[1:] + "."
