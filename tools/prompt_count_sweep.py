#!/usr/bin/env python3
"""Inference-time prompt-count sweep: how a trained model fares with N prompts.

The paper's central observation about stochastic training (docs/design.md
sections 1 and 4): a pool trained with a fixed N collapses when inference
uses fewer prompts, one trained with N ~ U{1..M} stays nearly flat down to
N = 1. This script takes a *trained* multitask run (same hparams file and
overrides as its ``train.py`` command), loads its best checkpoint and scores
the test set once per N, without training. Defaults are the paper's counts
for M = 400 (1, 2, 10, 50, 100, 160, 300, 400), scaled to the run's pool
size (``round(N * M / 400)``, at least 1, duplicates dropped), plus the
run's own N.

Writes, under ``<output_folder>/prompt_count_sweep/``: ``N<k>/`` (the
per-task test files and ``summary.json`` of each N, plus its
``N<k>_prompt_choices.json``), ``prompt_count_sweep.json`` and
``prompt_count_sweep.md`` (one row per N, the headline metric of each task).

Usage::

    python tools/prompt_count_sweep.py recipes/Multitask/hparams/listen_small.yaml \\
        --output_folder=results/multitask_small/grid/dps_similarity_stochastic \\
        --adaptation=prompt_pool --stochastic_selection=True [--counts 1 4 16]

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import json
import os
import sys

# The Multitask recipe, whose train.py builds and tests the model.
RECIPE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "recipes", "Multitask")
PAPER_COUNTS = (1, 2, 10, 50, 100, 160, 300, 400)
PAPER_POOL_SIZE = 400


def scaled_counts(counts, pool_size, reference_pool_size=PAPER_POOL_SIZE):
    """Prompt counts scaled from a reference pool to this one.

    Example
    -------
    >>> scaled_counts((1, 2, 10, 50, 100, 160, 300, 400), 40)
    [1, 5, 10, 16, 30, 40]
    >>> scaled_counts((1, 2, 10), 400)
    [1, 2, 10]
    """
    scaled = {max(1, round(n * pool_size / reference_pool_size)) for n in counts}
    return sorted(n for n in scaled if n <= pool_size)


def main(argv=None):
    """Runs the sweep; returns ``{N: per-task summary}``."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], add_help=False)
    parser.add_argument(
        "--counts",
        type=int,
        nargs="+",
        default=None,
        help="prompt counts as given (no scaling); default: the paper's, scaled",
    )
    args, recipe_argv = parser.parse_known_args(argv)

    sys.path.insert(0, RECIPE)
    from speechbrain.utils.distributed import if_main_process
    from train import build, test

    from speechbrain_listen.analysis.comparison_tables import markdown_table, read_summary, sweep_row_label
    from speechbrain_listen.training.brain import unwrap

    brain, hparams, (_, _, test_data) = build(recipe_argv)
    if brain.prompt_provider is None:
        sys.exit("prompt_count_sweep.py: this run has no prompts (adaptation: lora)")
    adapter = unwrap(brain.prompt_provider)
    trained_n = adapter.num_prompts
    # The paper's counts, scaled, and always the model's own N for reference.
    counts = args.counts or sorted(set(scaled_counts(PAPER_COUNTS, adapter.size)) | {trained_n})
    folder = os.path.join(hparams["output_folder"], "prompt_count_sweep")
    results = {}
    for count in counts:
        adapter.resolve_num_prompts(count)  # a clear error for N > M
        adapter.num_prompts = count
        test(brain, hparams, test_data, os.path.join(folder, f"N{count}"))
        results[count] = read_summary(os.path.join(folder, f"N{count}", "summary.json"))
    adapter.num_prompts = trained_n

    if if_main_process():
        with open(os.path.join(folder, "prompt_count_sweep.json"), "w", encoding="utf-8") as out:
            json.dump(
                {"pool_size": adapter.size, "trained_num_prompts": trained_n, "results": results},
                out,
                indent=2,
            )
        rows = [(sweep_row_label(n, trained_n), results[n]) for n in counts]
        table = markdown_table(rows, first_title="inference N")
        with open(os.path.join(folder, "prompt_count_sweep.md"), "w", encoding="utf-8") as out:
            out.write(table + "\n")
        print(table)
    return results


if __name__ == "__main__":
    main()
