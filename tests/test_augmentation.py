"""Training-time augmentation: each kind on short generated utterances, and
its wiring in ``ListenBrain`` (TRAIN only, bypassing the feature cache)."""

import csv
import math
import random

import pytest
import speechbrain as sb
import torch
from speechbrain.augment.time_domain import AddNoise
from speechbrain.dataio.batch import PaddedBatch
from test_recipe_librispeech import run, train_command
from tiny_librispeech import make_tiny_librispeech

from speechbrain_listen.data.augmentation import (
    NoiseSource,
    SimulatedReverb,
    Telephone,
    augment_waveforms,
    babble,
    build_augmenter,
    coloured_noise,
    simulated_rirs,
)

SR = 16000
KINDS = ["noise", "reverb", "telephone", "codec", "speed"]


def utterances(batch=3, seconds=0.5, seed=0):
    """Speech-like test signals: harmonic tones with a syllable envelope."""
    generator = torch.Generator().manual_seed(seed)
    t = torch.arange(int(seconds * SR)) / SR
    rows = []
    for _ in range(batch):
        f0 = 100 + 150 * torch.rand(1, generator=generator).item()
        voice = sum(torch.sin(2 * math.pi * k * f0 * t) / k for k in range(1, 8))
        envelope = 0.5 * (1 - torch.cos(2 * math.pi * 4 * t))
        rows.append(0.3 * voice * envelope)
    return torch.stack(rows)


def reseed(seed):
    random.seed(seed)
    torch.manual_seed(seed)


def band_power(wavs, low, high):
    spectrum = torch.fft.rfft(wavs, dim=1).abs().pow(2)
    freqs = torch.fft.rfftfreq(wavs.shape[1], 1 / SR)
    return spectrum[:, (freqs >= low) & (freqs < high)].sum(dim=1)


def test_noise_colours_have_their_slopes():
    noise = coloured_noise((3, SR), torch.tensor([0.0, 1.0, 2.0]), torch.Generator().manual_seed(0))
    ratio = band_power(noise, 50, 500) / band_power(noise, 4000, 8000)
    # Power per band: white ~ bandwidth (450 vs 4000 Hz); pink ~ log-width; brown falls fast.
    assert ratio[0] < 0.2 and 0.5 < ratio[1] < 5 and ratio[2] > 50


def test_babble_is_made_of_the_other_utterances():
    wavs = utterances(3)
    mix = babble(wavs, speakers=2)
    assert torch.allclose(mix[0], wavs[1] + wavs[2])
    assert torch.allclose(mix[2], wavs[0] + wavs[1])


@pytest.mark.parametrize("kind", ["white", "pink", "brown", "babble"])
def test_added_noise_snr_is_in_range(kind):
    wavs = utterances(4)
    lens = torch.ones(4)
    reseed(1)
    noisy = AddNoise(snr_low=5, snr_high=15, noise_funct=NoiseSource([kind]))(wavs, lens)
    assert noisy.shape == wavs.shape
    # The clean part is the projection of the mixture on the clean signal.
    scale = (noisy * wavs).sum(dim=1) / wavs.pow(2).sum(dim=1)
    residual = noisy - scale.unsqueeze(1) * wavs
    snr = 10 * torch.log10(scale.pow(2) * wavs.pow(2).sum(dim=1) / residual.pow(2).sum(dim=1))
    assert ((snr > 4.0) & (snr < 16.0)).all(), snr


def test_rirs_decay_60_db_over_their_rt60():
    rirs, rt60s = simulated_rirs(count=4, rt60_low=0.3, rt60_high=0.6, seed=3)
    assert torch.equal(rirs, simulated_rirs(count=4, rt60_low=0.3, rt60_high=0.6, seed=3)[0])
    assert not torch.equal(rirs, simulated_rirs(count=4, rt60_low=0.3, rt60_high=0.6, seed=4)[0])
    for rir, rt60 in zip(rirs, rt60s.tolist()):
        assert rir.abs().argmax() == 0  # direct path first and loudest
        n = int(rt60 * SR)
        early = rir[int(0.1 * n) : int(0.2 * n)].pow(2).mean()
        late = rir[int(0.6 * n) : int(0.7 * n)].pow(2).mean()
        drop_db = 10 * math.log10(early / late)
        assert 25 < drop_db < 35  # 60 dB per RT60: 30 dB over half of it
        assert rir[n + 1 :].abs().max() == 0


def test_reverb_smears_the_signal_in_time():
    wavs = torch.zeros(2, SR // 2)
    wavs[:, 100] = 1.0  # clicks
    reseed(0)
    out = SimulatedReverb(num_rirs=4, rt60_low=0.3, rt60_high=0.4)(wavs)
    assert out.shape == wavs.shape
    assert out[:, 100:].abs().argmax(dim=1).eq(0).all()  # direct path kept in place
    assert (out[:, 2000:4000].abs().max(dim=1).values > 0).all()  # the tail rings on


def test_telephone_band_limits_and_quantises():
    wavs = utterances(2, seconds=0.25) + 0.05 * torch.randn(2, SR // 4)
    out = Telephone()(wavs)
    assert out.shape == wavs.shape and not torch.allclose(out, wavs, atol=1e-3)
    total = band_power(out, 0, 8000)
    assert (band_power(out, 4200, 8000) < 1e-3 * total).all()
    assert (band_power(out, 0, 200) < 1e-2 * total).all()


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_changes_the_signal_deterministically(kind):
    wavs = utterances(3, seconds=0.5)
    lens = torch.tensor([1.0, 0.8, 0.6])
    wavs = wavs * (torch.arange(wavs.shape[1]) < (lens * wavs.shape[1]).unsqueeze(1))
    augment = build_augmenter(**{kind: True}, speeds=[90, 110])

    def apply(seed):
        reseed(seed)
        return augment_waveforms(augment, wavs, lens)

    out, out_lens, augmented = apply(0)
    assert augmented and out.shape[0] == 3 and torch.equal(out_lens, lens)
    if kind == "speed":
        assert out.shape[1] in (math.ceil(wavs.shape[1] * 100 / 90), math.ceil(wavs.shape[1] * 100 / 110))
    else:
        assert out.shape == wavs.shape
        assert not torch.allclose(out, wavs, atol=1e-3)
    # Padding stays silent after noise and reverb spill into it.
    ends = torch.round(out_lens * out.shape[1]).long()
    assert all(out[i, end:].abs().max() == 0 for i, end in enumerate(ends.tolist()) if end < out.shape[1])
    again, again_lens, _ = apply(0)
    assert torch.equal(out, again) and torch.equal(out_lens, again_lens)
    if kind not in ("speed", "telephone"):  # two outcomes; a fixed channel
        other, _, _ = apply(1)
        assert not torch.equal(out, other)


def test_speed_changes_the_length_and_keeps_relative_lengths():
    wavs = utterances(2, seconds=0.5)
    reseed(0)
    out, lens, _ = augment_waveforms(build_augmenter(speed=True, speeds=[90]), wavs, torch.tensor([1.0, 0.5]))
    assert out.shape[1] == math.ceil(wavs.shape[1] / 0.9)
    assert lens.tolist() == [1.0, 0.5]
    assert (
        out[1, : out.shape[1] // 2 - 10].abs().max() > 0 and out[1, out.shape[1] // 2 + 1 :].abs().max() == 0
    )


def test_all_kinds_together_and_batches_left_clean():
    wavs = utterances(2)
    lens = torch.ones(2)
    everything = build_augmenter(**dict.fromkeys(KINDS, True))
    assert len(everything.augmentations) == 6  # codec is two modules
    reseed(0)
    out, out_lens, augmented = augment_waveforms(everything, wavs, lens)
    assert augmented and out.shape[0] == 2 and torch.isfinite(out).all()
    never = build_augmenter(noise=True, augment_prob=0.0)
    out, out_lens, augmented = augment_waveforms(never, wavs, lens)
    assert not augmented and out is wavs


def make_batch():
    torch.manual_seed(0)
    return PaddedBatch(
        [
            {
                "id": f"u{i}",
                "sig": torch.randn(8000 - 2000 * i) * 0.1,
                "target": "hello world",
                "instruction": "Transcribe the audio.",
            }
            for i in range(2)
        ]
    )


@pytest.fixture
def spied_brain(small_brain, tmp_path, monkeypatch):
    """``small_brain`` with a feature cache and a record of encoder calls."""
    encoder = small_brain.modules.audio_encoder
    encoder.cache_dir = str(tmp_path / "cache")
    calls = []
    original = encoder.forward

    def spy(wavs, wav_lens, ids=None):
        calls.append({"wavs": wavs.clone(), "lens": wav_lens.clone(), "ids": ids})
        return original(wavs, wav_lens, ids=ids)

    monkeypatch.setattr(encoder, "forward", spy)
    monkeypatch.setattr(small_brain, "should_decode", lambda stage: False)
    small_brain.calls = calls
    small_brain.cached = lambda: sorted(p.stem for p in (tmp_path / "cache").glob("*/*.pt"))
    return small_brain


def test_brain_augments_train_only_and_bypasses_the_cache(spied_brain):
    brain = spied_brain
    brain.hparams.augmentation = build_augmenter(noise=True, snr_low=0, snr_high=0)
    batch = make_batch()
    clean = batch.sig[0]

    loss = brain.fit_batch(batch)
    assert torch.isfinite(loss)
    train = brain.calls[-1]
    assert train["ids"] is None and not torch.allclose(train["wavs"], clean)
    assert brain.cached() == []  # augmented features are never cached

    for stage in (sb.Stage.VALID, sb.Stage.TEST):
        brain.compute_forward(batch, stage)
        call = brain.calls[-1]
        assert call["ids"] == ["u0", "u1"] and torch.equal(call["wavs"], clean)
    assert brain.cached() == ["u0", "u1"]


def test_brain_without_augmentation_keeps_the_cache_in_training(spied_brain):
    brain = spied_brain
    assert brain.hparams.augmentation is None  # the yaml default
    brain.fit_batch(make_batch())
    assert brain.calls[-1]["ids"] == ["u0", "u1"]
    assert brain.cached() == ["u0", "u1"]


def test_brain_speed_augmentation_keeps_lengths(spied_brain):
    brain = spied_brain
    brain.hparams.augmentation = build_augmenter(speed=True, speeds=[90])
    batch = make_batch()
    assert torch.isfinite(brain.fit_batch(batch))
    call = brain.calls[-1]
    assert call["wavs"].shape[1] == math.ceil(8000 / 0.9)
    assert torch.allclose(call["lens"], batch.sig[1])


def test_recipe_trains_with_noise_augmentation(tiny_whisper_dir, tiny_llm_dir, tmp_path):
    data = make_tiny_librispeech(
        tmp_path / "LibriSpeech", splits={"train-clean-100": 4, "dev-clean": 2, "test-clean": 2}
    )
    out = tmp_path / "out"
    overrides = [
        f"--data_folder={data}",
        f"--whisper_source={tiny_whisper_dir}",
        f"--llm_source={tiny_llm_dir}",
        "--debug",
        "--debug_batches=1",
        "--debug_epochs=1",
        "--whisper_seconds=3",
        f"--feature_cache_dir={tmp_path / 'cache'}",
        "--max_new_tokens=4",
        "--alignment_warmup_steps=0",
        "--augment_noise=True",
        "--augment_speed=True",
        "--augment_speeds=[95, 105]",
    ]
    run(train_command("listen_small.yaml", overrides, out), cwd=tmp_path)
    log = (out / "train_log.txt").read_text()
    assert "train ce:" in log and "valid WER" in log
    with open(out / "save" / "train.csv", newline="") as fin:
        train_ids = {row["ID"] for row in csv.DictReader(fin)}
    cached = {p.stem for p in (tmp_path / "cache").glob("*/*.pt")}
    assert cached and not cached & train_ids  # only clean valid/test clips are cached
