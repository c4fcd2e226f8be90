"""Interrupted runs: atomic checkpoints and exact mid-epoch resumption."""

import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch
from tiny_librispeech import make_tiny_librispeech

from speechbrain_listen.training.checkpointing import AtomicCheckpointer, RandomState

RECIPE = pathlib.Path(__file__).resolve().parents[1] / "recipes" / "LibriSpeech"

# A child process that saves one good checkpoint, then is SIGKILLed in the
# middle of writing the second one (after its first file, before its last).
KILLED_DURING_SAVE = textwrap.dedent(
    """
    import os, signal, sys, torch
    from speechbrain.utils.checkpoints import Checkpointer, mark_as_saver, mark_as_loader, register_checkpoint_hooks
    from speechbrain_listen.training.checkpointing import AtomicCheckpointer

    @register_checkpoint_hooks
    class Bomb:
        armed = False
        @mark_as_saver
        def save(self, path):
            if self.armed:
                os.kill(os.getpid(), signal.SIGKILL)
            with open(path, "w") as out:
                out.write("whole")
        @mark_as_loader
        def load(self, path, end_of_epoch):
            assert open(path).read() == "whole"

    kind = {"atomic": AtomicCheckpointer, "plain": Checkpointer}[sys.argv[2]]
    model, bomb = torch.nn.Linear(2, 2), Bomb()
    checkpointer = kind(sys.argv[1], {"model": model, "bomb": bomb})
    with torch.no_grad():
        model.weight.fill_(1.0)
    checkpointer.save_checkpoint(meta={"n": 1})
    with torch.no_grad():
        model.weight.fill_(2.0)
    bomb.armed = True
    checkpointer.save_checkpoint(meta={"n": 2})
    """
)


def kill_during_second_save(folder, kind, tmp_path):
    script = tmp_path / "killed_during_save.py"
    script.write_text(KILLED_DURING_SAVE)
    result = subprocess.run([sys.executable, str(script), str(folder), kind], capture_output=True)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]


def test_plain_checkpointer_leaves_a_broken_newest_checkpoint(tmp_path):
    """Why AtomicCheckpointer exists: SpeechBrain's writes CKPT.yaml first."""
    from speechbrain.utils.checkpoints import Checkpointer

    kill_during_second_save(tmp_path / "ckpt", "plain", tmp_path)
    checkpointer = Checkpointer(tmp_path / "ckpt")
    checkpointer.add_recoverable("model", torch.nn.Linear(2, 2))
    checkpointer.add_recoverable("bomb", torch.nn.Linear(2, 2))
    newest = checkpointer.find_checkpoint()
    assert newest.meta["n"] == 2 and sorted(newest.paramfiles) == ["model"]
    with pytest.raises(RuntimeError, match="missing a load path for bomb"):
        checkpointer.recover_if_possible()


def test_kill_during_save_leaves_the_last_whole_checkpoint(tmp_path):
    folder = tmp_path / "ckpt"
    kill_during_second_save(folder, "atomic", tmp_path)
    staging = [p for p in folder.iterdir() if p.name.startswith("staging-")]
    assert len(staging) == 1 and (staging[0] / "model.ckpt").exists()

    model = torch.nn.Linear(2, 2)
    checkpointer = AtomicCheckpointer(folder, {"model": model})
    assert not any(p.name.startswith("staging-") for p in folder.iterdir())
    assert [c.meta["n"] for c in checkpointer.list_checkpoints()] == [1]
    checkpointer.recover_if_possible()
    assert torch.all(model.weight == 1.0)


def test_atomic_checkpointer_keeps_and_deletes_like_speechbrain(tmp_path):
    model = torch.nn.Linear(2, 2)
    checkpointer = AtomicCheckpointer(tmp_path, {"model": model})
    for wer in (30.0, 10.0, 20.0):
        checkpointer.save_and_keep_only(meta={"WER": wer}, min_keys=["WER"])
    kept = sorted(c.meta["WER"] for c in checkpointer.list_checkpoints())
    assert kept == [10.0, 20.0]  # the best and the most recent
    named = checkpointer.save_checkpoint(name="final", meta={"WER": 5.0})
    again = checkpointer.save_checkpoint(name="final", meta={"WER": 4.0})
    assert named.path == again.path and again.path.name == "CKPT+final"
    assert checkpointer.find_checkpoint(min_key="WER").meta["WER"] == 4.0


def test_random_state_is_per_rank(tmp_path, monkeypatch):
    state = RandomState()
    torch.manual_seed(1)
    state.save(tmp_path / "random_state.ckpt")
    monkeypatch.setenv("RANK", "1")
    torch.manual_seed(2)
    state.save(tmp_path / "random_state.ckpt")
    expected_rank1 = torch.rand(3)
    torch.manual_seed(3)
    state.load(tmp_path / "random_state.ckpt", end_of_epoch=True)
    assert torch.equal(torch.rand(3), expected_rank1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["random_state.ckpt", "random_state.ckpt.rank1"]


# ---------------------------------------------------------------- recipe --

TRAIN_SPLITS = {"train-clean-100": 6, "dev-clean": 2, "test-clean": 2}


def recipe_command(data, models, output):
    whisper, llm = models
    return [
        sys.executable,
        str(RECIPE / "train.py"),
        str(RECIPE / "hparams" / "listen_small.yaml"),
        f"--data_folder={data}",
        f"--output_folder={output}",
        f"--whisper_source={whisper}",
        f"--llm_source={llm}",
        "--train_splits=[train-clean-100]",
        "--precision=fp32",
        "--batch_size=1",
        "--number_of_epochs=2",
        "--optimizer_step_limit=12",
        "--warmup_steps=2",  # 6 utterances x 2 epochs
        "--whisper_seconds=3",
        "--feature_cache_dir=null",
        "--max_new_tokens=6",
        "--qformer_hidden_size=32",
        "--qformer_heads=2",
        "--qformer_intermediate_size=64",
        "--pool_size=12",
        "--num_prompts=4",
        # Intra-epoch checkpoints every 2 steps, never by the clock.
        "--ckpt_interval_minutes=0",
        "--ckpt_interval_steps=2",
    ]


def intra_epoch_checkpoints(save_folder):
    found = []
    for meta in pathlib.Path(save_folder).glob("CKPT+*/CKPT.yaml"):
        if "brain_intra_epoch_ckpt" in meta.read_text():
            found.append(meta.parent)
    return found


@pytest.mark.parametrize("kill_in_epoch", [1, 2])
def test_killed_mid_epoch_resumes_to_identical_results(
    kill_in_epoch, tiny_whisper_dir, tiny_llm_dir, tmp_path
):
    """SIGKILL mid-epoch, run again: train log and test results are the very
    same as those of an uninterrupted run (CPU, fp32, same seed)."""
    data = make_tiny_librispeech(tmp_path / "LibriSpeech", splits=TRAIN_SPLITS)
    models = (tiny_whisper_dir, tiny_llm_dir)

    reference = tmp_path / "reference"
    subprocess.run(
        recipe_command(data, models, reference), cwd=tmp_path, check=True, capture_output=True, timeout=600
    )

    killed = tmp_path / "killed"
    cmd = recipe_command(data, models, killed)
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    try:
        # Wait for an intra-epoch checkpoint of the chosen epoch.
        while True:
            log = (killed / "log.txt").read_text() if (killed / "log.txt").exists() else ""
            in_epoch = f"Going into epoch {kill_in_epoch}" in log and (
                f"Going into epoch {kill_in_epoch + 1}" not in log
            )
            if in_epoch and intra_epoch_checkpoints(killed / "save"):
                break
            assert proc.poll() is None, "run ended before it could be killed mid-epoch"
            assert time.time() < deadline
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not (killed / "wer_test-clean.txt").exists()

    resumed = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Loading a checkpoint" in resumed.stdout + resumed.stderr

    assert (killed / "train_log.txt").read_text() == (reference / "train_log.txt").read_text()
    for name in ("wer_test-clean.txt", "wer_test-clean_summary.json"):
        assert (killed / name).read_text() == (reference / name).read_text(), name
