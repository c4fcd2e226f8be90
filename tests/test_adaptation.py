"""The adaptation switch: the paper's grid from one hparams file."""

import re
from pathlib import Path

import pytest
import torch
from hyperpyyaml import load_hyperpyyaml

from speechbrain_listen.prompts.adaptation import (
    GRID,
    build_prompt_provider,
    grid_overrides,
    lora_config,
)
from speechbrain_listen.prompts.pool import PromptPool
from speechbrain_listen.prompts.soft_prompt import SoftPrompt
from speechbrain_listen.training.checkpointing import AtomicCheckpointer
from speechbrain_listen.training.config_checks import ConfigError, check_tree


def test_grid_is_the_papers_nine_runs():
    pools = {
        (g["selection_strategy"], g["stochastic_selection"])
        for g in GRID.values()
        if g["adaptation"] == "prompt_pool"
    }
    assert pools == {(s, d) for s in ("similarity", "attention", "residual") for d in (False, True)}
    assert sorted(g["stochastic_prompt"] for g in GRID.values() if g["adaptation"] == "soft_prompt") == [
        False,
        True,
    ]
    assert [name for name, g in GRID.items() if g["adaptation"] == "lora"] == ["lora"]
    assert grid_overrides("dps_attention_stochastic") == [
        "--adaptation=prompt_pool",
        "--selection_strategy=attention",
        "--stochastic_selection=True",
    ]
    with pytest.raises(KeyError, match="unknown grid run"):
        grid_overrides("dps_cosine")


@pytest.mark.parametrize("name", list(GRID))
def test_each_grid_run_builds_its_method(name):
    settings = {k: v for k, v in GRID[name].items() if k != "adaptation"}
    adapter = build_prompt_provider(GRID[name]["adaptation"], torch.zeros(8), 10, 4, **settings)
    lora = lora_config(GRID[name]["adaptation"])
    if GRID[name]["adaptation"] == "lora":
        assert adapter is None and lora.r == 8 and lora.lora_alpha == 32
        return
    assert lora is None
    if GRID[name]["adaptation"] == "prompt_pool":
        assert isinstance(adapter, PromptPool)
        assert adapter.strategy == settings["selection_strategy"]
        assert adapter.stochastic == settings["stochastic_selection"]
        assert (adapter.size, adapter.num_prompts) == (10, 4)
    else:
        # The paper's soft prompt has as many tokens as the pool prepends (L = N).
        assert isinstance(adapter, SoftPrompt)
        assert adapter.stochastic == settings["stochastic_prompt"]
        assert (adapter.size, adapter.num_prompts) == (4, 4)


def test_unknown_adaptation_is_named():
    with pytest.raises(ValueError, match="unknown adaptation 'prefix'"):
        build_prompt_provider("prefix", torch.zeros(8), 10, 4)
    with pytest.raises(ConfigError, match="adaptation: unknown choice 'prefix'"):
        check_tree({"adaptation": "prefix"})
    with pytest.raises(ConfigError, match="task_sampling: unknown choice"):
        check_tree({"task_sampling": "uniform"})


def test_optional_corpus_folder_may_be_null_but_not_missing(tmp_path):
    optional = ("voxceleb_folder",)  # as the multitask recipe says
    check_tree({"librispeech_folder": str(tmp_path), "voxceleb_folder": None}, optional)
    with pytest.raises(ConfigError, match="voxceleb_folder: /no/such is not an existing folder"):
        check_tree({"voxceleb_folder": "/no/such"}, optional)
    with pytest.raises(ConfigError, match="librispeech_folder: not set"):
        check_tree({"librispeech_folder": None}, optional)
    with pytest.raises(ConfigError, match="voxceleb_folder: not set"):
        check_tree({"voxceleb_folder": None})  # a recipe that needs it


def test_checkpointer_leaves_out_an_absent_part(tmp_path):
    model = torch.nn.Linear(2, 2)
    checkpointer = AtomicCheckpointer(tmp_path, {"model": model, "prompt_provider": None})
    ckpt = checkpointer.save_checkpoint()
    assert sorted(p.name for p in ckpt.path.iterdir()) == ["CKPT.yaml", "model.ckpt"]
    with torch.no_grad():
        model.weight.zero_()
    checkpointer.recover_if_possible()
    assert model.weight.abs().sum() > 0


def test_brain_drops_absent_modules(monkeypatch):
    from speechbrain_listen.training.brain import ListenBrain

    # The parameter report needs a real LLM lobe; not the point here.
    monkeypatch.setattr(ListenBrain, "print_trainable_parameters", lambda self: None)
    brain = ListenBrain(
        modules={"connector": torch.nn.Linear(2, 2), "prompt_provider": None},
        hparams={},
        run_opts={"device": "cpu"},
    )
    assert list(brain.modules) == ["connector"]
    assert brain.prompt_provider is None


# ----------------------------------------------------------------------------
# Every recipe's hparams files take the switch: loaded with tiny models (no
# download), each adaptation builds its provider / LoRA config from the YAML
# alone, and the paper-scale files reproduce the removed per-method files of
# the LibriSpeech recipe (soft prompt: L = 160, fixed length; LoRA: r 8,
# alpha 32, dropout 0.1 on q_proj and v_proj; lambda unchanged, no effect).

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
RECIPE_HPARAMS = [
    RECIPES / recipe / "hparams" / name
    for recipe in ("LibriSpeech", "Clotho", "Multitask")
    for name in ("listen.yaml", "listen_small.yaml")
]
# (M, N) of the paper's and of the small settings.
POOL_SIZES = {"listen.yaml": (400, 160), "listen_small.yaml": (40, 16)}


def top_level_keys(path):
    return set(re.findall(r"^([A-Za-z_]\w*)\s*:", path.read_text(), flags=re.M))


def load_recipe_hparams(path, adaptation, tmp_path, models, extra=None):
    """The recipe's hparams with ``--adaptation=<adaptation>``, tiny models
    and throwaway folders; ``output_folder`` is the file's own."""
    keys = top_level_keys(path)
    overrides = {
        "adaptation": adaptation,
        "save_folder": str(tmp_path / "save"),
        "feature_cache_dir": None,
        "qformer_hidden_size": 32,
        "qformer_heads": 2,
        "qformer_intermediate_size": 64,
        **models,
        **{folder: str(tmp_path) for folder in ("data_folder", "librispeech_folder", "clotho_folder")},
        **(extra or {}),
    }
    with open(path, encoding="utf-8") as fin:
        return load_hyperpyyaml(fin, {k: v for k, v in overrides.items() if k in keys})


@pytest.fixture(scope="module")
def tiny_models(tiny_whisper_dir, tiny_beats_ckpt, tiny_llm_dir):
    return {
        "whisper_source": tiny_whisper_dir,
        "beats_checkpoint": tiny_beats_ckpt,
        "llm_source": tiny_llm_dir,
    }


def lora_settings(llm):
    """(r, alpha, dropout, targets) of a LoRA-wrapped LLM lobe, None without."""
    config = getattr(llm.model, "peft_config", {}).get("default")
    if config is None:
        return None
    return config.r, config.lora_alpha, config.lora_dropout, sorted(config.target_modules)


@pytest.mark.parametrize("adaptation", ["prompt_pool", "soft_prompt", "lora"])
@pytest.mark.parametrize("path", RECIPE_HPARAMS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_recipe_yaml_takes_the_switch(path, adaptation, tiny_models, tmp_path):
    hparams = load_recipe_hparams(path, adaptation, tmp_path, tiny_models)
    provider = hparams["prompt_provider"]
    pool_size, num_prompts = POOL_SIZES[path.name]
    assert hparams["modules"]["prompt_provider"] is provider
    assert hparams["checkpointer"].recoverables.get("prompt_provider") is provider
    # One output folder per method.
    assert f"/{adaptation}/" in hparams["output_folder"]
    # lambda stays; only the pool has a selection loss for it to weigh.
    assert hparams["selection_loss_weight"] == 0.5
    lora = lora_settings(hparams["llm"])
    if adaptation == "prompt_pool":
        assert isinstance(provider, PromptPool)
        assert (provider.size, provider.num_prompts) == (pool_size, num_prompts)
        assert provider.strategy == "similarity" and provider.stochastic
        assert lora is None
    elif adaptation == "soft_prompt":
        assert isinstance(provider, SoftPrompt)
        assert (provider.size, provider.num_prompts) == (num_prompts, num_prompts)  # L = N
        assert not provider.stochastic
        assert lora is None
    else:
        assert provider is None
        assert lora == (8, 32, 0.1, ["q_proj", "v_proj"])
        assert any(p.requires_grad for n, p in hparams["llm"].named_parameters() if "lora_" in n)


def test_the_switch_keeps_the_baselines_settings(tiny_models, tmp_path):
    """The soft prompt's random-prefix variant and a shorter soft prompt, as
    the former per-method soft-prompt file allowed, are overrides of listen.yaml."""
    path = RECIPES / "LibriSpeech" / "hparams" / "listen.yaml"
    hparams = load_recipe_hparams(
        path,
        "soft_prompt",
        tmp_path,
        tiny_models,
        {"stochastic_prompt": True, "prompt_length": 8},
    )
    provider = hparams["prompt_provider"]
    assert isinstance(provider, SoftPrompt) and provider.stochastic
    assert (provider.size, provider.num_prompts) == (8, 8)
    assert hparams["output_folder"] == "results/listen/soft_prompt/42"


def test_pool_less_methods_have_no_selection_loss():
    """Why ``selection_loss_weight`` needs no per-method value: a soft prompt
    and LoRA (no provider) give a constant zero selection loss."""
    from speechbrain_listen.model.audio_prompting import prompt_audio

    query = torch.randn(3, 8)
    for stochastic in (False, True):
        soft = SoftPrompt(length=4, value_mean=torch.zeros(8), stochastic=stochastic).train()
        loss = soft(query).selection_loss
        assert loss.item() == 0 and not loss.requires_grad

    class Identity(torch.nn.Module):
        def forward(self, x, lens, ids=None):
            return x, lens

    class Wrapper:
        def wrap_audio(self, tokens, counts, instructions):
            return tokens

    prompted = prompt_audio(
        Identity(), Identity(), None, Wrapper(), torch.randn(2, 5, 8), torch.ones(2), ["a", "b"]
    )
    assert prompted.prompts is None and prompted.selection_loss.item() == 0
