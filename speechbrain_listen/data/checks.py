"""Checks of a corpus's audio files and texts at preparation time.

A corpus of a few hundred thousand files always has some that cannot be
used. The data preparation scripts check every example and hand each
problem to a :class:`DataReport`, which either stops at the first one
(``on_bad_data="stop"``, with the file named) or skips the example and
counts it (``"skip"``, the default); at the end it logs a summary and writes
every problem to ``<save_folder>/<split>_problems.csv``.

Problems, by name:

==================  =======================================================
``missing``         the audio file does not exist
``unreadable``      the audio file cannot be decoded
``zero-length``     the audio file has no samples
``non-finite``      NaN or infinite samples (content check)
``silent``          every sample is (close to) zero (content check)
``wrong-rate``      a sample rate other than the corpus's (kept: resampled
                    when loaded)
``multi-channel``   more than one channel (kept: averaged to mono when loaded)
``empty-text``      an empty transcript or caption
``non-ascii-text``  characters outside ASCII in a transcript that should
                    have none (LibriSpeech)
``duplicate-id``    an example id seen before in the same split
==================  =======================================================

``wrong-rate`` and ``multi-channel`` are *kept* under ``"skip"`` (loading
converts them; they are still reported); everything else removes the
example. The content checks decode every file, so they are optional
(``check_content``): on all of LibriSpeech they take about an hour.

Authors
 * speechbrain-listen contributors 2026
"""

import collections
import csv
import os

import numpy
import soundfile
from speechbrain.utils.logger import get_logger

logger = get_logger(__name__)

KEPT_PROBLEMS = ("wrong-rate", "multi-channel")
SILENCE_PEAK = 1e-4  # below -80 dBFS everywhere: no speech or sound at all
BAD_DATA_CHOICES = ("skip", "stop")


def add_bad_data_arguments(parser, examples="examples"):
    """Adds ``--on_bad_data`` and ``--check_audio_content`` to a prep CLI.

    Arguments
    ---------
    parser : argparse.ArgumentParser
        The preparation script's parser.
    examples : str
        What the corpus holds ("utterances", "clips"), for the help text.
    """
    parser.add_argument(
        "--on_bad_data",
        choices=BAD_DATA_CHOICES,
        default="skip",
        help=f"leave out {examples} with problems, or stop at the first one",
    )
    parser.add_argument(
        "--check_audio_content",
        action="store_true",
        help="also decode every file to find NaN and silent audio",
    )


class DataError(ValueError):
    """A problem in the data under ``on_bad_data="stop"``; names the file."""


def audio_problems(path, sample_rate, check_content=False):
    """The problems of one audio file (empty list: none).

    Arguments
    ---------
    path : str
        Audio file.
    sample_rate : int or None
        The corpus's sample rate (None: any rate).
    check_content : bool
        Also decode the samples and look for NaN/inf and silence.

    Returns
    -------
    list of (str, str)
        ``(problem name, detail)`` pairs; ``missing``, ``unreadable`` and
        ``zero-length`` come alone.

    Example
    -------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.wav")
    >>> soundfile.write(path, numpy.zeros((800, 2)), 8000)
    >>> [name for name, _ in audio_problems(path, 16000, check_content=True)]
    ['wrong-rate', 'multi-channel', 'silent']
    >>> audio_problems(path + ".missing", 16000)[0][0]
    'missing'
    """
    if not os.path.isfile(path):
        return [("missing", "file not found")]
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as err:
        return [("unreadable", str(err))]
    if info.frames == 0:
        return [("zero-length", "0 samples")]
    problems = []
    if sample_rate is not None and info.samplerate != sample_rate:
        problems.append(("wrong-rate", f"{info.samplerate} Hz, expected {sample_rate} Hz"))
    if info.channels != 1:
        problems.append(("multi-channel", f"{info.channels} channels"))
    if check_content:
        try:
            data, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError, TypeError) as err:
            return [("unreadable", str(err))]
        finite = numpy.isfinite(data)
        if not finite.all():
            problems.append(("non-finite", f"{int((~finite).sum())} NaN or infinite samples"))
        elif abs(data).max() < SILENCE_PEAK:
            problems.append(("silent", f"peak {abs(data).max():.1e}"))
    return problems


def text_problems(text, ascii_only=False):
    """The problems of one transcript or caption.

    Example
    -------
    >>> text_problems("  "), text_problems("CAFÉ", ascii_only=True)[0][0]
    ([('empty-text', 'no words')], 'non-ascii-text')
    """
    if not text or not text.strip():
        return [("empty-text", "no words")]
    if ascii_only and not text.isascii():
        odd = sorted({char for char in text if not char.isascii()})
        return [("non-ascii-text", "characters " + " ".join(odd))]
    return []


class DataReport:
    """Collects the problems of one split; skips or stops.

    Arguments
    ---------
    split : str
        Split name (for messages and the problems file).
    on_bad_data : str
        ``"skip"``: drop examples with problems other than ``KEPT_PROBLEMS``
        and count them; ``"stop"``: raise :class:`DataError` at the first
        problem of any kind.

    Example
    -------
    >>> report = DataReport("dev-clean")
    >>> report.keep("u1", "u1.flac", [("missing", "file not found")])
    False
    >>> report.keep("u2", "u2.flac", [("wrong-rate", "8000 Hz")])
    True
    >>> report.keep("u1", "u1b.flac", [])  # an id seen before
    False
    >>> report.summary(examples=3)
    'dev-clean: 2 of 3 examples skipped (duplicate-id: 1, missing: 1); 1 kept with wrong-rate'
    """

    def __init__(self, split, on_bad_data="skip"):
        if on_bad_data not in BAD_DATA_CHOICES:
            raise ValueError(f"on_bad_data: expected one of {BAD_DATA_CHOICES}, got {on_bad_data!r}")
        self.split = split
        self.on_bad_data = on_bad_data
        self.problems = []  # (id, file, problem, detail)
        self.skipped = collections.Counter()
        self.kept = collections.Counter()
        self.seen_ids = set()

    def keep(self, example_id, path, problems):
        """Records an example's problems; whether to keep the example.

        Arguments
        ---------
        example_id : str
            The example (utterance, clip) id.
        path : str
            Its audio file (named in every message).
        problems : list of (str, str)
            From :func:`audio_problems` and :func:`text_problems`.

        Returns
        -------
        bool
            True when the example goes into the manifest.
        """
        problems = list(problems)
        if example_id in self.seen_ids:
            problems.insert(0, ("duplicate-id", f"id {example_id} seen before in {self.split}"))
        self.seen_ids.add(example_id)
        for name, detail in problems:
            self.problems.append((example_id, str(path), name, detail))
            if self.on_bad_data == "stop":
                raise DataError(f"{self.split}: {path}: {name} ({detail}) [example {example_id}]")
            logger.warning(f"{self.split}: {path}: {name} ({detail})")
        fatal = [name for name, _ in problems if name not in KEPT_PROBLEMS]
        if fatal:
            self.skipped[fatal[0]] += 1
            return False
        for name, _ in problems:
            self.kept[name] += 1
        return True

    def summary(self, examples):
        """One line: how many examples were skipped and why."""
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{name}: {n}" for name, n in sorted(self.skipped.items()))
        line = f"{self.split}: {skipped} of {examples} examples skipped"
        line += f" ({reasons})" if reasons else ""
        if self.kept:
            line += "; " + ", ".join(f"{n} kept with {name}" for name, n in sorted(self.kept.items()))
        return line

    def write(self, csv_file):
        """Writes every problem (``ID,file,problem,detail``); none: no file."""
        if os.path.exists(csv_file):
            os.remove(csv_file)
        if not self.problems:
            return None
        with open(csv_file, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["ID", "file", "problem", "detail"])
            writer.writerows(self.problems)
        return csv_file
