#!/usr/bin/env python3
"""Speed of LiSTEN training and decoding: the paper's pipeline against ours.

Everything runs in one process, on the same models and the same clips, so
the printed ratios compare like with like (absolute times depend on the
machine; ratios much less).

Training (steps per second and peak memory, AdamW on the trainable parts),
with the paper's two frozen encoders (Whisper + BEATs; ``--beats none`` for
Whisper alone):

1. ``paper``: the frozen encoder re-run at every step on audio padded to
   30 s, 88 audio tokens per clip whatever its length, logits over the whole
   sequence (the model's own ``labels=`` loss).
2. ``+cache``: frozen features read from the feature cache.
3. ``+real tokens``: audio tokens for the clip's real length only.
4. ``ours``: and logits at the target positions only (``LLMLobe.forward``).

Decoding (clips per second and real-time factor), on the clips sorted by
length:

* ``per-example greedy, no cache``: one clip at a time, the whole sequence
  re-run for every new token (what SpeechBrain's LLM greedy searcher does);
* ``batched greedy, KV cache`` and ``batched beam search, KV cache``
  (``LLMLobe.generate``); the greedy transcripts of the first two are
  compared, and should agree.

Peak memory is the largest resident-set growth during the timed steps,
sampled every 5 ms on CPU after freed memory is handed back to the system
(``malloc_trim``); on a GPU, ``torch.cuda.max_memory_allocated``.

The trainable-parameter breakdown at paper scale (Whisper large-v2 + BEATs,
Llama-3-8B, M = 400) is computed from the configurations on PyTorch's meta
device: nothing is downloaded.

Run (offline small models from ``python -m listen_offline.model_pack``,
clips of 10-15 s made from the synthetic LibriSpeech test set)::

    python benchmarks/speed.py --data_folder data/synthetic/LibriSpeech

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import ctypes
import gc
import json
import os
import pathlib
import resource
import tempfile
import threading
import time

import torch

from listen_offline.model_pack.build import default_cache_dir
from speechbrain_listen.data.audio_loading import load_audio
from speechbrain_listen.model.audio_encoder import AudioEncoder
from speechbrain_listen.model.audio_prompting import prompt_audio
from speechbrain_listen.model.llm_lobe import LLMLobe
from speechbrain_listen.model.window_qformer import WindowQFormer
from speechbrain_listen.prompts.pool import PromptPool

SAMPLE_RATE = 16000
INSTRUCTION = "Transcribe the audio."


# ------------------------------------------------------------------ clips --


def long_clips(data_folder, count, min_seconds=10.0, max_seconds=15.0):
    """``count`` clips of 10-15 s, each a chapter's utterances joined in order.

    Returns a list of ``(id, waveform, transcript)``, LibriSpeech-length
    audio from the (synthetic) ``test-clean`` split.
    """
    clips, current, words = [], [], []
    for trans in sorted(pathlib.Path(data_folder, "test-clean").rglob("*.trans.txt")):
        for line in trans.read_text(encoding="utf-8").splitlines():
            uid, text = line.split(" ", 1)
            current.append(load_audio(str(trans.parent / f"{uid}.flac")))
            words.append(text.lower())
            seconds = sum(len(c) for c in current) / SAMPLE_RATE
            if seconds >= min_seconds:
                if seconds <= max_seconds:
                    clips.append((f"clip{len(clips)}", torch.cat(current), " ".join(words)))
                current, words = [], []
                if len(clips) == count:
                    return clips
    raise SystemExit(f"only {len(clips)} clips of {min_seconds}-{max_seconds} s in {data_folder}")


def batches(clips, batch_size):
    """Padded ``(ids, wavs, wav_lens, targets)`` batches, in clip order."""
    for start in range(0, len(clips), batch_size):
        part = clips[start : start + batch_size]
        longest = max(len(wav) for _, wav, _ in part)
        wavs = torch.zeros(len(part), longest)
        for row, (_, wav, _) in enumerate(part):
            wavs[row, : len(wav)] = wav
        lens = torch.tensor([len(wav) / longest for _, wav, _ in part])
        yield [c[0] for c in part], wavs, lens, [c[2] for c in part]


# ----------------------------------------------------------------- memory --


class PeakMemory:
    """Peak memory growth during a ``with`` block (bytes)."""

    def __init__(self, device):
        self.device = device
        self.peak = 0

    @staticmethod
    def rss():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def __enter__(self):
        # Hand memory freed by earlier runs back to the system first, so that
        # the resident set starts low and its growth is this block's own.
        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc: growth is a lower bound
            pass
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
            return self
        self.base = self.rss()
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self):
        while self.running:
            self.peak = max(self.peak, self.rss() - self.base)
            time.sleep(0.005)

    def __exit__(self, *exc):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            self.peak = torch.cuda.max_memory_allocated() - self.base
        else:
            self.running = False
            self.thread.join()


# ---------------------------------------------------------------- training --


def full_logits_loss(llm, inputs):
    """The model's own ``labels=`` loss (logits at every position)."""
    return llm.model(
        inputs_embeds=inputs.embeds, attention_mask=inputs.attention_mask, labels=inputs.labels
    ).loss


def train_steps(models, clips, args, cached, num_windows, target_logits_only):
    """Seconds per step and peak memory of one training configuration."""
    audio_encoder, connector, pool, llm = models
    connector.num_windows = num_windows
    trainable = [p for m in (audio_encoder, connector, pool) for p in m.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    data = list(batches(clips, args.batch_size))

    def step(ids, wavs, lens, targets):
        prompted = prompt_audio(
            audio_encoder,
            connector,
            pool,
            llm,
            wavs.to(args.device),
            lens.to(args.device),
            [INSTRUCTION] * len(ids),
            ids=ids if cached else None,
        )
        inputs = llm.build_inputs(prompted.wrapped, prompted.prompts, targets)
        ce = llm(inputs) if target_logits_only else full_logits_loss(llm, inputs)
        loss = ce + 0.5 * prompted.selection_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return prompted.audio_counts.float().mean().item()

    for batch in data[:1]:  # warm-up (and, with the cache, its filling)
        step(*batch)
    if cached:  # every clip's features are in the cache before timing
        for batch in data:
            with torch.no_grad():
                audio_encoder(batch[1].to(args.device), batch[2].to(args.device), ids=batch[0])
    timed = [data[i % len(data)] for i in range(args.train_steps)]
    with PeakMemory(args.device) as memory:
        start = time.perf_counter()
        tokens = [step(*batch) for batch in timed]
        if args.device.type == "cuda":
            torch.cuda.synchronize()
        seconds = (time.perf_counter() - start) / len(timed)
    return {
        "seconds_per_step": seconds,
        "peak_mb": memory.peak / 2**20,
        "audio_tokens_per_clip": sum(tokens) / len(tokens),
    }


# ---------------------------------------------------------------- decoding --


@torch.no_grad()
def greedy_without_cache(llm, wrapped, prompts, max_new_tokens):
    """One example at a time; the whole sequence runs again for every token."""
    texts = []
    table = llm.input_embeddings
    for row, sequence in enumerate(wrapped):
        inputs = llm.build_inputs([sequence], None if prompts is None else prompts[row : row + 1])
        embeds, new = inputs.embeds, []
        for _ in range(max_new_tokens):
            logits = llm.model(inputs_embeds=embeds, use_cache=False).logits[0, -1]
            token = int(logits.argmax())
            if token in (llm.end_of_turn_id, llm.tokenizer.eos_token_id):
                break
            new.append(token)
            embeds = torch.cat([embeds, table(torch.tensor([[token]], device=embeds.device))], 1)
        texts.append(llm.tokenizer.decode(new, skip_special_tokens=True).strip())
    return texts


@torch.no_grad()
def decode(models, clips, args):
    """Times the three decoders on the same audio tokens and prompts."""
    audio_encoder, connector, pool, llm = models
    connector.num_windows = None
    for module in models:
        module.eval()
    ordered = sorted(clips, key=lambda clip: len(clip[1]))  # batches of similar length
    prepared = []
    for ids, wavs, lens, _ in batches(ordered, args.decode_batch_size):
        prompted = prompt_audio(
            audio_encoder,
            connector,
            pool,
            llm,
            wavs.to(args.device),
            lens.to(args.device),
            [INSTRUCTION] * len(ids),
            ids=ids,
        )
        prepared.append((prompted.wrapped, prompted.prompts))
    audio_seconds = sum(len(clip[1]) for clip in clips) / SAMPLE_RATE

    def timed(run):
        start = time.perf_counter()
        texts = [text for wrapped, prompts in prepared for text in run(wrapped, prompts)]
        return texts, time.perf_counter() - start

    results = {}
    runs = {
        "per-example greedy, no cache": lambda w, p: greedy_without_cache(llm, w, p, args.max_new_tokens),
        "batched greedy, KV cache": lambda w, p: llm.generate(
            llm.build_inputs(w, p), num_beams=1, max_new_tokens=args.max_new_tokens
        ),
        f"batched beam {args.num_beams}, KV cache": lambda w, p: llm.generate(
            llm.build_inputs(w, p), num_beams=args.num_beams, max_new_tokens=args.max_new_tokens
        ),
    }
    for name, run in runs.items():
        texts, seconds = timed(run)
        results[name] = {
            "seconds": seconds,
            "clips_per_second": len(clips) / seconds,
            "real_time_factor": seconds / audio_seconds,
            "texts": texts,
        }
    return results


# ------------------------------------------------------------- paper scale --


def paper_scale_parameters():
    """Trainable parameters of LiSTEN at paper scale, from configurations.

    Whisper large-v2 (1280-d) + BEATs (768-d) LayerNorms, the 2-layer
    BERT-base window Q-Former with its projection to Llama-3-8B's 4096, a
    pool of M = 400 keys and values; the LLM's size from its configuration.
    Built on the meta device: no weights, no download.
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    with torch.device("meta"):
        connector = WindowQFormer(
            input_size=1280 + 768,
            output_size=4096,
            window_frames=17,
            hidden_size=768,
            num_layers=2,
            num_heads=12,
            intermediate_size=3072,
        )
        pool = PromptPool(pool_size=400, num_prompts=160, value_mean=torch.zeros(4096))
        llama3_8b = LlamaForCausalLM(
            LlamaConfig(
                vocab_size=128256,
                hidden_size=4096,
                intermediate_size=14336,
                num_hidden_layers=32,
                num_attention_heads=32,
                num_key_value_heads=8,
                tie_word_embeddings=False,
            )
        )
    layer_norms = 2 * 1280 + 2 * 768
    parts = {
        "encoder LayerNorms": layer_norms,
        "connector (Q-Former + projection)": sum(p.numel() for p in connector.parameters()),
        "pool keys": pool.keys.numel(),
        "pool values": pool.values.numel(),
    }
    parts["total trainable"] = sum(parts.values())
    parts["LLM (frozen)"] = sum(p.numel() for p in llama3_8b.parameters())
    return parts


# -------------------------------------------------------------------- main --


def build_models(args):
    """Whisper (+ BEATs) encoders (30 s window, feature cache), Q-Former,
    pool, LLM.

    The BEATs weights are not available offline; ``--beats random`` builds
    SpeechBrain's BEATs (iter3 architecture, 12 layers, 768-d) with random
    weights, which costs exactly as much compute as the real checkpoint.
    """
    from speechbrain.integrations.huggingface.whisper import Whisper
    from speechbrain.lobes.models.beats import BEATs

    save_path = tempfile.mkdtemp(prefix="listen-bench-")
    whisper = Whisper(source=args.whisper, save_path=save_path, encoder_only=True, freeze=True)
    beats = BEATs(ckp_path=None, freeze=True) if args.beats == "random" else None
    audio_encoder = AudioEncoder(whisper, beats=beats, cache_dir=os.path.join(save_path, "cache"))
    llm = LLMLobe(args.llm, save_path=save_path)
    connector = WindowQFormer(
        input_size=audio_encoder.output_size,
        output_size=llm.hidden_size,
        window_frames=17,
        hidden_size=384,
        num_layers=2,
        num_heads=6,
        intermediate_size=1536,
        window_query=True,
    )
    pool = PromptPool(
        pool_size=40, num_prompts=16, value_mean=llm.input_embeddings.weight.detach().float().mean(0)
    )
    return [m.to(args.device) for m in (audio_encoder, connector, pool, llm)]


def main(argv=None):
    """Runs the benchmark and prints its tables (and writes them as JSON)."""
    models_dir = default_cache_dir()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data_folder", default="data/synthetic/LibriSpeech")
    parser.add_argument("--whisper", default=os.path.join(models_dir, "whisper-base"))
    parser.add_argument("--llm", default=os.path.join(models_dir, "smollm2-135m-instruct"))
    parser.add_argument(
        "--beats",
        choices=["random", "none"],
        default="random",
        help="the paper's second encoder: BEATs with random weights (same compute), or none",
    )
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--train_steps", type=int, default=4)
    parser.add_argument("--decode_batch_size", type=int, default=8)
    parser.add_argument("--num_beams", type=int, default=4)
    parser.add_argument("--max_new_tokens", type=int, default=40)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--output", default="results/benchmark/speed.json")
    args = parser.parse_args(argv)
    args.device = torch.device(args.device)
    torch.manual_seed(0)

    clips = long_clips(args.data_folder, args.clips)
    seconds = [len(c[1]) / SAMPLE_RATE for c in clips]
    print(
        f"{len(clips)} clips of {min(seconds):.1f}-{max(seconds):.1f} s; device {args.device}; "
        f"torch threads {torch.get_num_threads()}"
    )
    print(f"encoders: {args.whisper}" + (" + BEATs (random weights)" if args.beats == "random" else ""))
    models = build_models(args)
    for module in models[:3]:
        module.train()

    ladder = {
        "paper (re-encode, 88 tokens, full logits)": dict(
            cached=False, num_windows=88, target_logits_only=False
        ),
        "+cache": dict(cached=True, num_windows=88, target_logits_only=False),
        "+real tokens": dict(cached=True, num_windows=None, target_logits_only=False),
        "ours (+target logits)": dict(cached=True, num_windows=None, target_logits_only=True),
    }
    training = {name: train_steps(models, clips, args, **config) for name, config in ladder.items()}
    base = training["paper (re-encode, 88 tokens, full logits)"]["seconds_per_step"]
    print(f"\nTraining, batch {args.batch_size}, {args.train_steps} timed steps each")
    print(f"{'pipeline':44s} {'s/step':>8s} {'steps/s':>8s} {'speed-up':>9s} {'peak MB':>8s} {'tokens':>7s}")
    for name, row in training.items():
        print(
            f"{name:44s} {row['seconds_per_step']:8.2f} {1 / row['seconds_per_step']:8.3f} "
            f"{base / row['seconds_per_step']:8.2f}x {row['peak_mb']:8.0f} {row['audio_tokens_per_clip']:7.1f}"
        )

    decoding = decode(models, clips, args)
    slow = decoding["per-example greedy, no cache"]
    print(
        f"\nDecoding {len(clips)} clips ({sum(seconds):.0f} s of audio), at most "
        f"{args.max_new_tokens} new tokens, batch {args.decode_batch_size}"
    )
    print(f"{'decoder':34s} {'seconds':>8s} {'clips/s':>8s} {'RTF':>7s} {'speed-up':>9s}")
    for name, row in decoding.items():
        print(
            f"{name:34s} {row['seconds']:8.2f} {row['clips_per_second']:8.3f} "
            f"{row['real_time_factor']:7.3f} {slow['seconds'] / row['seconds']:8.2f}x"
        )
    same = sum(a == b for a, b in zip(slow["texts"], decoding["batched greedy, KV cache"]["texts"]))
    print(f"greedy transcripts identical (per-example uncached vs batched cached): {same} of {len(clips)}")

    parts = paper_scale_parameters()
    print("\nTrainable parameters at paper scale (from configurations, nothing downloaded)")
    for name, value in parts.items():
        print(f"  {name:36s} {value:>14,d}")

    report = {
        "clips": len(clips),
        "clip_seconds": seconds,
        "device": str(args.device),
        "whisper": args.whisper,
        "beats": args.beats,
        "batch_size": args.batch_size,
        "threads": torch.get_num_threads(),
        "training": training,
        "decoding": decoding,
        "identical_greedy": same,
        "paper_scale_parameters": parts,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(report, out, indent=2)
    print(f"\nWritten: {args.output}")


if __name__ == "__main__":
    main()
