"""Tests for the frozen LLM lobe (speechbrain_listen/model/llm_lobe.py) on a tiny
random Llama with a real (tiny, trained) byte-level BPE tokenizer and a
ChatML chat template."""

import pytest
import torch

from speechbrain_listen.model.llm_lobe import (
    AUDIO_PLACEHOLDER,
    DEFAULT_SYSTEM_PROMPT,
    IGNORE_INDEX,
    LLMLobe,
    masked_mean,
    mean_input_embedding,
)

INSTRUCTION = "Recognize the speech and give me the transcription."
TARGET = "hello world"


def render(tokenizer, instruction, assistant=None):
    """The chat text as the tokenizer's own template renders it."""
    messages = [
        {"role": "system", "content": DEFAULT_SYSTEM_PROMPT},
        {"role": "user", "content": f"<Speech>{AUDIO_PLACEHOLDER}</Speech> {instruction}"},
    ]
    if assistant is not None:
        messages.append({"role": "assistant", "content": assistant})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=assistant is None)


def expected_prompt_ids(tokenizer, instruction):
    before, after = render(tokenizer, instruction).split(AUDIO_PLACEHOLDER)
    encode = lambda text: tokenizer(text, add_special_tokens=False).input_ids  # noqa: E731
    return encode(before), encode(after)


def embed(llm, ids):
    return llm.input_embeddings.weight[torch.tensor(ids)]


def audio(batch, windows, dim, seed=0):
    torch.manual_seed(seed)
    return torch.randn(batch, windows, dim)


def rig_head(llm, token_id):
    """Makes the LLM predict ``token_id`` at every step, whatever the input."""
    model = llm.model
    head = torch.nn.Linear(llm.hidden_size, model.config.vocab_size, bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        head.bias[token_id] = 10.0
    head.requires_grad_(False)
    model.lm_head = head
    # Only the lobe's own stop list may stop decoding.
    model.generation_config.eos_token_id = None
    calls = []
    head.register_forward_hook(lambda *args: calls.append(1))
    return calls


# ------------------------------------------------------------ the tokenizer


def test_fixture_tokenizer_is_real(tiny_llm):
    tok = tiny_llm.tokenizer
    assert 300 < len(tok) <= 400
    assert tok.pad_token == "<|endoftext|>"
    assert tok.bos_token == "<|im_start|>"
    assert tok.eos_token == "<|im_end|>"
    ids = tok("hello world<|im_end|>", add_special_tokens=False).input_ids
    assert ids[-1] == tok.eos_token_id
    assert tok.decode(ids) == "hello world<|im_end|>"
    assert tiny_llm.model.config.vocab_size == len(tok)


def test_end_of_turn_and_pad_ids(tiny_llm):
    tok = tiny_llm.tokenizer
    assert tiny_llm.end_of_turn_id == tok.convert_tokens_to_ids("<|im_end|>")
    assert tiny_llm.pad_id == tok.convert_tokens_to_ids("<|endoftext|>")
    assert tiny_llm.hidden_size == 32


def test_bad_user_template_raises(tiny_llm_dir):
    with pytest.raises(ValueError, match="SpeechHere"):
        LLMLobe(tiny_llm_dir, user_template="{instruction} without audio")
    with pytest.raises(ValueError):
        LLMLobe(tiny_llm_dir, user_template="<SpeechHere> no instruction")


# ------------------------------------------------------- sequence assembly


def test_prompt_ids_follow_the_template(tiny_llm):
    tok = tiny_llm.tokenizer
    prefix, suffix = tiny_llm.prompt_ids(INSTRUCTION)
    expected_prefix, expected_suffix = expected_prompt_ids(tok, INSTRUCTION)
    # BOS (<|im_start|> here) opens the template itself: no second BOS.
    assert prefix[0] == tok.bos_token_id
    assert prefix[1] != tok.bos_token_id
    assert prefix == expected_prefix
    assert suffix == expected_suffix
    assert tok.decode(suffix).endswith("<|im_start|>assistant\n")
    assert INSTRUCTION in tok.decode(suffix)
    # Training layout = the template with the assistant turn.
    full = tok.decode(prefix) + AUDIO_PLACEHOLDER + tok.decode(suffix)
    full += tok.decode(tiny_llm.target_ids(TARGET))
    assert full + "\n" == render(tok, INSTRUCTION, assistant=TARGET)


def test_single_example_layout_and_labels(tiny_llm):
    tok = tiny_llm.tokenizer
    d = tiny_llm.hidden_size
    tokens = audio(1, 5, d)
    wrapped = tiny_llm.wrap_audio(tokens, torch.tensor([3]), [INSTRUCTION])
    inputs = tiny_llm.build_inputs(wrapped, targets=[TARGET])
    prefix, suffix = expected_prompt_ids(tok, INSTRUCTION)
    target = tok(TARGET, add_special_tokens=False).input_ids + [tiny_llm.end_of_turn_id]
    length = len(prefix) + 3 + len(suffix) + len(target)
    assert inputs.embeds.shape == (1, length, d)
    assert inputs.attention_mask.tolist() == [[1] * length]

    embeds = inputs.embeds[0]
    p, s = len(prefix), len(suffix)
    assert torch.equal(embeds[:p], embed(tiny_llm, prefix))
    assert torch.equal(embeds[p : p + 3], tokens[0, :3])  # only the real audio
    assert torch.equal(embeds[p + 3 : p + 3 + s], embed(tiny_llm, suffix))
    assert torch.equal(embeds[p + 3 + s :], embed(tiny_llm, target))

    labels = inputs.labels[0]
    keep = labels != IGNORE_INDEX
    first = int(keep.nonzero()[0])
    assert first == p + 3 + s
    assert keep[first:].all() and not keep[:first].any()
    assert tok.decode(labels[keep].tolist()) == TARGET + "<|im_end|>"
    assert labels[-1].item() == tok.convert_tokens_to_ids("<|im_end|>")


def test_no_targets_means_no_labels(tiny_llm):
    wrapped = tiny_llm.wrap_audio(audio(1, 2, 32), torch.tensor([2]), [INSTRUCTION])
    inputs = tiny_llm.build_inputs(wrapped)
    assert inputs.labels is None
    prefix, suffix = tiny_llm.prompt_ids(INSTRUCTION)
    assert inputs.embeds.shape[1] == len(prefix) + 2 + len(suffix)


def test_prompts_come_first(tiny_llm):
    tok = tiny_llm.tokenizer
    d = tiny_llm.hidden_size
    wrapped = tiny_llm.wrap_audio(audio(2, 4, d), torch.tensor([4, 4]), [INSTRUCTION] * 2)
    prompts = torch.randn(2, 6, d)
    inputs = tiny_llm.build_inputs(wrapped, prompts=prompts, targets=[TARGET, TARGET])
    assert torch.equal(inputs.embeds[:, :6], prompts)
    bos = embed(tiny_llm, [tok.bos_token_id])[0]
    assert torch.equal(inputs.embeds[0, 6], bos)
    assert torch.equal(inputs.embeds[1, 6], bos)
    assert (inputs.labels[:, :6] == IGNORE_INDEX).all()
    without = tiny_llm.build_inputs(wrapped, targets=[TARGET, TARGET])
    assert torch.equal(inputs.embeds[:, 6:], without.embeds)
    assert torch.equal(inputs.labels[:, 6:], without.labels)


def test_left_padding(tiny_llm):
    d = tiny_llm.hidden_size
    tokens = audio(2, 6, d)
    instructions = [INSTRUCTION, "Describe."]
    wrapped = tiny_llm.wrap_audio(tokens, torch.tensor([6, 2]), instructions)
    targets = ["the quick brown fox jumps", "a dog"]
    inputs = tiny_llm.build_inputs(wrapped, targets=targets)
    alone = [tiny_llm.build_inputs([w], targets=[t]) for w, t in zip(wrapped, targets)]
    long_len = alone[0].embeds.shape[1]
    short_len = alone[1].embeds.shape[1]
    pad = long_len - short_len
    assert pad > 0
    assert inputs.embeds.shape[1] == long_len
    assert inputs.attention_mask[0].tolist() == [1] * long_len
    assert inputs.attention_mask[1].tolist() == [0] * pad + [1] * short_len
    assert torch.equal(inputs.embeds[1, :pad], torch.zeros(pad, d))
    assert (inputs.labels[1, :pad] == IGNORE_INDEX).all()
    assert torch.equal(inputs.embeds[1, pad:], alone[1].embeds[0])
    assert torch.equal(inputs.labels[1, pad:], alone[1].labels[0])
    assert torch.equal(inputs.embeds[0], alone[0].embeds[0])
    # Both rows end with their own target + end of turn.
    assert inputs.labels[0, -1] == inputs.labels[1, -1] == tiny_llm.end_of_turn_id


def test_target_is_capped(tiny_llm_dir):
    llm = LLMLobe(tiny_llm_dir, max_target_tokens=3)
    text = "the quick brown fox jumps over the lazy dog"
    full = llm.tokenizer(text, add_special_tokens=False).input_ids
    assert len(full) > 3
    assert llm.target_ids(text) == full[:3] + [llm.end_of_turn_id]
    wrapped = llm.wrap_audio(audio(1, 2, 32), torch.tensor([2]), [INSTRUCTION])
    labels = llm.build_inputs(wrapped, targets=[text]).labels[0]
    assert (labels != IGNORE_INDEX).sum().item() == 4
    short = llm.tokenizer("a", add_special_tokens=False).input_ids
    assert llm.target_ids("a") == short + [llm.end_of_turn_id]


# -------------------------------------------------------------- loss


def test_loss_is_cross_entropy_on_the_target(tiny_llm):
    d = tiny_llm.hidden_size
    wrapped = tiny_llm.wrap_audio(audio(2, 5, d), torch.tensor([5, 3]), [INSTRUCTION, "Describe."])
    inputs = tiny_llm.build_inputs(wrapped, targets=[TARGET, "the dog barks"])
    loss = tiny_llm(inputs)
    assert loss.shape == () and torch.isfinite(loss)
    with torch.no_grad():
        logits = tiny_llm.model(inputs_embeds=inputs.embeds, attention_mask=inputs.attention_mask).logits
    # Position t predicts label t + 1.
    manual = torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]),
        inputs.labels[:, 1:].reshape(-1),
        ignore_index=IGNORE_INDEX,
    )
    assert torch.allclose(loss, manual, atol=1e-5)


def test_loss_gradient_reaches_audio_and_prompts(tiny_llm):
    d = tiny_llm.hidden_size
    tokens = audio(1, 4, d).requires_grad_(True)
    prompts = torch.randn(1, 3, d, requires_grad=True)
    wrapped = tiny_llm.wrap_audio(tokens, torch.tensor([3]), [INSTRUCTION])
    loss = tiny_llm(tiny_llm.build_inputs(wrapped, prompts=prompts, targets=[TARGET]))
    loss.backward()
    assert tokens.grad[0, :3].abs().sum() > 0
    assert torch.equal(tokens.grad[0, 3], torch.zeros(d))  # not a real token
    assert prompts.grad.abs().sum() > 0
    assert all(p.grad is None for p in tiny_llm.parameters())


# ---------------------------------------------------------- generation


def test_generation_stops_at_end_of_turn(tiny_llm_dir):
    llm = LLMLobe(tiny_llm_dir)
    calls = rig_head(llm, llm.end_of_turn_id)
    wrapped = llm.wrap_audio(audio(3, 4, 32), torch.tensor([4, 1, 2]), [INSTRUCTION] * 3)
    texts = llm.generate(llm.build_inputs(wrapped), num_beams=1, max_new_tokens=20)
    assert texts == ["", "", ""]
    assert len(calls) == 1  # the prompt pass only: stopped at once


def test_generation_runs_to_max_new_tokens(tiny_llm_dir):
    llm = LLMLobe(tiny_llm_dir)
    word = llm.tokenizer(" the", add_special_tokens=False).input_ids
    assert len(word) == 1
    calls = rig_head(llm, word[0])
    wrapped = llm.wrap_audio(audio(2, 4, 32), torch.tensor([4, 1]), [INSTRUCTION] * 2)
    texts = llm.generate(llm.build_inputs(wrapped), num_beams=1, max_new_tokens=5)
    assert texts == ["the the the the the"] * 2
    assert len(calls) == 5


@pytest.mark.parametrize("num_beams", [1, 3])
def test_each_answer_stops_at_its_own_limit(tiny_llm_dir, num_beams):
    llm = LLMLobe(tiny_llm_dir)
    word = llm.tokenizer(" the", add_special_tokens=False).input_ids[0]
    calls = rig_head(llm, word)  # a model stuck on one word
    wrapped = llm.wrap_audio(audio(3, 4, 32), torch.tensor([4, 1, 2]), [INSTRUCTION] * 3)
    texts = llm.generate(
        llm.build_inputs(wrapped),
        num_beams=num_beams,
        max_new_tokens=20,
        example_limits=[2, 5, 3],
    )
    assert texts == ["the the", "the the the the the", "the the the"]
    assert len(calls) <= 5  # stopped at the largest limit, not at 20


def test_batched_greedy_matches_one_by_one(tiny_llm):
    d = tiny_llm.hidden_size
    tokens = audio(3, 6, d, seed=1)
    instructions = [INSTRUCTION, "Describe.", "Say yes or no."]
    wrapped = tiny_llm.wrap_audio(tokens, torch.tensor([6, 2, 4]), instructions)
    batched = tiny_llm.generate(tiny_llm.build_inputs(wrapped), num_beams=1, max_new_tokens=8)
    alone = [tiny_llm.generate(tiny_llm.build_inputs([w]), num_beams=1, max_new_tokens=8)[0] for w in wrapped]
    assert isinstance(batched, list) and len(batched) == 3
    assert all(isinstance(text, str) for text in batched)
    assert batched == alone
    # The random model does listen to its input, so the check means something.
    assert len(set(batched)) > 1


def test_beam_search_runs(tiny_llm):
    d = tiny_llm.hidden_size
    wrapped = tiny_llm.wrap_audio(audio(2, 4, d), torch.tensor([4, 2]), [INSTRUCTION] * 2)
    prompts = torch.randn(2, 3, d)
    texts = tiny_llm.generate(tiny_llm.build_inputs(wrapped, prompts=prompts), num_beams=3, max_new_tokens=6)
    assert isinstance(texts, list) and len(texts) == 2
    assert all(isinstance(text, str) for text in texts)


# ------------------------------------------------ trainability, LoRA


def test_frozen_llm_stays_in_eval(tiny_llm):
    assert not tiny_llm.has_trainable_parameters
    assert not any(p.requires_grad for p in tiny_llm.parameters())
    tiny_llm.train()
    assert not tiny_llm.training
    assert not any(m.training for m in tiny_llm.modules())
    assert tiny_llm.trainable_state_dict() == {}


def test_lora(tiny_llm_dir, tmp_path):
    peft = pytest.importorskip("peft")
    config = peft.LoraConfig(r=8, lora_alpha=32, lora_dropout=0.1, target_modules=["q_proj", "v_proj"])
    llm = LLMLobe(tiny_llm_dir, lora=config)
    trainable = [n for n, p in llm.named_parameters() if p.requires_grad]
    # 2 layers x (q_proj, v_proj) x (A, B)
    assert len(trainable) == 8
    assert all("lora_" in n for n in trainable)
    assert all(("q_proj" in n) or ("v_proj" in n) for n in trainable)
    state = llm.trainable_state_dict()
    assert set(state) == set(trainable)
    assert llm.has_trainable_parameters
    llm.train()
    assert llm.training and llm.model.training
    llm.eval()
    assert not llm.model.training

    llm.train()
    wrapped = llm.wrap_audio(audio(1, 3, 32), torch.tensor([3]), [INSTRUCTION])
    llm(llm.build_inputs(wrapped, targets=[TARGET])).backward()
    lora_b = [p for n, p in llm.named_parameters() if "lora_B" in n]
    assert lora_b and all(p.grad is not None and p.grad.abs().sum() > 0 for p in lora_b)
    frozen = [p for n, p in llm.named_parameters() if "lora_" not in n]
    assert all(p.grad is None for p in frozen)

    # Checkpoint roundtrip of the adapters only.
    path = tmp_path / "lora.ckpt"
    with torch.no_grad():
        for p in lora_b:
            p.add_(0.5)
    llm._save_trainable(path)
    saved = torch.load(path)
    assert set(saved) == set(trainable)
    other = LLMLobe(tiny_llm_dir, lora=config)
    other._load_trainable(path)
    for name, value in other.trainable_state_dict().items():
        assert torch.equal(value, saved[name])


# ------------------------------------------------------------ helpers


def test_masked_mean_ignores_padding(tiny_llm):
    d = tiny_llm.hidden_size
    wrapped = tiny_llm.wrap_audio(audio(2, 5, d), torch.tensor([5, 1]), [INSTRUCTION, "Hi."])
    query = masked_mean(wrapped)
    assert query.shape == (2, d)
    for row, seq in zip(query, wrapped):
        assert torch.allclose(row, seq.sum(dim=0) / seq.shape[0], atol=1e-6)
    # Differs from the mean over the padded batch (the reference's bug).
    padded = tiny_llm.build_inputs(wrapped).embeds
    assert not torch.allclose(query[1], padded[1].mean(dim=0), atol=1e-4)


def test_mean_input_embedding(tiny_llm):
    mean = mean_input_embedding(tiny_llm)
    assert mean.shape == (tiny_llm.hidden_size,)
    assert mean.dtype == torch.float32
    assert torch.allclose(mean, tiny_llm.model.get_input_embeddings().weight.mean(dim=0))


def test_left_padding_does_not_change_the_logits(tiny_llm):
    d = tiny_llm.hidden_size
    wrapped = tiny_llm.wrap_audio(audio(2, 6, d), torch.tensor([6, 1]), [INSTRUCTION, "Hi."])
    targets = ["the quick brown fox", "a dog"]
    batch = tiny_llm.build_inputs(wrapped, targets=targets)
    alone = tiny_llm.build_inputs([wrapped[1]], targets=[targets[1]])
    with torch.no_grad():
        batched_logits = tiny_llm.model(
            inputs_embeds=batch.embeds, attention_mask=batch.attention_mask
        ).logits[1]
        alone_logits = tiny_llm.model(inputs_embeds=alone.embeds, attention_mask=alone.attention_mask).logits[
            0
        ]
    n = alone_logits.shape[0]
    assert batch.embeds.shape[1] > n
    assert torch.isfinite(batched_logits[-n:]).all()
    assert torch.allclose(batched_logits[-n:], alone_logits, atol=1e-4)
