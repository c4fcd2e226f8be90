"""DecodingOptions: one object for the decoding settings, with the model's
per-task defaults (no model needed)."""

import dataclasses
from types import SimpleNamespace

import pytest

from speechbrain_listen.inference.audio_llm import ListenAudioLLM
from speechbrain_listen.inference.decoding_options import DecodingOptions


def fake_model(rate=6, fallback=True, pool=None):
    """What ListenAudioLLM.decoding_options reads of a model."""
    return SimpleNamespace(
        hparams=SimpleNamespace(num_beams=4, max_new_tokens=50, max_new_tokens_per_second=rate),
        default_batch_size=8,
        degeneracy_fallback=fallback,
        prompt_provider=pool,
    )


def options(model, task=None, **overrides):
    return ListenAudioLLM.decoding_options(model, task, **overrides)


def test_transcripts_get_the_models_limit_fallback_and_stitching():
    asr = options(fake_model(), "asr")
    assert asr == DecodingOptions(
        num_beams=4,
        max_new_tokens=50,
        max_new_tokens_per_second=6.0,
        num_prompts=None,
        batch_size=8,
        long_audio="stitch",
        degeneracy_fallback=True,
    )
    for task in (None, "captioning", "sv", "emotion"):
        other = options(fake_model(), task)
        assert other.max_new_tokens_per_second is None
        assert other.long_audio == "error" and other.degeneracy_fallback is False
    assert options(fake_model(rate=None, fallback=False), "asr").max_new_tokens_per_second is None
    assert options(fake_model(rate=None, fallback=False), "asr").degeneracy_fallback is False


def test_overrides_none_keeps_the_default_and_options_are_a_base():
    model = fake_model()
    asr = options(model, "asr", num_beams=None, max_new_tokens=3, degeneracy_fallback=False)
    assert (asr.num_beams, asr.max_new_tokens, asr.degeneracy_fallback) == (4, 3, False)
    base = DecodingOptions(num_beams=1, max_new_tokens=2, long_audio="join")
    # A given DecodingOptions replaces the task's defaults entirely.
    assert ListenAudioLLM.decoding_options(model, "asr", options=base, batch_size=2) == dataclasses.replace(
        base, batch_size=2
    )
    assert base.replace() is base
    with pytest.raises(TypeError, match="unknown decoding options"):
        options(model, "asr", beams=2)
    with pytest.raises(TypeError, match="DecodingOptions"):
        ListenAudioLLM.decoding_options(model, options={"num_beams": 1})


@pytest.mark.parametrize(
    "field, value",
    [
        ("num_beams", 0),
        ("max_new_tokens", -1),
        ("batch_size", 0),
        ("num_prompts", 0),
        ("max_new_tokens_per_second", 0),
        ("long_audio", "truncate"),
        ("num_beams", 2.5),
    ],
)
def test_out_of_range_values_raise(field, value):
    with pytest.raises(ValueError, match=field):
        options(fake_model(), "asr", **{field: value})


def test_num_prompts_is_checked_against_the_pool():
    with pytest.raises(ValueError, match="no prompt pool"):
        options(fake_model(), num_prompts=2)

    class Pool:
        def resolve_num_prompts(self, n):
            if n > 5:
                raise ValueError("the pool holds 5 prompts")
            return n

    assert options(fake_model(pool=Pool()), num_prompts=5).num_prompts == 5
    with pytest.raises(ValueError, match="holds 5"):
        options(fake_model(pool=Pool()), num_prompts=6)


def test_generation_kwargs_are_what_one_model_pass_takes():
    opts = DecodingOptions(num_beams=2, max_new_tokens=9, max_new_tokens_per_second=1.5, num_prompts=3)
    assert opts.generation_kwargs() == {
        "num_beams": 2,
        "max_new_tokens": 9,
        "num_prompts": 3,
        "max_new_tokens_per_second": 1.5,
    }
