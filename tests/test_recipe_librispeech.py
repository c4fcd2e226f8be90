"""End-to-end: recipes/LibriSpeech/train.py on tiny local models and data.

The hparams files under test are the paper-scale ones; only model sources,
the data folder and (for speed) sizes are overridden.
"""

import json
import pathlib
import signal
import subprocess
import sys
import time
import zipfile

import pytest
import torch
from tiny_librispeech import make_tiny_librispeech

RECIPE = pathlib.Path(__file__).resolve().parents[1] / "recipes" / "LibriSpeech"
ALL_SPLITS = {
    "train-clean-100": 4,
    "train-clean-360": 2,
    "train-other-500": 2,
    "dev-clean": 2,
    "test-clean": 2,
    "test-other": 2,
}
# Smaller trainable parts so that multi-epoch runs stay fast on CPU.
SMALL = [
    "--qformer_hidden_size=32",
    "--qformer_heads=2",
    "--qformer_intermediate_size=64",
    "--max_new_tokens=8",
    "--num_workers=0",
]
# hparams/listen.yaml with each adaptation (the paper's method and its baselines).
ADAPTATION_OVERRIDES = {
    "prompt_pool": ["--pool_size=20", "--num_prompts=8"],
    "soft_prompt": ["--adaptation=soft_prompt", "--prompt_length=8"],
    "lora": ["--adaptation=lora"],
}


@pytest.fixture(scope="module")
def tiny_librispeech(tmp_path_factory):
    return make_tiny_librispeech(tmp_path_factory.mktemp("LibriSpeech"), splits=ALL_SPLITS)


@pytest.fixture(scope="module")
def model_overrides(tiny_whisper_dir, tiny_beats_ckpt, tiny_llm_dir, tiny_librispeech):
    return [
        f"--data_folder={tiny_librispeech}",
        f"--whisper_source={tiny_whisper_dir}",
        f"--beats_checkpoint={tiny_beats_ckpt}",
        f"--llm_source={tiny_llm_dir}",
    ]


def train_command(hparams, overrides, output_folder):
    return [
        sys.executable,
        str(RECIPE / "train.py"),
        str(RECIPE / "hparams" / hparams),
        f"--output_folder={output_folder}",
        *overrides,
    ]


def run(cmd, cwd):
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def read_text(path):
    return path.read_text() if path.exists() else ""


def checkpoint_keys(save_folder):
    """Every tensor name in every checkpoint file, by file."""
    keys = {}
    for ckpt in pathlib.Path(save_folder).glob("CKPT+*/*.ckpt"):
        if not zipfile.is_zipfile(ckpt):  # counters and Brain state are text
            continue
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if isinstance(state, dict):
            keys[ckpt.name] = [k for k in state if isinstance(k, str)]
    return keys


def test_paper_yaml_one_debug_step(model_overrides, tmp_path):
    """hparams/listen.yaml as the paper would run it, models swapped only."""
    command = [
        sys.executable,
        str(RECIPE / "train.py"),
        str(RECIPE / "hparams" / "listen.yaml"),
        *model_overrides,
        "--debug",
        "--debug_batches=1",
        "--debug_epochs=1",
    ]
    out = run(command, cwd=tmp_path)  # relative output folder: results/listen/prompt_pool/42
    assert "pool keys" in out and "12,800" in out  # 400 keys x tiny width 32
    output = tmp_path / "results" / "listen" / "prompt_pool" / "42"
    assert (output / "wer_test-clean.txt").exists()
    assert (output / "wer_test-other.txt").exists()


@pytest.mark.parametrize("adaptation", list(ADAPTATION_OVERRIDES))
def test_trains_two_epochs_and_tests(adaptation, model_overrides, tiny_librispeech, tmp_path):
    output = tmp_path / "out"
    run(
        train_command("listen.yaml", model_overrides + SMALL + ADAPTATION_OVERRIDES[adaptation], output)
        + ["--number_of_epochs=2"],
        cwd=tmp_path,
    )
    log = (output / "train_log.txt").read_text()
    assert "epoch: 1" in log and "epoch: 2" in log and "valid WER" in log

    # One line per test utterance in the per-utterance WER file.
    wer_text = (output / "wer_test-clean.txt").read_text()
    test_ids = [p.stem for p in (tiny_librispeech / "test-clean").rglob("*.flac")]
    assert test_ids and all(uid in wer_text for uid in test_ids)

    # Checkpoints hold trainable parameters only.
    keys = checkpoint_keys(output / "save")
    all_keys = [k for names in keys.values() for k in names]
    assert "connector.ckpt" in keys and "audio_encoder.ckpt" in keys
    assert not any(k.startswith(("whisper.", "beats.")) for k in all_keys)
    assert sorted(keys["audio_encoder.ckpt"]) == sorted(
        ["beats_norm.bias", "beats_norm.weight", "whisper_norm.bias", "whisper_norm.weight"]
    )
    llm_keys = keys["llm.ckpt"]
    if adaptation == "lora":
        assert llm_keys and all("lora_" in k for k in llm_keys)
        assert "prompt_provider.ckpt" not in keys
    else:
        assert llm_keys == []
        assert keys["prompt_provider.ckpt"]

    # The switch alone picks what trains (tiny LLM width 32).
    params = json.loads((output / "trainable_parameters.json").read_text())
    trained = {part for part in ("pool keys", "pool values", "soft prompt", "LoRA") if params[part]}
    assert (
        trained
        == {
            "prompt_pool": {"pool keys", "pool values"},
            "soft_prompt": {"soft prompt"},
            "lora": {"LoRA"},
        }[adaptation]
    )
    if adaptation == "prompt_pool":
        assert params["pool keys"] == params["pool values"] == 20 * 32  # M = 20
    if adaptation == "soft_prompt":
        assert params["soft prompt"] == 8 * 32  # L = 8


def test_killed_run_resumes_and_finishes(model_overrides, tmp_path):
    output = tmp_path / "out"
    small = SMALL + ADAPTATION_OVERRIDES["prompt_pool"]
    cmd = train_command("listen.yaml", model_overrides + small, output) + ["--number_of_epochs=3"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    try:
        # Epoch 2 starts only once the end-of-epoch-1 checkpoint is complete.
        while "Going into epoch 2" not in read_text(output / "log.txt"):
            assert proc.poll() is None, "run ended before its first checkpoint"
            assert time.time() < deadline, "no checkpoint within 300 s"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    log_before = (output / "train_log.txt").read_text()
    assert "epoch: 3" not in log_before

    out = run(cmd, cwd=tmp_path)
    assert "Loading a checkpoint" in out
    log = (output / "train_log.txt").read_text()
    assert log.count("epoch: 1,") == 1  # epoch 1 was not trained again
    assert "epoch: 3" in log
    assert (output / "wer_test-clean.txt").exists()


def test_small_yaml_one_debug_step(model_overrides, tmp_path):
    """hparams/listen_small.yaml (the offline default) with tiny models: the
    feature cache fills once per utterance, the summaries are written, and
    the token-alignment loss is trained and logged."""
    overrides = [o for o in model_overrides if not o.startswith("--beats_checkpoint")]
    out = run(
        train_command("listen_small.yaml", overrides, tmp_path / "out")
        # The default's alignment warm-up (300 CTC-only steps) is tested below.
        + [
            "--debug",
            "--debug_batches=1",
            "--debug_epochs=1",
            "--whisper_seconds=3",
            f"--feature_cache_dir={tmp_path / 'cache'}",
            "--max_new_tokens=4",
            "--alignment_warmup_steps=0",
        ],
        cwd=tmp_path,
    )
    assert "pool keys" in out
    cached = list((tmp_path / "cache").glob("*/*.pt"))
    assert 0 < len(cached) <= 8 + 16 + 16  # one train batch, one valid, one test
    summary = json.loads((tmp_path / "out" / "wer_test-clean_summary.json").read_text())
    assert summary["utterances"] > 0 and summary["WER"] >= 0
    params = json.loads((tmp_path / "out" / "trainable_parameters.json").read_text())
    assert params["pool keys"] == params["pool values"] > 0
    assert params["alignment"] == 32 + 1  # blank (tiny LLM width 32) + scale
    log = (tmp_path / "out" / "train_log.txt").read_text()
    assert "train ce:" in log and "train alignment:" in log


def test_alignment_warmup_skips_the_llm(model_overrides, tmp_path):
    """In the alignment warm-up only the CTC trains: no cross-entropy is
    logged for training, validation still scores the whole model."""
    overrides = [o for o in model_overrides if not o.startswith("--beats_checkpoint")]
    run(
        train_command("listen_small.yaml", overrides, tmp_path / "out")
        + [
            "--debug",
            "--debug_batches=1",
            "--debug_epochs=1",
            "--whisper_seconds=3",
            f"--feature_cache_dir={tmp_path / 'cache'}",
            "--max_new_tokens=4",
            "--alignment_warmup_steps=10",
        ],
        cwd=tmp_path,
    )
    log = (tmp_path / "out" / "train_log.txt").read_text()
    assert "train alignment:" in log and "train ce:" not in log
    assert "valid loss:" in log and "valid WER:" in log


def test_whisper_baseline_scores_like_the_recipe():
    sys.path.insert(0, str(RECIPE))
    from whisper_baseline import score

    wer, cer = score([("a", "Hello, world!", "HELLO WORLD"), ("b", "the cat", "THE CAT SAT")])
    assert wer.summarize("error_rate") == pytest.approx(100 * 1 / 5)
    assert cer.summarize("error_rate") > 0
