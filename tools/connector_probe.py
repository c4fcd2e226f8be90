#!/usr/bin/env python3
"""How fast can a connector learn to spell the transcript? (no LLM involved)

Trains only a connector (LayerNorm + window Q-Former, or a stacked-frames
MLP for reference) and the token-alignment CTC of
``speechbrain_listen/model/token_alignment.py`` on cached frozen Whisper features,
and prints every 100 steps the mean CTC loss and the token error rate of
greedy CTC decoding on the first 40 dev utterances. A step costs a fraction
of a LiSTEN step (no LLM), so connector settings can be compared in minutes;
the recipe README lists what this showed on the offline small setting.

Run after a LiSTEN run has filled the feature cache (same encoder)::

    python tools/connector_probe.py qformer --steps 300 \\
        --feature_cache results/feature_cache/<fingerprint> --save_folder results/demo/save
    python tools/connector_probe.py qformer --window_query --plain_init ...
    python tools/connector_probe.py stack ...

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import csv
import os
import random
import time

import torch
from speechbrain.utils.edit_distance import wer_details_for_batch
from transformers import AutoModelForCausalLM, AutoTokenizer

from listen_offline.model_pack.build import default_cache_dir
from speechbrain_listen.model.token_alignment import TokenAlignmentCTC
from speechbrain_listen.model.window_qformer import WindowQFormer


class StackedFramesMLP(torch.nn.Module):
    """Reference connector: each window's frames stacked in order -> MLP."""

    def __init__(self, input_size, output_size, window_frames, hidden=1024):
        super().__init__()
        self.window_frames = window_frames
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(input_size * window_frames, hidden),
            torch.nn.GELU(),
            torch.nn.Linear(hidden, output_size),
        )

    def forward(self, feats, feat_lens):
        """``[batch, frames, input]`` -> ``[batch, windows, output]`` + relative lengths."""
        batch, frames, channels = feats.shape
        windows = (frames + self.window_frames - 1) // self.window_frames
        padded = torch.nn.functional.pad(feats, (0, 0, 0, windows * self.window_frames - frames))
        tokens = self.mlp(padded.reshape(batch, windows, self.window_frames * channels))
        return tokens, (feat_lens * frames / self.window_frames).ceil() / windows


def read_manifest(save_folder, split):
    """Rows of a ``librispeech_prepare`` CSV."""
    with open(os.path.join(save_folder, f"{split}.csv"), encoding="utf-8") as fin:
        return list(csv.DictReader(fin))


def main(argv=None):
    """Trains the chosen connector with CTC only and prints its progress."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("connector", choices=["qformer", "stack"])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--window_frames", type=int, default=8)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--window_query", action="store_true")
    parser.add_argument(
        "--plain_init",
        action="store_true",
        help="PyTorch's projection init instead of word-embedding-norm tokens",
    )
    parser.add_argument("--feature_cache", required=True, help="folder of <ID>.pt features")
    parser.add_argument("--save_folder", required=True, help="folder with the prepared CSVs")
    parser.add_argument("--llm", default=os.path.join(default_cache_dir(), "smollm2-135m-instruct"))
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    random.seed(0)
    tokenizer = AutoTokenizer.from_pretrained(args.llm)
    table = AutoModelForCausalLM.from_pretrained(args.llm).get_input_embeddings().weight.detach()
    word_norm = float(table.norm(dim=1).mean())
    train = read_manifest(args.save_folder, "train-clean-100")
    dev = read_manifest(args.save_folder, "dev-clean")[:40]

    def batch(rows):
        feats = [torch.load(os.path.join(args.feature_cache, r["ID"] + ".pt")) for r in rows]
        frames = max(f.shape[0] for f in feats)
        padded = torch.zeros(len(feats), frames, feats[0].shape[1])
        for i, f in enumerate(feats):
            padded[i, : f.shape[0]] = f
        lens = torch.tensor([f.shape[0] / frames for f in feats])
        ids = [tokenizer(r["wrd"].lower(), add_special_tokens=False).input_ids for r in rows]
        return padded, lens, ids

    width = torch.load(os.path.join(args.feature_cache, train[0]["ID"] + ".pt")).shape[1]
    norm = torch.nn.LayerNorm(width)
    if args.connector == "qformer":
        connector = WindowQFormer(
            width,
            table.shape[1],
            window_frames=args.window_frames,
            hidden_size=384,
            num_layers=2,
            num_heads=6,
            intermediate_size=1536,
            dropout=args.dropout,
            token_norm=None if args.plain_init else word_norm,
            window_query=args.window_query,
        )
    else:
        connector = StackedFramesMLP(width, table.shape[1], args.window_frames)
    align = TokenAlignmentCTC(table.shape[1])
    params = [*connector.parameters(), *align.parameters(), *norm.parameters()]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05)

    def tokens_of(feats, lens):
        tokens, token_lens = connector(norm(feats), lens)
        return tokens, (token_lens * tokens.shape[1]).round().long()

    def token_error_rate():
        connector.eval()
        edits = words = 0
        with torch.no_grad():
            for start in range(0, len(dev), 8):
                feats, lens, refs = batch(dev[start : start + 8])
                hyps = align.greedy_ids(*tokens_of(feats, lens), table)
                for hyp, ref in zip(hyps, refs):
                    edits += wer_details_for_batch(["x"], [ref], [hyp])[0]["num_edits"]
                    words += len(ref)
        connector.train()
        return 100 * edits / words, tokenizer.decode(hyps[0]), tokenizer.decode(refs[0])

    start, running = time.time(), 0.0
    for step in range(1, args.steps + 1):
        feats, lens, ids = batch(random.sample(train, 8))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = align(*tokens_of(feats, lens), table, ids)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        optimizer.step()
        running += loss.item()
        if step % 100 == 0:
            ter, hyp, ref = token_error_rate()
            print(
                f"step {step} ctc {running / 100:.2f} dev token error {ter:.1f} % "
                f"({time.time() - start:.0f} s) | {hyp} || {ref}",
                flush=True,
            )
            running = 0.0


if __name__ == "__main__":
    main()
