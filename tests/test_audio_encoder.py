"""Tests for the frozen audio encoders (speechbrain_listen/model/audio_encoder.py),
on a tiny random Whisper (d_model 16) and a tiny random BEATs (24 channels)."""

import math

import pytest
import torch

from speechbrain_listen.model.audio_encoder import AudioEncoder, match_frames

D_WHISPER = 16
D_BEATS = 24


@pytest.fixture
def whisper_encoder(tiny_whisper):
    return AudioEncoder(whisper=tiny_whisper)


@pytest.fixture
def beats_encoder(tiny_whisper, tiny_beats):
    return AudioEncoder(whisper=tiny_whisper, beats=tiny_beats)


def test_fixture_checkpoint_loads_with_safe_defaults(tiny_beats_ckpt):
    checkpoint = torch.load(tiny_beats_ckpt)  # weights_only=True by default
    assert checkpoint["cfg"]["encoder_embed_dim"] == D_BEATS
    assert "patch_embedding.weight" in checkpoint["model"]


def test_whisper_output_shape_and_lengths(whisper_encoder):
    torch.manual_seed(0)
    wavs = torch.randn(3, 16100) * 0.1
    lens = torch.tensor([1.0, 0.37, 0.5])
    feats, feat_lens = whisper_encoder(wavs, lens)
    # Only the real audio's frames are kept: the longest clip has 51.
    frames = [math.ceil(16100 * r / 320) for r in (1.0, 0.37, 0.5)]
    assert frames == [51, 19, 26]
    assert feats.shape == (3, 51, D_WHISPER)
    assert torch.allclose(feat_lens, torch.tensor(frames) / 51, atol=1e-7)
    assert whisper_encoder.output_size == D_WHISPER


def test_lengths_are_clamped_to_30_s(whisper_encoder):
    wavs = torch.zeros(1, 16000 * 31)
    feats, feat_lens = whisper_encoder(wavs, torch.tensor([1.0]))
    assert feats.shape[1] == 1500
    assert feat_lens.tolist() == [1.0]


def test_beats_output_shape(beats_encoder):
    torch.manual_seed(0)
    wavs = torch.randn(2, 16000) * 0.1
    feats, feat_lens = beats_encoder(wavs, torch.tensor([1.0, 0.5]))
    assert feats.shape == (2, 50, D_WHISPER + D_BEATS)
    assert beats_encoder.output_size == D_WHISPER + D_BEATS
    assert torch.allclose(feat_lens, torch.tensor([1.0, 0.5]))
    beats_frames = beats_encoder.encode_beats(wavs, torch.tensor([1.0, 0.5])).shape[1]
    assert 0 < beats_frames < 50
    # BEATs gives a few frames fewer than Whisper: zero-padded in time.
    assert torch.equal(
        feats[:, beats_frames:, D_WHISPER:],
        torch.zeros(2, 50 - beats_frames, D_BEATS),
    )
    assert feats[:, :beats_frames, D_WHISPER:].abs().sum() > 0
    assert feats[:, :, :D_WHISPER].abs().sum() > 0


def test_match_frames():
    x = torch.arange(6.0).view(1, 3, 2)
    assert torch.equal(match_frames(x, 3), x)
    assert torch.equal(match_frames(x, 2), x[:, :2])
    padded = match_frames(x, 5)
    assert padded.shape == (1, 5, 2)
    assert torch.equal(padded[:, :3], x) and torch.equal(padded[:, 3:], torch.zeros(1, 2, 2))


@pytest.mark.parametrize("with_beats", [False, True])
def test_frozen_parts_stay_in_eval(with_beats, tiny_whisper, tiny_beats):
    encoder = AudioEncoder(tiny_whisper, tiny_beats if with_beats else None)
    encoder.train()
    assert encoder.training
    assert encoder.whisper_norm.training
    frozen = [encoder.whisper] + ([encoder.beats] if with_beats else [])
    for module in frozen:
        assert not any(m.training for m in module.modules())
        assert not any(p.requires_grad for p in module.parameters())
    if with_beats:
        assert encoder.beats_norm.training
    # Eval mode is deterministic, so two passes agree (no dropout).
    wavs = torch.randn(1, 8000) * 0.1
    first, _ = encoder(wavs, torch.tensor([1.0]))
    second, _ = encoder(wavs, torch.tensor([1.0]))
    assert torch.equal(first, second)
    encoder.eval()
    assert not encoder.whisper_norm.training


@pytest.mark.parametrize("with_beats", [False, True])
def test_only_layernorms_are_trainable(with_beats, tiny_whisper, tiny_beats):
    encoder = AudioEncoder(tiny_whisper, tiny_beats if with_beats else None)
    trainable = {n for n, p in encoder.named_parameters() if p.requires_grad}
    expected = {"whisper_norm.weight", "whisper_norm.bias"}
    if with_beats:
        expected |= {"beats_norm.weight", "beats_norm.bias"}
    assert trainable == expected
    state = encoder.trainable_state_dict()
    assert set(state) == expected
    assert not any(k.startswith(("whisper.", "beats.")) for k in state)


def test_gradients_reach_layernorms_only(beats_encoder):
    beats_encoder.train()
    wavs = torch.randn(2, 16000) * 0.1
    feats, _ = beats_encoder(wavs, torch.tensor([1.0, 0.5]))
    (feats * torch.randn_like(feats)).sum().backward()
    for norm in (beats_encoder.whisper_norm, beats_encoder.beats_norm):
        assert norm.weight.grad.abs().sum() > 0
        assert norm.bias.grad.abs().sum() > 0
    assert all(p.grad is None for p in beats_encoder.whisper.parameters())
    assert all(p.grad is None for p in beats_encoder.beats.parameters())


def _alone_and_batched(encoder, short_samples=9600, long_samples=24000):
    torch.manual_seed(3)
    short = torch.randn(1, short_samples) * 0.05
    loud = torch.randn(1, long_samples) * 0.8
    alone, alone_lens = encoder(short, torch.tensor([1.0]))
    batch = torch.zeros(2, long_samples)
    batch[0, :short_samples] = short[0]
    batch[1] = loud[0]
    batched, batched_lens = encoder(batch, torch.tensor([short_samples / long_samples, 1.0]))
    return short, batch, alone, alone_lens, batched, batched_lens


def test_whisper_features_do_not_depend_on_the_batch(whisper_encoder):
    short, batch, alone, alone_lens, batched, batched_lens = _alone_and_batched(whisper_encoder)
    assert alone.shape[1] == 30 and batched.shape[1] == 75
    assert torch.allclose(batched[0, :30], alone[0], atol=1e-5)
    assert alone_lens[0].item() == 1.0
    assert batched_lens[0].item() == pytest.approx(30 / 75)
    # Control: the wrapper's own batch mel normalises by the batch maximum,
    # so without per-clip features the quiet clip would change.
    wrapper = whisper_encoder.whisper
    batch_mel = wrapper._get_mel(batch)[0]
    alone_mel = wrapper._get_mel(short)[0]
    assert not torch.allclose(batch_mel, alone_mel, atol=1e-3)


def test_whisper_part_does_not_depend_on_the_batch_with_beats(beats_encoder):
    _, _, alone, _, batched, _ = _alone_and_batched(beats_encoder)
    frames = alone.shape[1]
    assert torch.allclose(batched[0, :frames, :D_WHISPER], alone[0, :, :D_WHISPER], atol=1e-5)


def test_beats_part_does_not_depend_on_the_batch(beats_encoder):
    _, _, alone, _, batched, _ = _alone_and_batched(beats_encoder)
    beats_frames = int((alone[0, :, D_WHISPER:].abs().sum(dim=-1) > 0).sum())
    assert torch.allclose(
        batched[0, :beats_frames, D_WHISPER:],
        alone[0, :beats_frames, D_WHISPER:],
        atol=1e-4,
    )


def test_encoder_freezes_an_unfrozen_wrapper(tiny_whisper_dir, tiny_beats_ckpt, tmp_path):
    from speechbrain.integrations.huggingface.whisper import Whisper
    from speechbrain.lobes.models.beats import BEATs

    whisper = Whisper(source=tiny_whisper_dir, save_path=str(tmp_path), encoder_only=True, freeze=False)
    beats = BEATs(ckp_path=tiny_beats_ckpt, freeze=False)
    assert any(p.requires_grad for p in whisper.parameters())
    assert any(p.requires_grad for p in beats.parameters())
    encoder = AudioEncoder(whisper, beats).train()
    trainable = {n for n, p in encoder.named_parameters() if p.requires_grad}
    assert trainable == {"whisper_norm.weight", "whisper_norm.bias", "beats_norm.weight", "beats_norm.bias"}
    assert not whisper.training and not beats.training


def test_exact_lengths_for_whole_frames(whisper_encoder):
    wavs = torch.zeros(2, 480000)
    lens = torch.tensor([1.0, 16000 / 480000])
    feats, feat_lens = whisper_encoder(wavs, lens)
    assert round(feat_lens[1].item() * feats.shape[1]) == 50


def test_feature_cache_is_exact_and_reused(tiny_whisper, tmp_path):
    encoder = AudioEncoder(tiny_whisper, cache_dir=str(tmp_path))
    torch.manual_seed(0)
    wavs = torch.randn(2, 8000) * 0.1
    lens = torch.tensor([1.0, 0.6])
    fresh, fresh_lens = AudioEncoder(tiny_whisper)(wavs, lens)
    first, first_lens = encoder(wavs, lens, ids=["a", "b"])
    files = sorted(p.name for p in encoder.feature_cache.folder.glob("*.pt"))
    assert files == ["a.pt", "b.pt"]
    assert torch.equal(first, fresh) and torch.equal(first_lens, fresh_lens)
    # Second pass: read back, even if the audio were different (it is not
    # looked at), and identical to recomputing.
    second, _ = encoder(torch.zeros_like(wavs), lens, ids=["a", "b"])
    assert torch.equal(second, fresh)


def test_feature_cache_files_hold_one_clip_not_the_batch(tmp_path):
    from speechbrain_listen.model.feature_cache import FeatureCache

    cache = FeatureCache(str(tmp_path), "fp")
    batch = torch.randn(16, 100, 32)
    cache.save("row", batch[3])  # a view into the whole batch
    assert torch.equal(cache.load("row"), batch[3])
    clip_bytes = 100 * 32 * 4
    assert cache.path("row").stat().st_size < 2 * clip_bytes


def test_feature_cache_is_keyed_by_the_encoder(tiny_whisper_dir, tmp_path):
    from speechbrain.integrations.huggingface.whisper import Whisper

    def encoder():
        whisper = Whisper(
            source=tiny_whisper_dir,
            save_path=str(tmp_path / "hub"),
            encoder_only=True,
            freeze=True,
        )
        return AudioEncoder(whisper, cache_dir=str(tmp_path / "cache"))

    first, second = encoder(), encoder()
    assert first.feature_cache.folder == second.feature_cache.folder
    with torch.no_grad():
        third = encoder()
        third.whisper.model.encoder.layers[0].fc1.weight.mul_(5.0)
    assert third.feature_cache.folder != first.feature_cache.folder
    wavs = torch.randn(1, 8000) * 0.1
    lens = torch.ones(1)
    cached, _ = first(wavs, lens, ids=["a"])
    changed, _ = third(wavs, lens, ids=["a"])
    assert not torch.allclose(cached, changed)
