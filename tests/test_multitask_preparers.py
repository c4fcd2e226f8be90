"""The multitask recipe's dataset preparers on tiny corpora in the real layouts.

LibriSQA Part I (+ LibriSpeech audio), IEMOCAP_full_release, VoxCeleb1
(wav/ + veri_test2.txt) and Common Voice + CoVoST 2 are each rebuilt here
with a few seconds of synthetic audio, in the folder and file formats of
the releases, and the manifests are checked row by row.
"""

import csv
import json
import os
import pathlib
import sys
import time
import zlib

import numpy as np
import pytest
import soundfile

RECIPE = pathlib.Path(__file__).resolve().parents[1] / "recipes" / "Multitask"
sys.path.insert(0, str(RECIPE))

from covost_prepare import prepare_covost, read_covost_table  # noqa: E402
from iemocap_prepare import EMOTION_CLASSES, EMOTION_WORDS, prepare_iemocap  # noqa: E402
from librisqa_prepare import prepare_librisqa  # noqa: E402
from voxceleb_prepare import prepare_voxceleb_pairs  # noqa: E402

from speechbrain_listen.data.checks import DataError  # noqa: E402
from speechbrain_listen.tasks.manifest import FIELDS, PAIR_GAP_SECONDS, read_manifest  # noqa: E402

RATE = 16000


def write_tone(path, seconds, rate=RATE, fmt=None):
    """A quiet sine with a little noise: readable, not silent, not NaN."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = int(round(seconds * rate))
    rng = np.random.default_rng(zlib.crc32(str(path).encode()))
    audio = 0.1 * np.sin(2 * np.pi * 220 * np.arange(n) / rate) + 0.01 * rng.standard_normal(n)
    soundfile.write(
        str(path), audio.astype("float32"), rate, format=fmt, subtype=None if fmt == "MP3" else "PCM_16"
    )
    return path


def problems_of(csv_file):
    """{(ID, problem)} of a ``*_problems.csv`` ({} when the file is absent)."""
    if not os.path.isfile(csv_file):
        return set()
    with open(csv_file, newline="", encoding="utf-8") as fin:
        return {(row["ID"], row["problem"], row["file"]) for row in csv.DictReader(fin)}


def header_of(csv_file):
    with open(csv_file, newline="", encoding="utf-8") as fin:
        return next(csv.reader(fin))


def assert_idempotent(prepare, manifests):
    """A second identical call touches no manifest."""
    stamps = {role: os.stat(path).st_mtime_ns for role, path in manifests.items()}
    time.sleep(0.01)
    again = prepare()
    assert again == manifests
    assert {role: os.stat(path).st_mtime_ns for role, path in again.items()} == stamps


# --------------------------------------------------------------------------
# LibriSQA Part I
# --------------------------------------------------------------------------

TRAIN_UTTERANCES = {
    # stem: (split on disk, seconds)
    "103-1240-0000": ("train-clean-360", 1.0),
    "103-1240-0001": ("train-clean-360", 1.5),
    "19-198-0000": ("train-clean-100", 0.5),
    "19-198-0001": ("train-clean-100", 0.75),
    "26-495-0000": ("train-clean-100", 1.25),
    "26-495-0001": ("train-clean-100", 0.6),
    "32-4137-0000": ("train-clean-360", 0.8),
    "32-4137-0001": ("train-clean-360", 1.1),
}


def librispeech_file(root, stem, split):
    speaker, chapter, _ = stem.split("-")
    return pathlib.Path(root) / split / speaker / chapter / f"{stem}.flac"


@pytest.fixture
def librisqa(tmp_path):
    """(LibriSQA folder, LibriSpeech folder) in the release layouts."""
    ls = tmp_path / "LibriSpeech"
    for stem, (split, seconds) in TRAIN_UTTERANCES.items():
        write_tone(librispeech_file(ls, stem, split), seconds, fmt="FLAC")
    write_tone(librispeech_file(ls, "61-70968-0000", "test-clean"), 0.9, fmt="FLAC")
    write_tone(librispeech_file(ls, "61-70968-0001", "test-clean"), 1.2, fmt="FLAC")

    train = []
    for n, (stem, (split, _)) in enumerate(TRAIN_UTTERANCES.items()):
        speaker, chapter, _ = stem.split("-")
        relative = f"{split}/{speaker}/{chapter}/{stem}.flac"
        if n == 1:  # an absolute path from the authors' machine
            path = f"/home/authors/data/LibriSpeech/{relative}"
        elif n == 2:  # a split this copy of LibriSpeech does not have
            path = f"train-other-500/{speaker}/{chapter}/{stem}.flac"
        else:
            path = relative
        train.append(
            {
                "speech_path": path,
                "question": f"What is said in {stem}?",
                "answer": f"Answer for {stem}.",
                "text": "SOME WORDS",
                "duration": 99.0,
            }
        )
    # A second question about the first utterance.
    train.append(
        {
            "speech_path": train[0]["speech_path"],
            "question": "And who speaks?",
            "answer": "A reader.",
            "text": "SOME WORDS",
            "duration": 99.0,
        }
    )
    test = [
        {
            "speech_path": "test-clean/61/70968/61-70968-0000.flac",
            "question": "Where?",
            "answer": "In the house.",
            "text": "X",
            "duration": 0.9,
        },
        {
            "speech_path": "test-clean/61/70968/61-70968-0001.flac",
            "question": "  ",
            "answer": "Nobody.",
            "text": "X",
            "duration": 1.2,
        },
        {
            "speech_path": "test-clean/61/70968/61-70968-0099.flac",
            "question": "When?",
            "answer": "Never.",
            "text": "X",
            "duration": 1.0,
        },
    ]
    folder = tmp_path / "LibriSQA" / "LibriSQA-PartI"
    folder.mkdir(parents=True)
    (folder / "LibriSQA-PartI-train.json").write_text(json.dumps(train), encoding="utf-8")
    (folder / "LibriSQA-PartI-test.json").write_text(json.dumps(test), encoding="utf-8")
    return tmp_path / "LibriSQA", ls


def test_librisqa_manifests(librisqa, tmp_path):
    data, ls = librisqa
    save = tmp_path / "save"
    csvs = prepare_librisqa(data, ls, save, valid_fraction=0.25, seed=0)
    assert sorted(csvs) == ["test", "train", "valid"]
    assert tuple(header_of(csvs["train"])) == FIELDS
    train, valid, test = (read_manifest(csvs[role]) for role in ("train", "valid", "test"))

    # Every train question lands in train or valid, never both.
    expected = {f"sqa-{stem}_q0" for stem in TRAIN_UTTERANCES} | {"sqa-103-1240-0000_q1"}
    assert set(train) | set(valid) == expected
    assert not set(train) & set(valid)
    # 2 of the 8 utterances held out, with all their questions.
    stem = lambda uid: uid[len("sqa-") :].rsplit("_q", 1)[0]  # noqa: E731
    assert len({stem(uid) for uid in valid}) == 2
    assert not {stem(uid) for uid in train} & {stem(uid) for uid in valid}

    everything = {**train, **valid}
    row = everything["sqa-103-1240-0000_q1"]
    assert (row["task"], row["target"], row["question"]) == ("sqa", "A reader.", "And who speaks?")
    assert row["wav2"] == "" and row["references"] == ["A reader."]
    # Durations come from the audio, not from the JSON's (wrong) 99.0.
    assert everything["sqa-103-1240-0001_q0"]["duration"] == pytest.approx(1.5, abs=1e-3)
    # The authors' absolute path and the wrong split are found by stem.
    assert everything["sqa-103-1240-0001_q0"]["wav"] == str(
        librispeech_file(ls, "103-1240-0001", "train-clean-360")
    )
    assert everything["sqa-19-198-0000_q0"]["wav"] == str(
        librispeech_file(ls, "19-198-0000", "train-clean-100")
    )

    # Test: the empty question and the missing audio are skipped and listed.
    assert list(test) == ["sqa-61-70968-0000_q0"]
    assert test["sqa-61-70968-0000_q0"]["target"] == "In the house."
    problems = {(uid, name) for uid, name, _ in problems_of(save / "sqa_test_problems.csv")}
    assert problems == {("61-70968-0001_q0", "empty-text"), ("61-70968-0099_q0", "missing")}
    assert not (save / "sqa_train_problems.csv").exists()


def test_librisqa_deterministic_and_idempotent(librisqa, tmp_path):
    data, ls = librisqa
    first = prepare_librisqa(data, ls, tmp_path / "a", valid_fraction=0.25, seed=3)
    second = prepare_librisqa(data, ls, tmp_path / "b", valid_fraction=0.25, seed=3)
    for role in first:
        assert pathlib.Path(first[role]).read_bytes() == pathlib.Path(second[role]).read_bytes()
    # The seed matters: four seeds do not all hold out the same utterances.
    held = {
        frozenset(
            read_manifest(
                prepare_librisqa(data, ls, tmp_path / f"s{seed}", valid_fraction=0.25, seed=seed)["valid"]
            )
        )
        for seed in range(4)
    }
    assert len(held) > 1
    assert_idempotent(lambda: prepare_librisqa(data, ls, tmp_path / "a", valid_fraction=0.25, seed=3), first)
    # Another option rewrites.
    stamp = os.stat(first["valid"]).st_mtime_ns
    time.sleep(0.01)
    prepare_librisqa(data, ls, tmp_path / "a", valid_fraction=0.5, seed=3)
    assert os.stat(first["valid"]).st_mtime_ns != stamp


def test_librisqa_errors_and_flat_layout(librisqa, tmp_path):
    data, ls = librisqa
    with pytest.raises(DataError, match="61-70968-0001.flac.*empty-text"):
        prepare_librisqa(data, ls, tmp_path / "stop", on_bad_data="stop")
    # The two JSON files directly in the data folder work too.
    flat = tmp_path / "flat"
    flat.mkdir()
    for name in ("LibriSQA-PartI-train.json", "LibriSQA-PartI-test.json"):
        (flat / name).write_bytes((data / "LibriSQA-PartI" / name).read_bytes())
    assert len(read_manifest(prepare_librisqa(flat, ls, tmp_path / "flat_save")["test"])) == 1
    os.remove(flat / "LibriSQA-PartI-test.json")
    with pytest.raises(FileNotFoundError, match="LibriSQA-PartI-test.json"):
        prepare_librisqa(flat, ls, tmp_path / "flat_save2")
    with pytest.raises(FileNotFoundError, match="LibriSpeech folder"):
        prepare_librisqa(data, tmp_path / "nowhere", tmp_path / "x")
    assert prepare_librisqa(tmp_path / "nowhere", ls, tmp_path / "x", skip_prep=True) == {}


# --------------------------------------------------------------------------
# IEMOCAP
# --------------------------------------------------------------------------

IEMOCAP_LABELS = {
    # session: {dialog: [(utterance suffix, label)]}
    1: {"Ses01F_impro01": [("F000", "neu"), ("F001", "exc"), ("M000", "xxx"), ("M001", "ang")]},
    2: {"Ses02M_script01_1": [("F000", "hap"), ("M000", "fru"), ("M001", "sad")]},
    3: {"Ses03F_impro02": [("F000", "sad"), ("M000", "neu")]},
    4: {"Ses04M_impro03": [("F000", "ang"), ("M000", "sur")]},
    5: {"Ses05F_script02_2": [("F000", "exc"), ("M000", "neu")]},
}


def write_iemocap(root, missing=()):
    """IEMOCAP_full_release with the labels above; ``missing`` wavs not written."""
    root = pathlib.Path(root)
    for session, dialogs in IEMOCAP_LABELS.items():
        labels = root / f"Session{session}" / "dialog" / "EmoEvaluation"
        labels.mkdir(parents=True)
        (labels / "Categorical").mkdir()  # the release's sub-folders are not label files
        for dialog, utterances in dialogs.items():
            lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
            for n, (suffix, label) in enumerate(utterances):
                utterance = f"{dialog}_{suffix}"
                lines += [
                    f"[{n * 3 + 0.5:.4f} - {n * 3 + 2.0:.4f}]\t{utterance}\t{label}\t[2.5000, 3.0000, 2.5000]",
                    "C-E1:\tNeutral;\t()",
                    "A-E3:\tval 3; act 2; dom  3;\t()",
                    "",
                ]
                if utterance not in missing:
                    write_tone(
                        root / f"Session{session}" / "sentences" / "wav" / dialog / f"{utterance}.wav",
                        0.5 + 0.25 * n,
                    )
            (labels / f"{dialog}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_iemocap_sessions_and_classes(tmp_path):
    root = write_iemocap(tmp_path / "IEMOCAP_full_release", missing={"Ses03F_impro02_M000"})
    save = tmp_path / "save"
    csvs = prepare_iemocap(root, save)
    train, valid, test = (read_manifest(csvs[role]) for role in ("train", "valid", "test"))
    targets = {uid: row["target"] for part in (train, valid, test) for uid, row in part.items()}
    # Sessions 1-3 train, 4 valid, 5 test; exc joins happy; xxx, fru, sur dropped.
    assert {uid: row["target"] for uid, row in train.items()} == {
        "emotion-Ses01F_impro01_F000": "neutral",
        "emotion-Ses01F_impro01_F001": "happy",
        "emotion-Ses01F_impro01_M001": "angry",
        "emotion-Ses02M_script01_1_F000": "happy",
        "emotion-Ses02M_script01_1_M001": "sad",
        "emotion-Ses03F_impro02_F000": "sad",
    }
    assert {uid: row["target"] for uid, row in valid.items()} == {"emotion-Ses04M_impro03_F000": "angry"}
    assert {uid: row["target"] for uid, row in test.items()} == {
        "emotion-Ses05F_script02_2_F000": "happy",
        "emotion-Ses05F_script02_2_M000": "neutral",
    }
    assert set(targets.values()) == set(EMOTION_CLASSES)
    assert EMOTION_WORDS["exc"] == EMOTION_WORDS["hap"] == "happy" and "xxx" not in EMOTION_WORDS
    row = train["emotion-Ses01F_impro01_F001"]
    assert row["task"] == "emotion" and row["duration"] == pytest.approx(0.75, abs=1e-3)
    assert row["wav"].endswith("Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F001.wav")
    # The missing wav is skipped and listed; dropped labels are not problems.
    problems = problems_of(save / "emotion_train_problems.csv")
    assert {(uid, name) for uid, name, _ in problems} == {("Ses03F_impro02_M000", "missing")}
    assert not (save / "emotion_valid_problems.csv").exists()

    assert_idempotent(lambda: prepare_iemocap(root, save), csvs)
    with pytest.raises(DataError, match="Ses03F_impro02_M000.wav"):
        prepare_iemocap(root, tmp_path / "stop", on_bad_data="stop")


def test_iemocap_other_split_and_errors(tmp_path):
    root = write_iemocap(tmp_path / "IEMOCAP_full_release")
    csvs = prepare_iemocap(root, tmp_path / "save", valid_session=1, test_session=2)
    assert {uid.split("_")[0] for uid in read_manifest(csvs["valid"])} == {"emotion-Ses01F"}
    assert {uid.split("_")[0] for uid in read_manifest(csvs["test"])} == {"emotion-Ses02M"}
    assert {uid.split("_")[0] for uid in read_manifest(csvs["train"])} == {
        "emotion-Ses03F",
        "emotion-Ses04M",
        "emotion-Ses05F",
    }
    with pytest.raises(ValueError, match="differ"):
        prepare_iemocap(root, tmp_path / "x", valid_session=5, test_session=5)
    for path in (root / "Session3" / "dialog" / "EmoEvaluation").glob("*.txt"):
        path.unlink()
    (root / "Session3" / "dialog" / "EmoEvaluation" / "Categorical").rmdir()
    (root / "Session3" / "dialog" / "EmoEvaluation").rmdir()
    with pytest.raises(FileNotFoundError, match="Session3/dialog/EmoEvaluation"):
        prepare_iemocap(root, tmp_path / "x")


# --------------------------------------------------------------------------
# VoxCeleb1
# --------------------------------------------------------------------------

TEST_SPEAKERS = ("id10270", "id10271")
DEV_SPEAKERS = tuple(f"id1000{n}" for n in range(1, 9))


def write_voxceleb(root):
    """wav/<speaker>/<video>/<clip>.wav for 8 dev and 2 test speakers + meta/veri_test2.txt."""
    wav = pathlib.Path(root) / "wav"
    for s, speaker in enumerate(DEV_SPEAKERS + TEST_SPEAKERS):
        # id10008 has one video only (three clips), the others two videos.
        videos = {"oneVideo_-x": 3} if speaker == "id10008" else {f"vid{s}-a_B": 2, f"vid{s}-c_D": 2}
        for v, (video, clips) in enumerate(videos.items()):
            for c in range(1, clips + 1):
                write_tone(wav / speaker / video / f"{c:05d}.wav", 0.5 + 0.2 * ((s + v + c) % 6))
    t0, t1 = ("id10270/vid8-a_B", "id10270/vid8-c_D"), ("id10271/vid9-a_B", "id10271/vid9-c_D")
    trials = [
        f"1 {t0[0]}/00001.wav {t0[1]}/00002.wav",
        f"0 {t0[0]}/00001.wav {t1[0]}/00001.wav",
        f"1 {t1[0]}/00002.wav {t1[1]}/00001.wav",
        f"0 {t0[1]}/00001.wav {t1[1]}/00002.wav",
        f"1 {t1[0]}/00001.wav {t1[0]}/00009.wav",  # a clip that is not there
        f"0 {t0[0]}/00002.wav {t1[0]}/00009.wav",  # ... used twice
    ]
    (pathlib.Path(root) / "meta").mkdir()
    (pathlib.Path(root) / "meta" / "veri_test2.txt").write_text("\n".join(trials) + "\n", encoding="utf-8")
    return pathlib.Path(root)


def speaker_of(wav):
    return pathlib.Path(wav).parts[-3]


def video_of(wav):
    return pathlib.Path(wav).parts[-2]


def seconds_of(wav):
    info = soundfile.info(wav)
    return info.frames / info.samplerate


@pytest.fixture
def voxceleb(tmp_path):
    return write_voxceleb(tmp_path / "VoxCeleb1")


def prepare_vox(root, save, **options):
    settings = dict(train_pairs=20, valid_pairs=6, valid_speakers_fraction=0.25, seed=0)
    settings.update(options)
    return prepare_voxceleb_pairs(root, save, **settings)


def test_voxceleb_pairs(voxceleb, tmp_path):
    save = tmp_path / "save"
    csvs = prepare_vox(voxceleb, save)
    train, valid, test = (read_manifest(csvs[role]) for role in ("train", "valid", "test"))
    assert (len(train), len(valid)) == (20, 6)
    for part in (train, valid):
        assert sum(row["target"] == "yes" for row in part.values()) == len(part) // 2
        for uid, row in part.items():
            assert uid.startswith("sv-") and row["task"] == "sv"
            same = speaker_of(row["wav"]) == speaker_of(row["wav2"])
            assert same == (row["target"] == "yes")
            if same and speaker_of(row["wav"]) != "id10008":
                assert video_of(row["wav"]) != video_of(row["wav2"])  # two recordings
            assert row["duration"] == pytest.approx(
                seconds_of(row["wav"]) + PAIR_GAP_SECONDS + seconds_of(row["wav2"]), abs=1e-3
            )
    speakers = {
        role: {speaker_of(r[k]) for r in part.values() for k in ("wav", "wav2")}
        for role, part in (("train", train), ("valid", valid))
    }
    assert not (speakers["train"] | speakers["valid"]) & set(TEST_SPEAKERS)
    assert not speakers["train"] & speakers["valid"] and len(speakers["valid"]) == 2

    # Test = the trial list, in order, minus the two trials of the missing clip,
    # which is listed once.
    assert [row["target"] for row in test.values()] == ["yes", "no", "yes", "no"]
    first = next(iter(test.values()))
    assert first["wav"].endswith("id10270/vid8-a_B/00001.wav") and first["wav2"].endswith(
        "id10270/vid8-c_D/00002.wav"
    )
    assert next(iter(test)) == "sv-id10270/vid8-a_B/00001+id10270/vid8-c_D/00002"
    assert problems_of(save / "sv_test_problems.csv") == {
        ("id10271/vid9-a_B/00009", "missing", str(voxceleb / "wav" / "id10271" / "vid9-a_B" / "00009.wav"))
    }
    assert_idempotent(lambda: prepare_vox(voxceleb, save), csvs)


def test_voxceleb_deterministic_subset_and_limits(voxceleb, tmp_path):
    a = prepare_vox(voxceleb, tmp_path / "a")
    b = prepare_vox(voxceleb, tmp_path / "b")
    for role in a:
        assert pathlib.Path(a[role]).read_bytes() == pathlib.Path(b[role]).read_bytes()
    c = prepare_vox(voxceleb, tmp_path / "c", seed=1)
    assert set(read_manifest(c["train"])) != set(read_manifest(a["train"]))

    subset = read_manifest(prepare_vox(voxceleb, tmp_path / "d", max_test_pairs=2)["test"])
    assert sorted(row["target"] for row in subset.values()) == ["no", "yes"]

    limited = prepare_vox(voxceleb, tmp_path / "e", max_pair_seconds=2.0)
    rows = list(read_manifest(limited["train"]).values())
    assert rows and all(row["duration"] <= 2.0 for row in rows)
    assert max(row["duration"] for row in read_manifest(a["train"]).values()) > 2.0  # the limit did bite

    with pytest.raises(DataError, match="00009.wav"):
        prepare_vox(voxceleb, tmp_path / "stop", on_bad_data="stop")
    os.remove(voxceleb / "meta" / "veri_test2.txt")
    with pytest.raises(FileNotFoundError, match="veri_test2.txt"):
        prepare_vox(voxceleb, tmp_path / "f")


def test_voxceleb_bad_clip_in_training_pool(tmp_path):
    root = tmp_path / "vox"
    wav = root / "wav"
    for c in (1, 2, 3):
        write_tone(wav / "id10001" / "v1" / f"{c:05d}.wav", 0.5)
    write_tone(wav / "id10002" / "v1" / "00001.wav", 0.5)
    write_tone(wav / "id10270" / "v1" / "00001.wav", 0.5)
    write_tone(wav / "id10270" / "v2" / "00001.wav", 0.5)
    bad = wav / "id10002" / "v1" / "00002.wav"
    bad.write_bytes(b"RIFF not really a wav")
    (root / "veri_test2.txt").write_text("1 id10270/v1/00001.wav id10270/v2/00001.wav\n", encoding="utf-8")
    csvs = prepare_voxceleb_pairs(root, tmp_path / "save", train_pairs=4, valid_pairs=0)
    train = read_manifest(csvs["train"])
    assert sorted(row["target"] for row in train.values()) == ["no", "no", "yes", "yes"]
    assert all(str(bad) not in (row["wav"], row["wav2"]) for row in train.values())
    assert problems_of(tmp_path / "save" / "sv_train_problems.csv") == {
        ("id10002/v1/00002", "unreadable", str(bad))
    }
    assert read_manifest(csvs["valid"]) == {}
    with pytest.raises(DataError, match="id10002/v1/00002.wav"):
        prepare_voxceleb_pairs(root, tmp_path / "stop", train_pairs=4, valid_pairs=0, on_bad_data="stop")


# --------------------------------------------------------------------------
# CoVoST 2 (Common Voice English)
# --------------------------------------------------------------------------


def mp3_supported():
    try:
        return "MP3" in soundfile.available_formats()
    except Exception:  # pragma: no cover - very old soundfile
        return False


def write_clip(path, seconds):
    """An MP3 clip as in Common Voice; WAV bytes under the .mp3 name where
    this libsndfile cannot encode MP3 (it reads by content, not by name)."""
    return write_tone(path, seconds, fmt="MP3" if mp3_supported() else "WAV")


COVOST_ROWS = [
    # path, translation, split
    ("common_voice_en_1.mp3", "你好。", "train"),
    ("common_voice_en_2.mp3", "谢谢你。", "train_covost"),
    ("common_voice_en_3.mp3", "再见。", "dev"),
    ("common_voice_en_4.mp3", "早上好。", "test"),
    ("common_voice_en_5.mp3", "", "test"),
    ("common_voice_en_6.mp3", "不见了。", "train"),  # no such clip
    ("common_voice_en_7.mp3", "其他。", "excluded"),
]
SENTENCES = {
    "common_voice_en_1.mp3": '"Hello, he said',  # a leading, unpaired quote
    "common_voice_en_2.mp3": "Thank you.",
    "common_voice_en_3.mp3": 'Good "bye".',
    "common_voice_en_4.mp3": "Good morning.",
    "common_voice_en_5.mp3": "Nothing.",
    "common_voice_en_7.mp3": "Other.",
}


@pytest.fixture
def common_voice(tmp_path):
    root = tmp_path / "cv-corpus-en"
    for n, name in enumerate(SENTENCES, start=1):
        write_clip(root / "clips" / name, 0.5 + 0.1 * n)
    lines = ["client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent"]
    lines += [f"c{n}\t{name}\t{text}\t2\t0\t\t\t" for n, (name, text) in enumerate(SENTENCES.items())]
    (root / "validated.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The CoVoST table as released: no sentence column, joined from validated.tsv.
    table = ["path\ttranslation\tsplit"] + ["\t".join(row) for row in COVOST_ROWS]
    (root / "covost_v2.en_zh-CN.tsv").write_text("\n".join(table) + "\n", encoding="utf-8")
    return root


def test_covost_manifests(common_voice, tmp_path):
    save = tmp_path / "save"
    csvs = prepare_covost(common_voice, save)
    train, valid, test = (read_manifest(csvs[role]) for role in ("train", "valid", "test"))
    assert {uid: row["target"] for uid, row in train.items()} == {
        "en2zh-common_voice_en_1": "你好。",
        "en2zh-common_voice_en_2": "谢谢你。",
    }  # train_covost -> train
    assert list(valid) == ["en2zh-common_voice_en_3"]  # dev -> valid
    assert list(test) == ["en2zh-common_voice_en_4"]
    row = train["en2zh-common_voice_en_2"]
    assert row["task"] == "en2zh" and row["wav"] == str(common_voice / "clips" / "common_voice_en_2.mp3")
    assert row["duration"] == pytest.approx(0.7, abs=0.06)  # MP3 frames may pad a little
    assert {(uid, name) for uid, name, _ in problems_of(save / "en2zh_train_problems.csv")} == {
        ("common_voice_en_6", "missing")
    }
    assert {(uid, name) for uid, name, _ in problems_of(save / "en2zh_test_problems.csv")} == {
        ("common_voice_en_5", "empty-text")
    }
    assert_idempotent(lambda: prepare_covost(common_voice, save), csvs)

    capped = read_manifest(prepare_covost(common_voice, tmp_path / "capped", max_train=1)["train"])
    assert list(capped) == ["en2zh-common_voice_en_1"]  # table order
    with pytest.raises(DataError, match="common_voice_en_6.mp3"):
        prepare_covost(common_voice, tmp_path / "stop", on_bad_data="stop")


def test_covost_sentence_join_and_errors(common_voice, tmp_path):
    table = dict(
        (row["path"], row)
        for _, row in read_covost_table(
            common_voice / "covost_v2.en_zh-CN.tsv", common_voice / "validated.tsv"
        )
    )
    # The unpaired quote does not swallow the next lines (quoting off).
    assert {path: row["sentence"] for path, row in table.items()} == {
        **SENTENCES,
        "common_voice_en_6.mp3": "",
    }
    assert table["common_voice_en_2.mp3"]["split"] == "train_covost"

    # A table elsewhere, with its own sentence column: validated.tsv not needed.
    other = tmp_path / "tables" / "covost.tsv"
    other.parent.mkdir()
    other.write_text(
        "path\tsentence\ttranslation\tclient_id\tsplit\n"
        'common_voice_en_3.mp3\tGood "bye.\t再见。\tc3\ttrain\n',
        encoding="utf-8",
    )
    os.remove(common_voice / "validated.tsv")
    csvs = prepare_covost(common_voice, tmp_path / "save", covost_tsv=other)
    assert list(read_manifest(csvs["train"])) == ["en2zh-common_voice_en_3"]
    assert read_manifest(csvs["test"]) == {}
    with pytest.raises(FileNotFoundError, match="validated.tsv"):
        prepare_covost(common_voice, tmp_path / "save2")
    with pytest.raises(FileNotFoundError, match="covost_v2.en_zh-CN.tsv"):
        prepare_covost(common_voice, tmp_path / "save3", covost_tsv=tmp_path / "covost_v2.en_zh-CN.tsv")
    with pytest.raises(ValueError, match="supported pairs"):
        prepare_covost(common_voice, tmp_path / "save4", target="de")
    other.write_text("path\tsentence\tsplit\na.mp3\tx\ttrain\n", encoding="utf-8")
    with pytest.raises(ValueError, match="translation"):
        prepare_covost(common_voice, tmp_path / "save5", covost_tsv=other)
