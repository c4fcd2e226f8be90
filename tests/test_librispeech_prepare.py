"""Tests for recipes/LibriSpeech/librispeech_prepare.py on a tiny corpus."""

import csv
import importlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import soundfile

REPO_ROOT = Path(__file__).resolve().parents[1]


def _import_prepare():
    """Imports the prep module by path: recipes are not a package."""
    recipe_dir = str(REPO_ROOT / "recipes" / "LibriSpeech")
    if recipe_dir not in sys.path:
        sys.path.insert(0, recipe_dir)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module("librispeech_prepare")


prep = _import_prepare()
from tiny_librispeech import (  # noqa: E402
    make_tiny_librispeech,
)

SPLITS = {"train-clean-100": 6, "dev-clean": 2, "test-clean": 2}
HEADER = ["ID", "duration", "wav", "spk_id", "wrd"]


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as fin:
        reader = csv.reader(fin)
        header = next(reader)
        return header, [dict(zip(header, row)) for row in reader]


def _read_transcripts(split_dir):
    out = {}
    for trans in split_dir.rglob("*.trans.txt"):
        for line in trans.read_text(encoding="utf-8").splitlines():
            utt_id, words = line.split(" ", 1)
            out[utt_id] = words
    return out


def _prepare_all(data, save):
    return prep.prepare_librispeech(
        data,
        save,
        tr_splits=["train-clean-100"],
        dev_splits=["dev-clean"],
        te_splits=["test-clean"],
    )


def _stamp(path):
    st = os.stat(path)
    # The inode catches a rewrite via os.replace even when the filesystem
    # timestamp is too coarse to tell two writes apart.
    return st.st_mtime_ns, st.st_ino


@pytest.fixture
def data(tmp_path):
    return make_tiny_librispeech(tmp_path / "LibriSpeech", splits=SPLITS)


@pytest.fixture
def save(tmp_path):
    return tmp_path / "prepared"


def test_csv_contents(data, save):
    csvs = _prepare_all(data, save)
    assert set(csvs) == set(SPLITS)
    for split, n_utts in SPLITS.items():
        path = save / f"{split}.csv"
        assert Path(csvs[split]) == path
        header, rows = _read_csv(path)
        assert header == HEADER
        assert len(rows) == n_utts
        ids = [row["ID"] for row in rows]
        assert ids == sorted(ids)
        assert len(set(ids)) == n_utts

        transcripts = _read_transcripts(data / split)
        assert set(ids) == set(transcripts)
        for row in rows:
            wav = Path(row["wav"])
            assert wav.is_absolute()
            assert wav.is_file()
            assert wav.name == f"{row['ID']}.flac"
            assert wav.parent.parent.parent == data / split
            info = soundfile.info(str(wav))
            assert float(row["duration"]) == pytest.approx(info.frames / info.samplerate, abs=1e-9)
            assert 1.0 <= float(row["duration"]) <= 2.5
            speaker = wav.parent.parent.name
            assert row["spk_id"] == speaker
            assert row["ID"].startswith(f"{speaker}-")
            assert row["wrd"] == transcripts[row["ID"]]
            assert row["wrd"] == row["wrd"].upper()
            assert 3 <= len(row["wrd"].split()) <= 6

    opts = json.loads((save / prep.OPTS_FILE).read_text())
    assert opts["data_folder"] == str(data)


def test_speakers_per_split(data, save):
    _prepare_all(data, save)
    seen = {}
    for split in SPLITS:
        _, rows = _read_csv(save / f"{split}.csv")
        seen[split] = {row["spk_id"] for row in rows}
        assert len(seen[split]) == 2
    assert not seen["train-clean-100"] & seen["dev-clean"]
    assert not seen["dev-clean"] & seen["test-clean"]


def test_quoting_round_trips(data, save):
    # Commas and quotes are not in LibriSpeech, but the CSV must not break
    # if a transcript ever contains them.
    trans = next((data / "dev-clean").rglob("*.trans.txt"))
    lines = trans.read_text(encoding="utf-8").splitlines()
    utt_id = lines[0].split(" ", 1)[0]
    lines[0] = f'{utt_id} HELLO, "WORLD" IT\'S'
    trans.write_text("\n".join(lines) + "\n", encoding="utf-8")
    prep.prepare_librispeech(data, save, dev_splits="dev-clean")
    _, rows = _read_csv(save / "dev-clean.csv")
    by_id = {row["ID"]: row for row in rows}
    assert by_id[utt_id]["wrd"] == 'HELLO, "WORLD" IT\'S'


def test_idempotent_second_call_does_not_rewrite(data, save, monkeypatch):
    _prepare_all(data, save)
    files = [save / f"{split}.csv" for split in SPLITS]
    files.append(save / prep.OPTS_FILE)
    before = {path: _stamp(path) for path in files}

    # Any scan would read audio headers; make that fail loudly.
    def no_scan(*args, **kwargs):
        raise AssertionError("data was rescanned on an identical call")

    monkeypatch.setattr(prep.soundfile, "info", no_scan)
    csvs = _prepare_all(data, save)
    assert {path: _stamp(path) for path in files} == before
    assert set(csvs) == set(SPLITS)


def test_regenerates_when_splits_change(data, save):
    prep.prepare_librispeech(data, save, dev_splits=["dev-clean"])
    assert not (save / "test-clean.csv").exists()
    dev_before = _stamp(save / "dev-clean.csv")

    prep.prepare_librispeech(data, save, dev_splits=["dev-clean"], te_splits=["test-clean"])
    assert (save / "test-clean.csv").is_file()
    assert _stamp(save / "dev-clean.csv") != dev_before
    opts = json.loads((save / prep.OPTS_FILE).read_text())
    assert opts["te_splits"] == ["test-clean"]


def test_regenerates_when_data_folder_changes(data, save, tmp_path):
    prep.prepare_librispeech(data, save, dev_splits=["dev-clean"])
    other = tmp_path / "LibriSpeechCopy"
    shutil.copytree(data, other)

    prep.prepare_librispeech(other, save, dev_splits=["dev-clean"])
    _, rows = _read_csv(save / "dev-clean.csv")
    assert rows
    for row in rows:
        assert Path(row["wav"]).parent.parent.parent == other / "dev-clean"


def test_crash_before_opts_record_does_not_fool_next_call(data, save, tmp_path, monkeypatch):
    prep.prepare_librispeech(data, save, dev_splits=["dev-clean"])
    other = tmp_path / "LibriSpeechCopy"
    shutil.copytree(data, other)

    # A run with new options dies after its CSVs but before its record.
    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(prep, "_atomic_write_text", crash)
    with pytest.raises(KeyboardInterrupt):
        prep.prepare_librispeech(other, save, dev_splits=["dev-clean"])
    monkeypatch.undo()

    # The CSV now describes `other`; the original options must not be
    # accepted as already prepared.
    prep.prepare_librispeech(data, save, dev_splits=["dev-clean"])
    _, rows = _read_csv(save / "dev-clean.csv")
    for row in rows:
        assert Path(row["wav"]).parent.parent.parent == data / "dev-clean"


def test_regenerates_when_csv_missing(data, save):
    _prepare_all(data, save)
    (save / "dev-clean.csv").unlink()
    _prepare_all(data, save)
    _, rows = _read_csv(save / "dev-clean.csv")
    assert len(rows) == SPLITS["dev-clean"]


def test_stale_csvs_without_opts_are_regenerated(data, save):
    save.mkdir()
    (save / "dev-clean.csv").write_text("ID,duration\nhalf")
    prep.prepare_librispeech(data, save, dev_splits=["dev-clean"])
    header, rows = _read_csv(save / "dev-clean.csv")
    assert header == HEADER
    assert len(rows) == SPLITS["dev-clean"]


def test_interrupted_write_leaves_no_csv(data, save, monkeypatch):
    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(prep.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        prep.prepare_librispeech(data, save, dev_splits=["dev-clean"])
    monkeypatch.undo()

    # Neither a partial CSV, nor temp debris, nor an options record.
    assert sorted(p.name for p in save.iterdir()) == []
    prep.prepare_librispeech(data, save, dev_splits=["dev-clean"])
    _, rows = _read_csv(save / "dev-clean.csv")
    assert len(rows) == SPLITS["dev-clean"]


def test_skip_prep(data, save):
    out = prep.prepare_librispeech(data, save, ["dev-clean"], skip_prep=True)
    assert out == {}
    assert not save.exists()


def test_missing_split_folder(data, save):
    with pytest.raises(FileNotFoundError) as err:
        prep.prepare_librispeech(data, save, te_splits=["test-other"])
    msg = str(err.value)
    assert str(data / "test-other") in msg
    assert "'test-other'" in msg
    assert not (save / "test-other.csv").exists()


def _utterances(split_dir):
    """``(trans_file, utt_id)`` of every utterance of a split, in order."""
    return [
        (trans, line.split(" ", 1)[0])
        for trans in sorted(split_dir.rglob("*.trans.txt"))
        for line in trans.read_text(encoding="utf-8").splitlines()
    ]


def _replace_transcript(trans, utt_id, words):
    lines = trans.read_text(encoding="utf-8").splitlines()
    lines = [f"{utt_id} {words}".strip() if line.split(" ", 1)[0] == utt_id else line for line in lines]
    trans.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _break_one_of_each(split_dir):
    """One utterance per problem kind; returns {utt_id: expected problem}."""
    import numpy

    utts = _utterances(split_dir)
    assert len(utts) >= 10
    audio = lambda i: utts[i][0].parent / f"{utts[i][1]}.flac"  # noqa: E731
    expected = {}
    audio(0).unlink()
    expected[utts[0][1]] = "missing"
    audio(1).write_bytes(b"not a flac file")
    expected[utts[1][1]] = "unreadable"
    soundfile.write(audio(2), numpy.zeros((0, 1)), 16000, format="WAV")  # header only
    expected[utts[2][1]] = "zero-length"
    soundfile.write(audio(3), numpy.zeros(16000), 16000, format="FLAC")
    expected[utts[3][1]] = "silent"
    # NaN needs float samples: a float WAV under the .flac name.
    nan = numpy.full(16000, numpy.nan, dtype="float32")
    soundfile.write(audio(4), nan, 16000, format="WAV", subtype="FLOAT")
    expected[utts[4][1]] = "non-finite"
    tone = 0.1 * numpy.sin(numpy.arange(8000) / 5.0)
    soundfile.write(audio(5), tone, 8000, format="FLAC")
    expected[utts[5][1]] = "wrong-rate"
    soundfile.write(audio(6), numpy.stack([tone, tone], 1), 16000, format="FLAC")
    expected[utts[6][1]] = "multi-channel"
    _replace_transcript(utts[7][0], utts[7][1], "")
    expected[utts[7][1]] = "empty-text"
    _replace_transcript(utts[8][0], utts[8][1], "CAFÉ AU LAIT")
    expected[utts[8][1]] = "non-ascii-text"
    # The same id listed twice (a second line in the same transcript).
    with open(utts[9][0], "a", encoding="utf-8") as out:
        out.write(f"{utts[9][1]} A SECOND LINE\n")
    expected[utts[9][1] + "#2"] = "duplicate-id"
    return expected


def test_bad_data_is_reported_and_skipped(tmp_path, save, caplog):
    data = make_tiny_librispeech(tmp_path / "LibriSpeech", splits={"train-clean-100": 12})
    expected = _break_one_of_each(data / "train-clean-100")
    listed = len(_utterances(data / "train-clean-100"))
    prep.prepare_librispeech(data, save, tr_splits=["train-clean-100"], check_audio_content=True)
    _, rows = _read_csv(save / "train-clean-100.csv")
    kept = {row["ID"] for row in rows}
    with open(save / "train-clean-100_problems.csv", newline="", encoding="utf-8") as fin:
        problems = list(csv.DictReader(fin))
    reported = {(p["ID"], p["problem"]) for p in problems}
    for utt_id, problem in expected.items():
        assert (utt_id.split("#")[0], problem) in reported, problem
    # Rate and channels are converted at load time: kept. The rest: skipped.
    converted = {u for u, p in expected.items() if p in ("wrong-rate", "multi-channel")}
    dropped = {u for u, p in expected.items() if u not in converted and "#" not in u}
    assert converted <= kept and not (dropped & kept)
    assert len(rows) == listed - 1 - len(dropped)  # the duplicate line adds one
    assert all(p["file"].endswith(".flac") for p in problems)
    assert (
        "8 of 13 examples skipped (duplicate-id: 1, empty-text: 1, missing: 1, non-ascii-text: 1, non-finite: 1, silent: 1, unreadable: 1, zero-length: 1)"
        in caplog.text
    )
    assert "1 kept with multi-channel, 1 kept with wrong-rate" in caplog.text


def test_bad_data_stops_with_the_file_named(data, save):
    from speechbrain_listen.data.checks import DataError

    (trans, utt_id), *_ = _utterances(data / "dev-clean")
    missing = trans.parent / f"{utt_id}.flac"
    missing.unlink()
    with pytest.raises(DataError) as err:
        prep.prepare_librispeech(data, save, dev_splits=["dev-clean"], on_bad_data="stop")
    assert str(missing) in str(err.value) and "missing" in str(err.value)
    assert not (save / "dev-clean.csv").exists()


def test_content_checks_are_optional(data, save):
    (trans, utt_id), *_ = _utterances(data / "test-clean")
    import numpy

    soundfile.write(trans.parent / f"{utt_id}.flac", numpy.zeros(16000), 16000, format="FLAC")
    prep.prepare_librispeech(data, save, te_splits=["test-clean"])
    _, rows = _read_csv(save / "test-clean.csv")
    assert utt_id in {row["ID"] for row in rows}  # silence not looked for
    assert not (save / "test-clean_problems.csv").exists()


def test_cli(data, save):
    prep.main([str(data), str(save), "--splits", "dev-clean", "test-clean"])
    opts = json.loads((save / prep.OPTS_FILE).read_text())
    assert opts["dev_splits"] == ["dev-clean"]
    assert opts["te_splits"] == ["test-clean"]
    assert opts["tr_splits"] == []
    for split in ("dev-clean", "test-clean"):
        assert (save / f"{split}.csv").is_file()


def test_tiny_corpus_is_deterministic(tmp_path):
    a = make_tiny_librispeech(tmp_path / "a", splits={"dev-clean": 3}, seed=3)
    b = make_tiny_librispeech(tmp_path / "b", splits={"dev-clean": 3}, seed=3)
    c = make_tiny_librispeech(tmp_path / "c", splits={"dev-clean": 3}, seed=4)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes()
    differs = [(a / rel).read_bytes() != (c / rel).read_bytes() for rel in files_a]
    assert any(differs)
