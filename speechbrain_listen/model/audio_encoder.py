"""Frozen audio encoders: Whisper, optionally with BEATs, side by side.

Whisper (through SpeechBrain's ``Whisper`` wrapper, encoder only) hears
speech; BEATs (SpeechBrain's ``BEATs`` lobe) hears general audio. Both are
frozen. Each stream gets a trainable LayerNorm, the shorter one is
zero-padded in time, and the two are concatenated on channels, as in
SALMONN and LiSTEN.

Two things the wrappers do not do, done here:

* **Lengths.** The Whisper wrapper pads every clip to 30 s and ignores
  lengths, so the valid frames of each clip (50 per second) are derived from
  the relative waveform lengths; only those frames are kept (the batch is as
  long as its longest clip) and returned with relative lengths.
* **Caching.** With ``cache_dir`` the frozen features of each utterance are
  computed once and read back in later epochs (``feature_cache``).
* **Eval mode.** ``Brain`` switches every module to train mode at each epoch
  (and the Whisper wrapper sets its frozen model to train mode on purpose).
  The frozen encoders here stay in eval mode whatever ``train()`` is
  called with, so no dropout ever touches frozen features.

The log-mel normalisation of the Whisper wrapper uses the maximum of the
whole batch; features are computed per clip here so that a clip's features do
not depend on what it is batched with.

Authors
 * speechbrain-listen contributors 2026
"""

import torch
from speechbrain.utils.logger import get_logger

from speechbrain_listen.model.feature_cache import FeatureCache, module_fingerprint
from speechbrain_listen.model.trainable_state import TrainableStateModule

WHISPER_SAMPLES_PER_FRAME = 320  # hop 160 samples, then a stride-2 conv
WHISPER_MAX_FRAMES = 1500  # 30 s

logger = get_logger(__name__)


class AudioEncoder(TrainableStateModule):
    """Frozen Whisper (+ BEATs) features with trainable LayerNorms.

    Arguments
    ---------
    whisper : speechbrain.integrations.huggingface.whisper.Whisper
        The Whisper wrapper, built with ``encoder_only=True``.
    beats : speechbrain.lobes.models.beats.BEATs, optional
        The BEATs lobe, or None for Whisper only.
    cache_dir : str, optional
        Folder of the frozen-feature cache (see ``feature_cache``); features
        are then computed once per utterance id and read back afterwards.
    whisper_seconds : float
        Length of the Whisper input window. 30 (the default) is Whisper's
        own; a shorter window (positional embeddings cut to match, as
        whisper.cpp's ``audio_ctx``) is much cheaper on CPU for short clips,
        at some cost in feature quality. Longer audio is cut with a warning.

    Example
    -------
    >>> encoder = AudioEncoder(whisper=getfixture("tiny_whisper"))  # doctest: +SKIP
    >>> feats, lens = encoder(torch.randn(2, 16000), torch.tensor([1.0, 0.5]))  # doctest: +SKIP
    >>> feats.shape, lens  # [batch, 50 frames/s, width]  # doctest: +SKIP
    (torch.Size([2, 50, 384]), tensor([1.0000, 0.5000]))
    """

    def __init__(self, whisper, beats=None, cache_dir=None, whisper_seconds=30):
        super().__init__()
        self.cache_dir = cache_dir
        self._feature_cache = None
        self.whisper_samples = int(round(whisper_seconds * 16000))
        self._warned_long = False
        self.whisper = whisper.requires_grad_(False)
        self.beats = beats.requires_grad_(False) if beats is not None else None
        self.whisper_norm = torch.nn.LayerNorm(self.whisper_size)
        self.beats_norm = torch.nn.LayerNorm(self.beats_size) if beats is not None else None
        if whisper_seconds != 30:
            shorten_whisper_window(self.whisper, self.whisper_samples)
        self.train(False)

    @property
    def whisper_size(self):
        """Channels of the Whisper encoder output."""
        return self.whisper.model.config.d_model

    @property
    def beats_size(self):
        """Channels of the BEATs output (0 without BEATs)."""
        return self.beats.cfg.encoder_embed_dim if self.beats is not None else 0

    @property
    def output_size(self):
        """Channels of the concatenated features."""
        return self.whisper_size + self.beats_size

    def train(self, mode=True):
        """Sets train mode for the LayerNorms only; encoders stay in eval."""
        super().train(mode)
        self.whisper.eval()
        if self.beats is not None:
            self.beats.eval()
        return self

    @torch.no_grad()
    def encode_whisper(self, wavs):
        """Frozen Whisper encoder output for a batch, clip by clip mels.

        Arguments
        ---------
        wavs : torch.Tensor
            ``[batch, samples]`` 16 kHz audio.

        Returns
        -------
        torch.Tensor
            ``[batch, 1500, whisper_size]``.
        """
        if wavs.shape[1] > self.whisper_samples and not self._warned_long:
            self._warned_long = True
            logger.warning(
                f"audio longer than the Whisper window "
                f"({self.whisper_samples / 16000:.1f} s) is cut to the window"
            )
        mels = torch.cat(
            [
                self.whisper.log_mel_spectrogram(
                    self.whisper.pad_or_trim(wav.unsqueeze(0), self.whisper_samples)
                )
                for wav in wavs
            ]
        )
        return self.whisper.forward_encoder(mels)

    @torch.no_grad()
    def encode_beats(self, wavs, wav_lens):
        """Frozen BEATs output, ``[batch, ~50 frames/s, beats_size]``.

        BEATs maps sample padding onto its time x frequency patches only
        approximately, so each clip is encoded alone at its own length and
        the frames past its end are zeros.
        """
        samples = torch.round(wav_lens * wavs.shape[1]).long()
        clips = [
            self.beats(wav[:length].unsqueeze(0), torch.ones(1, device=wav.device))[0][0]
            for wav, length in zip(wavs, samples)
        ]
        return torch.nn.utils.rnn.pad_sequence(clips, batch_first=True)

    @torch.no_grad()
    def frozen_features(self, wavs, wav_lens):
        """Un-normalised encoder features of each clip's real audio.

        Arguments
        ---------
        wavs : torch.Tensor
            ``[batch, samples]`` 16 kHz mono audio.
        wav_lens : torch.Tensor
            ``[batch]`` relative lengths.

        Returns
        -------
        list of torch.Tensor
            ``[frames_i, output_size]`` per clip, ``frames_i`` = the Whisper
            frames (50 per second, at most 1500) that hold the clip.
        """
        whisper_feats = self.encode_whisper(wavs)
        frames = whisper_feats.shape[1]
        streams = [whisper_feats]
        if self.beats is not None:
            streams.append(match_frames(self.encode_beats(wavs, wav_lens), frames))
        feats = torch.cat(streams, dim=-1)
        # Round first: the float product can land just above a whole number.
        samples = torch.round(wav_lens.to(feats.device) * wavs.shape[1])
        valid = torch.ceil(samples / WHISPER_SAMPLES_PER_FRAME).clamp(1, frames).long()
        return [clip[:count] for clip, count in zip(feats, valid.tolist())]

    @property
    def feature_cache(self):
        """The on-disk cache of frozen features (None when disabled)."""
        if self.cache_dir is None:
            return None
        if self._feature_cache is None:
            settings = {
                "version": 1,
                "samples_per_frame": WHISPER_SAMPLES_PER_FRAME,
                "whisper_samples": self.whisper_samples,
            }
            modules = {"whisper": self.whisper, "beats": self.beats}
            self._feature_cache = FeatureCache(
                self.cache_dir,
                module_fingerprint(modules, settings),
                description={
                    "whisper": self.whisper.model.config.name_or_path,
                    "beats": None if self.beats is None else vars(self.beats.cfg),
                    **settings,
                },
            )
        return self._feature_cache

    def cached_frozen_features(self, wavs, wav_lens, ids):
        """Like :meth:`frozen_features`, read from / written to the cache."""
        clips = [self.feature_cache.load(uid) for uid in ids]
        missing = [i for i, clip in enumerate(clips) if clip is None]
        if missing:
            index = torch.tensor(missing, device=wavs.device)
            fresh = self.frozen_features(wavs[index], wav_lens[index.to(wav_lens.device)])
            for i, feats in zip(missing, fresh):
                self.feature_cache.save(ids[i], feats)
                clips[i] = feats
        return [clip.to(wavs.device) for clip in clips]

    def forward(self, wavs, wav_lens, ids=None):
        """Encodes a batch of waveforms.

        Arguments
        ---------
        wavs : torch.Tensor
            ``[batch, samples]`` 16 kHz mono audio.
        wav_lens : torch.Tensor
            ``[batch]`` relative lengths.
        ids : list of str, optional
            Utterance ids; with a ``cache_dir`` they key the feature cache.

        Returns
        -------
        feats : torch.Tensor
            ``[batch, frames, output_size]`` normalised, concatenated features
            of the real audio (``frames`` = the longest clip's frames).
        feat_lens : torch.Tensor
            ``[batch]`` relative lengths.
        """
        if self.cache_dir is not None and ids is not None:
            clips = self.cached_frozen_features(wavs, wav_lens, ids)
        else:
            clips = self.frozen_features(wavs, wav_lens)
        frames = torch.tensor([clip.shape[0] for clip in clips], device=wavs.device)
        feats = torch.nn.utils.rnn.pad_sequence(clips, batch_first=True)
        normalised = [self.whisper_norm(feats[..., : self.whisper_size])]
        if self.beats is not None:
            normalised.append(self.beats_norm(feats[..., self.whisper_size :]))
        return torch.cat(normalised, dim=-1), frames.float() / feats.shape[1]


def shorten_whisper_window(whisper, samples):
    """Cuts a Whisper encoder's input window to ``samples`` (in place).

    The HF encoder insists on ``2 * max_source_positions`` mel frames; the
    positional table is cut to the first positions and the limit lowered, so
    the first frames see the same positions as in a 30 s window.

    Arguments
    ---------
    whisper : speechbrain.integrations.huggingface.whisper.Whisper
        The wrapper (encoder only).
    samples : int
        New window in samples (a multiple of 320).
    """
    if samples % WHISPER_SAMPLES_PER_FRAME:
        raise ValueError(f"whisper window must be a multiple of 20 ms, got {samples} samples")
    encoder = whisper.model.encoder
    positions = samples // WHISPER_SAMPLES_PER_FRAME
    if positions > encoder.embed_positions.num_embeddings:
        raise ValueError("whisper window cannot exceed 30 s")
    table = encoder.embed_positions.weight.data[:positions].clone()
    encoder.embed_positions = torch.nn.Embedding.from_pretrained(table, freeze=True)
    encoder.max_source_positions = positions
    encoder.config.max_source_positions = positions


def match_frames(feats, frames):
    """Zero-pads or trims ``[batch, time, channels]`` to ``frames`` in time.

    Example
    -------
    >>> match_frames(torch.ones(1, 3, 2), 5)[0, :, 0].tolist()
    [1.0, 1.0, 1.0, 0.0, 0.0]
    """
    if feats.shape[1] >= frames:
        return feats[:, :frames]
    return torch.nn.functional.pad(feats, (0, 0, 0, frames - feats.shape[1]))
