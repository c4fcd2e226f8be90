"""The synthetic Clotho: layout, determinism, and captions that tell the truth.

The audio is measured: pitch words against the dominant frequency, "loud"
against "quiet", loudness changes against the level over time, counts
against onsets, "then" against the timeline.
"""

import csv
import json
import pathlib
import re
import shutil
import sys

import numpy as np
import pytest
import soundfile

from listen_offline.synthetic import clotho as synthetic_clotho
from listen_offline.synthetic.sound_scenes import (
    NUMBER_WORDS,
    SoundEvent,
    SoundScene,
    caption_scene,
    plan_scene,
    render_event,
    render_scene,
    seeded_rng,
)

SR = 16000
RECIPE = pathlib.Path(__file__).resolve().parents[1] / "recipes" / "Clotho"
HAS_VOICE_TOOLS = shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def rms(x):
    return float(np.sqrt(np.mean(np.square(x))))


def dominant_hz(x):
    spectrum = np.abs(np.fft.rfft(x))
    return float(np.fft.rfftfreq(len(x), 1 / SR)[np.argmax(spectrum)])


def onsets(x, frame=0.01):
    """Onsets: frame energy rising above 30% of its peak after falling below 3%."""
    hop = int(frame * SR)
    energy = np.array([rms(x[i : i + hop]) for i in range(0, len(x) - hop + 1, hop)])
    count, armed = 0, True
    for value in energy / energy.max():
        if armed and value > 0.3:
            count, armed = count + 1, False
        elif value < 0.03:
            armed = True
    return count


def attacks(x, frame=0.02):
    """Attacks of decaying notes: energy jumping 3x over the previous frame."""
    hop = int(frame * SR)
    energy = np.array([rms(x[i : i + hop]) for i in range(0, len(x) - hop + 1, hop)]) + 1e-9
    jumps = (energy[1:] > 3 * energy[:-1]) & (energy[1:] > 0.1 * energy.max())
    return int(jumps.sum() + (energy[0] > 0.1 * energy.max()))


@pytest.mark.parametrize(
    "kind,ranges", [("beeps", (550, 1300)), ("tone", (220, 1300)), ("chords", (335, 435))]
)
def test_pitch_words_match_frequencies(kind, ranges):
    for seed in range(3):
        low = render_event(SoundEvent(kind, 0, 2.0, "loud", pitch="low", count=3, seed=seed), SR)
        high = render_event(SoundEvent(kind, 0, 2.0, "loud", pitch="high", count=3, seed=seed), SR)
        assert dominant_hz(low) < ranges[0] < ranges[1] < dominant_hz(high)


def test_siren_sweeps():
    x = render_event(SoundEvent("siren", 0, 4.0, "loud", pitch="high", seed=1), SR)
    hop = SR // 4
    pitches = [dominant_hz(x[i : i + hop]) for i in range(0, len(x) - hop, hop)]
    assert max(pitches) / min(pitches) > 1.3  # the pitch moves: a sweep, not a tone


def test_loud_quiet_and_loudness_changes():
    loud = render_event(SoundEvent("tone", 0, 2.0, "loud", pitch="low"), SR)
    quiet = render_event(SoundEvent("tone", 0, 2.0, "quiet", pitch="low"), SR)
    assert 20 * np.log10(rms(loud) / rms(quiet)) == pytest.approx(14.0, abs=0.5)
    rising = render_event(SoundEvent("siren", 0, 2.0, "loud", "rising", pitch="high"), SR)
    fading = render_event(SoundEvent("siren", 0, 2.0, "loud", "fading", pitch="high"), SR)
    q = len(rising) // 4
    assert rms(rising[-q:]) > 5 * rms(rising[:q])
    assert rms(fading[:q]) > 5 * rms(fading[-q:])


@pytest.mark.parametrize("count", [2, 3, 5])
def test_counts_are_onsets(count):
    for kind in ("beeps", "noise"):
        x = render_event(SoundEvent(kind, 0, 3.0, "loud", pitch="high", count=count, seed=count), SR)
        assert onsets(x) == count, kind
    x = render_event(SoundEvent("chords", 0, 3.0, "loud", pitch="low", count=count, seed=count), SR)
    assert attacks(x) == count


def test_fast_steps_are_twice_as_many():
    slow = render_event(SoundEvent("footsteps", 0, 4.0, "loud", tempo="slow"), SR)
    fast = render_event(SoundEvent("footsteps", 0, 4.0, "loud", tempo="fast"), SR)
    assert onsets(fast) == pytest.approx(2 * onsets(slow), abs=1)
    ticks = render_event(SoundEvent("ticking", 0, 4.0, "loud", tempo="slow"), SR)
    assert onsets(ticks) == 4


def test_events_sit_where_the_scene_says():
    first = SoundEvent("beeps", 0.3, 1.5, "loud", pitch="high", count=2, seed=1)
    second = SoundEvent("chords", 2.2, 1.5, "loud", pitch="low", count=2, seed=2)
    x = render_scene(SoundScene(4.0, (first, second)), SR)
    assert len(x) == 4 * SR and x.dtype == np.float32
    part = lambda a, b: x[int(a * SR) : int(b * SR)]  # noqa: E731
    assert rms(part(0, 0.25)) == 0 and rms(part(1.9, 2.15)) == 0  # silence between
    assert dominant_hz(part(0.3, 1.8)) > 1300 and dominant_hz(part(2.2, 3.7)) < 440


def test_background_under_events():
    event = SoundEvent("tone", 1.0, 1.0, "loud", pitch="high")
    x = render_scene(SoundScene(3.0, (event,), "rain", "quiet"), SR)
    bg = x[: SR // 2]
    assert 0.005 < rms(bg) < 0.03  # quiet rain is there, under the event
    assert rms(x[SR : 2 * SR]) > 4 * rms(bg)


@pytest.mark.skipif(not HAS_VOICE_TOOLS, reason="needs espeak-ng and sox")
def test_voice_is_speech_from_espeak():
    event = SoundEvent("voice", 0, 2.5, "loud", voice="f2", pitch="high", text="Wait here for a second")
    x = render_event(event, SR)
    assert len(x) == int(2.5 * SR) and rms(x) > 0.1
    assert rms(x[: int(1.5 * SR)]) > 0.05  # speech, not padding, up front


# ---------------------------------------------------------------- captions --

DETAIL_WORDS = {
    ("level", "loud"): ("loud",),
    ("level", "quiet"): ("quiet", "faint", "soft"),
    ("pitch", "high"): ("high", "shrill"),
    ("pitch", "low"): ("low", "deep"),
    ("tempo", "fast"): ("quick", "rapid", "hurr", "fast"),
    ("tempo", "slow"): ("slow", "unhurried", "steadily", "slow,"),
    ("envelope", "rising"): ("louder",),
    ("envelope", "fading"): ("fad", "quieter", "dying"),
}
KIND_WORDS = {
    "beeps": ("beep",), "tone": ("tone", "drone"), "siren": ("siren",),
    "noise": ("static", "noise", "hiss"), "footsteps": ("walk", "footsteps"),
    "ticking": ("tick", "click"), "chords": ("chord",),
    "voice": ("man", "woman", "voice"),
}  # fmt: skip
BACKGROUND_WORDS = {"rain": "rain", "wind": "wind", "hum": "hum"}


def scenes(n, **kwargs):
    for i in range(n):
        rng = seeded_rng("test", i)
        yield plan_scene(rng, **kwargs), rng


def test_every_caption_names_every_event_and_the_background():
    for scene, rng in scenes(300):
        captions = caption_scene(scene, rng)
        assert len(set(captions)) == 5
        for caption in captions:
            text = caption.lower()
            assert caption[0].isupper() and caption.endswith(".")
            for event in scene.events:
                assert any(w in text for w in KIND_WORDS[event.kind]), (caption, event)
            if scene.background:
                assert BACKGROUND_WORDS[scene.background] in text, (caption, scene.background)
            # Nothing that is not there.
            for kind, words in KIND_WORDS.items():
                if kind not in {e.kind for e in scene.events} and kind not in ("voice", "tone", "noise"):
                    assert not any(w in text for w in words if w not in ("click",)), (caption, kind)


def test_details_are_true_and_in_at_least_two_captions():
    """Single-event scenes, where a detail word can only be about that event."""
    checked = 0
    for scene, rng in scenes(400, max_events=1):
        (event,) = scene.events
        captions = [c.lower() for c in caption_scene(scene, rng)]
        details = [("level", event.level)]
        if event.pitch:
            details.append(("pitch", event.pitch))
        if event.tempo:
            details.append(("tempo", event.tempo))
        if event.envelope != "steady":
            details.append(("envelope", event.envelope))
        # Background adjectives ("loud hum", "light rain") can share words.
        if scene.background:
            continue
        checked += 1
        full = [c for c in captions if all(any(w in c for w in DETAIL_WORDS[d]) for d in details)]
        assert len(full) >= 2, (details, captions)
        if event.count:
            assert sum(NUMBER_WORDS[event.count] in c for c in captions) >= 2, captions
        # Never the opposite level ("quieter"/"louder" are loudness changes).
        opposite = {"loud": r"\b(quiet|quietly|faint|soft|softly)\b", "quiet": r"\b(loud|loudly)\b"}[
            event.level
        ]
        assert not any(re.search(opposite, c) for c in captions), captions
        if event.envelope == "steady":
            assert not any("louder" in c or "fad" in c for c in captions), captions
    assert checked > 50


def test_order_words_follow_the_timeline():
    first = SoundEvent("siren", 0.2, 2.0, "loud", pitch="high", seed=1)
    then = SoundEvent("beeps", 2.5, 1.5, "loud", pitch="low", count=3, seed=2)
    during = SoundEvent("beeps", 1.0, 1.5, "loud", pitch="low", count=3, seed=2)
    for i in range(20):
        seq = caption_scene(SoundScene(4.5, (first, then)), seeded_rng("seq", i))
        assert all(c.lower().index("siren") < c.lower().index("beep") for c in seq)
        assert all(any(w in c for w in ("then", "followed by", "after")) for c in seq)
        assert not any(" while " in c or "together with" in c for c in seq)
        overlap = caption_scene(SoundScene(4.5, (first, during)), seeded_rng("ovl", i))
        assert all(any(w in c for w in (" while ", " as ", "together with", "along with")) for c in overlap)
        assert not any("then" in c or "followed" in c for c in overlap)


def test_plan_fits_the_clip():
    for scene, _ in scenes(500, min_seconds=2.0, max_seconds=6.0):
        assert 2.0 <= scene.duration <= 6.0
        for a, b in zip(scene.events, scene.events[1:]):
            assert a.start < b.start
        for event in scene.events:
            assert event.duration >= 1.39 and event.end <= scene.duration
    with pytest.raises(ValueError):
        plan_scene(seeded_rng(0), min_seconds=1.0)


# ------------------------------------------------------------------ corpus --


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    sizes = {"development": 6, "validation": 2, "evaluation": 3}
    path = synthetic_clotho.generate_clotho(
        root, seed=3, sizes=sizes, min_seconds=2.0, max_seconds=4.0, with_voices=HAS_VOICE_TOOLS
    )
    return path, sizes


def test_corpus_has_the_clotho_layout(corpus):
    path, sizes = corpus
    for split, size in sizes.items():
        with open(path / f"clotho_captions_{split}.csv", encoding="utf-8", newline="") as fin:
            rows = list(csv.reader(fin))
        assert rows[0] == ["file_name"] + [f"caption_{n}" for n in range(1, 6)]
        assert len(rows) == size + 1
        for name, *captions in rows[1:]:
            info = soundfile.info(str(path / split / name))
            assert info.samplerate == 16000 and info.channels == 1 and info.subtype == "PCM_16"
            assert 2.0 <= info.duration <= 4.0 and len(set(captions)) == 5
        with open(path / f"clotho_metadata_{split}.csv", encoding="utf-8", newline="") as fin:
            meta = list(csv.DictReader(fin))
        assert [m["file_name"] for m in meta] == [r[0] for r in rows[1:]]
    scenes_file = json.loads((path / "synthetic_clotho_scenes.json").read_text())
    assert set(scenes_file) == set(sizes)


def test_corpus_is_read_by_the_recipe_prepare(corpus, tmp_path):
    sys.path.insert(0, str(RECIPE))
    from clotho_prepare import load_manifest, prepare_clotho

    path, sizes = corpus
    csvs = prepare_clotho(path, tmp_path / "save")
    for split, size in sizes.items():
        manifest = load_manifest(csvs[split])
        assert len(manifest) == size
        assert all(len(entry["references"]) == 5 for entry in manifest.values())


def test_corpus_is_deterministic_and_idempotent(corpus, tmp_path):
    path, sizes = corpus
    again = synthetic_clotho.generate_clotho(
        tmp_path, seed=3, sizes=sizes, min_seconds=2.0, max_seconds=4.0, with_voices=HAS_VOICE_TOOLS
    )
    for split in sizes:
        a = (path / f"clotho_captions_{split}.csv").read_bytes()
        assert a == (again / f"clotho_captions_{split}.csv").read_bytes()
        for wav in (path / split).iterdir():
            assert wav.read_bytes() == (again / split / wav.name).read_bytes()
    marker = again / "synthetic_clotho.json"
    stamp = marker.stat().st_mtime_ns
    synthetic_clotho.generate_clotho(
        tmp_path, seed=3, sizes=sizes, min_seconds=2.0, max_seconds=4.0, with_voices=HAS_VOICE_TOOLS
    )
    assert marker.stat().st_mtime_ns == stamp  # found, not rebuilt
    # Another seed gives other captions; another size of one split keeps the others.
    other = synthetic_clotho.plan_clotho(seed=4, sizes={"evaluation": 3}, min_seconds=2.0, max_seconds=4.0)
    same = synthetic_clotho.plan_clotho(
        seed=3, sizes={"evaluation": 3, "development": 1}, min_seconds=2.0, max_seconds=4.0
    )
    with open(path / "clotho_captions_evaluation.csv", encoding="utf-8", newline="") as fin:
        written = [row[1:] for row in list(csv.reader(fin))[1:]]
    assert [c for _, _, c in same["evaluation"]] == written
    assert [c for _, _, c in other["evaluation"]] != written


def test_refuses_to_overwrite_a_real_corpus(tmp_path):
    (tmp_path / "Clotho").mkdir()
    (tmp_path / "Clotho" / "clotho_captions_development.csv").write_text("real data")
    with pytest.raises(FileExistsError, match="not a synthetic Clotho"):
        synthetic_clotho.generate_clotho(tmp_path, sizes={"evaluation": 1}, with_voices=False)
    assert (tmp_path / "Clotho" / "clotho_captions_development.csv").read_text() == "real data"
