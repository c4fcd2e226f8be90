#!/usr/bin/env python3
"""Deterministic against stochastic training: where their prompt-count sweeps part.

Reads the ``prompt_count_sweep.json`` of a deterministic and of a stochastic
run (``prompt_count_sweep.py``), writes their side-by-side table and, per
task metric, the largest inference N below the default at which the
deterministic model has degraded more than the stochastic one by over
``--tolerance`` points, each measured from its own default N
(``speechbrain_listen.analysis.comparison_tables.prompt_count_divergence``).

Usage::

    python tools/compare_sweeps.py \\
        results/grid/dps_similarity/prompt_count_sweep/prompt_count_sweep.json \\
        results/grid/dps_similarity_stochastic/prompt_count_sweep/prompt_count_sweep.json \\
        --output results/grid/sweep_comparison [--tolerance 5]

Writes ``<output>.md`` (the table and the divergence N per metric) and
``<output>.json``.

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import json
import os

from speechbrain_listen.analysis.comparison_tables import prompt_count_divergence, sweep_comparison_table


def read_sweep(path):
    """``(results, default N)`` of a ``prompt_count_sweep.json``."""
    with open(path, encoding="utf-8") as fin:
        sweep = json.load(fin)
    return sweep["results"], sweep.get("trained_num_prompts")


def main(argv=None):
    """Compares the two sweeps; returns the divergence dict."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("deterministic_sweep")
    parser.add_argument("stochastic_sweep")
    parser.add_argument("--output", required=True, help="path without extension")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=5.0,
        help="metric points of extra degradation that count as diverged",
    )
    parser.add_argument(
        "--reference_n", type=int, default=None, help="default: the deterministic run's trained N"
    )
    args = parser.parse_args(argv)

    deterministic, trained_n = read_sweep(args.deterministic_sweep)
    stochastic, _ = read_sweep(args.stochastic_sweep)
    reference = args.reference_n or trained_n
    if reference is None:
        parser.error("the sweep does not record its trained N: give --reference_n")
    divergence = prompt_count_divergence(deterministic, stochastic, reference, args.tolerance)

    lines = [sweep_comparison_table(deterministic, stochastic, reference), ""]
    for title, count in divergence.items():
        where = f"N = {count}" if count is not None else "no N in the sweep (down to the smallest)"
        lines.append(
            f"- {title}: diverged at {where} (tolerance {args.tolerance:g} points, from N = {reference})"
        )
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output + ".md", "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    with open(args.output + ".json", "w", encoding="utf-8") as out:
        json.dump(
            {"reference_n": reference, "tolerance": args.tolerance, "divergence": divergence}, out, indent=2
        )
    print("\n".join(lines))
    return divergence


if __name__ == "__main__":
    main()
