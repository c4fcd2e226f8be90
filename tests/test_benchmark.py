"""The speed benchmark's reference decoder and paper-scale count are right."""

import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))
import speed  # noqa: E402


def test_uncached_greedy_reference_matches_batched_cached_greedy(tiny_llm):
    """The baseline decodes the same text as ``LLMLobe.generate`` (greedy),
    so the benchmark compares two ways of computing one answer."""
    torch.manual_seed(3)
    d = tiny_llm.hidden_size
    wrapped = tiny_llm.wrap_audio(
        torch.randn(3, 6, d), torch.tensor([6, 2, 4]), ["Transcribe.", "Describe.", "Say it."]
    )
    prompts = torch.randn(3, 2, d) * 0.05
    reference = speed.greedy_without_cache(tiny_llm, wrapped, prompts, max_new_tokens=8)
    cached = tiny_llm.generate(tiny_llm.build_inputs(wrapped, prompts), num_beams=1, max_new_tokens=8)
    assert reference == cached
    assert len(set(reference)) > 1  # the random model listens to its input


def test_paper_scale_parameters_match_the_design_count():
    parts = speed.paper_scale_parameters()
    # docs/design.md section 1: 29,268,736 trainable at Llama-3-8B scale (M = 400).
    assert parts["total trainable"] == 29_268_736
    assert parts["pool keys"] == parts["pool values"] == 400 * 4096
    assert 8.0e9 < parts["LLM (frozen)"] < 8.1e9
