"""A synthetic Clotho: procedural sound scenes with five captions each.

The real Clotho v2.1 cannot be downloaded here, so this module writes a
stand-in with exactly its on-disk layout, which the unchanged
``recipes/Clotho/clotho_prepare.py`` reads as it reads the real one::

    <root>/Clotho/
        clotho_captions_development.csv     # file_name,caption_1..caption_5
        clotho_captions_validation.csv
        clotho_captions_evaluation.csv
        clotho_metadata_development.csv     # file_name,keywords,sound_id,...
        clotho_metadata_validation.csv
        clotho_metadata_evaluation.csv
        development/<file_name>.wav         # mono 16-bit WAV
        validation/<file_name>.wav
        evaluation/<file_name>.wav
        synthetic_clotho.json               # options + summary (skip marker)
        synthetic_clotho_scenes.json        # ground truth of every clip

* **Clips** are :mod:`~listen_offline.synthetic.sound_scenes`: one to
  three foreground events (beeps, tones, sirens, noise bursts, footsteps,
  ticking, piano-like chords, an espeak-ng voice) in sequence or
  overlapping, with loudness, pitch and loudness changes, over an optional
  rain, wind or hum background.
* **Captions**: five different sentences per clip that describe what is
  in it (events in order, loudness, pitch, counts, tempo, background).
* **File names** look like Freesound titles (spaces, commas, apostrophes,
  parentheses, ampersands), as Clotho's do, so that name handling is tested
  for real; they are unique within a split, and may repeat across splits
  (as a recipe must not assume they do not).
* **Determinism**: the same seed and options give identical captions and
  byte-identical audio (with the same espeak-ng and sox, which the marker
  records). Each split is drawn from its own seeded stream, so changing the
  size of one split leaves the others unchanged.
* **Idempotence**: a call with the options recorded in
  ``synthetic_clotho.json`` returns at once; the corpus is built in a hidden
  sibling folder and renamed into place when complete.

Clips are 5-10 s at 16 kHz by default (real Clotho: 15-30 s at 44.1 kHz;
both configurable). The default corpus (development 400, validation 100,
evaluation 100 clips) takes under a minute on 2 cores.

Command line::

    python -m listen_offline.synthetic.clotho data/synthetic
    python recipes/Clotho/clotho_prepare.py data/synthetic/Clotho results/prepare

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import concurrent.futures
import csv
import json
import logging
import shutil
import subprocess
from pathlib import Path

import soundfile

from listen_offline.synthetic.records import built_aside, read_record, write_record
from listen_offline.synthetic.sound_scenes import (
    caption_scene,
    plan_scene,
    render_scene,
    seeded_rng,
)

logger = logging.getLogger(__name__)

CORPUS_DIR = "Clotho"
MARKER_FILE = "synthetic_clotho.json"
SCENES_FILE = "synthetic_clotho_scenes.json"
GENERATOR = "listen_offline.synthetic.clotho"
# Bump when the same options would produce different files.
FORMAT_VERSION = 1
DEFAULT_SIZES = {"development": 400, "validation": 100, "evaluation": 100}
CAPTION_HEADER = ["file_name"] + [f"caption_{n}" for n in range(1, 6)]
METADATA_HEADER = [
    "file_name",
    "keywords",
    "sound_id",
    "sound_link",
    "start_end_samples",
    "manufacturer",
    "license",
]

# Freesound-style title words per event kind / background.
TITLE_WORDS = {
    "beeps": ("Beeps", "Beeping device", "Electronic beeps"),
    "tone": ("Tone", "Sine tone", "Drone"),
    "siren": ("Siren", "Emergency siren", "Alarm siren"),
    "noise": ("Static bursts", "Noise bursts", "Hiss"),
    "footsteps": ("Footsteps", "Walking", "Steps on floor"),
    "ticking": ("Clock ticking", "Ticking", "Clicks"),
    "chords": ("Piano chords", "Keyboard chords", "Chords"),
    "voice": ("Person's voice", "Voice", "Someone talking"),
    "rain": ("rain", "in the rain"),
    "wind": ("wind", "windy"),
    "hum": ("hum", "mains hum"),
}


def plan_clotho(seed=0, sizes=None, min_seconds=5.0, max_seconds=10.0, with_voices=True):
    """Decides every clip: file name, scene and captions (no audio).

    Arguments
    ---------
    seed : int
        Seed of every choice.
    sizes : dict, optional
        Split name -> number of clips (default :data:`DEFAULT_SIZES`).
    min_seconds : float
        Shortest clip.
    max_seconds : float
        Longest clip.
    with_voices : bool
        Allow espeak-ng voices among the events.

    Returns
    -------
    dict
        Split -> list of ``(file_name, SoundScene, captions)`` in file
        order.

    Example
    -------
    >>> plan = plan_clotho(sizes={"evaluation": 3})
    >>> [len(captions) for _, _, captions in plan["evaluation"]]
    [5, 5, 5]
    """
    sizes = dict(DEFAULT_SIZES if sizes is None else sizes)
    plan = {}
    for split, size in sizes.items():
        if size < 1:
            raise ValueError(f"Split {split!r} needs at least one clip, got {size}")
        clips = []
        for index in range(size):
            rng = seeded_rng(seed, split, index)
            scene = plan_scene(rng, min_seconds, max_seconds, with_voices=with_voices)
            captions = caption_scene(scene, rng)
            clips.append((_file_name(scene, rng, index), scene, captions))
        plan[split] = clips
    return plan


def _file_name(scene, rng, index):
    """A Freesound-like title, unique within a split through ``index``."""
    words = [str(rng.choice(TITLE_WORDS[event.kind])) for event in scene.events]
    title = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " & " + words[-1]
    if scene.background is not None:
        title += f" ({rng.choice(TITLE_WORDS[scene.background])})"
    return f"{title} {index + 1:04d}.wav"


def generate_clotho(
    root,
    seed=0,
    sizes=None,
    min_seconds=5.0,
    max_seconds=10.0,
    sample_rate=16000,
    with_voices=True,
    num_workers=2,
):
    """Writes (or finds) a synthetic Clotho corpus under ``root``.

    Arguments
    ---------
    root : str or os.PathLike
        Folder that will contain ``Clotho/``.
    seed : int
        Seed of every choice.
    sizes : dict, optional
        Split name -> number of clips (default :data:`DEFAULT_SIZES`).
    min_seconds : float
        Shortest clip (at least 2 s).
    max_seconds : float
        Longest clip.
    sample_rate : int
        Sample rate of the WAV files (real Clotho: 44100).
    with_voices : bool
        Include espeak-ng voices (needs espeak-ng and sox).
    num_workers : int
        Clips rendered at the same time.

    Returns
    -------
    pathlib.Path
        ``<root>/Clotho``.

    Raises
    ------
    RuntimeError
        If voices are asked for and espeak-ng or sox is missing.
    FileExistsError
        If ``<root>/Clotho`` exists and is not a synthetic corpus.

    Example
    -------
    >>> corpus = generate_clotho(
    ...     getfixture("tmp_path"), sizes={"evaluation": 2}, min_seconds=2, max_seconds=3,
    ...     with_voices=False,
    ... )
    >>> sorted(p.name for p in corpus.iterdir())[:2]
    ['clotho_captions_evaluation.csv', 'clotho_metadata_evaluation.csv']
    """
    if with_voices:
        missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
        if missing:
            raise RuntimeError(
                f"{' and '.join(missing)} not found: voices need them (Debian: "
                "apt-get install -y espeak-ng sox), or pass with_voices=False"
            )
    if num_workers < 1:
        raise ValueError(f"num_workers must be >= 1, got {num_workers}")
    sizes = dict(DEFAULT_SIZES if sizes is None else sizes)
    root = Path(root)
    corpus = root / CORPUS_DIR
    record = {
        "generator": GENERATOR,
        "format_version": FORMAT_VERSION,
        "options": {
            "seed": seed,
            "sizes": sizes,
            "min_seconds": min_seconds,
            "max_seconds": max_seconds,
            "sample_rate": sample_rate,
            "with_voices": with_voices,
        },
        "tools": _tool_versions() if with_voices else {},
    }
    previous = corpus_info(corpus)
    if previous is not None and all(
        previous.get(k) == record[k] for k in ("generator", "format_version", "options", "tools")
    ):
        logger.info("Synthetic Clotho already in %s, skipping.", corpus)
        return corpus
    if corpus.exists() and previous is None:
        raise FileExistsError(
            f"{corpus} exists and is not a synthetic Clotho (no {MARKER_FILE}); "
            "refusing to overwrite it. Choose another root."
        )

    plan = plan_clotho(seed, sizes, min_seconds, max_seconds, with_voices)
    with built_aside(corpus) as partial:
        jobs = []
        for split, clips in plan.items():
            (partial / split).mkdir()
            jobs += [(partial / split / name, scene) for name, scene, _ in clips]
        with concurrent.futures.ThreadPoolExecutor(num_workers) as pool:
            # list(): re-raises the first failure.
            list(pool.map(lambda job: _write_clip(*job, sample_rate), jobs))
        scenes = {}
        for split, clips in plan.items():
            _write_csv(partial / f"clotho_captions_{split}.csv", CAPTION_HEADER,
                       [[name, *captions] for name, _, captions in clips])  # fmt: skip
            _write_csv(partial / f"clotho_metadata_{split}.csv", METADATA_HEADER,
                       [_metadata_row(name, scene, sample_rate, i) for i, (name, scene, _) in enumerate(clips)])  # fmt: skip
            scenes[split] = {name: scene.to_dict() for name, scene, _ in clips}
        with open(partial / SCENES_FILE, "w", encoding="utf-8") as out:
            json.dump(scenes, out, indent=1)
        record["summary"] = {
            split: {
                "clips": len(clips),
                "hours": round(sum(scene.duration for _, scene, _ in clips) / 3600, 4),
                "events": int(sum(len(scene.events) for _, scene, _ in clips)),
            }
            for split, clips in plan.items()
        }
        write_record(partial / MARKER_FILE, record)
    for split, stats in record["summary"].items():
        logger.info("%s: %d clips, %.2f hours", split, stats["clips"], stats["hours"])
    return corpus


def corpus_info(corpus):
    """The record a synthetic corpus keeps about itself, or None.

    Example
    -------
    >>> corpus_info("/nonexistent") is None
    True
    """
    return read_record(Path(corpus) / MARKER_FILE)


def _write_clip(path, scene, sample_rate):
    """Renders one scene to a 16-bit mono WAV."""
    audio = render_scene(scene, sample_rate)
    soundfile.write(str(path), audio, sample_rate, subtype="PCM_16")


def _metadata_row(name, scene, sample_rate, index):
    """A ``clotho_metadata_*.csv`` row; keywords are the scene's sounds."""
    keywords = [event.kind for event in scene.events]
    if scene.background:
        keywords.append(scene.background)
    samples = int(round(scene.duration * sample_rate))
    return [name, ";".join(keywords), str(index + 1), "", f"[0, {samples}]", GENERATOR, "CC0 (synthetic)"]


def _write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def _tool_versions():
    """espeak-ng and sox versions: other versions may synthesise other audio."""
    versions = {}
    for tool, flag in (("espeak-ng", "--version"), ("sox", "--version")):
        result = subprocess.run([tool, flag], capture_output=True, text=True, check=False)
        versions[tool] = (
            (result.stdout or result.stderr).strip().splitlines()[0]
            if (result.stdout or result.stderr)
            else ""
        )
    return versions


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m listen_offline.synthetic.clotho",
        description="Write a synthetic Clotho (sound scenes + captions) to ROOT/Clotho.",
    )
    parser.add_argument("root", help="folder that will hold Clotho/")
    parser.add_argument("--seed", type=int, default=0)
    for split, size in DEFAULT_SIZES.items():
        parser.add_argument(f"--{split}", type=int, default=size, help=f"clips (default: {size})")
    parser.add_argument("--min_seconds", type=float, default=5.0)
    parser.add_argument("--max_seconds", type=float, default=10.0)
    parser.add_argument("--sample_rate", type=int, default=16000, help="real Clotho: 44100")
    parser.add_argument("--no_voices", action="store_true", help="no espeak-ng voices")
    parser.add_argument("--num_workers", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    corpus = generate_clotho(
        args.root,
        seed=args.seed,
        sizes={split: getattr(args, split) for split in DEFAULT_SIZES},
        min_seconds=args.min_seconds,
        max_seconds=args.max_seconds,
        sample_rate=args.sample_rate,
        with_voices=not args.no_voices,
        num_workers=args.num_workers,
    )
    print(f"Synthetic Clotho in {corpus}")
    return corpus


if __name__ == "__main__":
    main()
