#!/usr/bin/env python3
"""Real-speech check: Whisper base and a LiSTEN export on real recordings.

Scores, on the manifest of ``python -m listen_offline.real_speech``, both
Whisper's own decoder (``tools/whisper_baseline.py``) and an exported LiSTEN
model (``ListenAudioLLM.transcribe_files``, no degeneracy fallback, so that
raw behaviour shows), and counts the LiSTEN answers that chat, leak the
template (``<Speech>``, prompt text) or loop. Never train or tune on these
clips: they are a check only.

To run::

    python -m listen_offline.real_speech /tmp/work/real_speech
    python tools/real_speech_check.py /tmp/work/real_speech/real_speech.csv \\
        --whisper ~/.cache/speechbrain-listen/models/whisper-base \\
        --listen EXPORT_FOLDER --output results/real_speech_check

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import csv
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from whisper_baseline import score, transcribe_manifest  # noqa: E402


def behaviour_counts(texts, detector):
    """Counts chat answers, template leaks and loops among transcripts.

    Arguments
    ---------
    texts : list of str
        Transcripts (None for failed files).
    detector : callable
        ``DegeneracyDetector``-like: text -> report with ``checks``.

    Returns
    -------
    dict

    Example
    -------
    >>> from speechbrain_listen.inference.degeneracy import DegeneracyDetector
    >>> behaviour_counts(["hello there", "<Speech> hi", "go go go go go", None],
    ...                  DegeneracyDetector())
    {'answers': 4, 'failed': 1, 'empty': 0, 'chat': 0, 'template': 1, 'speech_tag': 1, 'loop': 1}
    """
    counts = dict(answers=len(texts), failed=0, empty=0, chat=0, template=0, speech_tag=0, loop=0)
    for text in texts:
        if text is None:
            counts["failed"] += 1
            continue
        if not text.strip():
            counts["empty"] += 1
        checks = detector(text).checks
        counts["chat"] += "chat" in checks
        counts["template"] += "template" in checks
        counts["speech_tag"] += "<speech>" in text.lower() or "</speech>" in text.lower()
        counts["loop"] += "repetition" in checks or "compression" in checks
    return counts


def listen_results(export_folder, csv_file, savedir=None):
    """(id, hypothesis, reference) triples and behaviour counts of a LiSTEN export."""
    from speechbrain_listen.inference import ListenAudioLLM
    from speechbrain_listen.inference.degeneracy import DegeneracyDetector

    savedir = savedir or tempfile.mkdtemp(prefix="listen_real_speech_")
    model = ListenAudioLLM.from_hparams(source=export_folder, savedir=savedir)
    with open(csv_file, newline="", encoding="utf-8") as fin:
        rows = list(csv.DictReader(fin))
    outputs = model.transcribe_files([row["wav"] for row in rows], degeneracy_fallback=False)
    texts = [out.text for out in outputs]
    detector = DegeneracyDetector.for_llm(model.llm, [model.hparams.asr_instruction])
    triples = [(row["ID"], text or "", row["wrd"]) for row, text in zip(rows, texts)]
    return triples, behaviour_counts(texts, detector)


def summarize(name, triples, output):
    """Scores triples, writes ``NAME_wer.txt``; returns the summary dict."""
    wer, cer = score(triples)
    with open(os.path.join(output, f"{name}_wer.txt"), "w", encoding="utf-8") as out:
        wer.write_stats(out)
    return {
        "utterances": len(triples),
        "WER": wer.summarize("error_rate"),
        "CER": cer.summarize("error_rate"),
        "hypotheses": {uid: hyp for uid, hyp, _ in triples},
    }


def main(argv=None):
    """Runs the models asked for and writes ``real_speech_check.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", help="manifest from listen_offline.real_speech")
    parser.add_argument("--whisper", help="Whisper folder (its own decoder)")
    parser.add_argument("--listen", help="exported LiSTEN folder")
    parser.add_argument("--savedir", default=None)
    parser.add_argument("--output", default="results/real_speech_check")
    args = parser.parse_args(argv)
    os.makedirs(args.output, exist_ok=True)
    report = {"csv": args.csv}
    if args.whisper:
        triples = transcribe_manifest(args.whisper, args.csv)
        report["whisper"] = dict(model=args.whisper, **summarize("whisper", triples, args.output))
    if args.listen:
        triples, counts = listen_results(args.listen, args.csv, args.savedir)
        report["listen"] = dict(
            model=args.listen, behaviour=counts, **summarize("listen", triples, args.output)
        )
    with open(os.path.join(args.output, "real_speech_check.json"), "w", encoding="utf-8") as out:
        json.dump(report, out, indent=2)
    print(json.dumps({k: v for k, v in report.items()}, indent=2))
    return report


if __name__ == "__main__":
    main()
