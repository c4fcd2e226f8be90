#!/usr/bin/env python3
"""The paper's comparison grid from one recipe: train and test every method.

Runs ``train.py`` once per entry of ``speechbrain_listen.prompts.adaptation.GRID``
(DPS similarity / attention / residual, each deterministic and stochastic;
soft prompt, deterministic and stochastic; LoRA), each in
``<grid_folder>/<run>/`` with the same hparams file and extra overrides,
then writes ``<grid_folder>/grid.md`` and ``grid.json`` (one row per run,
the headline metric of each task, docs/design.md section 4). With ``--sweep`` it
also runs the prompt-count sweep of the named runs. A finished run (its
``test/summary.json`` exists) is not run again, and an interrupted one
resumes from its last checkpoint, so the command can be repeated until the
grid is complete. With ``--keep_results DIR`` the small files of every
finished run (test summary and per-task files, prompt choices, train log,
sweep tables; never checkpoints) are also copied to ``DIR/<run>/``, and a
run found there counts as finished: a grid longer than one machine's life
can be completed run by run, keeping only what the tables are made from.

Usage::

    python tools/run_grid.py recipes/Multitask/hparams/listen_small.yaml --grid_folder=results/multitask_small/grid \\
        [--runs dps_similarity lora] [--sweep dps_similarity dps_similarity_stochastic] \\
        [--keep_results results/multitask_small/kept] \\
        [any train.py override, e.g. --optimizer_step_limit=600]

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

from speechbrain_listen.analysis.comparison_tables import headline_values, markdown_table, read_summary
from speechbrain_listen.prompts.adaptation import GRID, grid_overrides

TOOLS = os.path.dirname(os.path.abspath(__file__))
RECIPE = os.path.join(os.path.dirname(TOOLS), "recipes", "Multitask")


def run_script(script, hparams_file, overrides):
    """Runs a script (a path) in a subprocess (its progress bars stream live)."""
    command = [sys.executable, script, hparams_file, *overrides]
    print(" ".join(command), flush=True)
    subprocess.run(command, check=True)


# What --keep_results keeps of a finished run (globs under its folder).
KEPT_FILES = (
    "train_log.txt",
    "trainable_parameters.json",
    "test/*",
    "test_prompt_choices.json",
    "prompt_count_sweep/prompt_count_sweep.*",
    "prompt_count_sweep/N*_prompt_choices.json",
)


def keep_results(run_folder, kept_folder):
    """Copies the small result files of a finished run (no checkpoints)."""
    for pattern in KEPT_FILES:
        for path in glob.glob(os.path.join(run_folder, pattern)):
            if os.path.isfile(path):
                target = os.path.join(kept_folder, os.path.relpath(path, run_folder))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(path, target)


def main(argv=None):
    """Trains and tests the grid; returns ``{run: summary}``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("hparams_file")
    parser.add_argument("--grid_folder", required=True)
    parser.add_argument("--runs", nargs="+", default=list(GRID), choices=list(GRID))
    parser.add_argument(
        "--sweep", nargs="*", default=[], choices=list(GRID), help="runs whose prompt-count sweep is also run"
    )
    parser.add_argument(
        "--keep_results", default=None, help="folder that keeps each finished run's small result files"
    )
    args, extra = parser.parse_known_args(argv)

    summaries = {}
    for position, run in enumerate(args.runs, 1):
        folder = os.path.join(args.grid_folder, run)
        overrides = [f"--output_folder={folder}", *grid_overrides(run), *extra]
        kept = os.path.join(args.keep_results, run) if args.keep_results else None
        summary_file = os.path.join(folder, "test", "summary.json")
        print(f"\n=== grid {position}/{len(args.runs)}: {run} ===", flush=True)
        finished_elsewhere = (
            kept is not None
            and not os.path.exists(summary_file)
            and os.path.exists(os.path.join(kept, "test", "summary.json"))
        )
        if finished_elsewhere:  # on an earlier machine: only its results are here
            summary_file = os.path.join(kept, "test", "summary.json")
        elif not os.path.exists(summary_file):
            run_script(os.path.join(RECIPE, "train.py"), args.hparams_file, overrides)
        summaries[run] = read_summary(summary_file)
        if run in args.sweep and not finished_elsewhere:
            run_script(os.path.join(TOOLS, "prompt_count_sweep.py"), args.hparams_file, overrides)
        elif run in args.sweep and not os.path.exists(
            os.path.join(kept, "prompt_count_sweep", "prompt_count_sweep.json")
        ):  # its checkpoint stayed on the earlier machine
            print(f"{run}: finished elsewhere without its sweep; not swept", flush=True)
        if kept is not None and not finished_elsewhere:
            keep_results(folder, kept)

    table = markdown_table(list(summaries.items()))
    with open(os.path.join(args.grid_folder, "grid.md"), "w", encoding="utf-8") as out:
        out.write(table + "\n")
    with open(os.path.join(args.grid_folder, "grid.json"), "w", encoding="utf-8") as out:
        json.dump(
            {run: {"headline": headline_values(s), "summary": s} for run, s in summaries.items()},
            out,
            indent=2,
        )
    print(table)
    return summaries


if __name__ == "__main__":
    main()
