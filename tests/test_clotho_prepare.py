"""recipes/Clotho/clotho_prepare.py on hand-made Clotho v2.1 folders."""

import csv
import os
import pathlib
import sys
import time

import numpy as np
import pytest
import soundfile

RECIPE = pathlib.Path(__file__).resolve().parents[1] / "recipes" / "Clotho"
sys.path.insert(0, str(RECIPE))

from clotho_prepare import (  # noqa: E402
    CSV_HEADER,
    load_manifest,
    prepare_clotho,
    read_captions_csv,
)

# Captions that a naive CSV writer or SpeechBrain's $-substituting loader
# would break: commas, double quotes, a "$" pattern, unicode, a newline.
ODD_CAPTIONS = [
    'A man says "hello, there" twice, then leaves.',
    "It's $5 for the \u201cfancy\u201d caf\u00e9 \u2014 people chat.",
    "Commas, commas, and more commas; a semicolon.",
    "A line\nbreak inside a caption.",
    "'Single quotes' and a back\\slash.",
]
HEADER = ["file_name"] + [f"caption_{n}" for n in range(1, 6)]


def write_clotho(root, splits, sample_rate=44100):
    """A Clotho v2.1 folder: {split: [(file_name, [5 captions], seconds)]}."""
    root = pathlib.Path(root)
    for split, clips in splits.items():
        (root / split).mkdir(parents=True, exist_ok=True)
        with open(root / f"clotho_captions_{split}.csv", "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(HEADER)
            for name, captions, seconds in clips:
                writer.writerow([name, *captions])
                audio = 0.1 * np.sin(np.arange(int(seconds * sample_rate)) / 10.0)
                soundfile.write(str(root / split / name), audio, sample_rate, subtype="PCM_16")
    return root


def caps(tag):
    return [f"{tag} caption number {n}." for n in range(1, 6)]


@pytest.fixture
def clotho(tmp_path):
    return write_clotho(
        tmp_path / "clotho",
        {
            "development": [
                ("Night frogs, (loud) & rain.wav", ODD_CAPTIONS, 1.5),
                ("b.wav", caps("b"), 2.0),
            ],
            "validation": [("c.wav", caps("c"), 1.0)],
            # Same file name as in development: IDs must still differ.
            "evaluation": [("b.wav", caps("e"), 3.0), ("d e.wav", caps("d"), 2.5)],
        },
    )


def test_manifests_keep_all_five_captions_verbatim(clotho, tmp_path):
    csvs = prepare_clotho(clotho, tmp_path / "save")
    assert sorted(csvs) == ["development", "evaluation", "validation"]
    with open(csvs["development"], encoding="utf-8", newline="") as fin:
        assert next(csv.reader(fin)) == list(CSV_HEADER)
    dev = load_manifest(csvs["development"])
    odd = dev["development/Night frogs, (loud) & rain"]
    assert odd["references"] == ODD_CAPTIONS  # quotes, $, unicode, newline survive
    assert odd["file_name"] == "Night frogs, (loud) & rain.wav"
    assert odd["duration"] == pytest.approx(1.5)
    assert os.path.isfile(odd["wav"]) and os.path.isabs(odd["wav"])
    ev = load_manifest(csvs["evaluation"])
    assert sorted(ev) == ["evaluation/b", "evaluation/d e"]
    assert ev["evaluation/b"]["references"] == caps("e")
    assert set(ev).isdisjoint(dev)


def test_manifest_survives_speechbrain_dataset(clotho, tmp_path):
    """The captions come out of a DynamicItemDataset exactly as written."""
    import speechbrain as sb

    csvs = prepare_clotho(clotho, tmp_path / "save")
    dataset = sb.dataio.dataset.DynamicItemDataset(load_manifest(csvs["development"]))
    dataset.set_output_keys(["id", "references"])
    items = {item["id"]: item["references"] for item in dataset}
    assert items["development/Night frogs, (loud) & rain"] == ODD_CAPTIONS
    # SpeechBrain's own CSV loader would not survive "$5": why load_manifest exists.
    with pytest.raises(KeyError):
        sb.dataio.dataio.load_data_csv(csvs["development"])


def test_idempotent_and_rebuilt_when_captions_change(clotho, tmp_path):
    save = tmp_path / "save"
    csvs = prepare_clotho(clotho, save)
    stamp = csvs["development"].stat().st_mtime_ns
    time.sleep(0.01)
    prepare_clotho(clotho, save)
    assert csvs["development"].stat().st_mtime_ns == stamp  # not rewritten

    # A corrected captions file is picked up.
    rows = read_captions_csv(clotho / "clotho_captions_validation.csv")
    with open(clotho / "clotho_captions_validation.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerow([rows[0][0], "Corrected caption.", *rows[0][1][1:]])
    prepare_clotho(clotho, save)
    assert load_manifest(csvs["validation"])["validation/c"]["references"][0] == "Corrected caption."


def test_missing_captions_file_is_named(clotho, tmp_path):
    os.remove(clotho / "clotho_captions_evaluation.csv")
    with pytest.raises(FileNotFoundError, match="clotho_captions_evaluation.csv"):
        prepare_clotho(clotho, tmp_path / "save")
    # Asking only for the splits that exist works.
    assert sorted(prepare_clotho(clotho, tmp_path / "save", splits=["development"])) == ["development"]


def test_missing_audio_folder_and_file_are_named(clotho, tmp_path):
    from speechbrain_listen.data.checks import DataError

    os.remove(clotho / "evaluation" / "d e.wav")
    with pytest.raises(DataError, match="d e.wav.*missing"):
        prepare_clotho(clotho, tmp_path / "save", on_bad_data="stop")
    # Skipped by default: the other clip of the split stays.
    prepare_clotho(clotho, tmp_path / "save_skip")
    assert [
        row["file_name"] for row in load_manifest(tmp_path / "save_skip" / "evaluation.csv").values()
    ] == ["b.wav"]
    for f in (clotho / "validation").iterdir():
        f.unlink()
    (clotho / "validation").rmdir()
    with pytest.raises(FileNotFoundError, match="audio folder .*validation"):
        prepare_clotho(clotho, tmp_path / "save2", splits=["validation"])


def test_missing_column_is_named(clotho, tmp_path):
    path = clotho / "clotho_captions_validation.csv"
    path.write_text("file_name,caption_1,caption_2,caption_3,caption_4\nc.wav,a,b,c,d\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"caption_5.*|.*caption_5") as err:
        prepare_clotho(clotho, tmp_path / "save")
    assert "clotho_captions_validation.csv" in str(err.value)


def test_bad_clips_are_reported_and_skipped(tmp_path, caplog):
    root = write_clotho(
        tmp_path / "clotho",
        {"development": [(f"{n}.wav", caps(n), 1.0) for n in "abcdefg"]},
    )
    dev = root / "development"
    soundfile.write(str(dev / "b.wav"), np.zeros(44100), 44100, subtype="PCM_16")  # silent
    (dev / "c.wav").write_bytes(b"RIFF broken")  # unreadable
    tone = 0.1 * np.sin(np.arange(16000) / 10.0)
    soundfile.write(str(dev / "d.wav"), tone, 16000, subtype="PCM_16")  # other rate: kept
    soundfile.write(str(dev / "e.wav"), np.stack([tone, tone], 1), 44100)  # stereo: kept
    captions_file = root / "clotho_captions_development.csv"
    text = captions_file.read_text(encoding="utf-8")
    text = text.replace("f caption number 3.", "")  # an empty caption
    text += "a.wav," + ",".join(caps("again")) + "\n"  # a file listed twice
    captions_file.write_text(text, encoding="utf-8")

    prepare_clotho(root, tmp_path / "save", splits=["development"], check_audio_content=True)
    kept = sorted(row["file_name"] for row in load_manifest(tmp_path / "save" / "development.csv").values())
    assert kept == ["a.wav", "d.wav", "e.wav", "g.wav"]
    with open(tmp_path / "save" / "development_problems.csv", newline="", encoding="utf-8") as fin:
        problems = {(row["ID"], row["problem"]) for row in csv.DictReader(fin)}
    assert problems == {
        ("b.wav", "silent"),
        ("c.wav", "unreadable"),
        ("d.wav", "wrong-rate"),
        ("e.wav", "multi-channel"),
        ("f.wav", "empty-text"),
        ("a.wav", "duplicate-id"),
    }
    assert "4 of 8 examples skipped" in caplog.text
    # The first copy of a.wav keeps its own captions.
    first = [
        r for r in load_manifest(tmp_path / "save" / "development.csv").values() if r["file_name"] == "a.wav"
    ]
    assert first[0]["references"] == caps("a")


def test_byte_order_mark_and_spaced_header(tmp_path):
    """Spreadsheet exports: a BOM and spaces around column names."""
    path = tmp_path / "clotho_captions_x.csv"
    path.write_text(
        "\ufefffile_name, caption_1, caption_2, caption_3, caption_4, caption_5\n"
        "a.wav,  One.  ,Two.,Three.,Four.,Five.\n",
        encoding="utf-8",
    )
    assert read_captions_csv(path) == [("a.wav", ["One.", "Two.", "Three.", "Four.", "Five."])]


def test_skip_prep(tmp_path):
    assert prepare_clotho(tmp_path / "nothing", tmp_path / "save", skip_prep=True) == {}
    with pytest.raises(FileNotFoundError, match="data folder"):
        prepare_clotho(tmp_path / "nothing", tmp_path / "save")
