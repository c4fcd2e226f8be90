"""Shared pytest fixtures: tiny random models built from configs, offline.

Nothing here downloads anything. Every model is built from a configuration
with random weights and saved in a session-scoped temporary folder, in the
same on-disk layout as a real checkpoint, so the code under test loads it
through its ordinary path (``from_pretrained``, SpeechBrain wrappers,
``torch.load``).

Fixtures
--------
tiny_llm_dir
    Folder with a real byte-level BPE tokenizer (ChatML template, trained here
    on synthetic English) and a tiny random ``LlamaForCausalLM``.
tiny_llm
    An ``LLMLobe`` on ``tiny_llm_dir`` (session-scoped: do not modify it;
    build a fresh ``LLMLobe`` for tests that change weights).
tiny_whisper_dir
    Folder with a tiny random ``WhisperForConditionalGeneration`` and a
    ``WhisperFeatureExtractor``.
tiny_whisper
    SpeechBrain ``Whisper`` wrapper on ``tiny_whisper_dir``, encoder only,
    frozen.
tiny_beats_ckpt
    Path to a tiny random BEATs checkpoint ``{"cfg": ..., "model": ...}``.
tiny_beats
    SpeechBrain ``BEATs`` lobe loaded from ``tiny_beats_ckpt``.
"""

import random
import sys
from pathlib import Path
from unittest import mock

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
# Experiment tools (baselines, grid and sweep drivers) import as modules.
TOOLS = REPO_ROOT / "tools"
if str(TOOLS) not in sys.path:
    sys.path.append(str(TOOLS))

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
PAD_TOKEN = "<|endoftext|>"
BOS_TOKEN = "<|im_start|>"
EOS_TOKEN = "<|im_end|>"

WORDS = (
    "the a an and or but if then so because of to in on at by for with from "
    "about into over after before under between through during without "
    "speech audio sound voice music noise speaker person man woman child "
    "dog bird car train rain wind water door bell phone clock street room "
    "hello world please describe recognize transcribe transcription give me "
    "listen translate answer question yes no same different emotion happy "
    "sad angry neutral word one two three four five six seven eight nine ten "
    "you are is was were be been being have has had do does did say said "
    "helpful assistant solving related tasks system user hear only talking "
    "quick brown fox jumps lazy morning evening night day year time good bad"
).split()


def _synthetic_corpus(num_lines=400, seed=0):
    """A few hundred lines of English-looking text from a fixed word list."""
    rng = random.Random(seed)
    lines = []
    for _ in range(num_lines):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 14))]
        line = " ".join(words)
        if rng.random() < 0.3:
            line = line.capitalize() + "."
        lines.append(line)
    # Make sure the template's own words and markers are in the corpus.
    lines += [
        "system user assistant",
        "You are a helpful AI assistant for solving speech related tasks.",
        "<Speech></Speech> Recognize the speech and give me the transcription.",
    ]
    return lines


def build_tiny_tokenizer(folder):
    """Trains a byte-level BPE tokenizer and saves it with a ChatML template.

    Returns the tokenizer reloaded from ``folder`` (a tokenizer built from
    files by name can be silently empty in transformers 5).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=[PAD_TOKEN, BOS_TOKEN, EOS_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_synthetic_corpus(), trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        chat_template=CHATML_TEMPLATE,
    )
    wrapped.save_pretrained(folder)
    return AutoTokenizer.from_pretrained(folder)


@pytest.fixture(scope="session")
def tiny_llm_dir(tmp_path_factory):
    """Folder with a trained tiny tokenizer and a random tiny Llama."""
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny_llm")
    tokenizer = build_tiny_tokenizer(folder)
    assert len(tokenizer) > 300, "the reloaded tokenizer is empty"
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=64,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        # Larger than the usual 0.02 so that the random model's greedy output
        # depends on its input (batched-vs-alone decoding tests need that).
        initializer_range=0.3,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def tiny_llm(tiny_llm_dir):
    """A frozen ``LLMLobe`` on the tiny Llama (shared: do not modify)."""
    from speechbrain_listen.model.llm_lobe import LLMLobe

    torch.manual_seed(0)
    return LLMLobe(tiny_llm_dir)


@pytest.fixture(scope="session")
def tiny_whisper_dir(tmp_path_factory):
    """Folder with a tiny random Whisper model and a feature extractor."""
    from transformers import (
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
    )

    folder = tmp_path_factory.mktemp("tiny_whisper")
    config = WhisperConfig(
        vocab_size=64,
        num_mel_bins=80,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_source_positions=1500,
        max_target_positions=64,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=3,
        suppress_tokens=[],
        begin_suppress_tokens=[],
    )
    torch.manual_seed(0)
    WhisperForConditionalGeneration(config).save_pretrained(folder)
    WhisperFeatureExtractor(feature_size=80).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def tiny_whisper(tiny_whisper_dir, tmp_path_factory):
    """SpeechBrain's Whisper wrapper on the tiny model: encoder only, frozen."""
    from speechbrain.integrations.huggingface.whisper import Whisper

    save_path = tmp_path_factory.mktemp("tiny_whisper_save")
    return Whisper(
        source=tiny_whisper_dir,
        save_path=str(save_path),
        encoder_only=True,
        freeze=True,
    )


TINY_BEATS_CFG = {
    "input_patch_size": 16,
    "embed_dim": 16,
    "conv_bias": False,
    "encoder_layers": 1,
    "encoder_embed_dim": 24,
    "encoder_ffn_embed_dim": 48,
    "encoder_attention_heads": 2,
    "conv_pos": 16,
    "conv_pos_groups": 4,
    "relative_position_embedding": True,
    "num_buckets": 32,
    "max_distance": 64,
    "gru_rel_pos": True,
    "deep_norm": True,
    "layer_norm_first": False,
    "finetuned_model": False,
}


def build_tiny_beats_state_dict(cfg):
    """A random state dict of a BEATs lobe built with ``cfg``.

    ``BEATs()`` always builds from ``BEATsConfig(None)`` when given no
    checkpoint, so the config class is patched for the duration of the build.
    """
    import speechbrain.lobes.models.beats as beats_module

    real_config = beats_module.BEATsConfig
    with mock.patch.object(beats_module, "BEATsConfig", lambda _cfg=None: real_config(cfg)):
        model = beats_module.BEATs(ckp_path=None, freeze=True)
    return {name: t.detach().clone() for name, t in model.state_dict().items()}


@pytest.fixture(scope="session")
def tiny_beats_ckpt(tmp_path_factory):
    """Path to a tiny random BEATs checkpoint loadable by ``BEATs(ckp_path=)``."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny_beats") / "tiny_beats.pt"
    cfg = dict(TINY_BEATS_CFG)
    torch.save({"cfg": cfg, "model": build_tiny_beats_state_dict(cfg)}, path)
    return str(path)


@pytest.fixture(scope="session")
def tiny_beats(tiny_beats_ckpt):
    """SpeechBrain's BEATs lobe loaded from the tiny checkpoint, frozen."""
    from speechbrain.lobes.models.beats import BEATs

    return BEATs(ckp_path=tiny_beats_ckpt, freeze=True)


LIBRISPEECH_HPARAMS = Path(__file__).resolve().parents[1] / "recipes" / "LibriSpeech" / "hparams"


@pytest.fixture
def small_brain(tiny_whisper_dir, tiny_llm_dir, tmp_path):
    """A ``ListenBrain`` of ``listen_small.yaml`` on the tiny models, fp32,
    ready for ``fit_batch`` (optimizer made, no checkpointer)."""
    from hyperpyyaml import load_hyperpyyaml

    from speechbrain_listen.training.brain import ListenBrain

    overrides = {
        "data_folder": str(tmp_path),
        "output_folder": str(tmp_path / "out"),
        "whisper_source": tiny_whisper_dir,
        "llm_source": tiny_llm_dir,
        "whisper_seconds": 3,
        "feature_cache_dir": None,
        "qformer_hidden_size": 32,
        "qformer_heads": 2,
        "qformer_intermediate_size": 64,
        "pool_size": 12,
        "num_prompts": 4,
    }
    with open(LIBRISPEECH_HPARAMS / "listen_small.yaml", encoding="utf-8") as fin:
        hparams = load_hyperpyyaml(fin, overrides)
    brain = ListenBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts={"device": "cpu", "precision": "fp32", "nonfinite_patience": 2},
        checkpointer=None,
    )
    brain.on_fit_start()
    return brain


@pytest.fixture
def instruction_spy(monkeypatch):
    """Records the instructions a loaded ``ListenAudioLLM`` decodes with.

    ``seen = instruction_spy(model)`` returns a list that fills with every
    instruction the model's LLM lobe wraps around audio from then on.
    """

    def attach(model):
        seen = []
        original = model.llm.wrap_audio

        def spy(tokens, counts, batch_instructions):
            seen.extend(batch_instructions)
            return original(tokens, counts, batch_instructions)

        monkeypatch.setattr(model.llm, "wrap_audio", spy)
        return seen

    return attach
