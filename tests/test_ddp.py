"""Two-process DDP on CPU (torchrun, gloo) trains like one process.

One process with batch 2 and two processes with batch 1 each see the same
global batches (sorted order, no shuffling) and average the same gradients,
so validation must agree. What would make them differ for other reasons is
switched off: dropout, stochastic prompt selection, random instructions;
and every training transcript is the same sentence, so that the batch's
token-mean cross-entropy equals the mean of the per-example means that DDP
averages. Agreement is to float tolerance: the batch shapes differ.
"""

import pathlib
import re
import subprocess
import sys

import pytest
from tiny_librispeech import make_tiny_librispeech

RECIPE = pathlib.Path(__file__).resolve().parents[1] / "recipes" / "LibriSpeech"


def same_sentence_corpus(root):
    data = make_tiny_librispeech(root, splits={"train-clean-100": 8, "dev-clean": 3, "test-clean": 2})
    for trans in (data / "train-clean-100").rglob("*.trans.txt"):
        lines = trans.read_text(encoding="utf-8").splitlines()
        trans.write_text(
            "".join(f"{line.split()[0]} THE QUICK BROWN FOX\n" for line in lines),
            encoding="utf-8",
        )
    return data


def valid_stats(train_log):
    """``{"loss": ..., "WER": ..., "CER": ...}`` of the last valid line."""
    line = [row for row in train_log.read_text().splitlines() if "valid loss" in row][-1]
    return {key: float(value) for key, value in re.findall(r"valid (loss|WER|CER): ([-\d.e+]+)", line)}


@pytest.mark.slow
def test_two_processes_match_one(tiny_whisper_dir, tiny_llm_dir, tmp_path):
    data = same_sentence_corpus(tmp_path / "LibriSpeech")
    common = [
        str(RECIPE / "hparams" / "listen_small.yaml"),
        f"--data_folder={data}",
        f"--whisper_source={tiny_whisper_dir}",
        f"--llm_source={tiny_llm_dir}",
        "--train_splits=[train-clean-100]",
        "--precision=fp32",
        "--number_of_epochs=2",
        "--sorting=ascending",
        "--qformer_dropout=0.0",
        "--stochastic_selection=False",
        "--train_instructions=[Transcribe the audio.]",
        "--whisper_seconds=3",
        "--feature_cache_dir=null",
        "--max_new_tokens=4",
        "--qformer_hidden_size=32",
        "--qformer_heads=2",
        "--qformer_intermediate_size=64",
        "--pool_size=12",
        "--num_prompts=4",
        "--lr=0.01",
        "--warmup_steps=1",
    ]
    single = tmp_path / "single"
    subprocess.run(
        [sys.executable, str(RECIPE / "train.py"), *common, f"--output_folder={single}", "--batch_size=2"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=600,
    )
    ddp = tmp_path / "ddp"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(RECIPE / "train.py"),
            *common,
            f"--output_folder={ddp}",
            "--batch_size=1",
            "--distributed_backend=gloo",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "steps: 8" in (ddp / "train_log.txt").read_text()  # 2 epochs x 4 global batches
    assert "steps: 8" in (single / "train_log.txt").read_text()

    one, two = valid_stats(single / "train_log.txt"), valid_stats(ddp / "train_log.txt")
    assert one.keys() == two.keys() == {"loss", "WER", "CER"}
    assert two["loss"] == pytest.approx(one["loss"], rel=1e-3)
    assert (two["WER"], two["CER"]) == (one["WER"], one["CER"])
    # Training moved the model (so agreement is not two untouched models).
    first_valid = [row for row in (single / "train_log.txt").read_text().splitlines() if "valid" in row]
    assert len(first_valid) == 2 and first_valid[0] != first_valid[1]
    # Every process's random state is in the checkpoint.
    assert list(ddp.glob("save/CKPT+*/random_state.ckpt.rank1"))
