"""Tests for the synthetic VoxCeleb1 generator.

The planning tests run anywhere; the corpus tests synthesize a tiny corpus
(8 speakers x 2 videos x 2 utterances, twice) and skip when espeak-ng or sox
is missing (the Makefile installs both).
"""

import re
import shutil
import time

import pytest
import soundfile

from listen_offline.synthetic import voxceleb
from listen_offline.synthetic.librispeech import ESPEAK_VARIANTS
from listen_offline.synthetic.text import Sentence
from listen_offline.synthetic.voxceleb import (
    MAX_SPEAKERS,
    META_HEADER,
    NATIONALITIES,
    corpus_info,
    generate_voxceleb,
    main,
    missing_tools,
    plan_trials,
    plan_voxceleb,
)

TINY = dict(
    dev_speakers=4,
    test_speakers=4,
    videos_per_speaker=2,
    utterances_per_video=2,
    test_trials=12,
    num_workers=2,
)
TINY_ARGV = [
    "--dev_speakers", "4", "--test_speakers", "4",
    "--videos_per_speaker", "2", "--utterances_per_video", "2",
    "--test_trials", "12", "--num_workers", "2", "--no_progress",
]  # fmt: skip
DEV_IDS = [f"id{n}" for n in range(10001, 10005)]
TEST_IDS = [f"id{n}" for n in range(10005, 10009)]
SPEAKER_DIR = re.compile(r"^id\d{5}$")
VIDEO_DIR = re.compile(r"^[A-Za-z0-9_-]{11}$")
UTT_FILE = re.compile(r"^\d{5}\.wav$")
WAV_PATH = r"id\d{5}/[A-Za-z0-9_-]{11}/\d{5}\.wav"
VGGFACE_NAME = re.compile(r"espeak_([a-z0-9-]+)_([A-Za-z0-9]+)_\d+_\d+")
TRIAL_LINE = re.compile(rf"^([01]) ({WAV_PATH}) ({WAV_PATH})$")


def _pool(n):
    return [Sentence(f"Line number {i}.", f"LINE {i}") for i in range(n)]


def _files(corpus):
    """Relative path -> bytes of every file in a corpus folder."""
    return {
        p.relative_to(corpus).as_posix(): p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()
    }


def _trials(corpus):
    text = (corpus / "veri_test2.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    parsed = [TRIAL_LINE.match(line) for line in lines]
    assert all(parsed), lines
    return [(int(m[1]), m[2], m[3]) for m in parsed]


def _meta(corpus):
    lines = (corpus / "vox1_meta.csv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A tiny corpus with seed 0."""
    if missing_tools():
        pytest.skip(f"{', '.join(missing_tools())} not installed")
    root = tmp_path_factory.mktemp("vox_a")
    return generate_voxceleb(root, seed=0, progress=False, **TINY)


@pytest.fixture(scope="module")
def corpus_again(tmp_path_factory):
    """The same corpus written again elsewhere, through the command line."""
    if missing_tools():
        pytest.skip(f"{', '.join(missing_tools())} not installed")
    root = tmp_path_factory.mktemp("vox_b")
    return main([str(root), "--seed", "0", *TINY_ARGV])


# --------------------------------------------------------------- planning


def test_plan_sizes_speakers_and_sentences():
    plan = plan_voxceleb(
        seed=0,
        dev_speakers=5,
        test_speakers=3,
        videos_per_speaker=3,
        utterances_per_video=2,
        sentences=_pool(100),
    )
    assert len(plan) == 8 * 3 * 2
    speakers = {}
    for utt in plan:
        speakers.setdefault(utt.speaker_id, set()).add((utt.split, utt.voice))
    assert sorted(speakers) == [f"id{n}" for n in range(10001, 10009)]
    # Dev ids first, then test ids; one voice per speaker.
    assert all(len(v) == 1 for v in speakers.values())
    splits = [next(iter(speakers[s]))[0] for s in sorted(speakers)]
    assert splits == ["dev"] * 5 + ["test"] * 3
    pairs = [(v.voice, v.variant) for ((_, v),) in speakers.values()]
    assert len(set(pairs)) == len(pairs)
    videos = {(u.speaker_id, u.video_id) for u in plan}
    assert len(videos) == 8 * 3
    assert len({v for _, v in videos}) == 8 * 3
    transcripts = [u.transcript for u in plan]
    assert len(set(transcripts)) == len(transcripts)


def _test_part(seed, dev_speakers):
    """The test set and its trials, without the speaker id numbers."""
    plan = plan_voxceleb(
        seed=seed, dev_speakers=dev_speakers, test_speakers=4,
        sentences=_pool(400),
    )  # fmt: skip
    test = [u for u in plan if u.split == "test"]
    trials = plan_trials(test, 40, seed=seed)
    # Test ids follow the dev ids, so they move; everything else must not.
    speakers = sorted({u.speaker_id for u in test})

    def rank(path):
        speaker, rest = path.split("/", 1)
        return speakers.index(speaker), rest

    return (
        [(u.video_id, u.index, u.transcript, u.voice) for u in test],
        [(label, rank(a), rank(b)) for label, a, b in trials],
    )


def test_test_set_and_trials_do_not_depend_on_dev_size():
    assert _test_part(3, 2) == _test_part(3, 20)
    assert _test_part(3, 2) != _test_part(4, 2)


def test_default_plan_fits_the_sentence_pool():
    plan = plan_voxceleb()
    assert len(plan) == (48 + 16) * 2 * 4
    assert len({u.transcript for u in plan}) == len(plan)
    assert all(4 <= len(u.transcript.split()) <= 10 for u in plan)
    trials = plan_trials([u for u in plan if u.split == "test"], 400)
    assert sum(label for label, _, _ in trials) == 200


def test_trials_balanced_cross_video_and_unique():
    plan = plan_voxceleb(
        seed=0, dev_speakers=1, test_speakers=5, videos_per_speaker=3,
        utterances_per_video=3, sentences=_pool(100),
    )  # fmt: skip
    test = [u for u in plan if u.split == "test"]
    trials = plan_trials(test, 100, seed=0)
    assert sum(label for label, _, _ in trials) == 50
    keys = [frozenset((a, b)) for _, a, b in trials]
    assert len(set(keys)) == len(keys) == 100
    test_paths = {u.path for u in test}
    for label, a, b in trials:
        assert a in test_paths and b in test_paths
        assert (a.split("/")[0] == b.split("/")[0]) == bool(label)
        if label:
            assert a.split("/")[1] != b.split("/")[1]
    # Targets are spread over every test speaker.
    assert {a.split("/")[0] for label, a, _ in trials if label} == {u.speaker_id for u in test}
    assert trials == plan_trials(test, 100, seed=0)
    assert trials != plan_trials(test, 100, seed=1)


def test_trials_prefer_cross_video_then_fall_back_to_same_video():
    plan = plan_voxceleb(
        dev_speakers=1, test_speakers=2, videos_per_speaker=2,
        utterances_per_video=2, sentences=_pool(20),
    )  # fmt: skip
    # Per speaker: 2 x 2 = 4 cross-video pairs and 2 same-video pairs.
    trials = plan_trials([u for u in plan if u.split == "test"], 20)
    targets = [(a, b) for label, a, b in trials if label]
    assert len(targets) == 10
    cross = [(a, b) for a, b in targets if a.split("/")[1] != b.split("/")[1]]
    assert len(cross) == 8
    assert all(a.split("/")[0] == b.split("/")[0] for a, b in targets)


def test_impossible_requests_raise():
    with pytest.raises(ValueError, match=f"only {MAX_SPEAKERS} can be"):
        plan_voxceleb(dev_speakers=MAX_SPEAKERS - 1, test_speakers=2,
                      sentences=_pool(10000))  # fmt: skip
    assert MAX_SPEAKERS == 288
    with pytest.raises(ValueError, match="distinct sentences"):
        plan_voxceleb(dev_speakers=2, test_speakers=2, sentences=_pool(31))
    with pytest.raises(ValueError, match="test_speakers"):
        plan_voxceleb(test_speakers=1, sentences=_pool(1000))
    plan = plan_voxceleb(dev_speakers=1, test_speakers=2, sentences=_pool(30))
    test = [u for u in plan if u.split == "test"]
    with pytest.raises(ValueError, match="even"):
        plan_trials(test, 7)
    # 2 speakers x C(8, 2) = 56 target pairs at most.
    with pytest.raises(ValueError, match="target trials"):
        plan_trials(test, 2 * 57)
    assert len(plan_trials(test, 2 * 56)) == 112


# --------------------------------------------------------------- corpus


def test_layout_and_names(corpus):
    assert corpus.name == "VoxCeleb1"
    assert sorted(p.name for p in corpus.iterdir()) == [
        "synthetic_voxceleb.json",
        "synthetic_voxceleb_transcripts.txt",
        "veri_test2.txt",
        "vox1_meta.csv",
        "wav",
    ]
    # Nothing left of the build folder next to the corpus.
    assert [p.name for p in corpus.parent.iterdir()] == ["VoxCeleb1"]
    speakers = sorted((corpus / "wav").iterdir())
    assert [p.name for p in speakers] == DEV_IDS + TEST_IDS
    videos = []
    for speaker in speakers:
        assert SPEAKER_DIR.match(speaker.name)
        speaker_videos = sorted(speaker.iterdir())
        assert len(speaker_videos) == 2
        for video in speaker_videos:
            assert VIDEO_DIR.match(video.name), video.name
            assert sorted(p.name for p in video.iterdir()) == [
                "00001.wav",
                "00002.wav",
            ]
            videos.append(video.name)
    assert len(set(videos)) == len(videos)
    assert all(UTT_FILE.match(p.name) for p in corpus.rglob("*.wav"))


def test_audio_is_16k_mono_16bit_wav_speech(corpus):
    wavs = sorted(corpus.glob("wav/*/*/*.wav"))
    assert len(wavs) == 32
    for wav in wavs:
        info = soundfile.info(str(wav))
        assert (info.format, info.subtype) == ("WAV", "PCM_16")
        assert (info.samplerate, info.channels) == (16000, 1)
        assert 0.5 < info.duration < 10
    audio, _ = soundfile.read(str(wavs[0]))
    assert 0.05 < abs(audio).max() < 1.0


def test_meta_rows_and_sets(corpus):
    rows = _meta(corpus)
    assert tuple(rows[0]) == META_HEADER
    assert [row[0] for row in rows[1:]] == DEV_IDS + TEST_IDS
    assert [row[4] for row in rows[1:]] == ["dev"] * 4 + ["test"] * 4
    timbres = []
    for _, name, gender, nationality, _ in rows[1:]:
        match = VGGFACE_NAME.fullmatch(name)
        assert match, name
        accent, variant = match[1], match[2]
        assert gender == ESPEAK_VARIANTS[variant].lower()
        assert nationality == NATIONALITIES[accent]
        timbres.append((accent, variant))
    # Every speaker, dev or test, has its own (accent, variant) timbre.
    assert len(set(timbres)) == 8
    assert not set(timbres[:4]) & set(timbres[4:])


def test_trial_list(corpus):
    trials = _trials(corpus)
    assert len(trials) == 12
    assert sum(label for label, _, _ in trials) == 6
    assert len({frozenset((a, b)) for _, a, b in trials}) == 12
    for label, a, b in trials:
        assert a.split("/")[0] in TEST_IDS and b.split("/")[0] in TEST_IDS
        assert (a.split("/")[0] == b.split("/")[0]) == bool(label)
        if label:
            # 2 videos per speaker: targets always cross videos.
            assert a.split("/")[1] != b.split("/")[1]
        assert (corpus / "wav" / a).is_file()
        assert (corpus / "wav" / b).is_file()
    summary = corpus_info(corpus)["summary"]
    assert summary["trials"] == {
        "total": 12, "targets": 6, "nontargets": 6, "cross_video_targets": 6,
    }  # fmt: skip


def test_no_sentence_reused(corpus):
    lines = (corpus / "synthetic_voxceleb_transcripts.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 32
    paths, transcripts = zip(*(line.split(" ", 1) for line in lines))
    assert sorted(paths) == sorted(
        p.relative_to(corpus / "wav").as_posix() for p in corpus.glob("wav/*/*/*.wav")
    )
    assert len(set(transcripts)) == 32
    assert all(4 <= len(t.split()) <= 10 for t in transcripts)
    summary = corpus_info(corpus)["summary"]
    assert summary["dev"]["utterances"] == summary["test"]["utterances"] == 16


def test_same_seed_gives_identical_corpus(corpus, corpus_again):
    assert corpus_again.name == "VoxCeleb1"
    assert _trials(corpus) == _trials(corpus_again)
    a, b = _files(corpus), _files(corpus_again)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []


def test_same_options_return_without_rewriting(corpus, monkeypatch):
    before = {p: p.stat().st_mtime_ns for p in corpus.rglob("*")}

    def no_synthesis(*args, **kwargs):
        raise AssertionError("synthesized again")

    monkeypatch.setattr(voxceleb, "synthesize", no_synthesis)
    start = time.perf_counter()
    again = generate_voxceleb(corpus.parent, seed=0, progress=False, **TINY)
    assert again == corpus
    assert time.perf_counter() - start < 5
    assert {p: p.stat().st_mtime_ns for p in corpus.rglob("*")} == before


def test_other_options_regenerate(corpus, tmp_path):
    copy = tmp_path / "VoxCeleb1"
    shutil.copytree(corpus, copy)
    options = dict(TINY, test_trials=8)
    again = generate_voxceleb(tmp_path, seed=0, progress=False, **options)
    assert again == copy
    assert len(_trials(copy)) == 8
    assert corpus_info(copy)["options"]["test_trials"] == 8


def test_refuses_to_overwrite_a_foreign_corpus(tmp_path):
    if missing_tools():
        pytest.skip("espeak-ng/sox not installed")
    (tmp_path / "VoxCeleb1" / "wav").mkdir(parents=True)
    with pytest.raises(FileExistsError, match="not a synthetic VoxCeleb1"):
        generate_voxceleb(tmp_path, progress=False, **TINY)
    # Left untouched.
    assert list((tmp_path / "VoxCeleb1").iterdir()) == [tmp_path / "VoxCeleb1" / "wav"]


def test_failure_leaves_no_corpus(tmp_path, monkeypatch):
    if missing_tools():
        pytest.skip("espeak-ng/sox not installed")

    def broken(*args, **kwargs):
        raise RuntimeError("espeak-ng failed")

    monkeypatch.setattr(voxceleb, "synthesize", broken)
    with pytest.raises(RuntimeError, match="espeak-ng failed"):
        generate_voxceleb(tmp_path, progress=False, **TINY)
    assert list(tmp_path.iterdir()) == []


def test_missing_tools_raise_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(voxceleb, "missing_tools", lambda: ["sox"])
    with pytest.raises(RuntimeError, match="sox not found"):
        generate_voxceleb(tmp_path, progress=False, **TINY)
    assert not (tmp_path / "VoxCeleb1").exists()
