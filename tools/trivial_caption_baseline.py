#!/usr/bin/env python3
"""The trivial captioning baseline: one caption for every clip.

Finds the single most frequent caption of the training split(s) (after
the scoring normalisation: lower case, no punctuation; ties go to the
caption that comes first in ID order) and scores it, unchanged, as the
hypothesis for every clip of each test split, with the same metric classes
and references as ``train.py``. Any trained model must beat this row.

Writes ``baseline_<split>.csv`` (per clip), ``baseline_<split>.txt`` and
``baseline_<split>_summary.json`` to the output folder and prints a
results-table row.

To run (prepares the manifests first if needed)::

    python tools/trivial_caption_baseline.py --data_folder=/path/to/clotho \\
        --output_folder=results/trivial_baseline

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import collections
import json
import logging
import os
import sys

# The Clotho recipe's own preparer reads the corpus exactly as train.py does.
sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "recipes", "Clotho")
)

from clotho_prepare import load_manifest, prepare_clotho  # noqa: E402

from speechbrain_listen.scoring.captioning import (  # noqa: E402
    METRIC_GROUPS,
    CaptioningStats,
)
from speechbrain_listen.scoring.text_normalization import normalize_for_scoring  # noqa: E402


def most_frequent_caption(manifest):
    """The most frequent caption among all references of a manifest.

    Arguments
    ---------
    manifest : dict
        ID -> entry with ``references`` (as :func:`load_manifest` returns).

    Returns
    -------
    caption : str
        The caption as first written in the data (ID order).
    count : int
        How many references equal it after normalisation.

    Example
    -------
    >>> most_frequent_caption({
    ...     "b": {"references": ["A dog barks.", "Rain falls"]},
    ...     "a": {"references": ["rain falls.", "Wind blows"]},
    ... })
    ('rain falls.', 2)
    """
    counts = collections.Counter()
    first = {}
    for uid in sorted(manifest):
        for caption in manifest[uid]["references"]:
            key = normalize_for_scoring(caption)
            counts[key] += 1
            first.setdefault(key, (len(first), caption))
    # Most frequent; among equals, the one seen first.
    key = min(counts, key=lambda k: (-counts[k], first[k][0]))
    return first[key][1], counts[key]


def score_constant_caption(caption, manifest, metrics=METRIC_GROUPS):
    """Scores ``caption`` as the hypothesis of every clip of a manifest.

    Arguments
    ---------
    caption : str
        The hypothesis for all clips.
    manifest : dict
        ID -> entry with ``references``.
    metrics : sequence of str
        Metric groups (see ``CaptioningStats``).

    Returns
    -------
    CaptioningStats
        With every clip appended (scores computed on first use).

    Example
    -------
    >>> stats = score_constant_caption(
    ...     "a dog barks", {"x": {"references": ["A dog barks."]}}, metrics=["ROUGE_L"]
    ... )
    >>> stats.summarize("ROUGE_L")
    100.0
    """
    stats = CaptioningStats(metrics=metrics)
    ids = sorted(manifest)
    stats.append(ids, [caption] * len(ids), [manifest[uid]["references"] for uid in ids])
    return stats


def main(argv=None):
    """Command-line entry point: prepare, pick the caption, score, write."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_folder", required=True, help="Clotho folder")
    parser.add_argument("--output_folder", default="results/trivial_baseline")
    parser.add_argument("--save_folder", default=None, help="manifests (default: <output_folder>/save)")
    parser.add_argument("--train_splits", nargs="+", default=["development"])
    parser.add_argument("--test_splits", nargs="+", default=["evaluation"])
    parser.add_argument("--metrics", nargs="+", default=list(METRIC_GROUPS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    save_folder = args.save_folder or os.path.join(args.output_folder, "save")
    os.makedirs(args.output_folder, exist_ok=True)
    csvs = prepare_clotho(args.data_folder, save_folder, args.train_splits + args.test_splits)
    train = {}
    for split in args.train_splits:
        train.update(load_manifest(csvs[split]))
    caption, count = most_frequent_caption(train)
    total = sum(len(entry["references"]) for entry in train.values())
    print(f"Most frequent training caption ({count} of {total} references): {caption!r}")

    results = {}
    for split in args.test_splits:
        stats = score_constant_caption(caption, load_manifest(csvs[split]), args.metrics)
        stem = os.path.join(args.output_folder, f"baseline_{split}")
        stats.write_csv(stem + ".csv")
        with open(stem + ".txt", "w", encoding="utf-8") as out:
            stats.write_stats(out)
        summary = {
            **stats.summarize(),
            "unavailable": stats.unavailable,
            "clips": len(stats.ids),
            "caption": caption,
            "caption_count": count,
            "train_references": total,
            "scale": stats.scale,
        }
        with open(stem + "_summary.json", "w", encoding="utf-8") as out:
            json.dump(summary, out, indent=2)
        results[split] = summary
        cells = [f"{value:.2f}" if value is not None else "n/a" for value in stats.summarize().values()]
        print(f"| trivial (most frequent caption) | {split} | " + " | ".join(cells) + " |")
        for name, reason in stats.unavailable.items():
            print(f"  {name} unavailable: {reason}")
    return results


if __name__ == "__main__":
    main()
