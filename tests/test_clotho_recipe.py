"""End-to-end: recipes/Clotho/train.py on tiny local models and a tiny corpus.

The hparams files under test are the recipe's own (paper scale and offline
small); only model sources, the data folder and (for speed) sizes are
overridden. The corpus is a tiny synthetic Clotho in the real layout.
"""

import csv
import json
import pathlib
import shutil
import subprocess
import sys

import pytest
import torch

from listen_offline.synthetic.clotho import generate_clotho
from speechbrain_listen.scoring.captioning import spice_unavailable_reason

RECIPE = pathlib.Path(__file__).resolve().parents[1] / "recipes" / "Clotho"
sys.path.insert(0, str(RECIPE))

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="captioning metrics need Java")

SIZES = {"development": 4, "validation": 2, "evaluation": 3}
SMALL = [
    "--qformer_hidden_size=32",
    "--qformer_heads=2",
    "--qformer_intermediate_size=64",
    "--max_new_tokens=6",
    "--num_workers=0",
    "--pool_size=20",
    "--num_prompts=8",
]
DEBUG = ["--debug", "--debug_batches=1", "--debug_epochs=1"]


@pytest.fixture(scope="module")
def tiny_clotho(tmp_path_factory):
    return generate_clotho(
        tmp_path_factory.mktemp("synthetic"),
        seed=1,
        sizes=SIZES,
        min_seconds=2.0,
        max_seconds=3.0,
        with_voices=False,
    )


@pytest.fixture(scope="module")
def model_overrides(tiny_whisper_dir, tiny_beats_ckpt, tiny_llm_dir, tiny_clotho):
    return [
        f"--data_folder={tiny_clotho}",
        f"--whisper_source={tiny_whisper_dir}",
        f"--beats_checkpoint={tiny_beats_ckpt}",
        f"--llm_source={tiny_llm_dir}",
    ]


def run_recipe(hparams, overrides, output, cwd):
    cmd = [
        sys.executable,
        str(RECIPE / "train.py"),
        str(RECIPE / "hparams" / hparams),
        f"--output_folder={output}",
        *overrides,
    ]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def read_captions(path):
    with open(path, encoding="utf-8", newline="") as fin:
        return list(csv.DictReader(fin))


def test_paper_yaml_one_debug_step(model_overrides, tiny_clotho, tmp_path):
    """hparams/listen.yaml with models swapped: per-clip captions + metric summary."""
    output = tmp_path / "out"
    # --debug_persistently: keep the checkpoint in save/ to check its meta.
    out = run_recipe(
        "listen.yaml", model_overrides + SMALL + DEBUG + ["--debug_persistently"], output, tmp_path
    )
    assert "pool keys" in out

    rows = read_captions(output / "captions_evaluation.csv")
    with open(tiny_clotho / "clotho_captions_evaluation.csv", encoding="utf-8", newline="") as fin:
        truth = {row["file_name"]: [row[f"caption_{n}"] for n in range(1, 6)] for row in csv.DictReader(fin)}
    # Every evaluation clip, each with all five references and a hypothesis.
    assert len(rows) == SIZES["evaluation"]
    for row in rows:
        name = row["ID"].split("/", 1)[1] + ".wav"
        assert row["ID"].startswith("evaluation/")
        assert [row[f"reference_{n}"] for n in range(1, 6)] == truth[name]
        assert "hypothesis" in row and float(row["CIDEr-D"]) >= 0
        assert "SPICE" not in row or spice_unavailable_reason() is None

    summary = json.loads((output / "captions_evaluation_summary.json").read_text())
    for name in ("BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr-D"):
        assert isinstance(summary[name], float) and summary[name] >= 0, name
    assert summary["clips"] == SIZES["evaluation"]
    reason = spice_unavailable_reason()
    if reason is not None:  # this workplace: no CoreNLP jars
        assert summary["SPICE"] is None and summary["SPIDEr"] is None
        assert summary["unavailable"]["SPICE"] == reason
    assert (output / "captions_evaluation.txt").exists()
    usage = json.loads((output / "captions_evaluation_prompt_usage.json").read_text())
    assert usage["inputs"] == SIZES["evaluation"] and len(usage["counts"]) == 20  # M = pool size

    log = (output / "train_log.txt").read_text()
    assert "valid CIDEr-D" in log and "valid METEOR" in log
    assert "test CIDEr-D" in log
    if reason is not None:
        assert "test SPICE: unavailable" in log and "test SPIDEr: unavailable" in log
    # The checkpoint is kept by its validation CIDEr-D.
    ckpt_meta = "\n".join(p.read_text() for p in (output / "save").glob("CKPT+*/CKPT.yaml"))
    assert "CIDEr-D" in ckpt_meta and "WER" not in ckpt_meta


def test_small_yaml_one_debug_step(model_overrides, tmp_path):
    """hparams/listen_small.yaml (offline default) with tiny models: the
    feature cache fills and the captions are scored."""
    overrides = [o for o in model_overrides if not o.startswith("--beats_checkpoint")]
    run_recipe(
        "listen_small.yaml",
        overrides
        + DEBUG
        + [
            f"--feature_cache_dir={tmp_path / 'cache'}",
            "--max_new_tokens=4",
            "--whisper_seconds=3",
        ],  # fmt: skip
        tmp_path / "out",
        tmp_path,
    )
    cached = list((tmp_path / "cache").glob("*/*.pt"))
    assert 0 < len(cached) <= sum(SIZES.values())
    summary = json.loads((tmp_path / "out" / "captions_evaluation_summary.json").read_text())
    assert summary["clips"] == SIZES["evaluation"] and summary["CIDEr-D"] >= 0
    params = json.loads((tmp_path / "out" / "trainable_parameters.json").read_text())
    assert params["pool keys"] == params["pool values"] > 0


@pytest.mark.parametrize("adaptation", ["soft_prompt", "lora"])
def test_baselines_by_the_adaptation_switch(adaptation, model_overrides, tmp_path):
    """The same hparams file trains the paper's baselines: only the
    ``adaptation`` override changes what trains (tiny LLM width 32)."""
    overrides = [o for o in model_overrides if not o.startswith("--beats_checkpoint")]
    output = tmp_path / "out"
    run_recipe(
        "listen_small.yaml",
        overrides
        + DEBUG
        + [
            f"--adaptation={adaptation}",
            "--feature_cache_dir=null",
            "--max_new_tokens=4",
            "--whisper_seconds=3",
        ],
        output,
        tmp_path,
    )
    summary = json.loads((output / "captions_evaluation_summary.json").read_text())
    assert summary["clips"] == SIZES["evaluation"]
    params = json.loads((output / "trainable_parameters.json").read_text())
    assert params["pool keys"] == params["pool values"] == 0
    usage = output / "captions_evaluation_prompt_usage.json"
    if adaptation == "soft_prompt":
        assert params["soft prompt"] == 16 * 32 and params["LoRA"] == 0  # L = N = 16
        assert len(json.loads(usage.read_text())["counts"]) == 16
    else:
        assert params["LoRA"] > 0 and params["soft prompt"] == 0
        assert not usage.exists()  # no prompts to count


def test_pipelines_draw_targets_and_keep_references(tiny_clotho, tmp_path):
    """Training draws among the five captions; evaluation keeps all five."""
    import importlib.util

    import speechbrain as sb
    from clotho_prepare import prepare_clotho

    # By path: ``import train`` would find whichever recipe's train.py another
    # test module put first on sys.path (the LibriSpeech one, say).
    spec = importlib.util.spec_from_file_location("clotho_train", RECIPE / "train.py")
    clotho_train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(clotho_train)
    dataio_prepare = clotho_train.dataio_prepare

    save = tmp_path / "save"
    prepare_clotho(tiny_clotho, save)
    hparams = {
        "save_folder": str(save),
        "train_splits": ["development"],
        "valid_splits": ["validation"],
        "test_splits": ["evaluation"],
        "sorting": "random",
        "min_duration": 1.0,
        "max_duration": 2.5,
        "sample_rate": 16000,
        "train_instructions": ["describe A", "describe B"],
        "test_instruction": "Please describe the audio.",
    }
    train, valid, tests = dataio_prepare(hparams)
    torch.manual_seed(0)
    item = train[0]
    references = train.data[item["id"]]["references"]
    draws = {train[0]["target"] for _ in range(40)}
    assert draws <= set(references) and len(draws) >= 3  # a new draw per visit
    assert {train[0]["instruction"] for _ in range(20)} == {"describe A", "describe B"}
    assert item["sig"].shape[0] <= int(2.5 * 16000)  # cut to max_duration

    batch = sb.dataio.batch.PaddedBatch([tests["evaluation"][i] for i in range(2)])
    assert len(batch.references) == 2
    assert all(isinstance(refs, list) and len(refs) == 5 for refs in batch.references)
    assert batch.target == [refs[0] for refs in batch.references]
    assert set(batch.instruction) == {"Please describe the audio."}
    assert len(tests["evaluation"]) == SIZES["evaluation"]  # nothing filtered out


def test_trivial_baseline(tmp_path):
    """The most frequent training caption, scored on every evaluation clip."""
    import numpy as np
    import soundfile
    from trivial_caption_baseline import main as baseline_main

    root = tmp_path / "clotho"
    clips = {
        "development": [
            ("a.wav", ["A dog barks.", "Rain falls.", "A dog barks", "Wind blows.", "x y."]),
            ("b.wav", ["a dog, barks", "Rain falls.", "Birds sing.", "Cars pass.", "z."]),
        ],
        "evaluation": [
            ("c.wav", ["A dog barks loudly.", "A dog is barking.", "Dogs bark.", "A dog.", "Barking."]),
            ("d.wav", ["Rain falls on the roof.", "It rains.", "Rain.", "Water drips.", "Rain falls."]),
        ],
    }
    for split, rows in clips.items():
        (root / split).mkdir(parents=True)
        with open(root / f"clotho_captions_{split}.csv", "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["file_name"] + [f"caption_{n}" for n in range(1, 6)])
            for name, captions in rows:
                writer.writerow([name, *captions])
                soundfile.write(str(root / split / name), np.zeros(16000), 16000)
    results = baseline_main([f"--data_folder={root}", f"--output_folder={tmp_path / 'out'}",
                             "--metrics", "BLEU", "ROUGE_L", "CIDEr-D", "SPICE"])  # fmt: skip
    summary = results["evaluation"]
    # "A dog barks" (3 references after normalisation) beats "Rain falls" (2).
    assert summary["caption"] == "A dog barks." and summary["caption_count"] == 3
    assert summary["clips"] == 2 and summary["train_references"] == 10
    assert summary["ROUGE_L"] > 0 and summary["BLEU_1"] > 0
    if spice_unavailable_reason() is not None:
        assert summary["SPICE"] is None and "SPICE" in summary["unavailable"]
    rows = read_captions(tmp_path / "out" / "baseline_evaluation.csv")
    assert [row["hypothesis"] for row in rows] == ["A dog barks.", "A dog barks."]
    by_id = {row["ID"]: float(row["ROUGE_L"]) for row in rows}
    assert by_id["evaluation/c"] > by_id["evaluation/d"] == 0.0
    saved = json.loads((tmp_path / "out" / "baseline_evaluation_summary.json").read_text())
    assert saved["CIDEr-D"] == pytest.approx(summary["CIDEr-D"])
