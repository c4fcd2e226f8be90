"""Training never crashes on one bad batch and never steps on NaN."""

import pathlib

import pytest
import torch
from speechbrain.dataio.batch import PaddedBatch

from speechbrain_listen.training.brain import ListenBrain

HPARAMS = pathlib.Path(__file__).resolve().parents[1] / "recipes" / "LibriSpeech" / "hparams"


@pytest.fixture
def brain(small_brain):
    return small_brain


def make_batch(audio_ok=(True, True)):
    torch.manual_seed(0)
    return PaddedBatch(
        [
            {
                "id": f"u{i}",
                "sig": torch.randn(8000) * 0.1,
                "audio_ok": ok,
                "target": "hello world",
                "instruction": "Transcribe the audio.",
            }
            for i, ok in enumerate(audio_ok)
        ]
    )


def trainable_copy(brain):
    return [p.detach().clone() for p in brain.modules.parameters() if p.requires_grad]


def unchanged(brain, before):
    after = [p.detach() for p in brain.modules.parameters() if p.requires_grad]
    return all(torch.equal(a, b) for a, b in zip(after, before))


def test_a_good_batch_changes_the_weights(brain):
    before = trainable_copy(brain)
    loss = brain.fit_batch(make_batch())
    assert torch.isfinite(loss) and brain.optimizer_step == 1
    assert not unchanged(brain, before)  # so the tests below can fail


def test_unreadable_audio_skips_the_batch_before_the_forward_pass(brain, monkeypatch):
    def no_forward(*args):
        raise AssertionError("a batch with placeholder audio reached the model")

    monkeypatch.setattr(brain, "compute_forward", no_forward)
    before = trainable_copy(brain)
    loss = brain.fit_batch(make_batch(audio_ok=(True, False)))
    assert torch.isnan(loss) and brain.optimizer_step == 0
    assert unchanged(brain, before)
    assert brain.skipped_batches == {"unreadable audio": 1}


def test_non_finite_loss_never_reaches_the_optimizer(brain, monkeypatch):
    compute_objectives = brain.compute_objectives
    monkeypatch.setattr(brain, "compute_objectives", lambda *a: compute_objectives(*a) * float("nan"))
    before = trainable_copy(brain)
    loss = brain.fit_batch(make_batch())
    assert torch.isnan(loss) and brain.optimizer_step == 0
    assert unchanged(brain, before)
    assert all(p.grad is None for p in brain.modules.parameters())
    assert brain.skipped_batches == {"non-finite loss": 1}
    # Adam's moments were not touched either: the next good step is clean.
    assert not brain.optimizer.state


def test_a_diverged_model_stops_after_the_patience(brain, monkeypatch):
    compute_objectives = brain.compute_objectives
    monkeypatch.setattr(brain, "compute_objectives", lambda *a: compute_objectives(*a) * float("inf"))
    for _ in range(2):  # nonfinite_patience = 2
        brain.fit_batch(make_batch())
    with pytest.raises(ValueError, match="3 training batches in a row"):
        brain.fit_batch(make_batch())


def test_non_finite_gradients_skip_the_step(brain, monkeypatch):
    def poisoned_step():
        for param in brain.modules.parameters():
            if param.grad is not None:
                param.grad.fill_(float("nan"))
                break
        ListenBrain.optimizers_step(brain)

    monkeypatch.setattr(brain, "optimizers_step", poisoned_step)
    before = trainable_copy(brain)
    brain.fit_batch(make_batch())
    assert unchanged(brain, before) and brain.optimizer_step == 0
    assert brain.skipped_batches == {"non-finite gradients": 1}


def test_a_file_gone_bad_after_preparation_costs_one_batch(tiny_whisper_dir, tiny_llm_dir, tmp_path):
    """The recipe end to end: a train file corrupted after preparation is
    named in the log, its batch skipped and counted; the run finishes."""
    import subprocess
    import sys

    from tiny_librispeech import make_tiny_librispeech

    recipe = HPARAMS.parent
    sys.path.insert(0, str(recipe))
    from librispeech_prepare import prepare_librispeech

    data = make_tiny_librispeech(
        tmp_path / "LibriSpeech", splits={"train-clean-100": 4, "dev-clean": 2, "test-clean": 2}
    )
    output = tmp_path / "out"
    # The recipe's own preparation (same options), done before the damage.
    prepare_librispeech(
        data, output / "save", ["train-clean-100"], ["dev-clean"], ["test-clean"], check_audio_content=True
    )
    broken = sorted((data / "train-clean-100").rglob("*.flac"))[0]
    broken.write_bytes(b"garbage")

    result = subprocess.run(
        [
            sys.executable,
            str(recipe / "train.py"),
            str(HPARAMS / "listen_small.yaml"),
            f"--data_folder={data}",
            f"--output_folder={output}",
            f"--whisper_source={tiny_whisper_dir}",
            f"--llm_source={tiny_llm_dir}",
            "--train_splits=[train-clean-100]",
            "--number_of_epochs=1",
            "--batch_size=2",
            "--precision=fp32",
            "--whisper_seconds=3",
            "--feature_cache_dir=null",
            "--max_new_tokens=4",
            "--qformer_hidden_size=32",
            "--qformer_heads=2",
            "--qformer_intermediate_size=64",
            "--pool_size=12",
            "--num_prompts=4",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "preparation already done" in result.stdout + result.stderr
    assert str(broken) in result.stdout + result.stderr
    log = (output / "train_log.txt").read_text()
    assert "skipped unreadable audio: 1" in log
    assert "train loss: nan" not in log
    assert (output / "wer_test-clean.txt").exists()


def test_skip_counts_reset_per_epoch_and_survive_a_checkpoint():
    from types import SimpleNamespace

    from speechbrain_listen.training.bad_batches import BadBatches

    bad = BadBatches()
    batch = SimpleNamespace(id=["u1"])
    bad.skip("unreadable audio", batch)
    bad.nonfinite_gradients()
    restored = BadBatches()
    restored.load_state(bad.state())
    assert restored.counts == {"unreadable audio": 1, "non-finite gradients": 1}
    assert restored.epoch_stats() == {"skipped non-finite gradients": 1, "skipped unreadable audio": 1}
    assert restored.epoch_stats() == {} and not restored.counts


def test_a_finite_loss_resets_the_patience():
    from types import SimpleNamespace

    from speechbrain_listen.training.bad_batches import BadBatches

    bad, batch = BadBatches(), SimpleNamespace(id=["u1"])
    for _ in range(3):
        bad.nonfinite_loss(batch, patience=2)
        bad.nonfinite_loss(batch, patience=2)
        bad.finite_loss()
    assert bad.counts == {"non-finite loss": 6}
    with pytest.raises(ValueError, match="3 training batches in a row"):
        for _ in range(3):
            bad.nonfinite_loss(batch, patience=2)
