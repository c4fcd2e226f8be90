"""Tests of the real-speech check set (listen_offline/real_speech.py).

Everything but the last test runs offline, with a generated tone standing in
for each package's recordings; the download test runs only where
``apt-get`` can fetch Debian packages (set ``LISTEN_REAL_SPEECH_ONLINE=1``).
"""

import csv
import os
import shutil

import numpy as np
import pytest
import soundfile

from listen_offline import real_speech
from listen_offline.real_speech import (
    SOURCES,
    SpeechClip,
    check_sources,
    normalize_transcript,
    parse_sphinx_transcription,
    prepare_real_speech,
)


def test_normalize_transcript():
    assert normalize_transcript("<s> five five  </s>") == "FIVE FIVE"
    assert normalize_transcript("Ill-disposed, young man!") == "ILL DISPOSED YOUNG MAN"
    assert normalize_transcript("'tis the man's <sil> hat") == "TIS THE MAN'S HAT"
    assert normalize_transcript("") == ""


def test_parse_sphinx_transcription():
    text = "<s> ten of clubs  </s> (001)\n<s> he was </s> (sense-0880)\nnoise\n"
    assert parse_sphinx_transcription(text) == {
        "001": "TEN OF CLUBS",
        "sense-0880": "HE WAS",
    }


def test_source_table_consistent():
    check_sources()
    ids = [clip.id for clip in SOURCES]
    assert len(ids) == len(set(ids)) >= 10
    for clip in SOURCES:
        assert clip.transcript.strip() and clip.package and clip.version
        assert clip.licence and clip.evidence
        assert clip.path.rsplit(".", 1)[-1] in ("wav", "raw", "flac")


def test_check_sources_rejects_bad_tables():
    clip = SOURCES[0]
    with pytest.raises(ValueError, match="duplicate"):
        check_sources([clip, clip])
    with pytest.raises(ValueError, match="empty"):
        check_sources([SpeechClip(**{**clip.__dict__, "transcript": " "})])
    raw = SpeechClip(**{**clip.__dict__, "path": "a.raw", "raw_sample_rate": 0})
    with pytest.raises(ValueError, match="raw_sample_rate"):
        check_sources([raw])


def _fake_tree(root, sources, rate=48000):
    """Writes a tone for every clip, and a transcription file where needed."""
    t = np.arange(int(0.5 * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    transcriptions = {}
    for clip in sources:
        path = os.path.join(root, clip.path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if clip.raw_sample_rate:
            (np.sin(2 * np.pi * 440 * t[: clip.raw_sample_rate // 2]) * 8000).astype("<i2").tofile(path)
        else:
            soundfile.write(path, np.stack([tone, tone], axis=1), rate)
        if clip.transcript_file:
            line = f"<s> {clip.transcript} </s> ({clip.id_in_file})\n"
            transcriptions[clip.transcript_file] = transcriptions.get(clip.transcript_file, "") + line
    for name, text in transcriptions.items():
        with open(os.path.join(root, name), "w", encoding="utf-8") as out:
            out.write(text)


def test_prepare_from_local_fake_source(tmp_path):
    tree = tmp_path / "tree"
    _fake_tree(str(tree), SOURCES)
    calls = []

    def fake_fetch(manager, package, version, cache_dir):
        calls.append(package)
        return tree

    out = tmp_path / "out"
    manifest = prepare_real_speech(str(out), str(tmp_path / "cache"), fetch=fake_fetch)
    assert sorted(set(calls)) == sorted(calls)  # one fetch per package
    with open(manifest, newline="", encoding="utf-8") as fin:
        rows = list(csv.DictReader(fin))
    assert [row["ID"] for row in rows] == [clip.id for clip in SOURCES]
    for row, clip in zip(rows, SOURCES):
        assert row["wrd"] == clip.transcript.upper()
        audio, rate = soundfile.read(row["wav"])
        assert rate == 16000 and audio.ndim == 1
        assert float(row["duration"]) == pytest.approx(0.5, abs=0.01)
        assert np.abs(audio).max() > 0.1
    assert (out / "sources.json").exists()


def test_prepare_rejects_transcript_mismatch(tmp_path):
    clip = next(c for c in SOURCES if c.transcript_file)
    tree = tmp_path / "tree"
    _fake_tree(str(tree), [clip])
    (tree / clip.transcript_file).write_text(f"<s> something else </s> ({clip.id_in_file})\n")
    with pytest.raises(ValueError, match="package transcript"):
        prepare_real_speech(str(tmp_path / "out"), fetch=lambda *args: tree, sources=[clip])


@pytest.mark.skipif(
    not os.environ.get("LISTEN_REAL_SPEECH_ONLINE") or not shutil.which("apt-get"),
    reason="needs apt-get and network (set LISTEN_REAL_SPEECH_ONLINE=1)",
)
def test_prepare_downloads_real_packages(tmp_path):
    manifest = real_speech.main([str(tmp_path / "out"), "--cache_dir", str(tmp_path)])
    with open(manifest, newline="", encoding="utf-8") as fin:
        rows = list(csv.DictReader(fin))
    assert len(rows) == len(SOURCES)
    assert all(1.0 <= float(row["duration"]) <= 30.0 for row in rows)
