"""Answer length limits from the audio duration (decoding loops bounded)."""

import torch


def test_limits_follow_the_audio_duration(small_brain):
    small_brain.hparams.max_new_tokens_per_second = 6
    wavs = torch.zeros(3, 32000)  # 2 s at 16 kHz
    limits = small_brain.length_limits(wavs, torch.tensor([1.0, 0.5, 0.01]))
    assert limits == [12, 6, 1]  # 2 s, 1 s, 0.02 s (at least one token)


def test_no_rate_means_no_limits(small_brain):
    small_brain.hparams.max_new_tokens_per_second = None
    assert small_brain.length_limits(torch.zeros(1, 16000), torch.ones(1)) is None
