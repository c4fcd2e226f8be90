#!/usr/bin/env python3
"""Baseline: the full Whisper model (its own decoder, greedy) on a test split.

The LiSTEN demo uses only Whisper's encoder; this script measures what the
whole Whisper model that supplies that encoder achieves on the same test
manifest, scored exactly as the recipe scores (lower case, punctuation
stripped, SpeechBrain's ``ErrorRateStats``).

To run::

    python tools/whisper_baseline.py MODEL_FOLDER_OR_HUB_ID results/listen_small/prompt_pool/42/save/test-clean.csv \\
        --output results/whisper_baseline

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import csv
import json
import os
import time

import torch
from speechbrain.utils.metric_stats import ErrorRateStats
from tqdm import tqdm
from transformers import WhisperForConditionalGeneration, WhisperProcessor

from speechbrain_listen.data.audio_loading import load_audio
from speechbrain_listen.scoring.text_normalization import words_for_scoring


def transcribe_manifest(model_source, csv_file, batch_size=16):
    """Greedy Whisper transcripts of every row of a LibriSpeech CSV.

    Arguments
    ---------
    model_source : str
        Hugging Face Whisper folder or hub id.
    csv_file : str
        Manifest with ``ID``, ``wav`` and ``wrd`` columns.
    batch_size : int
        Clips per ``generate`` call.

    Returns
    -------
    list of (id, hypothesis, reference)
    """
    processor = WhisperProcessor.from_pretrained(model_source)
    model = WhisperForConditionalGeneration.from_pretrained(model_source).eval()
    with open(csv_file, newline="", encoding="utf-8") as fin:
        rows = list(csv.DictReader(fin))
    results = []
    for start in tqdm(range(0, len(rows), batch_size), desc="whisper baseline"):
        batch = rows[start : start + batch_size]
        audio = [load_audio(row["wav"]).numpy() for row in batch]
        features = processor(audio, sampling_rate=16000, return_tensors="pt").input_features
        with torch.no_grad():
            tokens = model.generate(features, num_beams=1, do_sample=False)
        texts = processor.batch_decode(tokens, skip_special_tokens=True)
        results += [(row["ID"], text.strip(), row["wrd"]) for row, text in zip(batch, texts)]
    return results


def score(results):
    """WER and CER stats (``ErrorRateStats``) of (id, hyp, ref) triples."""
    wer, cer = ErrorRateStats(), ErrorRateStats(split_tokens=True)
    for uid, hyp, ref in results:
        hyp_words, ref_words = [words_for_scoring(hyp)], [words_for_scoring(ref)]
        wer.append([uid], hyp_words, ref_words)
        cer.append([uid], hyp_words, ref_words)
    return wer, cer


def main(argv=None):
    """Transcribes, scores, writes ``wer.txt`` and ``summary.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="Whisper folder or hub id")
    parser.add_argument("csv", help="test manifest (ID,duration,wav,spk_id,wrd)")
    parser.add_argument("--output", default="results/whisper_baseline")
    parser.add_argument("--batch_size", type=int, default=16)
    args = parser.parse_args(argv)

    start = time.time()
    results = transcribe_manifest(args.model, args.csv, args.batch_size)
    wer, cer = score(results)
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "wer.txt"), "w", encoding="utf-8") as out:
        wer.write_stats(out)
    summary = {
        "model": args.model,
        "csv": args.csv,
        "utterances": len(results),
        "WER": wer.summarize("error_rate"),
        "CER": cer.summarize("error_rate"),
        "seconds": round(time.time() - start, 1),
    }
    with open(os.path.join(args.output, "summary.json"), "w", encoding="utf-8") as out:
        json.dump(summary, out, indent=2)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
