"""The frozen LLM: chat template, input assembly, loss and decoding.

Any Hugging Face causal LM works. Its own chat template lays out the turn::

    system: You are a helpful AI assistant for solving speech related tasks.
    user:   <Speech><SpeechHere></Speech> {instruction}
    assistant: {target}<end of turn>

The rendered text is split at ``<SpeechHere>``, both halves are embedded with
the frozen input-embedding table, and the audio tokens of each clip go in
between (the "wrapped" sequence). The LLM input is then::

    [pad ... ; selected prompts ; wrapped ; target + end-of-turn]

left-padded so that training and batched generation see the same layout;
labels are -100 everywhere but the target. Decoding goes through
``generate(inputs_embeds=...)`` (beam search, KV cache) and stops at the end-of-
turn token, which is read off the template rather than hard-coded.

Authors
 * speechbrain-listen contributors 2026
"""

import math
import re
import warnings
from typing import NamedTuple

import torch
from speechbrain.utils.logger import get_logger
from transformers import AutoModelForCausalLM, AutoTokenizer, StoppingCriteria

from speechbrain_listen.model.trainable_state import TrainableStateModule

logger = get_logger(__name__)

DEFAULT_SYSTEM_PROMPT = "You are a helpful AI assistant for solving speech related tasks."
AUDIO_PLACEHOLDER = "<SpeechHere>"
DEFAULT_USER_TEMPLATE = "<Speech><SpeechHere></Speech> {instruction}"
IGNORE_INDEX = -100


class LLMInputs(NamedTuple):
    """A left-padded LLM batch.

    Attributes
    ----------
    embeds : torch.Tensor
        ``[batch, length, llm_dim]`` input embeddings.
    attention_mask : torch.Tensor
        ``[batch, length]`` 1 for real positions.
    labels : torch.Tensor or None
        ``[batch, length]`` target ids, -100 elsewhere.
    """

    embeds: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor = None


class LLMLobe(TrainableStateModule):
    """A frozen causal LM with its tokenizer and chat template.

    Arguments
    ---------
    source : str
        Hub id or local folder of the model and tokenizer.
    save_path : str, optional
        Cache folder for downloads.
    system_prompt : str
        System text of the chat turn.
    user_template : str
        User text; must contain ``<SpeechHere>`` and ``{instruction}``.
    dtype : str
        Weights dtype: ``float32``, ``bfloat16`` or ``float16``.
    lora : peft.LoraConfig, optional
        Adds LoRA adapters (the LoRA baseline); they are the only trainable
        LLM parameters.
    max_target_tokens : int
        Targets are cut to this many tokens (300 in the paper).
    gguf_file : str, optional
        Load weights from a GGUF file inside ``source``.

    Example
    -------
    >>> llm = LLMLobe(getfixture("tiny_llm_dir"))  # doctest: +SKIP
    >>> wrapped = llm.wrap_audio(torch.zeros(1, 3, llm.hidden_size),
    ...     torch.tensor([3]), ["Transcribe."])  # doctest: +SKIP
    >>> inputs = llm.build_inputs(wrapped, targets=["hello"])  # doctest: +SKIP
    >>> inputs.embeds.shape[0], inputs.labels.shape == inputs.attention_mask.shape  # doctest: +SKIP
    (1, True)
    """

    def __init__(
        self,
        source,
        save_path=None,
        system_prompt=DEFAULT_SYSTEM_PROMPT,
        user_template=DEFAULT_USER_TEMPLATE,
        dtype="float32",
        lora=None,
        max_target_tokens=300,
        gguf_file=None,
    ):
        super().__init__()
        if AUDIO_PLACEHOLDER not in user_template or "{instruction}" not in user_template:
            raise ValueError(
                f"user_template must contain {AUDIO_PLACEHOLDER} and {{instruction}}, got {user_template!r}"
            )
        load_kwargs = {"cache_dir": save_path}
        if gguf_file is not None:
            load_kwargs["gguf_file"] = gguf_file
        self.tokenizer = AutoTokenizer.from_pretrained(source, **load_kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=getattr(torch, dtype), **load_kwargs)
        model.requires_grad_(False)
        if lora is not None:
            import peft

            model = peft.get_peft_model(model, lora)
        self.model = model
        self.system_prompt = system_prompt
        self.user_template = user_template
        self.max_target_tokens = max_target_tokens
        self.end_of_turn_id = self._find_end_of_turn_id()
        self.pad_id = (
            self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.end_of_turn_id
        )
        self._prompt_cache = {}
        self.banned_token_ids = self._find_banned_token_ids()
        self.train(False)

    @property
    def hidden_size(self):
        """Width of the LLM embeddings."""
        return self.input_embeddings.weight.shape[1]

    @property
    def input_embeddings(self):
        """The frozen input-embedding table."""
        return self.model.get_input_embeddings()

    @property
    def has_trainable_parameters(self):
        """True with LoRA adapters."""
        return any(p.requires_grad for p in self.parameters())

    def train(self, mode=True):
        """The frozen LLM stays in eval mode unless it carries LoRA."""
        return super().train(mode and self.has_trainable_parameters)

    def _chat(self, user_text, assistant_text=None):
        """Renders the chat template as text."""
        messages = [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": user_text},
        ]
        if assistant_text is not None:
            messages.append({"role": "assistant", "content": assistant_text})
        return self.tokenizer.apply_chat_template(
            messages,
            tokenize=False,
            add_generation_prompt=assistant_text is None,
        )

    def _find_end_of_turn_id(self):
        """The token the template puts right after an assistant message."""
        marker = "MARKERXYZ"
        rendered = self._chat("hi", marker)
        after = rendered[rendered.rindex(marker) + len(marker) :]
        ids = self.tokenizer(after, add_special_tokens=False).input_ids
        if not ids:
            if self.tokenizer.eos_token_id is None:
                raise ValueError("cannot find an end-of-turn token in the chat template")
            return self.tokenizer.eos_token_id
        return ids[0]

    def template_markers(self):
        """Template text that must never appear in an answer.

        The tags of ``user_template`` (``<Speech>``, ``</Speech>``,
        ``<SpeechHere>``) and the chat-template markers: the tokenizer's
        special tokens found in the rendered template (e.g. ``<|im_start|>``)
        and ``<|...|>`` markup of the template text.

        Returns
        -------
        list of str
        """
        rendered = self._chat("hi")
        markers = re.findall(r"</?[A-Za-z][\w]*>", self.user_template)
        markers += re.findall(r"<\|[^<>|]+\|>", rendered)
        markers += [tok for tok in self.tokenizer.all_special_tokens if tok and tok in rendered]
        return list(dict.fromkeys(markers))

    def _find_banned_token_ids(self):
        """Token sequences decoding must not produce (``bad_words_ids``).

        Each template marker, alone and after a space, as tokenized; a
        single-token marker is banned outright. Sequences whose last token
        stops decoding (end of turn, EOS) are kept out: answers must end.
        """
        stop = {self.end_of_turn_id, self.tokenizer.eos_token_id}
        special = dict(zip(self.tokenizer.all_special_tokens, self.tokenizer.all_special_ids))
        banned = []
        for marker in self.template_markers():
            if marker in special:
                variants = [[special[marker]]]
            else:
                variants = [
                    self.tokenizer(v, add_special_tokens=False).input_ids for v in (marker, " " + marker)
                ]
            for ids in variants:
                if ids and ids[-1] not in stop and ids not in banned:
                    banned.append(ids)
        return banned

    def prompt_ids(self, instruction):
        """Token ids before and after the audio for one instruction.

        Arguments
        ---------
        instruction : str
            The task instruction.

        Returns
        -------
        prefix : list of int
            BOS (if the tokenizer has one) + template up to the audio.
        suffix : list of int
            Template after the audio, ending with the assistant header.
        """
        key = (self.system_prompt, self.user_template, instruction)
        cached = self._prompt_cache.get(key)
        if cached is not None:
            return cached
        user_text = self.user_template.format(instruction=instruction)
        rendered = self._chat(user_text)
        before, after = rendered.split(AUDIO_PLACEHOLDER, 1)
        encode = self.tokenizer
        prefix = encode(before, add_special_tokens=False).input_ids
        suffix = encode(after, add_special_tokens=False).input_ids
        bos = self.tokenizer.bos_token_id
        if bos is not None and (not prefix or prefix[0] != bos):
            prefix = [bos] + prefix
        self._prompt_cache[key] = (prefix, suffix)
        return prefix, suffix

    def target_ids(self, text):
        """Target token ids, capped, followed by the end-of-turn token."""
        ids = self.tokenizer(text, add_special_tokens=False).input_ids
        return ids[: self.max_target_tokens] + [self.end_of_turn_id]

    def embed_ids(self, ids, device):
        """Embeds a list of token ids with the frozen table."""
        ids = torch.tensor(ids, dtype=torch.long, device=device)
        return self.input_embeddings(ids)

    def wrap_audio(self, audio_tokens, audio_counts, instructions):
        """Builds each example's templated sequence with its audio tokens.

        Arguments
        ---------
        audio_tokens : torch.Tensor
            ``[batch, windows, llm_dim]`` from the connector.
        audio_counts : torch.Tensor
            ``[batch]`` number of real audio tokens per example.
        instructions : list of str
            One instruction per example.

        Returns
        -------
        list of torch.Tensor
            ``[length_i, llm_dim]`` per example, in the LLM's dtype.
        """
        dtype = self.input_embeddings.weight.dtype
        wrapped = []
        for tokens, count, instruction in zip(audio_tokens, audio_counts, instructions):
            prefix, suffix = self.prompt_ids(instruction)
            wrapped.append(
                torch.cat(
                    [
                        self.embed_ids(prefix, tokens.device),
                        tokens[: int(count)].to(dtype),
                        self.embed_ids(suffix, tokens.device),
                    ]
                )
            )
        return wrapped

    def build_inputs(self, wrapped, prompts=None, targets=None):
        """Assembles the left-padded LLM batch.

        Arguments
        ---------
        wrapped : list of torch.Tensor
            Output of :meth:`wrap_audio`.
        prompts : torch.Tensor, optional
            ``[batch, num_prompts, llm_dim]`` soft prompts to prepend.
        targets : list of str, optional
            Target texts (training and scoring); None for generation.

        Returns
        -------
        LLMInputs
        """
        device = wrapped[0].device
        dtype = wrapped[0].dtype
        rows, label_rows = [], []
        for i, sequence in enumerate(wrapped):
            parts = [sequence]
            if prompts is not None:
                parts.insert(0, prompts[i].to(dtype))
            labels = [IGNORE_INDEX] * sum(p.shape[0] for p in parts)
            if targets is not None:
                target = self.target_ids(targets[i])
                parts.append(self.embed_ids(target, device))
                labels += target
            rows.append(torch.cat(parts))
            label_rows.append(labels)
        length = max(row.shape[0] for row in rows)
        embeds = rows[0].new_zeros(len(rows), length, rows[0].shape[1])
        attention_mask = torch.zeros(len(rows), length, dtype=torch.long, device=device)
        labels = torch.full((len(rows), length), IGNORE_INDEX, dtype=torch.long, device=device)
        for i, (row, row_labels) in enumerate(zip(rows, label_rows)):
            start = length - row.shape[0]
            embeds[i, start:] = row
            attention_mask[i, start:] = 1
            labels[i, start:] = torch.tensor(row_labels, device=device)
        return LLMInputs(embeds, attention_mask, labels if targets is not None else None)

    def forward(self, inputs):
        """Cross-entropy of the targets (mean over target tokens).

        Left padding puts every target at the end of its row, so only the
        last positions need logits: the LM head (a fifth of SmolLM2-135M's
        compute over a whole sequence) runs on those alone, and no KV cache
        is built. The loss equals the model's own ``labels=`` loss.

        Arguments
        ---------
        inputs : LLMInputs
            With labels.

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        labels = inputs.labels
        is_target = (labels != IGNORE_INDEX).any(dim=0)
        first_target = int(is_target.float().argmax())
        # One more position than the targets: the one that predicts the first.
        keep = max(labels.shape[1] - first_target + 1, 2)
        logits = self.model(
            inputs_embeds=inputs.embeds,
            attention_mask=inputs.attention_mask,
            logits_to_keep=keep,
            use_cache=False,
        ).logits
        return torch.nn.functional.cross_entropy(
            logits[:, :-1].float().flatten(0, 1),
            labels[:, -keep + 1 :].flatten(),
            ignore_index=IGNORE_INDEX,
        )

    @torch.no_grad()
    def generate(self, inputs, num_beams=4, max_new_tokens=150, example_limits=None, **generate_kwargs):
        """Decodes a batch with beam search and KV cache.

        The template's tags and chat markers (:meth:`template_markers`) are
        banned from every answer (``bad_words_ids``).

        Arguments
        ---------
        inputs : LLMInputs
            Without labels.
        num_beams : int
            Beam size (1 = greedy).
        max_new_tokens : int
            Length limit of each answer.
        example_limits : list of int, optional
            A length limit per example (e.g. from its audio duration, see
            :class:`PerExampleLengthLimit`), applied below ``max_new_tokens``.
        **generate_kwargs : dict
            More options of transformers ``generate`` (e.g. the fallback
            decode's ``no_repeat_ngram_size`` and ``repetition_penalty``).

        Returns
        -------
        texts : list of str
            Decoded answers, special tokens removed.
        """
        stop_ids = [self.end_of_turn_id]
        if self.tokenizer.eos_token_id not in (None, self.end_of_turn_id):
            stop_ids.append(self.tokenizer.eos_token_id)
        stopping = []
        if example_limits is not None:
            max_new_tokens = min(max_new_tokens, max(example_limits))
            stopping.append(PerExampleLengthLimit(example_limits))
        with warnings.catch_warnings():
            # The prompt is embeddings: the penalties act on the answer alone, as wanted.
            warnings.filterwarnings("ignore", message="Passing `.*` with `inputs_embeds`")
            out = self._generate(inputs, num_beams, max_new_tokens, stop_ids, stopping, generate_kwargs)
        return [text.strip() for text in self.tokenizer.batch_decode(out, skip_special_tokens=True)]

    def _generate(self, inputs, num_beams, max_new_tokens, stop_ids, stopping, generate_kwargs):
        """transformers ``generate`` with the lobe's settings."""
        return self.model.generate(
            inputs_embeds=inputs.embeds,
            attention_mask=inputs.attention_mask,
            num_beams=num_beams,
            do_sample=False,
            max_new_tokens=max_new_tokens,
            eos_token_id=stop_ids,
            pad_token_id=self.pad_id,
            stopping_criteria=stopping or None,
            bad_words_ids=self.banned_token_ids or None,
            **generate_kwargs,
        )


class PerExampleLengthLimit(StoppingCriteria):
    """Stops each answer of a batch at its own length limit.

    A stuck answer (the same phrase over and over, the commonest error of a
    half-trained audio LLM) then costs at most its example's limit instead
    of the batch's ``max_new_tokens``, in errors and in decoding time; the
    limit is usually proportional to the audio's duration (like ESPnet's
    ``maxlenratio``). ``generate`` hands the criterion one row per sequence,
    ``batch x k`` rows in beam search (``k`` beams or candidates per
    example, in example order).

    Arguments
    ---------
    limits : list of int
        New tokens allowed for each example of the batch.

    Example
    -------
    >>> limit = PerExampleLengthLimit([2, 5])
    >>> ids = torch.zeros(4, 3, dtype=torch.long)  # 2 examples x 2 beams, 3 tokens
    >>> limit(ids[:, :1], None).tolist(), limit(ids[:, :2], None).tolist()
    ([False, False, False, False], [True, True, False, False])
    """

    def __init__(self, limits):
        self.limits = torch.as_tensor(limits)
        self.start = None  # tokens in ``input_ids`` before the first new one

    def __call__(self, input_ids, scores, **kwargs):
        if self.start is None:  # first call: one new token so far
            self.start = input_ids.shape[1] - 1
        generated = input_ids.shape[1] - self.start
        per_example = input_ids.shape[0] // len(self.limits)
        limits = self.limits.to(input_ids.device).repeat_interleave(per_example)
        return generated >= limits


def duration_length_limits(seconds, tokens_per_second):
    """Answer length limits proportional to each example's audio duration.

    Arguments
    ---------
    seconds : list of float
        Audio duration of each example.
    tokens_per_second : float
        New tokens allowed per second of audio (ASR: a little above the
        fastest speech's token rate).

    Returns
    -------
    list of int
        At least one token per example (for :class:`PerExampleLengthLimit`).

    Example
    -------
    >>> duration_length_limits([0.5, 2.0, 0.0], 6)
    [3, 12, 1]
    """
    return [max(1, math.ceil(tokens_per_second * float(s))) for s in seconds]


def mean_input_embedding(llm):
    """Mean row of the LLM input-embedding matrix (prompt initialisation).

    Arguments
    ---------
    llm : LLMLobe
        The loaded LLM.

    Returns
    -------
    torch.Tensor
        ``[llm_dim]`` float32 vector.
    """
    return llm.input_embeddings.weight.detach().float().mean(dim=0)


def mean_embedding_norm(llm):
    """Average norm of the rows of the LLM input-embedding matrix.

    Arguments
    ---------
    llm : LLMLobe
        The loaded LLM.

    Returns
    -------
    float
    """
    return float(llm.input_embeddings.weight.detach().float().norm(dim=1).mean())


def masked_mean(sequences):
    """Selection queries: the mean of each wrapped sequence.

    The reference code averages over padding too; here each example is
    averaged over its own positions only.

    Arguments
    ---------
    sequences : list of torch.Tensor
        ``[length_i, dim]`` per example.

    Returns
    -------
    torch.Tensor
        ``[batch, dim]``.

    Example
    -------
    >>> masked_mean([torch.ones(2, 3), torch.zeros(5, 3)]).tolist()
    [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    """
    return torch.stack([seq.float().mean(dim=0) for seq in sequences])
