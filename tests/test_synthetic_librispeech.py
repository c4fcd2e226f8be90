"""Tests for the synthetic LibriSpeech generator.

The planning and text tests run anywhere; the corpus tests synthesize a
tiny corpus (22 utterances, well under a second of espeak-ng time) and skip
when espeak-ng or sox is missing (the Makefile installs both).
"""

import collections
import csv
import hashlib
import importlib
import json
import random
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from listen_offline.synthetic import librispeech as synth
from listen_offline.synthetic import voices
from listen_offline.synthetic.librispeech import (
    DEFAULT_SPLITS,
    SplitSpec,
    corpus_info,
    generate_librispeech,
    missing_tools,
    plan_librispeech,
)
from listen_offline.synthetic.text import (
    Sentence,
    normalize_transcript,
    python_docs_sentences,
    select_sentences,
    source_fingerprint,
    split_sentences,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

needs_tools = pytest.mark.skipif(
    bool(missing_tools()),
    reason=(f"{', '.join(missing_tools())} not installed (apt-get install -y espeak-ng sox)"),
)

TINY_SPLITS = (
    SplitSpec("train-clean-100", speakers=3, utts_per_speaker=4,
              chapters_per_speaker=2),
    SplitSpec("dev-clean", speakers=2, utts_per_speaker=2),
    SplitSpec("test-clean", speakers=3, utts_per_speaker=2),
)  # fmt: skip
TRANSCRIPT = re.compile(r"^[A-Z']+( [A-Z']+)*$")
TRANS_LINE = re.compile(r"^(\d+)-(\d+)-(\d{4}) ([A-Z']+(?: [A-Z']+)*)$")


def _import_prepare():
    """Imports the real preparation script: recipes are not a package."""
    recipe_dir = str(REPO_ROOT / "recipes" / "LibriSpeech")
    if recipe_dir not in sys.path:
        sys.path.insert(0, recipe_dir)
    return importlib.import_module("librispeech_prepare")


def _read_transcripts(corpus):
    """Maps split -> {utt_id: transcript}, read from the .trans.txt files."""
    out = {}
    for spec in TINY_SPLITS:
        utts = {}
        for trans in sorted((corpus / spec.name).glob("*/*/*.trans.txt")):
            for line in trans.read_text(encoding="utf-8").splitlines():
                utt_id, words = line.split(" ", 1)
                utts[utt_id] = words
        out[spec.name] = utts
    return out


def _all_files(corpus):
    """Relative path -> bytes of every file in a corpus folder."""
    return {
        p.relative_to(corpus).as_posix(): p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A tiny corpus with seed 0."""
    if missing_tools():
        pytest.skip("espeak-ng/sox not installed")
    root = tmp_path_factory.mktemp("synth_a")
    return generate_librispeech(root, seed=0, splits=TINY_SPLITS, progress=False)


@pytest.fixture(scope="module")
def corpus_again(tmp_path_factory):
    """The same corpus generated again, elsewhere."""
    if missing_tools():
        pytest.skip("espeak-ng/sox not installed")
    root = tmp_path_factory.mktemp("synth_b")
    return generate_librispeech(root, seed=0, splits=TINY_SPLITS, progress=False)


@pytest.fixture(scope="module")
def corpus_seed1(tmp_path_factory):
    """The same sizes with another seed."""
    if missing_tools():
        pytest.skip("espeak-ng/sox not installed")
    root = tmp_path_factory.mktemp("synth_c")
    return generate_librispeech(root, seed=1, splits=TINY_SPLITS, progress=False)


# --------------------------------------------------------------- text


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("The return value is None.", "THE RETURN VALUE IS NONE"),
        (
            'The "if" statement isn\'t well-known!',
            "THE IF STATEMENT ISN'T WELL KNOWN",
        ),
        (
            "Return the  students'   books, in order?",
            "RETURN THE STUDENTS BOOKS IN ORDER",
        ),
        ("I saw a naïve  café owner.", "I SAW A NAIVE CAFE OWNER"),
        ("It has 3 items.", None),
        ("Call os.path.join here.", None),
        ("Use the my_var name.", None),
        ("Raise a SyntaxError now.", None),
        ("The HTTP server runs.", None),
        ("Pass x to the function.", None),
        ("Open the file in 'rb' mode.", None),
        ("See the list (below) now.", None),
        ("Note: this is code.", None),
        ("Use e.g. this one.", None),
    ],
)  # fmt: skip
def test_normalize_transcript(sentence, expected):
    assert normalize_transcript(sentence) == expected


def test_split_sentences_skips_code_headings_and_fragments():
    text = (
        "The title\n*********\n\n"
        "First sentence here. Second one follows!\n"
        "It spans\ntwo lines.\n\n"
        "   indented = code.\n"
        ">>> print('Hello.')\n"
        "lower case start is dropped.\n"
        "No final stop"
    )
    assert split_sentences(text) == [
        "First sentence here.",
        "Second one follows!",
        "It spans two lines.",
    ]


def test_select_sentences_dedups_and_filters_length():
    texts = ["One two three four. One two three four. Too short. This has exactly five words."]
    got = select_sentences(texts, min_words=4, max_words=5)
    assert [s.transcript for s in got] == [
        "ONE TWO THREE FOUR",
        "THIS HAS EXACTLY FIVE WORDS",
    ]
    with pytest.raises(ValueError):
        select_sentences(texts, min_words=5, max_words=4)


def test_python_docs_pool_is_large_normalised_and_unique():
    pool = python_docs_sentences(5, 20)
    # The default corpus needs 2300 distinct sentences.
    needed = sum(spec.utterances for spec in DEFAULT_SPLITS)
    assert len(pool) >= needed
    transcripts = [s.transcript for s in pool]
    assert len(set(transcripts)) == len(transcripts)
    for sentence in pool:
        assert TRANSCRIPT.match(sentence.transcript), sentence
        assert 5 <= len(sentence.transcript.split()) <= 20, sentence
        # What is spoken says the same words as the transcript.
        assert normalize_transcript(sentence.spoken) == sentence.transcript


# --------------------------------------------------------------- planning


def _pool(n):
    return [Sentence(f"Sentence number {i}.", f"SENTENCE {i}") for i in range(n)]


def test_plan_default_sizes_and_disjointness():
    plan = plan_librispeech(seed=0)
    by_split = {spec.name: [u for u in plan if u.split == spec.name]
                for spec in DEFAULT_SPLITS}  # fmt: skip
    for spec in DEFAULT_SPLITS:
        utts = by_split[spec.name]
        assert len(utts) == spec.utterances
        speakers = {u.speaker_id for u in utts}
        assert len(speakers) == spec.speakers
        for speaker in speakers:
            chapters = {u.chapter_id for u in utts if u.speaker_id == speaker}
            assert len(chapters) == spec.chapters_per_speaker
    # No sentence twice in the corpus, hence none shared between splits.
    transcripts = [u.transcript for u in plan]
    assert len(set(transcripts)) == len(transcripts)
    # Speakers: distinct ids across splits, one voice each, and no two
    # speakers share a (voice, variant) timbre.
    voices = {}
    for u in plan:
        voices.setdefault(u.speaker_id, set()).add(u.voice)
    assert all(len(v) == 1 for v in voices.values())
    split_speakers = [{u.speaker_id for u in by_split[s.name]}
                      for s in DEFAULT_SPLITS]  # fmt: skip
    total = sum(len(s) for s in split_speakers)
    assert len(set().union(*split_speakers)) == total
    timbres = {(v.voice, v.variant) for (v,) in voices.values()}
    assert len(timbres) == total
    chapters = {(u.speaker_id, u.chapter_id) for u in plan}
    assert len({c for _, c in chapters}) == len(chapters)


def test_plan_is_seeded_and_dev_test_do_not_depend_on_train_size():
    small_train = (SplitSpec("train-clean-100", 5, 3),) + DEFAULT_SPLITS[1:]
    a = plan_librispeech(seed=0)
    b = plan_librispeech(seed=0, splits=small_train)
    c = plan_librispeech(seed=1)
    assert a == plan_librispeech(seed=0)
    assert a != c
    for split in ("dev-clean", "test-clean"):
        assert [u for u in a if u.split == split] == [u for u in b if u.split == split]


def test_plan_rejects_impossible_requests():
    with pytest.raises(ValueError, match="distinct sentences"):
        plan_librispeech(splits=[SplitSpec("dev-clean", 2, 3)], sentences=_pool(5))
    with pytest.raises(ValueError, match="speakers"):
        plan_librispeech(splits=[SplitSpec("train", 1000, 1)], sentences=_pool(1000))
    with pytest.raises(ValueError, match="distinct"):
        plan_librispeech(
            splits=[SplitSpec("a", 1, 1), SplitSpec("a", 1, 1)],
            sentences=_pool(9),
        )
    with pytest.raises(ValueError):
        SplitSpec("dev-clean", 2, 2, chapters_per_speaker=3)
    with pytest.raises(ValueError):
        SplitSpec("../escape", 1, 1)


def test_plan_deals_utterances_over_chapters():
    plan = plan_librispeech(seed=3, splits=[SplitSpec("train-x", 1, 7, 3)], sentences=_pool(7))
    sizes = {}
    for u in plan:
        sizes.setdefault(u.chapter_id, []).append(u.index)
    assert sorted(len(v) for v in sizes.values()) == [2, 2, 3]
    assert all(sorted(v) == list(range(len(v))) for v in sizes.values())


# --------------------------------------------------------------- corpus


@needs_tools
def test_layout_is_librispeech(corpus):
    assert corpus.name == "LibriSpeech"
    top = sorted(p.name for p in corpus.iterdir())
    assert top == sorted([s.name for s in TINY_SPLITS] + ["SPEAKERS.TXT", "synthetic_librispeech.json"])
    for spec in TINY_SPLITS:
        speakers = list((corpus / spec.name).iterdir())
        assert len(speakers) == spec.speakers
        n_utts = 0
        for spk_dir in speakers:
            assert spk_dir.is_dir() and spk_dir.name.isdigit()
            chapters = list(spk_dir.iterdir())
            assert len(chapters) == spec.chapters_per_speaker
            for ch_dir in chapters:
                assert ch_dir.is_dir() and ch_dir.name.isdigit()
                prefix = f"{spk_dir.name}-{ch_dir.name}"
                trans = ch_dir / f"{prefix}.trans.txt"
                raw = trans.read_bytes()
                assert raw.endswith(b"\n") and b"\r" not in raw
                lines = raw.decode("utf-8").splitlines()
                ids = []
                for line in lines:
                    match = TRANS_LINE.match(line)
                    assert match, line
                    assert f"{match[1]}-{match[2]}" == prefix
                    ids.append(line.split(" ", 1)[0])
                # Consecutive from 0000, sorted, as in LibriSpeech.
                assert ids == [f"{prefix}-{i:04d}" for i in range(len(ids))]
                files = sorted(p.name for p in ch_dir.iterdir())
                assert files == sorted([f"{i}.flac" for i in ids] + [f"{prefix}.trans.txt"])
                n_utts += len(ids)
        assert n_utts == spec.utterances


@needs_tools
def test_transcripts_are_normalised(corpus):
    for utts in _read_transcripts(corpus).values():
        assert utts
        for words in utts.values():
            assert TRANSCRIPT.match(words), words
            assert "  " not in words and words == words.strip()
            assert 5 <= len(words.split()) <= 20


@needs_tools
def test_splits_share_no_sentence_and_no_speaker(corpus):
    transcripts = _read_transcripts(corpus)
    sentence_sets = [set(u.values()) for u in transcripts.values()]
    speaker_sets = [{p.name for p in (corpus / spec.name).iterdir()} for spec in TINY_SPLITS]
    for i in range(len(TINY_SPLITS)):
        for j in range(i + 1, len(TINY_SPLITS)):
            assert not sentence_sets[i] & sentence_sets[j]
            assert not speaker_sets[i] & speaker_sets[j]
    # SPEAKERS.TXT lists every speaker once, with its split and a voice
    # setting no other speaker has.
    rows = [
        [field.strip() for field in line.split("|")]
        for line in (corpus / "SPEAKERS.TXT").read_text().splitlines()
        if not line.startswith(";")
    ]
    listed = {row[0]: row for row in rows}
    assert len(listed) == len(rows) == sum(len(s) for s in speaker_sets)
    for spec, speakers in zip(TINY_SPLITS, speaker_sets, strict=True):
        for speaker in speakers:
            assert listed[speaker][2] == spec.name
            assert listed[speaker][1] in ("M", "F")
    timbres = [row[4].split()[1] for row in rows]  # e.g. "en-gb+f3"
    assert len(set(timbres)) == len(timbres)


@needs_tools
def test_audio_is_16k_mono_flac_speech(corpus):
    transcripts = {}
    for utts in _read_transcripts(corpus).values():
        transcripts.update(utts)
    flacs = sorted(corpus.glob("*/*/*/*.flac"))
    assert len(flacs) == len(transcripts)
    for flac in flacs:
        info = soundfile.info(str(flac))
        assert info.format == "FLAC" and info.subtype == "PCM_16"
        assert info.samplerate == 16000 and info.channels == 1
        assert 1.0 < info.duration < 15.0, (flac, info.duration)
        audio, _ = soundfile.read(str(flac), dtype="float32")
        assert audio.ndim == 1
        rms = float(np.sqrt(np.mean(audio**2)))
        assert 0.01 < rms < 0.5, (flac, rms)
        assert np.abs(audio).max() < 1.0  # no clipping
        # Speech rate of a person reading: about 1 to 5 words a second.
        n_words = len(transcripts[flac.stem].split())
        assert 0.8 < n_words / info.duration < 6.0, (flac, info.duration)


@needs_tools
def test_same_seed_gives_identical_files(corpus, corpus_again):
    a, b = _all_files(corpus), _all_files(corpus_again)
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], name


@needs_tools
def test_other_seed_gives_other_corpus(corpus, corpus_seed1):
    t0 = {w for u in _read_transcripts(corpus).values() for w in u.values()}
    t1 = {w for u in _read_transcripts(corpus_seed1).values() for w in u.values()}
    assert t0 != t1
    audio0 = {p.read_bytes() for p in corpus.glob("*/*/*/*.flac")}
    audio1 = {p.read_bytes() for p in corpus_seed1.glob("*/*/*/*.flac")}
    assert not audio0 & audio1


@needs_tools
def test_real_prepare_script_reads_the_corpus(corpus, tmp_path):
    prep = _import_prepare()
    csvs = prep.prepare_librispeech(
        corpus,
        tmp_path / "prep",
        tr_splits=["train-clean-100"],
        dev_splits=["dev-clean"],
        te_splits=["test-clean"],
    )
    transcripts = _read_transcripts(corpus)
    summary = corpus_info(corpus)["summary"]
    for spec in TINY_SPLITS:
        with open(csvs[spec.name], newline="", encoding="utf-8") as fin:
            rows = list(csv.DictReader(fin))
        assert len(rows) == spec.utterances == summary[spec.name]["utterances"]
        assert {r["ID"]: r["wrd"] for r in rows} == transcripts[spec.name]
        total = 0.0
        for row in rows:
            wav = Path(row["wav"])
            assert wav.parent.parent.parent == corpus / spec.name
            assert row["spk_id"] == wav.parent.parent.name
            duration = float(row["duration"])
            assert duration == pytest.approx(soundfile.info(str(wav)).duration)
            total += duration
        assert total / 3600 == pytest.approx(summary[spec.name]["hours"], abs=1e-4)


@needs_tools
def test_same_options_skip(corpus):
    marker = corpus / synth.MARKER_FILE
    flac = next(corpus.glob("*/*/*/*.flac"))
    stamps = (marker.stat().st_mtime_ns, flac.stat().st_mtime_ns)
    again = generate_librispeech(corpus.parent, seed=0, splits=TINY_SPLITS, progress=False)
    assert again == corpus
    assert (marker.stat().st_mtime_ns, flac.stat().st_mtime_ns) == stamps
    # The command line maps its options to the same corpus (so it skips).
    assert synth.main(
        [str(corpus.parent), "--no_progress",
         "--train_speakers", "3", "--train_utts_per_speaker", "4",
         "--dev_speakers", "2", "--dev_utts_per_speaker", "2",
         "--test_speakers", "3", "--test_utts_per_speaker", "2",
         "--engines", "espeak"]
    ) == corpus  # fmt: skip
    assert (marker.stat().st_mtime_ns, flac.stat().st_mtime_ns) == stamps


@needs_tools
def test_other_options_regenerate(corpus, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(corpus.parent, root)
    new_splits = [SplitSpec("dev-clean", 1, 2)]
    out = generate_librispeech(root, seed=0, splits=new_splits, progress=False)
    assert out == root / "LibriSpeech"
    info = json.loads((out / synth.MARKER_FILE).read_text())
    assert info["options"]["splits"] == [
        {"name": "dev-clean", "speakers": 1, "utts_per_speaker": 2,
         "chapters_per_speaker": 1}
    ]  # fmt: skip
    # The old splits are gone, the new one has what was asked for.
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["dev-clean"]
    assert len(list(out.glob("dev-clean/*/*/*.flac"))) == 2
    assert not (root / ".LibriSpeech.partial").exists()


@needs_tools
def test_refuses_to_overwrite_a_foreign_corpus(tmp_path):
    real = tmp_path / "LibriSpeech" / "dev-clean"
    real.mkdir(parents=True)
    (real / "keep.txt").write_text("not ours")
    with pytest.raises(FileExistsError):
        generate_librispeech(tmp_path, splits=[SplitSpec("dev-clean", 1, 1)])
    assert (real / "keep.txt").read_text() == "not ours"


@needs_tools
def test_cli_writes_a_corpus(tmp_path, capsys):
    corpus = synth.main(
        [str(tmp_path), "--seed", "5", "--no_progress",
         "--train_speakers", "1", "--train_utts_per_speaker", "1",
         "--dev_speakers", "1", "--dev_utts_per_speaker", "1",
         "--test_speakers", "2", "--test_utts_per_speaker", "1",
         "--test_split", "test-other", "--engines", "espeak"]
    )  # fmt: skip
    assert corpus == tmp_path / "LibriSpeech"
    assert len(list(corpus.glob("test-other/*/*/*.flac"))) == 2
    assert len(list(corpus.glob("*/*/*/*.flac"))) == 4
    info = corpus_info(corpus)
    assert info["options"]["seed"] == 5
    out = capsys.readouterr().out
    assert "test-other: 2 utterances, 2 speakers" in out


def test_missing_tools_raise_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(synth.shutil, "which", lambda tool: None)
    with pytest.raises(RuntimeError, match="espeak-ng and sox"):
        generate_librispeech(tmp_path, splits=[SplitSpec("dev-clean", 1, 1)])
    assert not any(tmp_path.iterdir())


def test_synthesis_failure_leaves_no_corpus(tmp_path, monkeypatch):
    if missing_tools():
        pytest.skip("espeak-ng/sox not installed")

    def broken(text, voice, path, sample_rate=16000):
        raise RuntimeError("espeak-ng failed")

    monkeypatch.setattr(synth, "synthesize", broken)
    with pytest.raises(RuntimeError, match="espeak-ng failed"):
        generate_librispeech(tmp_path, splits=[SplitSpec("dev-clean", 1, 2)], progress=False)
    assert not (tmp_path / "LibriSpeech").exists()
    assert not (tmp_path / ".LibriSpeech.partial").exists()
    # The next run works normally.
    monkeypatch.undo()
    out = generate_librispeech(tmp_path, splits=[SplitSpec("dev-clean", 1, 2)], progress=False)
    assert len(list(out.glob("dev-clean/*/*/*.flac"))) == 2
    assert not (tmp_path / ".LibriSpeech.partial").exists()


# ------------------------------------------------------- other engines

ENGINE_SPLITS = (
    SplitSpec("train-clean-100", speakers=2, utts_per_speaker=2),
    SplitSpec("test-clean", speakers=2, utts_per_speaker=1),
)
# sha256 of the default espeak-only plan (seeds 0 and 1) before engines were
# added, for the text source below (Python 3.11.7's documentation).
OLD_PLAN_SHA256 = {
    0: "12c24a84c95bca7aa3779926433cec70204a85901b21d54895e2b88549acc83a",
    1: "bd63233097f00c434ff38aabc0cb5f0f57bb9b7f00703c5093d26612f0c513dd",
}
OLD_TEXT_SHA256 = "6db98ea7051ac86bb87c9b7d6b2ac621c7ac613f9274034d0af4c9a25b9856bf"


def _plan_digest(plan):
    rows = [(u.utt_id, u.split, u.spoken, u.transcript, u.voice) for u in plan]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _needs_engine(engine):
    problem = voices.missing_engine(engine)
    return pytest.mark.skipif(problem is not None, reason=problem or "")


def test_espeak_only_plan_is_unchanged():
    sentences = python_docs_sentences(5, 20)
    for seed in (0, 1):
        old = plan_librispeech(seed=seed, sentences=sentences)
        new = plan_librispeech(seed=seed, sentences=sentences, engines="espeak")
        assert old == new
        if source_fingerprint(sentences)["sha256"] != OLD_TEXT_SHA256:
            continue  # Another Python's documentation: other sentences.
        assert _plan_digest(new) == OLD_PLAN_SHA256[seed]


def test_mix_plan_deals_engines_with_unique_settings():
    plan = plan_librispeech(seed=0, engines="all")
    speakers = {}
    for utt in plan:
        speakers.setdefault(utt.speaker_id, (utt.split, utt.voice))
    engines = collections.Counter(getattr(v, "engine", "espeak") for _, v in speakers.values())
    assert set(engines) == set(voices.ENGINES)
    assert max(engines.values()) - min(engines.values()) <= 1
    # Every speaker has its own setting, so no test speaker is heard in
    # training; speaker ids are disjoint across splits.
    keys = [
        (v.engine, v.name, v.pitch_cents)
        if isinstance(v, voices.EngineVoice)
        else ("espeak", v.voice, v.variant)
        for _, v in speakers.values()
    ]
    assert len(keys) == len(set(keys))
    by_split = collections.defaultdict(set)
    for speaker_id, (split, _) in speakers.items():
        by_split[split].add(speaker_id)
    splits = list(by_split.values())
    assert all(a.isdisjoint(b) for i, a in enumerate(splits) for b in splits[i + 1 :])
    # Seeded; and the espeak speakers are drawn as in an espeak-only plan.
    assert plan == plan_librispeech(seed=0, engines="piper,festival,flite,espeak")
    assert plan != plan_librispeech(seed=1, engines="all")


def test_engine_names_are_checked():
    with pytest.raises(ValueError, match="Unknown engines"):
        synth.normalize_engines("espeak,gtts")
    with pytest.raises(ValueError, match="piper speakers"):
        plan_librispeech(splits=[SplitSpec("train", 200, 1)], sentences=_pool(200), engines="piper")


def test_missing_engine_is_named_with_its_install_command(tmp_path, monkeypatch):
    monkeypatch.setattr(voices.importlib.util, "find_spec", lambda name: None)
    problem = voices.missing_engine("piper")
    assert "piper-tts" in problem and "pip install" in problem
    with pytest.raises(RuntimeError, match="piper-tts"):
        generate_librispeech(tmp_path, splits=[SplitSpec("dev-clean", 1, 1)], engines="piper")
    assert not any(tmp_path.iterdir())


def _synth_one(engine, voice, text, path):
    if engine == "piper":
        voices.synthesize_piper_speaker([(text, path)], voice, session_seed=7)
    else:
        voices.synthesize_engine(text, voice, path)
    return path


ENGINE_TEXT = "The module provides a portable way of using operating system functionality."


@pytest.mark.parametrize("engine", ["flite", "festival", "piper"])
def test_engine_voice_audio(engine, tmp_path):
    problem = voices.missing_engine(engine)
    if problem:
        pytest.skip(problem)
    rng = random.Random(0)
    names = list(voices.ENGINE_VOICES[engine])
    a = voices.draw_voice(engine, names[0], -200, rng)
    b = voices.draw_voice(engine, names[-1], 200, rng)
    pa = _synth_one(engine, a, ENGINE_TEXT, tmp_path / "a.flac")
    pb = _synth_one(engine, b, ENGINE_TEXT, tmp_path / "b.flac")
    pa2 = _synth_one(engine, a, ENGINE_TEXT, tmp_path / "a2.flac")
    n_words = len(ENGINE_TEXT.split())
    for path in (pa, pb):
        info = soundfile.info(str(path))
        assert info.format == "FLAC" and info.subtype == "PCM_16"
        assert info.samplerate == 16000 and info.channels == 1
        assert 0.8 < n_words / info.duration < 6.0, (path, info.duration)
        audio, _ = soundfile.read(str(path), dtype="float32")
        assert 0.01 < float(np.sqrt(np.mean(audio**2))) < 0.5
        assert np.abs(audio).max() < 1.0
    # Deterministic for a voice (and, for piper, a session seed); another
    # voice sounds different.
    assert pa.read_bytes() == pa2.read_bytes()
    assert pa.read_bytes() != pb.read_bytes()


def test_mixed_corpus(tmp_path):
    ready, problems = synth.available_engines()
    if problems:
        pytest.skip("; ".join(problems))
    splits = (
        SplitSpec("train-clean-100", speakers=4, utts_per_speaker=1),
        SplitSpec("test-clean", speakers=4, utts_per_speaker=1),
    )
    corpus = generate_librispeech(tmp_path / "a", seed=3, splits=splits, progress=False, engines=ready)
    again = generate_librispeech(tmp_path / "b", seed=3, splits=splits, progress=False, engines=ready)
    files = _all_files(corpus)
    assert files == _all_files(again)
    assert len([name for name in files if name.endswith(".flac")]) == 8
    info = corpus_info(corpus)
    assert info["options"]["engines"] == list(voices.ENGINES)
    assert {"flite", "festival", "piper-tts"} <= set(info["tools"])
    speakers = (corpus / "SPEAKERS.TXT").read_text()
    for engine in ("espeak-ng", "flite", "festival", "piper"):
        assert f"| {engine} " in speakers
    for flac in corpus.glob("*/*/*/*.flac"):
        info = soundfile.info(str(flac))
        assert info.samplerate == 16000 and info.channels == 1 and 1.0 < info.duration < 15.0
