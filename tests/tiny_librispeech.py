"""A tiny synthetic corpus in the LibriSpeech on-disk layout, for tests.

The audio is a few sine tones plus noise, so it carries no speech; it only
has to be valid FLAC with known durations and a realistic folder structure.

Authors
 * speechbrain-listen contributors
"""

from pathlib import Path

import numpy as np
import soundfile

DEFAULT_SPLITS = {"train-clean-100": 6, "dev-clean": 2, "test-clean": 2}

WORDS = (
    "THE", "CAT", "SAT", "ON", "A", "MAT", "DOG", "RAN", "IN", "PARK",
    "RED", "SUN", "ROSE", "OVER", "HILL", "SHE", "READ", "BOOK", "HE",
    "SANG", "SONG",
)  # fmt: skip

SPEAKERS_PER_SPLIT = 2
MIN_WORDS, MAX_WORDS = 3, 6
MIN_SECONDS, MAX_SECONDS = 1.0, 2.5


def make_tiny_librispeech(root, splits=None, sample_rate=16000, seed=0):
    """Writes a tiny LibriSpeech-format corpus under ``root``.

    Each split gets 2 speakers with one chapter each; the utterances of a
    split are dealt to the speakers in turn. Files follow the real layout::

        <root>/<split>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac
        <root>/<split>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt

    Speaker ids differ across splits, as in LibriSpeech. Audio is 1.0 to
    2.5 s of mono 16-bit FLAC; transcripts are 3 to 6 upper-case words from
    a fixed list. The output only depends on the arguments.

    Arguments
    ---------
    root : str or os.PathLike
        Folder to write into (created if missing).
    splits : dict, optional
        Maps split names to their number of utterances (at least 1).
        Defaults to ``{"train-clean-100": 6, "dev-clean": 2,
        "test-clean": 2}``.
    sample_rate : int
        Sampling rate of the audio, in Hz.
    seed : int
        Seed of the random generator for audio, durations and words.

    Returns
    -------
    pathlib.Path
        ``root``.

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = make_tiny_librispeech(tmp, splits={"dev-clean": 3})
    ...     sorted(p.name for p in (root / "dev-clean").rglob("*.flac"))
    ['1001-10010-0000.flac', '1001-10010-0001.flac', '1002-10020-0000.flac']
    """
    if splits is None:
        splits = DEFAULT_SPLITS
    root = Path(root)
    rng = np.random.default_rng(seed)

    for split_idx, (split, n_utts) in enumerate(splits.items()):
        if n_utts < 1:
            raise ValueError(f"Split '{split}' needs at least 1 utterance, got {n_utts}")
        # Numbered by split position so that speakers never repeat across
        # splits, like in the real corpus.
        speakers = [1000 * (split_idx + 1) + spk + 1 for spk in range(SPEAKERS_PER_SPLIT)]
        transcripts = {spk: [] for spk in speakers}
        for utt in range(n_utts):
            speaker = speakers[utt % SPEAKERS_PER_SPLIT]
            chapter = speaker * 10
            utt_id = f"{speaker}-{chapter}-{utt // SPEAKERS_PER_SPLIT:04d}"
            chapter_dir = root / split / str(speaker) / str(chapter)
            chapter_dir.mkdir(parents=True, exist_ok=True)

            audio = _synth_audio(rng, sample_rate)
            soundfile.write(
                str(chapter_dir / f"{utt_id}.flac"),
                audio,
                sample_rate,
                subtype="PCM_16",
            )
            n_words = rng.integers(MIN_WORDS, MAX_WORDS + 1)
            words = " ".join(rng.choice(WORDS, size=n_words))
            transcripts[speaker].append((chapter_dir, utt_id, words))

        for speaker, lines in transcripts.items():
            if not lines:
                continue
            chapter_dir = lines[0][0]
            trans_file = chapter_dir / f"{speaker}-{speaker * 10}.trans.txt"
            with open(trans_file, "w", encoding="utf-8") as fout:
                for _, utt_id, words in lines:
                    fout.write(f"{utt_id} {words}\n")
    return root


def _synth_audio(rng, sample_rate):
    """Returns a random mix of 2-3 sine tones plus noise.

    Arguments
    ---------
    rng : numpy.random.Generator
        Source of randomness.
    sample_rate : int
        Sampling rate, in Hz.

    Returns
    -------
    numpy.ndarray
        Float32 mono signal with peak amplitude 0.5.
    """
    n_samples = int(rng.uniform(MIN_SECONDS, MAX_SECONDS) * sample_rate)
    t = np.arange(n_samples) / sample_rate
    n_tones = rng.integers(2, 4)
    freqs = rng.uniform(100.0, min(1000.0, sample_rate / 4), size=n_tones)
    signal = np.sin(2 * np.pi * freqs[:, None] * t).sum(axis=0)
    signal += 0.1 * rng.standard_normal(n_samples)
    # Kept well below full scale so the 16-bit conversion never clips.
    signal *= 0.5 / np.abs(signal).max()
    return signal.astype(np.float32)
