"""Reading audio files into 16 kHz mono tensors, with errors that name the file.

``torchaudio.load`` needs torchcodec in torchaudio 2.11, so files are read
with soundfile (FLAC, WAV, OGG, ...). Any sample rate is resampled and any
channel count is averaged to mono; unreadable, empty or non-finite audio
raises an ``AudioError`` that names the file.

Authors
 * speechbrain-listen contributors 2026
"""

import os

import soundfile
import torch
import torchaudio
from speechbrain.utils.logger import get_logger

from speechbrain_listen.tasks.manifest import PAIR_GAP_SECONDS

logger = get_logger(__name__)

SAMPLE_RATE = 16000


class AudioError(ValueError):
    """An audio file that cannot be used, with the file named in the message."""


def load_audio(path, sample_rate=SAMPLE_RATE):
    """Loads a file as a mono float tensor at ``sample_rate``.

    Arguments
    ---------
    path : str
        Audio file.
    sample_rate : int
        Output sample rate.

    Returns
    -------
    torch.Tensor
        ``[samples]`` float32.

    Raises
    ------
    AudioError
        Missing, unreadable, empty or non-finite audio.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.wav")
    >>> soundfile.write(path, torch.zeros(8000, 2).numpy(), 8000)
    >>> load_audio(path).shape  # 8 kHz stereo, 1 s -> 16 kHz mono
    torch.Size([16000])
    """
    # soundfile reports a missing file as an unclear "System error".
    if not os.path.isfile(path):
        raise AudioError(f"audio file not found: {path}")
    try:
        data, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(f"cannot read audio file {path}: {err}") from err
    if data.shape[0] == 0:
        raise AudioError(f"audio file is empty (0 samples): {path}")
    audio = torch.from_numpy(data).mean(dim=1)
    if not torch.isfinite(audio).all():
        raise AudioError(f"audio file contains NaN or infinite samples: {path}")
    if file_rate != sample_rate:
        audio = torchaudio.functional.resample(audio, file_rate, sample_rate)
    return audio


def load_audio_or_placeholder(path, sample_rate=SAMPLE_RATE):
    """Like :func:`load_audio`, but a bad file gives 0.1 s of silence.

    For training pipelines: one file that went bad after preparation must
    not end the run. The second value says whether the audio is real; the
    Brain skips (and counts) every training batch holding a placeholder.

    Returns
    -------
    audio : torch.Tensor
        ``[samples]`` float32 (zeros for a bad file).
    ok : bool
        False when ``audio`` is the placeholder.

    Example
    -------
    >>> audio, ok = load_audio_or_placeholder("/no/such/file.flac")
    >>> audio.shape, ok
    (torch.Size([1600]), False)
    """
    try:
        return load_audio(path, sample_rate), True
    except AudioError as err:
        logger.warning(f"{err}: using silence, the batch will be skipped in training")
        return torch.zeros(sample_rate // 10), False


def join_pair(first, second, sample_rate=SAMPLE_RATE):
    """A speaker-verification pair heard as one clip.

    The second waveform follows the first after ``PAIR_GAP_SECONDS`` of
    silence (``task_manifest``), in training and at inference alike.

    Arguments
    ---------
    first, second : torch.Tensor
        ``[samples]`` waveforms at ``sample_rate``.
    sample_rate : int
        Their sample rate.

    Returns
    -------
    torch.Tensor
        ``[first + gap + second]`` samples.

    Example
    -------
    >>> join_pair(torch.ones(16000), torch.ones(8000)).shape  # 1 s + 0.1 s + 0.5 s
    torch.Size([25600])
    """
    gap = torch.zeros(int(PAIR_GAP_SECONDS * sample_rate), dtype=first.dtype)
    return torch.cat([first, gap, second])
