"""Degenerate transcripts: the detector, the banned template tokens, the
fallback policy shared by the Brain and the inference interface.

The interface and command-line paths are tested in ``test_inference.py``
(they need its trained, exported model).
"""

import pytest
import speechbrain as sb
import torch
from speechbrain.dataio.batch import PaddedBatch
from test_llm_lobe import INSTRUCTION, audio, rig_head

from speechbrain_listen.inference.degeneracy import (
    CLEAN,
    DegeneracyCounts,
    DegeneracyDetector,
    FallbackOutcome,
    compression_ratio,
    decode_with_fallback,
)
from speechbrain_listen.model.llm_lobe import DEFAULT_SYSTEM_PROMPT, LLMLobe

ASR = "Recognize the speech and give me the transcription."


@pytest.fixture(scope="module")
def detector():
    return DegeneracyDetector(DEFAULT_SYSTEM_PROMPT, [ASR], ["<Speech>", "</Speech>", "<|im_start|>"])


@pytest.mark.parametrize(
    "text",
    [
        "the birch canoe slid on the smooth planks",
        "no no I said the twenty second of May",
        "no no no",
        "call five five five one two one two",
        "in 1999 there were 1 000 000 people and 2 2 2 of them",
        "nineteen ninety nine nineteen ninety eight",
        "I'm sorry I was late",  # an apology is speech; a refusal is not
        "he said he could not help it",
        "the assistant manager spoke to the system administrator",
        "HE HOPED THERE WOULD BE STEW FOR DINNER TURNIPS AND CARROTS AND BRUISED POTATOES "
        "AND FAT MUTTON PIECES TO BE LADLED OUT IN THICK PEPPERED FLOUR FATTENED SAUCE",
        "",
    ],
)
def test_clean_transcripts_do_not_fire(detector, text):
    report = detector(text)
    assert report.checks == () and not report and not report.degenerate


@pytest.mark.parametrize(
    "text, check",
    [
        ("the message handled by the message handled by the message handled by", "repetition"),
        ("over over over over", "repetition"),
        ("and then and then and then we went", "repetition"),
        ("I'm sorry, but I'm not able to assist you with your speech.", "chat"),
        ("I\u2019m sorry, but I can\u2019t help with that.", "chat"),
        ("As an AI language model I do not have ears.", "chat"),
        ("I'm here to help! How can I assist you today?", "chat"),
        ("I cannot transcribe the audio you sent", "chat"),
        ("You are a helpful AI assistant for solving speech related tasks.", "template"),
        ("you are a helpful ai assistant", "template"),  # a part of the system prompt
        ("Recognize the speech and give me the transcription", "template"),
        ("<Speech> the birch canoe", "template"),
        ("the birch canoe </Speech>", "template"),
        ("<|im_start|>assistant the birch canoe", "template"),
        ("assistant\nthe birch canoe", "template"),
    ],
)
def test_degenerate_transcripts_fire(detector, text, check):
    report = detector(text)
    assert check in report.checks and report.degenerate
    assert len(report.details) == len(report.checks)


def test_compression_check_catches_long_loops_the_ngram_check_misses(detector):
    # Seven distinct words repeated with variation: no 2-6 word n-gram repeats
    # back to back, but the text is mostly copies of itself.
    loop = " ".join("alpha beta gamma delta epsilon zeta eta".split()[i % 7] + str(i % 2) for i in range(300))
    assert compression_ratio(loop) > 2.4
    assert "compression" in detector(loop).checks
    relaxed = DegeneracyDetector(max_compression_ratio=100.0, max_ngram_repeats=99, max_word_run=99)
    assert relaxed(loop).checks == ()


def test_detector_for_llm_knows_the_template(tiny_llm):
    detector = DegeneracyDetector.for_llm(tiny_llm, ["Describe the emotion of the speaker in one word."])
    assert {"<Speech>", "</Speech>", "<|im_start|>"} <= set(tiny_llm.template_markers())
    assert detector("<|im_start|> hi").checks == ("template",)
    assert detector("describe the emotion of the speaker").checks == ("template",)
    assert detector("the speaker is happy").checks == ()


# ----------------------------------------------------------- banned tokens
def test_template_tokens_are_banned_but_not_the_stop_token(tiny_llm):
    banned = tiny_llm.banned_token_ids
    tokenize = tiny_llm.tokenizer
    for tag in ("<Speech>", "</Speech>"):
        assert tokenize(tag, add_special_tokens=False).input_ids in banned
    assert [tokenize.bos_token_id] in banned  # <|im_start|>: the chat marker
    assert all(ids[-1] != tiny_llm.end_of_turn_id for ids in banned)


def test_generate_never_emits_a_banned_marker(tiny_llm_dir):
    llm = LLMLobe(tiny_llm_dir)
    marker = llm.tokenizer.bos_token_id  # <|im_start|>, a chat-role marker
    the = llm.tokenizer(" the", add_special_tokens=False).input_ids[0]
    calls = rig_head(llm, marker)
    with torch.no_grad():
        llm.model.lm_head.bias[the] = 5.0  # second choice
    wrapped = llm.wrap_audio(audio(1, 4, 32), torch.tensor([4]), [INSTRUCTION])
    inputs = llm.build_inputs(wrapped)
    assert llm.generate(inputs, num_beams=1, max_new_tokens=3) == ["the the the"]
    assert len(calls) == 3
    # Without the ban the model would say the marker at every step.
    llm.banned_token_ids = []
    out = llm.model.generate(
        inputs_embeds=inputs.embeds, attention_mask=inputs.attention_mask, max_new_tokens=3, do_sample=False
    )
    assert out[0].tolist() == [marker] * 3


# ----------------------------------------------------------------- fallback
class FakeLLM:
    """Stands in for ``LLMLobe.generate``: scripted answers, calls recorded."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def generate(self, inputs, num_beams, max_new_tokens, example_limits=None, **kwargs):
        self.calls.append((inputs.embeds.shape[0], num_beams, max_new_tokens, example_limits, kwargs))
        return self.answers.pop(0)


def fake_inputs(batch):
    from speechbrain_listen.model.llm_lobe import LLMInputs

    embeds = torch.arange(batch, dtype=torch.float).view(batch, 1, 1).expand(batch, 3, 2).contiguous()
    return LLMInputs(embeds, torch.ones(batch, 3, dtype=torch.long))


def test_fallback_decodes_only_degenerate_transcript_rows(detector):
    first = ["hello there", "over over over over over", "I'm sorry, but I can't assist.", "yes yes yes yes"]
    llm = FakeLLM([["the birch canoe", "as an AI I cannot"]])
    texts, outcomes = decode_with_fallback(
        llm,
        fake_inputs(4),
        first,
        rows=[0, 1, 2],
        detector=detector,
        max_new_tokens=7,
        example_limits=[1, 2, 3, 4],
    )
    # Row 3 is not a transcript (another task): left alone although it loops.
    assert texts == ["hello there", "the birch canoe", "", "yes yes yes yes"]
    assert outcomes[0] == CLEAN and outcomes[3] == CLEAN
    assert outcomes[1] == FallbackOutcome(("repetition",), "decoded")
    assert outcomes[2] == FallbackOutcome(("chat",), "emptied")
    # One constrained decode of the two degenerate rows, with their own limits.
    [(batch, beams, max_new, limits, kwargs)] = llm.calls
    assert (batch, beams, max_new, limits) == (2, 1, 7, [2, 3])
    assert kwargs["no_repeat_ngram_size"] == 3 and kwargs["repetition_penalty"] > 1.0

    counts = DegeneracyCounts()
    counts.add(outcomes)
    assert counts.summary() == "degenerate transcripts: 2, fallback decodes: 2, emptied: 1"


def test_clean_batches_decode_once(detector):
    llm = FakeLLM([])
    texts, outcomes = decode_with_fallback(llm, fake_inputs(2), ["a b", "c d"], [0, 1], detector, 5)
    assert texts == ["a b", "c d"] and outcomes == [CLEAN, CLEAN] and llm.calls == []


def test_fallback_runs_in_the_real_lobe(tiny_llm_dir):
    """The fallback options reach transformers: a model stuck on one word
    cannot repeat it under ``no_repeat_ngram_size``."""
    llm = LLMLobe(tiny_llm_dir)
    the = llm.tokenizer(" the", add_special_tokens=False).input_ids[0]
    rig_head(llm, the)
    wrapped = llm.wrap_audio(audio(2, 4, 32), torch.tensor([4, 2]), [INSTRUCTION] * 2)
    inputs = llm.build_inputs(wrapped)
    first = llm.generate(inputs, num_beams=2, max_new_tokens=6)
    assert first == ["the the the the the the"] * 2
    detector = DegeneracyDetector.for_llm(llm, [INSTRUCTION])
    texts, outcomes = decode_with_fallback(llm, inputs, first, [0, 1], detector, 6)
    assert [o.checks[0] for o in outcomes] == ["repetition", "repetition"]
    assert all(o.fallback in ("decoded", "emptied") for o in outcomes)
    for text, outcome in zip(texts, outcomes):
        assert text == "" if outcome.fallback == "emptied" else not detector(text).degenerate


# -------------------------------------------------------------- the Brain
def scripted_generate(llm, first, fallback):
    """``llm.generate`` answering ``first`` to beam search and ``fallback``
    to the constrained fallback decode (recognised by its options)."""
    calls = []

    def generate(inputs, num_beams, max_new_tokens, example_limits=None, **kwargs):
        calls.append((inputs.embeds.shape[0], num_beams, bool(kwargs)))
        answers = fallback if kwargs else first
        return [answers[i % len(answers)] for i in range(inputs.embeds.shape[0])]

    llm.generate = generate
    return calls


def brain_batch(tasks=None):
    torch.manual_seed(0)
    rows = []
    for i in range(2):
        row = {"id": f"u{i}", "sig": torch.randn(8000) * 0.1, "target": "hello world"}
        row["instruction"] = ASR
        if tasks is not None:
            row["task"] = tasks[i]
        rows.append(row)
    return PaddedBatch(rows)


def test_brain_test_decode_falls_back_and_counts(small_brain):
    brain = small_brain
    assert brain.hparams.degeneracy_fallback is True  # the recipe turns it on
    calls = scripted_generate(
        brain.llm, ["hello world", "I'm sorry, but I'm not able to assist you."], ["hello there"]
    )
    brain.on_stage_start(sb.Stage.TEST)
    out = brain.compute_forward(brain_batch(), sb.Stage.TEST)
    assert out["hyps"] == ["hello world", "hello there"]
    assert calls == [(2, brain.hparams.num_beams, False), (1, 1, True)]
    assert brain.degeneracy_counts.stats() == {
        "degenerate transcripts": 1,
        "fallback decodes": 1,
        "emptied": 0,
    }

    # Still degenerate after the fallback: emptied. VALID never falls back.
    scripted_generate(brain.llm, ["over over over over over"], ["<Speech> over"])
    out = brain.compute_forward(brain_batch(), sb.Stage.TEST)
    assert out["hyps"] == ["", ""]
    assert brain.degeneracy_counts.summary() == "degenerate transcripts: 3, fallback decodes: 3, emptied: 2"
    brain.hparams.epoch_counter.current = 1
    brain.hparams.valid_search_interval = 1
    out = brain.compute_forward(brain_batch(), sb.Stage.VALID)
    assert out["hyps"] == ["over over over over over"] * 2


def test_brain_falls_back_on_asr_examples_only(small_brain):
    brain = small_brain
    scripted_generate(brain.llm, ["over over over over over"], ["hello there"])
    brain.on_stage_start(sb.Stage.TEST)
    out = brain.compute_forward(brain_batch(["captioning", "asr"]), sb.Stage.TEST)
    assert out["hyps"] == ["over over over over over", "hello there"]
    assert brain.degeneracy_counts.stats()["fallback decodes"] == 1

    brain.hparams.degeneracy_fallback = False
    brain.on_stage_start(sb.Stage.TEST)
    out = brain.compute_forward(brain_batch(), sb.Stage.TEST)
    assert out["hyps"] == ["over over over over over"] * 2
    assert brain.degeneracy_counts.stats()["degenerate transcripts"] == 0
