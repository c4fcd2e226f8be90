"""Training-time waveform augmentation, built on SpeechBrain's own modules.

The offline model learns from clean synthetic speech; real recordings are
noisy, reverberant, band-limited and compressed. This module corrupts the
training waveforms with generated material only (nothing is downloaded):

* **noise**: white, pink or brown noise, or babble made from the *other*
  utterances of the batch, mixed at an SNR drawn in ``[snr_low, snr_high]``
  dB by SpeechBrain's ``AddNoise`` (its ``noise_funct`` is
  :class:`NoiseSource`);
* **reverb**: :class:`SimulatedReverb`, a bank of exponentially decaying
  room impulse responses generated from a seed (:func:`simulated_rirs`),
  convolved by SpeechBrain's ``reverberate``;
* **telephone**: :class:`Telephone`, 300-3400 Hz band-pass, 8 kHz sampling
  (SpeechBrain's ``Resample``) and G.711-like 8-bit mu-law;
* **codec**: SpeechBrain's ``DoClip`` and a coarse :class:`MuLawQuantize`;
* **speed**: SpeechBrain's ``SpeedPerturb`` (changes the length).

:func:`build_augmenter` puts the chosen kinds into a SpeechBrain
``Augmenter`` (a random subset, in random order, per batch; the batch size
never changes); :func:`augment_waveforms` applies it the way ``ListenBrain``
does on TRAIN batches. Augmented audio is new audio: ``ListenBrain``
computes its encoder features afresh instead of reading the feature cache.

Authors
 * speechbrain-listen contributors 2026
"""

import math

import torch
from speechbrain.augment.augmenter import Augmenter
from speechbrain.augment.time_domain import AddNoise, DoClip, Resample, SpeedPerturb
from speechbrain.processing.signal_processing import reverberate

NOISE_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}


def coloured_noise(shape, exponents, generator=None, device=None):
    """Noise whose power spectrum falls as ``1 / f ** exponent``, per row.

    Arguments
    ---------
    shape : tuple
        ``(batch, time)``.
    exponents : torch.Tensor
        ``[batch]`` spectral exponents: 0 white, 1 pink, 2 brown.
    generator : torch.Generator, optional
        Source of randomness (default: the global one).
    device : torch.device, optional
        Where to make the noise.

    Returns
    -------
    torch.Tensor
        ``(batch, time)`` noise, zero mean, unit RMS per row.

    Example
    -------
    >>> noise = coloured_noise((2, 1600), torch.tensor([0.0, 2.0]))
    >>> noise.shape
    torch.Size([2, 1600])
    >>> noise.pow(2).mean(dim=1).sqrt().round(decimals=3).tolist()
    [1.0, 1.0]
    """
    batch, time = shape
    white = torch.randn(batch, time, generator=generator, device=device)
    spectrum = torch.fft.rfft(white, dim=1)
    freqs = torch.arange(spectrum.shape[1], device=white.device, dtype=white.dtype)
    freqs[0] = 1.0  # DC removed below
    gain = freqs.unsqueeze(0) ** (-exponents.to(white).unsqueeze(1) / 2)
    gain[:, 0] = 0.0
    noise = torch.fft.irfft(spectrum * gain, n=time, dim=1)
    return noise / noise.pow(2).mean(dim=1, keepdim=True).sqrt().clamp(min=1e-12)


def babble(waveforms, speakers=3):
    """Babble for each utterance: the sum of ``speakers`` *other* utterances.

    The others are the next rows of the batch (cyclically); a batch of one
    babbles with time-shifted copies of itself.

    Arguments
    ---------
    waveforms : torch.Tensor
        ``(batch, time)``.
    speakers : int
        Utterances summed per babble.

    Returns
    -------
    torch.Tensor
        ``(batch, time)``.

    Example
    -------
    >>> wavs = torch.eye(3)
    >>> babble(wavs, speakers=2)
    tensor([[0., 1., 1.],
            [1., 0., 1.],
            [1., 1., 0.]])
    """
    batch, time = waveforms.shape[:2]
    if batch == 1:
        shifts = [time * (k + 1) // (speakers + 1) for k in range(speakers)]
        return sum(torch.roll(waveforms, shift, dims=1) for shift in shifts)
    return sum(torch.roll(waveforms, -((k % (batch - 1)) + 1), dims=0) for k in range(speakers))


class NoiseSource:
    """A ``noise_funct`` for SpeechBrain's ``AddNoise``: one kind per example.

    Arguments
    ---------
    kinds : list of str
        Drawn from uniformly per example: ``white``, ``pink``, ``brown``,
        ``babble``.
    babble_speakers : int
        Utterances in a babble.

    Example
    -------
    >>> source = NoiseSource(["pink", "babble"])
    >>> source(torch.randn(4, 800)).shape
    torch.Size([4, 800])
    """

    def __init__(self, kinds=("white", "pink", "brown", "babble"), babble_speakers=3):
        unknown = set(kinds) - set(NOISE_EXPONENTS) - {"babble"}
        if unknown or not kinds:
            raise ValueError(f"unknown noise kinds {sorted(unknown)}; use {[*NOISE_EXPONENTS, 'babble']}")
        self.kinds = list(kinds)
        self.babble_speakers = babble_speakers

    def __call__(self, waveforms):
        """Noise shaped like ``waveforms`` (``(batch, time)``)."""
        batch, time = waveforms.shape[:2]
        choice = torch.randint(len(self.kinds), (batch,))
        kinds = [self.kinds[i] for i in choice.tolist()]
        exponents = torch.tensor([NOISE_EXPONENTS.get(kind, 0.0) for kind in kinds])
        noise = coloured_noise((batch, time), exponents, device=waveforms.device).to(waveforms.dtype)
        is_babble = torch.tensor([kind == "babble" for kind in kinds], device=waveforms.device)
        if is_babble.any():
            noise = torch.where(is_babble.unsqueeze(1), babble(waveforms, self.babble_speakers), noise)
        return noise


def simulated_rirs(count=16, rt60_low=0.2, rt60_high=0.8, sample_rate=16000, seed=0):
    """Room impulse responses: direct path, early reflections, decaying tail.

    Each RIR is a unit impulse, a few sparse early reflections in the first
    50 ms, and Gaussian noise under an envelope falling 60 dB over its RT60
    (drawn in ``[rt60_low, rt60_high]`` s). The same seed gives the same
    bank.

    Arguments
    ---------
    count : int
        Number of RIRs.
    rt60_low, rt60_high : float
        Range of reverberation times, in seconds.
    sample_rate : int
        Samples per second.
    seed : int
        Seed of the bank.

    Returns
    -------
    rirs : torch.Tensor
        ``(count, samples)``, zero-padded to the longest; the direct path is
        the largest sample, at index 0.
    rt60s : torch.Tensor
        ``(count,)`` reverberation times in seconds.

    Example
    -------
    >>> rirs, rt60s = simulated_rirs(count=3, seed=1)
    >>> rirs.shape[0], bool((rt60s >= 0.2).all() and (rt60s <= 0.8).all())
    (3, True)
    >>> torch.equal(rirs, simulated_rirs(count=3, seed=1)[0])
    True
    """
    generator = torch.Generator().manual_seed(seed)
    rt60s = rt60_low + (rt60_high - rt60_low) * torch.rand(count, generator=generator)
    length = int(math.ceil(rt60_high * sample_rate))
    time = torch.arange(length) / sample_rate
    rirs = torch.zeros(count, length)
    for i, rt60 in enumerate(rt60s.tolist()):
        samples = int(math.ceil(rt60 * sample_rate))
        envelope = torch.exp(-math.log(1000.0) * time[:samples] / rt60)  # -60 dB at rt60
        tail = torch.randn(samples, generator=generator) * envelope * 0.3
        early = torch.randint(int(0.002 * sample_rate), int(0.05 * sample_rate), (6,), generator=generator)
        tail[early] += 0.6 * envelope[early] * torch.sign(torch.randn(6, generator=generator))
        tail = tail.clamp(-0.9, 0.9)  # the direct path stays the largest sample
        tail[0] = 1.0
        rirs[i, :samples] = tail
    return rirs, rt60s


class SimulatedReverb(torch.nn.Module):
    """Reverberation with a seeded bank of simulated RIRs, one per example.

    Arguments
    ---------
    num_rirs : int
        Size of the RIR bank (:func:`simulated_rirs`).
    rt60_low, rt60_high : float
        Range of reverberation times, in seconds.
    sample_rate : int
        Samples per second.
    seed : int
        Seed of the bank (the choice per example uses the global generator).

    Example
    -------
    >>> reverb = SimulatedReverb(num_rirs=4)
    >>> wavs = torch.randn(2, 8000)
    >>> out = reverb(wavs)
    >>> out.shape, torch.allclose(out, wavs)
    (torch.Size([2, 8000]), False)
    """

    def __init__(self, num_rirs=16, rt60_low=0.2, rt60_high=0.8, sample_rate=16000, seed=0):
        super().__init__()
        rirs, rt60s = simulated_rirs(num_rirs, rt60_low, rt60_high, sample_rate, seed)
        self.register_buffer("rirs", rirs, persistent=False)
        self.register_buffer("rt60s", rt60s, persistent=False)

    def forward(self, waveforms):
        """Reverberates ``(batch, time)`` waveforms; same shape, same level."""
        choice = torch.randint(self.rirs.shape[0], (waveforms.shape[0],)).tolist()
        rirs = self.rirs.to(waveforms)
        return torch.cat([reverberate(wav.unsqueeze(0), rirs[i]) for wav, i in zip(waveforms, choice)])


def mu_law(waveforms, channels=256):
    """Mu-law quantisation (encode and decode) to ``channels`` levels.

    The signal is scaled to peak 1 first and back afterwards.

    Example
    -------
    >>> wavs = torch.linspace(-0.5, 0.5, 5).unsqueeze(0)
    >>> mu_law(wavs, channels=256).sub(wavs).abs().max() < 0.02
    tensor(True)
    >>> len(mu_law(torch.randn(1, 1000), channels=16).unique()) <= 16
    True
    """
    peak = waveforms.abs().amax(dim=1, keepdim=True).clamp(min=1e-8)
    x = waveforms / peak
    mu = channels - 1
    encoded = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    levels = torch.round((encoded + 1) / 2 * mu)  # 0 .. mu
    decoded = levels / mu * 2 - 1
    return torch.sign(decoded) * ((1 + mu) ** decoded.abs() - 1) / mu * peak


class MuLawQuantize(torch.nn.Module):
    """Codec-like quantisation: mu-law with a level count drawn per batch.

    Arguments
    ---------
    channels : list of int
        Candidate numbers of levels (256 is G.711; 16 is harsh).

    Example
    -------
    >>> MuLawQuantize([16])(torch.randn(2, 400)).shape
    torch.Size([2, 400])
    """

    def __init__(self, channels=(16, 32, 64, 256)):
        super().__init__()
        self.channels = list(channels)

    def forward(self, waveforms):
        """Quantised ``(batch, time)`` waveforms."""
        pick = self.channels[int(torch.randint(len(self.channels), (1,)))]
        return mu_law(waveforms, pick)


def band_pass(waveforms, sample_rate, low_hz, high_hz):
    """Zeroes every frequency outside ``[low_hz, high_hz]`` (FFT mask).

    Example
    -------
    >>> t = torch.arange(16000) / 16000
    >>> tones = torch.sin(2 * math.pi * 100 * t) + torch.sin(2 * math.pi * 1000 * t)
    >>> kept = band_pass(tones.unsqueeze(0), 16000, 300, 3400)[0]
    >>> torch.allclose(kept, torch.sin(2 * math.pi * 1000 * t), atol=1e-3)
    True
    """
    spectrum = torch.fft.rfft(waveforms, dim=1)
    freqs = torch.fft.rfftfreq(waveforms.shape[1], d=1.0 / sample_rate).to(waveforms.device)
    mask = (freqs >= low_hz) & (freqs <= high_hz)
    return torch.fft.irfft(spectrum * mask.to(spectrum.dtype), n=waveforms.shape[1], dim=1)


class Telephone(torch.nn.Module):
    """A narrow-band telephone channel: band-pass, 8 kHz, 8-bit mu-law.

    Arguments
    ---------
    sample_rate : int
        Rate of the input (and output).
    low_hz, high_hz : float
        Pass band.
    telephone_rate : int
        Rate of the channel.
    mu_law_channels : int or None
        Mu-law levels on the channel (None: no quantisation).

    Example
    -------
    >>> phone = Telephone()
    >>> wavs = torch.randn(2, 16000)
    >>> out = phone(wavs)
    >>> out.shape
    torch.Size([2, 16000])
    >>> spectrum = torch.fft.rfft(out, dim=1).abs()
    >>> bool(spectrum[:, 5000:].max() < 0.01 * spectrum.max())  # nothing above 4 kHz
    True
    """

    def __init__(self, sample_rate=16000, low_hz=300, high_hz=3400, telephone_rate=8000, mu_law_channels=256):
        super().__init__()
        self.sample_rate = sample_rate
        self.low_hz = low_hz
        self.high_hz = high_hz
        self.mu_law_channels = mu_law_channels
        self.down = Resample(sample_rate, telephone_rate)
        self.up = Resample(telephone_rate, sample_rate)

    def forward(self, waveforms):
        """``(batch, time)`` in, the same shape out."""
        time = waveforms.shape[1]
        narrow = self.down(band_pass(waveforms, self.sample_rate, self.low_hz, self.high_hz))
        if self.mu_law_channels:
            narrow = mu_law(narrow, self.mu_law_channels)
        wide = self.up(narrow)
        if wide.shape[1] < time:
            wide = torch.nn.functional.pad(wide, (0, time - wide.shape[1]))
        return wide[:, :time]


def build_augmenter(
    noise=False,
    reverb=False,
    telephone=False,
    codec=False,
    speed=False,
    sample_rate=16000,
    snr_low=0,
    snr_high=20,
    noise_kinds=("white", "pink", "brown", "babble"),
    rt60_low=0.2,
    rt60_high=0.8,
    speeds=(90, 100, 110),
    seed=0,
    augment_prob=1.0,
    min_augmentations=1,
    max_augmentations=None,
):
    """A SpeechBrain ``Augmenter`` of the chosen kinds, or None if none.

    Per augmented batch a random number (``min_augmentations`` to
    ``max_augmentations``, default all) of the chosen kinds is applied, in a
    random order; a batch is augmented with probability ``augment_prob``.
    The batch size is kept (no concatenated originals): every example keeps
    its target.

    Arguments
    ---------
    noise, reverb, telephone, codec, speed : bool
        The kinds to use (see the module docstring).
    sample_rate : int
        Rate of the waveforms.
    snr_low, snr_high : float
        Range of noise SNRs, in dB.
    noise_kinds : list of str
        See :class:`NoiseSource`.
    rt60_low, rt60_high : float
        Range of reverberation times, in seconds.
    speeds : list of int
        Speeds in percent, for ``SpeedPerturb``.
    seed : int
        Seed of the RIR bank.
    augment_prob : float
        Share of batches augmented.
    min_augmentations, max_augmentations : int
        Kinds applied per augmented batch.

    Returns
    -------
    speechbrain.augment.augmenter.Augmenter or None

    Example
    -------
    >>> build_augmenter() is None
    True
    >>> augment = build_augmenter(noise=True, speed=True, speeds=[90])
    >>> wavs, lens = augment(torch.randn(2, 16000), torch.tensor([1.0, 0.5]))
    >>> wavs.shape[0], lens.tolist()
    (2, [1.0, 0.5])
    """
    augmentations = []
    if speed:
        augmentations.append(SpeedPerturb(orig_freq=sample_rate, speeds=list(speeds)))
    if reverb:
        augmentations.append(
            SimulatedReverb(rt60_low=rt60_low, rt60_high=rt60_high, sample_rate=sample_rate, seed=seed)
        )
    if noise:
        augmentations.append(
            AddNoise(snr_low=snr_low, snr_high=snr_high, noise_funct=NoiseSource(noise_kinds), normalize=True)
        )
    if telephone:
        augmentations.append(Telephone(sample_rate=sample_rate))
    if codec:
        augmentations.append(DoClip(clip_low=0.3, clip_high=0.9))
        augmentations.append(MuLawQuantize())
    if not augmentations:
        return None
    return Augmenter(
        concat_original=False,
        parallel_augment=False,
        shuffle_augmentations=True,
        min_augmentations=min_augmentations,
        max_augmentations=len(augmentations) if max_augmentations is None else max_augmentations,
        augment_prob=augment_prob,
        augmentations=augmentations,
    )


def augment_waveforms(augmenter, wavs, wav_lens):
    """Applies an ``Augmenter`` to a batch, as ``ListenBrain`` does on TRAIN.

    Runs in float32 outside autocast, zeroes the padding (noise and reverb
    spill into it) and checks that the batch size did not change.

    Arguments
    ---------
    augmenter : speechbrain.augment.augmenter.Augmenter
        E.g. from :func:`build_augmenter`.
    wavs : torch.Tensor
        ``(batch, time)``.
    wav_lens : torch.Tensor
        ``(batch,)`` relative lengths.

    Returns
    -------
    wavs : torch.Tensor
        ``(batch, time')``; ``time'`` differs after speed perturbation.
    wav_lens : torch.Tensor
        ``(batch,)`` relative lengths.
    augmented : bool
        False when the augmenter left this batch clean (``augment_prob``).

    Example
    -------
    >>> augment = build_augmenter(speed=True, speeds=[110])
    >>> wavs, lens, augmented = augment_waveforms(augment, torch.randn(2, 1100), torch.tensor([1.0, 0.5]))
    >>> wavs.shape, lens.tolist(), augmented
    (torch.Size([2, 1000]), [1.0, 0.5], True)
    """
    with torch.autocast(device_type=wavs.device.type, enabled=False):
        out, lens = augmenter(wavs.float(), wav_lens)
    if not augmenter.do_augment:
        return wavs, wav_lens, False
    if out.shape[0] != wavs.shape[0]:
        raise ValueError(
            f"augmentation changed the batch size ({wavs.shape[0]} -> {out.shape[0]}): "
            "use concat_original=False and parallel_augment=False"
        )
    lens = lens.to(wav_lens).clamp(max=1.0)
    valid = torch.arange(out.shape[1], device=out.device).unsqueeze(0) < torch.round(
        lens * out.shape[1]
    ).unsqueeze(1)
    return (out * valid).to(wavs.dtype), lens, True
