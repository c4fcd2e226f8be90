"""The ``listen_model_pack.json`` marker that makes a built folder reusable.

A folder in the model cache is only trusted when it holds a marker written
after its conversion *and* verification succeeded (the marker is the last
file written, and the folder is moved into place only after that), and when
the marker still describes the present sources: same model name, same recipe
revision (bumped when the conversion code changes what it writes), same
installed versions of the source PyPI packages, and its main files still
there. Checking that reads one small JSON file and the packages' metadata, so
reusing a folder costs milliseconds, not a conversion.

Authors
 * speechbrain-listen contributors 2026
"""

import json
import logging
from pathlib import Path

from listen_offline.model_pack.packages import installed_version

# Plain logging: this module is on the fast path of an up-to-date cache and
# must not import speechbrain (seconds) just to log.
logger = logging.getLogger(__name__)

MARKER_NAME = "listen_model_pack.json"
MARKER_FORMAT = 1


def read_marker(folder):
    """The marker of a folder as a dict, or None if absent or unreadable.

    Arguments
    ---------
    folder : str or pathlib.Path

    Returns
    -------
    dict or None

    Example
    -------
    >>> import tempfile
    >>> read_marker(tempfile.mkdtemp()) is None
    True
    """
    path = Path(folder) / MARKER_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_marker(folder, marker):
    """Writes the marker (atomically: a reader sees the old or the new one).

    Arguments
    ---------
    folder : str or pathlib.Path
    marker : dict
        JSON-able content.

    Returns
    -------
    pathlib.Path
        The marker file.
    """
    path = Path(folder) / MARKER_NAME
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def stale_reason(marker, recipe, folder):
    """Why a folder cannot be reused for ``recipe``, or None if it can.

    A source package that is not installed does not make a folder stale: the
    folder is self-contained, and without the package it could not be rebuilt
    anyway.

    Arguments
    ---------
    marker : dict or None
        From :func:`read_marker`.
    recipe : listen_offline.model_pack.build.ModelRecipe
        What the folder should hold.
    folder : str or pathlib.Path
        The folder (its ``recipe.required_files`` must exist).

    Returns
    -------
    str or None
    """
    if marker is None:
        return "no marker"
    if marker.get("format") != MARKER_FORMAT:
        return f"marker format {marker.get('format')} != {MARKER_FORMAT}"
    if marker.get("name") != recipe.name:
        return f"marker is for '{marker.get('name')}'"
    if marker.get("recipe_revision") != recipe.revision:
        return f"recipe revision {marker.get('recipe_revision')} != {recipe.revision}"
    built_from = marker.get("packages", {})
    for package in recipe.packages:
        version = installed_version(package)
        if version is None:
            logger.info("%s: %s is not installed; reusing the built folder", recipe.name, package.name)
        elif built_from.get(package.name) != version:
            return f"{package.name} is {version}, folder built from {built_from.get(package.name)}"
    for name in recipe.required_files:
        if not (Path(folder) / name).exists():  # follows symlinks: a dangling one is missing
            return f"{name} is missing"
    return None
