"""CTranslate2 Whisper -> Hugging Face ``WhisperForConditionalGeneration`` folder.

faster-whisper style packages ship Whisper as a CTranslate2 ``model.bin``
plus the original ``tokenizer.json`` and a small ``config.json`` (suppressed
tokens, language ids, alignment heads). The project needs an ordinary Hugging
Face folder instead (``from_pretrained``, SpeechBrain's ``Whisper`` wrapper),
so the weights are renamed back here. CTranslate2's Whisper layout, against
Hugging Face's::

    encoder/conv{1,2}                      model.encoder.conv{1,2}
    encoder/position_encodings/encodings   model.encoder.embed_positions.weight
    encoder/layer_i/self_attention/
        layer_norm                         ...layers.i.self_attn_layer_norm
        linear_0 (fused q|k|v)             ...self_attn.{q,k,v}_proj
        linear_1                           ...self_attn.out_proj
    encoder/layer_i/ffn/
        layer_norm, linear_0, linear_1     ...final_layer_norm, fc1, fc2
    encoder/layer_norm                     model.encoder.layer_norm
    decoder/embeddings/weight              model.decoder.embed_tokens.weight
    decoder/position_encodings/encodings   model.decoder.embed_positions.weight
    decoder/layer_i/self_attention         as in the encoder
    decoder/layer_i/attention/
        layer_norm                         ...encoder_attn_layer_norm
        linear_0 / linear_1 (fused k|v)    ...encoder_attn.q_proj / {k,v}_proj
        linear_2                           ...encoder_attn.out_proj
    decoder/layer_i/ffn                    as in the encoder
    decoder/layer_norm                     model.decoder.layer_norm
    decoder/projection/weight (alias)      proj_out.weight, tied

Layer norms store ``gamma``/``beta`` where PyTorch says ``weight``/``bias``.
The fused projections carry a bias for the key too (zeros: Whisper's key
projection has none); Hugging Face has no such parameter, and none is needed
even if it were not zero, because ``q . (k + b)`` only adds the same number
``q . b`` to every key's score, which the softmax cancels.

The tokenizer is the shipped ``tokenizer.json`` (a ``WhisperTokenizerFast``
built from ``tokenizer_file=``, saved, and checked again after reloading:
transformers 5 tokenizers built from ``vocab_file=`` come out silently
empty). The 1501 timestamp tokens that the model's vocabulary has beyond the
shipped ``tokenizer.json`` are added, as in the Hugging Face checkpoints, so
that ``len(tokenizer)`` equals the model's vocabulary size.

Authors
 * speechbrain-listen contributors 2026
"""

import json
import re
from pathlib import Path

import torch
from speechbrain.utils.logger import get_logger

from listen_offline.model_pack.ctranslate2_format import (
    CTranslate2FormatError,
    read_ctranslate2_model,
)

logger = get_logger(__name__)

WHISPER_SPEC = "WhisperSpec"
# CTranslate2's ``ActivationType`` enum -> transformers' ACT2FN names.
ACTIVATIONS = {0: "relu", 1: "gelu_new", 2: "silu", 3: "gelu"}
# openai/whisper: a multilingual vocabulary has one more token than the
# English-only one (51865 vs 51864 for the released models).
MULTILINGUAL_MIN_VOCAB = 51865
TIMESTAMP_TOKENS = 1501  # <|0.00|> ... <|30.00|>, 20 ms apart
TIMESTAMP_STEP = 0.02
SAMPLING_RATE = 16000


def _layer_count(model, prefix):
    pattern = re.compile(rf"^{prefix}/layer_(\d+)/")
    indices = {int(m.group(1)) for m in map(pattern.match, model.variables) if m}
    if indices != set(range(len(indices))):
        raise CTranslate2FormatError(f"{prefix} layers are not numbered 0..n-1")
    return len(indices)


def whisper_dimensions(model):
    """Reads Whisper's hyper-parameters off the CTranslate2 variables.

    Arguments
    ---------
    model : CTranslate2Model
        A ``WhisperSpec`` model.

    Returns
    -------
    dict
        ``WhisperConfig`` keyword arguments for the architecture.
    """
    if model.spec != WHISPER_SPEC:
        raise CTranslate2FormatError(f"expected a {WHISPER_SPEC}, got '{model.spec}'")
    # Options of CTranslate2's Transformer decoder that Whisper never uses
    # and Hugging Face's Whisper cannot express.
    for name, expected in [
        ("decoder/pre_norm", 1),
        ("decoder/alibi", 0),
        ("decoder/scale_embeddings", 0),
    ]:
        value = model.scalar(name, expected)
        if value != expected:
            raise CTranslate2FormatError(f"unsupported Whisper variant: {name}={value}")
    activation = model.scalar("decoder/activation", 3)
    if activation not in ACTIVATIONS:
        raise CTranslate2FormatError(f"unknown activation id {activation}")

    conv1 = model.get("encoder/conv1/weight")
    return dict(
        vocab_size=model.get("decoder/embeddings/weight").shape[0],
        num_mel_bins=conv1.shape[1],
        d_model=conv1.shape[0],
        encoder_layers=_layer_count(model, "encoder"),
        decoder_layers=_layer_count(model, "decoder"),
        encoder_attention_heads=model.scalar("encoder/num_heads"),
        decoder_attention_heads=model.scalar("decoder/num_heads"),
        encoder_ffn_dim=model.get("encoder/layer_0/ffn/linear_0/weight").shape[0],
        decoder_ffn_dim=model.get("decoder/layer_0/ffn/linear_0/weight").shape[0],
        max_source_positions=model.get("encoder/position_encodings/encodings").shape[0],
        max_target_positions=model.get("decoder/position_encodings/encodings").shape[0],
        activation_function=ACTIVATIONS[activation],
        scale_embedding=False,
    )


def whisper_state_dict(model):
    """Renames (and splits) CTranslate2 Whisper variables to HF names.

    Arguments
    ---------
    model : CTranslate2Model
        A ``WhisperSpec`` model.

    Returns
    -------
    state_dict : dict
        ``WhisperForConditionalGeneration`` parameter name -> float32 tensor.
        ``proj_out.weight`` is only present when the output projection is not
        tied to the token embeddings.
    """
    dims = whisper_dimensions(model)
    d_model = dims["d_model"]
    state = {}

    def norm(hf, ct2):
        state[f"{hf}.weight"] = model.get(f"{ct2}/gamma").float()
        state[f"{hf}.bias"] = model.get(f"{ct2}/beta").float()

    def linear(hf, ct2):
        state[f"{hf}.weight"] = model.weight(f"{ct2}/weight")
        if f"{ct2}/bias" in model:
            state[f"{hf}.bias"] = model.get(f"{ct2}/bias").float()

    def fused(hf_names, ct2):
        weights = model.weight(f"{ct2}/weight").split(d_model, dim=0)
        biases = model.get(f"{ct2}/bias").float().split(d_model, dim=0)
        if len(weights) != len(hf_names):
            raise CTranslate2FormatError(f"{ct2} does not fuse {len(hf_names)} projections")
        for hf, weight, bias in zip(hf_names, weights, biases):
            state[f"{hf}.weight"] = weight
            if not hf.endswith("k_proj"):  # no key bias in Whisper (docstring)
                state[f"{hf}.bias"] = bias

    def self_attention(hf, ct2):
        norm(f"{hf}.self_attn_layer_norm", f"{ct2}/self_attention/layer_norm")
        fused(
            [f"{hf}.self_attn.{p}_proj" for p in "qkv"],
            f"{ct2}/self_attention/linear_0",
        )
        linear(f"{hf}.self_attn.out_proj", f"{ct2}/self_attention/linear_1")

    def feed_forward(hf, ct2):
        norm(f"{hf}.final_layer_norm", f"{ct2}/ffn/layer_norm")
        linear(f"{hf}.fc1", f"{ct2}/ffn/linear_0")
        linear(f"{hf}.fc2", f"{ct2}/ffn/linear_1")

    for i in (1, 2):
        linear(f"model.encoder.conv{i}", f"encoder/conv{i}")
    state["model.encoder.embed_positions.weight"] = model.get("encoder/position_encodings/encodings").float()
    for i in range(dims["encoder_layers"]):
        self_attention(f"model.encoder.layers.{i}", f"encoder/layer_{i}")
        feed_forward(f"model.encoder.layers.{i}", f"encoder/layer_{i}")
    norm("model.encoder.layer_norm", "encoder/layer_norm")

    embeddings = model.weight("decoder/embeddings/weight")
    state["model.decoder.embed_tokens.weight"] = embeddings
    state["model.decoder.embed_positions.weight"] = model.get("decoder/position_encodings/encodings").float()
    for i in range(dims["decoder_layers"]):
        hf, ct2 = f"model.decoder.layers.{i}", f"decoder/layer_{i}"
        self_attention(hf, ct2)
        norm(f"{hf}.encoder_attn_layer_norm", f"{ct2}/attention/layer_norm")
        linear(f"{hf}.encoder_attn.q_proj", f"{ct2}/attention/linear_0")
        fused([f"{hf}.encoder_attn.{p}_proj" for p in "kv"], f"{ct2}/attention/linear_1")
        linear(f"{hf}.encoder_attn.out_proj", f"{ct2}/attention/linear_2")
        feed_forward(hf, ct2)
    norm("model.decoder.layer_norm", "decoder/layer_norm")

    if "decoder/projection/weight" in model:
        projection = model.weight("decoder/projection/weight")
        if not torch.equal(projection, embeddings):
            state["proj_out.weight"] = projection
    return state


def _token_id(tokenizer, token):
    token_id = tokenizer.convert_tokens_to_ids(token)
    if token_id is None or (token_id == tokenizer.unk_token_id and token != tokenizer.unk_token):
        raise ValueError(f"the Whisper tokenizer has no {token}")
    return token_id


def build_whisper_tokenizer(tokenizer_json, vocab_size, multilingual):
    """A ``WhisperTokenizerFast`` from a shipped ``tokenizer.json``.

    Arguments
    ---------
    tokenizer_json : str or pathlib.Path
        The ``tokenizer.json`` next to the CTranslate2 model.
    vocab_size : int
        The model's vocabulary size: timestamp tokens missing from the file
        are added up to it.
    multilingual : bool
        Prefix labels with ``<|en|><|transcribe|>`` (multilingual models)
        or not (``.en`` models have no language and task tokens).

    Returns
    -------
    transformers.WhisperTokenizerFast
        Not yet saved; save it and reload it with ``from_pretrained``.
    """
    from tokenizers import AddedToken
    from transformers import WhisperTokenizerFast

    task = dict(language="en", task="transcribe") if multilingual else {}
    tokenizer = WhisperTokenizerFast(tokenizer_file=str(tokenizer_json), predict_timestamps=False, **task)
    # Timestamp ids follow <|notimestamps|> directly; add them only when the
    # file ends right there, so that every id keeps its meaning.
    missing = vocab_size - len(tokenizer)
    no_timestamps = _token_id(tokenizer, "<|notimestamps|>")
    if 0 < missing <= TIMESTAMP_TOKENS and no_timestamps == len(tokenizer) - 1:
        tokenizer.add_tokens(
            [
                AddedToken(
                    f"<|{i * TIMESTAMP_STEP:.2f}|>",
                    special=False,  # decode() drops them through its own logic
                    normalized=False,
                    lstrip=False,
                    rstrip=False,
                )
                for i in range(missing)
            ]
        )
    elif missing:
        logger.warning(
            "Whisper tokenizer has %d tokens for a vocabulary of %d",
            len(tokenizer),
            vocab_size,
        )
    return tokenizer


def whisper_generation_config(tokenizer, dims, multilingual, package_config=None):
    """Generation settings for English transcription without timestamps.

    Arguments
    ---------
    tokenizer : transformers.WhisperTokenizerFast
        The model's tokenizer (special token ids are read off it).
    dims : dict
        Output of :func:`whisper_dimensions`.
    multilingual : bool
        Whether to set ``language="en"`` and ``task="transcribe"`` (and the
        ``lang_to_id``/``task_to_id`` maps ``generate`` needs for them). An
        English-only model gets neither: no language or task token.
    package_config : dict, optional
        The CTranslate2 ``config.json`` (``suppress_ids``,
        ``suppress_ids_begin``, ``alignment_heads``).

    Returns
    -------
    transformers.GenerationConfig
    """
    from transformers import GenerationConfig
    from transformers.models.whisper.tokenization_whisper import LANGUAGES

    package_config = package_config or {}
    end_of_text = _token_id(tokenizer, "<|endoftext|>")
    settings = dict(
        decoder_start_token_id=_token_id(tokenizer, "<|startoftranscript|>"),
        bos_token_id=end_of_text,
        eos_token_id=end_of_text,
        pad_token_id=end_of_text,
        max_length=dims["max_target_positions"],
        suppress_tokens=package_config.get("suppress_ids", []),
        begin_suppress_tokens=package_config.get(
            "suppress_ids_begin", tokenizer.encode(" ", add_special_tokens=False) + [end_of_text]
        ),
        no_timestamps_token_id=_token_id(tokenizer, "<|notimestamps|>"),
        prev_sot_token_id=_token_id(tokenizer, "<|startofprev|>"),
        max_initial_timestamp_index=50,
        return_timestamps=False,
        is_multilingual=multilingual,
    )
    if package_config.get("alignment_heads"):
        settings["alignment_heads"] = [list(pair) for pair in package_config["alignment_heads"]]
    if multilingual:
        vocab = tokenizer.get_vocab()
        settings["lang_to_id"] = {
            f"<|{code}|>": vocab[f"<|{code}|>"] for code in LANGUAGES if f"<|{code}|>" in vocab
        }
        settings["task_to_id"] = {
            task: _token_id(tokenizer, f"<|{task}|>") for task in ("transcribe", "translate")
        }
        # ``generate`` reads these two as the defaults of its arguments.
        settings["language"] = "en"
        settings["task"] = "transcribe"
    return GenerationConfig(**settings)


def convert_ctranslate2_whisper(
    model_files, tokenizer_json, output_dir, package_config=None, multilingual=None
):
    """Writes a Hugging Face Whisper folder from a CTranslate2 Whisper model.

    The folder holds ``config.json`` + ``model.safetensors`` (float32, so
    that a plain ``from_pretrained`` on CPU gets usable weights),
    ``generation_config.json``, the tokenizer and the feature extractor
    (``WhisperProcessor``).

    Arguments
    ---------
    model_files : str, pathlib.Path or list
        ``model.bin``, or its parts in order.
    tokenizer_json : str or pathlib.Path
        The shipped ``tokenizer.json``.
    output_dir : str or pathlib.Path
        Folder to write (created).
    package_config : str, pathlib.Path or dict, optional
        The CTranslate2 ``config.json`` shipped with the model.
    multilingual : bool, optional
        Default: openai/whisper's rule (vocabulary of >= 51865 tokens).

    Returns
    -------
    pathlib.Path
        ``output_dir``.
    """
    from transformers import (
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizerFast,
    )

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(package_config, (str, Path)):
        package_config = json.loads(Path(package_config).read_text(encoding="utf-8"))

    ct2 = read_ctranslate2_model(model_files)
    dims = whisper_dimensions(ct2)
    state = whisper_state_dict(ct2)
    del ct2
    if multilingual is None:
        multilingual = dims["vocab_size"] >= MULTILINGUAL_MIN_VOCAB

    tokenizer = build_whisper_tokenizer(tokenizer_json, dims["vocab_size"], multilingual)
    generation = whisper_generation_config(tokenizer, dims, multilingual, package_config)

    config = WhisperConfig(
        **dims,
        pad_token_id=generation.pad_token_id,
        bos_token_id=generation.bos_token_id,
        eos_token_id=generation.eos_token_id,
        decoder_start_token_id=generation.decoder_start_token_id,
        # Generation settings live in generation_config.json only: a copy in
        # config.json makes ``generate`` warn about conflicting sources.
        suppress_tokens=None,
        begin_suppress_tokens=None,
        tie_word_embeddings="proj_out.weight" not in state,
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
    )
    model = WhisperForConditionalGeneration(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # proj_out is tied to the token embeddings when the state has none.
    missing = [name for name in missing if name != "proj_out.weight"]
    if missing or unexpected:
        raise CTranslate2FormatError(
            f"weights do not fit WhisperForConditionalGeneration: "
            f"missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    model.generation_config = generation
    model.save_pretrained(output_dir)

    feature_extractor = WhisperFeatureExtractor(
        feature_size=dims["num_mel_bins"], sampling_rate=SAMPLING_RATE
    )
    WhisperProcessor(feature_extractor=feature_extractor, tokenizer=tokenizer).save_pretrained(output_dir)
    # processor_config.json embeds the feature extractor; the separate
    # preprocessor_config.json is what older readers look for.
    feature_extractor.save_pretrained(output_dir)
    # transformers 5 can build tokenizers that look fine and are empty after
    # a round trip; only the reloaded one counts.
    reloaded = WhisperTokenizerFast.from_pretrained(output_dir)
    if len(reloaded) != len(tokenizer) or reloaded.prefix_tokens != tokenizer.prefix_tokens:
        raise RuntimeError(
            f"the saved Whisper tokenizer does not reload: {len(reloaded)} tokens "
            f"and prefix {reloaded.prefix_tokens}, built with {len(tokenizer)} "
            f"and {tokenizer.prefix_tokens}"
        )
    return output_dir
