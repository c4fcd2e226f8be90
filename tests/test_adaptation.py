"""The adaptation switch: the paper's grid from one hparams file."""

import pytest
import torch

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
    check_tree({"librispeech_folder": str(tmp_path), "voxceleb_folder": None})
    with pytest.raises(ConfigError, match="voxceleb_folder: /no/such is not an existing folder"):
        check_tree({"voxceleb_folder": "/no/such"})
    with pytest.raises(ConfigError, match="librispeech_folder: not set"):
        check_tree({"librispeech_folder": None})


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
