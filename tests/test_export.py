"""The exporter: hparams pruning, checkpoint choice, and a LoRA model exported
from a recipe hparams file + overrides (no training run needed)."""

import json
import textwrap
from pathlib import Path

import pytest
import ruamel.yaml
import torch
from hyperpyyaml import load_hyperpyyaml

from speechbrain_listen.inference.audio_llm import ListenAudioLLM
from speechbrain_listen.inference.export import (
    ExportError,
    export_model,
    find_checkpoint,
    main,
    model_part,
    read_training_hparams,
)

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "LibriSpeech"

TOY = textwrap.dedent(
    """
    seed: 3
    __set_seed: !apply:torch.manual_seed [!ref <seed>]
    data_folder: !PLACEHOLDER
    size: 4
    shared: !new:torch.nn.Identity
    enc: !new:torch.nn.Linear
        in_features: !ref <size>
        out_features: 2
    head: !new:torch.nn.Sequential [!ref <enc>, !ref <shared>]
    opt: !name:torch.optim.SGD
        lr: 0.1
    modules:
        head: !ref <head>
    checkpointer: !new:speechbrain.utils.checkpoints.Checkpointer
        checkpoints_dir: !ref <data_folder>/save
        recoverables: {head: !ref <head>}
    """
)


def dump(tree):
    import io

    out = io.StringIO()
    ruamel.yaml.YAML().dump(tree, out)
    return out.getvalue()


def test_model_part_keeps_what_the_modules_use(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY)
    tree = read_training_hparams(path)  # the !PLACEHOLDER is not needed
    part = model_part(tree)
    assert list(part) == ["shared", "enc", "head", "modules"]
    text = dump(part)
    assert "!ref <enc>" in text and "!ref <shared>" in text and "!ref <head>" in text
    assert "in_features: 4" in text  # scalar references are resolved
    built = load_hyperpyyaml(text)
    assert built["modules"]["head"][0] is built["enc"]


def test_a_placeholder_the_model_needs_is_an_error(tmp_path):
    path = tmp_path / "toy.yaml"
    toy = TOY.replace("in_features: !ref <size>", "in_features: !ref <data_folder>")
    toy = toy.replace(
        "head: !ref <head>\n",
        "audio_encoder: !ref <enc>\n    connector: !ref <shared>\n    llm: !ref <head>\n",
    )
    path.write_text(toy)
    save = tmp_path / "run" / "save" / "CKPT+1"
    save.mkdir(parents=True)
    (save / "CKPT.yaml").write_text("WER: 1.0\n")
    (save / "head.ckpt").write_bytes(b"")
    with pytest.raises(ExportError, match="PLACEHOLDER"):
        export_model(save, tmp_path / "out", hparams_file=path)


def fake_run(root, metas):
    save = root / "save"
    for i, meta in enumerate(metas):
        ckpt = save / f"CKPT+2026-01-01+00-00-0{i}+00"
        ckpt.mkdir(parents=True)
        meta = {**meta, "unixtime": 1000.0 + i}  # the Checkpointer always writes it
        (ckpt / "CKPT.yaml").write_text("".join(f"{k}: {v}\n" for k, v in meta.items()))
    (root / "hyperparams.yaml").write_text("modules: {}\n")
    return save


def test_checkpoint_choice(tmp_path):
    metas = [{"WER": 5.0, "acc": 1}, {"WER": 3.0, "acc": 0}, {"WER": 4.0, "acc": 2}]
    save = fake_run(tmp_path, metas)
    ckpt, hparams, meta = find_checkpoint(tmp_path)
    assert ckpt.name.endswith("01+00") and meta["WER"] == 3.0
    assert hparams == tmp_path / "hyperparams.yaml"
    assert find_checkpoint(tmp_path, max_key="acc")[0].name.endswith("02+00")
    assert find_checkpoint(save)[0] == ckpt  # the save folder works too
    direct = sorted(save.glob("CKPT+*"))[0]
    assert find_checkpoint(direct)[:2] == (direct, tmp_path / "hyperparams.yaml")
    with pytest.raises(ExportError, match="no such folder"):
        find_checkpoint(tmp_path / "nonexistent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError, match="no CKPT"):
        find_checkpoint(tmp_path / "empty")
    with pytest.raises(ExportError, match="'nope'"):
        find_checkpoint(tmp_path, max_key="nope")


TINY_QFORMER = {"qformer_hidden_size": 32, "qformer_heads": 2, "qformer_intermediate_size": 64}


def test_lora_model_from_recipe_hparams_and_overrides(
    tiny_whisper_dir, tiny_beats_ckpt, tiny_llm_dir, tmp_path
):
    """listen.yaml with ``adaptation: lora`` + overrides, weights saved by
    the recipe's own checkpointer: the export loads the same LoRA adapters
    and decodes like the in-memory model."""
    overrides = {
        "whisper_source": tiny_whisper_dir,
        "beats_checkpoint": tiny_beats_ckpt,
        "llm_source": tiny_llm_dir,
        **TINY_QFORMER,
        "max_new_tokens": 5,
        "num_beams": 2,
        "output_folder": str(tmp_path / "run"),
        "adaptation": "lora",
    }
    hparams_file = RECIPE / "hparams" / "listen.yaml"
    with open(hparams_file) as fin:
        hparams = load_hyperpyyaml(fin, {**overrides, "data_folder": str(tmp_path)})
    with torch.no_grad():
        for name, param in hparams["llm"].named_parameters():
            if "lora_B" in name:  # zeros at init: make the adapters matter
                param.normal_(std=0.5)
    hparams["checkpointer"].save_checkpoint(meta={"WER": 50.0})

    # No data_folder override: the exporter does not need the data.
    dest = tmp_path / "exported"
    assert (
        main(
            [str(tmp_path / "run"), str(dest), "--hparams", str(hparams_file)]
            + [f"--override={k}={v}" for k, v in overrides.items()]
        )
        == 0
    )
    ckpts = sorted(p.name for p in dest.glob("*.ckpt"))
    assert ckpts == ["audio_encoder.ckpt", "connector.ckpt", "llm.ckpt"]
    text = (dest / "hyperparams.yaml").read_text()
    # Frozen sources are top-level keys, overridable when loading.
    assert "ckp_path: !ref <beats_checkpoint>" in text and "source: !ref <whisper_source>" in text
    info = json.loads((dest / "export_info.json").read_text())
    assert info["checkpoint_meta"]["WER"] == 50.0

    loaded = ListenAudioLLM.from_hparams(source=str(dest), savedir=str(tmp_path / "savedir"))
    assert loaded.prompt_provider is None
    saved = hparams["llm"].trainable_state_dict()
    assert saved and all("lora_" in k for k in saved)
    state = loaded.mods.llm.state_dict()
    assert all(torch.equal(state[k], v) for k, v in saved.items())

    in_memory = ListenAudioLLM(
        modules=hparams["modules"],
        hparams={**dict(loaded.hparams.__dict__), "pretrainer": None},
    )
    torch.manual_seed(0)
    wav = torch.randn(2, 16000) * 0.1
    lens = torch.tensor([1.0, 0.7])
    assert loaded.transcribe_batch(wav, lens) == in_memory.transcribe_batch(wav, lens)
    with pytest.raises(ValueError, match="no prompt pool"):
        loaded.transcribe_batch(wav, num_prompts=2)

    # An existing destination is not overwritten by accident.
    with pytest.raises(ExportError, match="exists"):
        export_model(tmp_path / "run", dest, hparams_file=hparams_file, overrides=overrides)


def test_a_misspelled_override_is_an_error(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY)
    with pytest.raises(ExportError, match="lm_source"):
        read_training_hparams(path, {"lm_source": "/models/llm"})


def test_small_yaml_export_leaves_out_the_training_only_alignment_loss(
    tiny_whisper_dir, tiny_llm_dir, tmp_path
):
    """listen_small.yaml trains a token-alignment CTC; the exported folder
    holds the model only and loads without it."""
    overrides = {
        "whisper_source": tiny_whisper_dir,
        "llm_source": tiny_llm_dir,
        "whisper_seconds": 3,
        **TINY_QFORMER,
        "max_new_tokens": 3,
        "output_folder": str(tmp_path / "run"),
    }
    hparams_file = RECIPE / "hparams" / "listen_small.yaml"
    with open(hparams_file) as fin:
        hparams = load_hyperpyyaml(fin, {**overrides, "data_folder": str(tmp_path)})
    assert "token_alignment" in hparams["modules"]
    hparams["checkpointer"].save_checkpoint(meta={"WER": 50.0})
    assert (next((tmp_path / "run" / "save").glob("CKPT*")) / "token_alignment.ckpt").exists()

    dest = tmp_path / "exported"
    export_model(tmp_path / "run", dest, hparams_file=hparams_file, overrides=overrides)
    assert sorted(p.name for p in dest.glob("*.ckpt")) == [
        "audio_encoder.ckpt",
        "connector.ckpt",
        "llm.ckpt",
        "prompt_provider.ckpt",
    ]
    assert "token_alignment" not in (dest / "hyperparams.yaml").read_text()
    loaded = ListenAudioLLM.from_hparams(source=str(dest), savedir=str(tmp_path / "savedir"))
    assert "token_alignment" not in loaded.mods
    # An ASR model advertises ASR only.
    assert loaded.hparams.trained_tasks == ["asr"] and loaded.hparams.task_instructions == {}
    words, tokens = loaded.transcribe_batch(torch.randn(1, 16000) * 0.1, torch.tensor([1.0]))
    assert len(words) == len(tokens) == 1 and isinstance(words[0], str) and isinstance(tokens[0], list)

    # The recipe's per-duration answer limit (6 tokens a second) travels
    # with the model and bounds transcripts, as in the recipe's test.
    assert loaded.hparams.max_new_tokens_per_second == 6
    # So does the choice of degenerate-transcript fallback.
    assert loaded.hparams.degeneracy_fallback is True
    limits = []
    original = loaded.llm.generate

    def spy(inputs, num_beams, max_new_tokens, example_limits=None):
        limits.append(example_limits)
        return original(inputs, num_beams, max_new_tokens, example_limits)

    loaded.llm.generate = spy
    wavs = torch.randn(2, 16000) * 0.1
    loaded.transcribe_batch(wavs, torch.tensor([1.0, 0.5]))
    loaded.transcribe_batch(wavs, max_new_tokens_per_second=2)
    loaded.caption_batch(wavs)
    assert limits == [[6, 3], [2, 2], None]  # longest first; captions are not transcripts
    with pytest.raises(ValueError, match="max_new_tokens_per_second"):
        loaded.transcribe_batch(wavs, max_new_tokens_per_second=0)


CLOTHO = Path(__file__).resolve().parents[1] / "recipes" / "Clotho"
MULTITASK = Path(__file__).resolve().parents[1] / "recipes" / "Multitask"


@pytest.fixture
def clotho_run(tiny_whisper_dir, tiny_llm_dir, tmp_path):
    """A Clotho-like run (listen_small.yaml, its checkpointer) with two
    checkpoints saved as the Brain saves them: the first has the best
    CIDEr-D, the second (the most recent) a lower CIDEr-D but a lower loss.
    Returns the overrides, the run folder and the first checkpoint's connector."""
    overrides = {
        "whisper_source": tiny_whisper_dir,
        "llm_source": tiny_llm_dir,
        "whisper_seconds": 3,
        **TINY_QFORMER,
        "max_new_tokens": 3,
        "output_folder": str(tmp_path / "run"),
    }
    with open(CLOTHO / "hparams" / "listen_small.yaml") as fin:
        hparams = load_hyperpyyaml(fin, {**overrides, "data_folder": str(tmp_path)})
    checkpointer = hparams["checkpointer"]
    best = checkpointer.save_checkpoint(meta={"CIDEr-D": 30.0, "loss": 2.0})
    with torch.no_grad():
        for param in hparams["connector"].parameters():
            param.add_(1.0)
    checkpointer.save_checkpoint(meta={"CIDEr-D": 10.0, "loss": 1.0})
    # The run's own test summary, as CaptioningScoring writes it.
    summary = {"CIDEr-D": 31.5, "SPIDEr": 20.25, "clips": 4}
    (tmp_path / "run" / "captions_evaluation_summary.json").write_text(json.dumps(summary))
    return overrides, tmp_path / "run", Path(best.path) / "connector.ckpt"


def test_clotho_export_picks_the_best_cider_checkpoint(clotho_run, tmp_path):
    """The default selection is the run's own (CaptioningScoring: highest
    CIDEr-D), not the most recent checkpoint and not the lowest loss;
    explicit keys still override it."""
    overrides, run, best_connector = clotho_run
    hparams_file = str(CLOTHO / "hparams" / "listen_small.yaml")
    args = [str(run), str(tmp_path / "best"), "--hparams", hparams_file]
    assert main(args + [f"--override={k}={v}" for k, v in overrides.items()]) == 0
    info = json.loads((tmp_path / "best" / "export_info.json").read_text())
    assert info["checkpoint_meta"]["CIDEr-D"] == 30.0
    assert "highest CIDEr-D" in info["selection"]
    assert (tmp_path / "best" / "connector.ckpt").read_bytes() == best_connector.read_bytes()
    # find_checkpoint alone reads the same selection from the hparams.
    ckpt, _, meta = find_checkpoint(run, hparams_file=hparams_file, overrides=overrides)
    assert meta["CIDEr-D"] == 30.0 and ckpt == best_connector.parent

    export_model(run, tmp_path / "by_loss", hparams_file=hparams_file, overrides=overrides, min_key="loss")
    info = json.loads((tmp_path / "by_loss" / "export_info.json").read_text())
    assert info["checkpoint_meta"]["CIDEr-D"] == 10.0


def test_clotho_export_holds_its_task_only_and_a_model_card(clotho_run, tmp_path):
    overrides, run, _ = clotho_run
    hparams_file = CLOTHO / "hparams" / "listen_small.yaml"
    dest = export_model(run, tmp_path / "listen_clotho", hparams_file=hparams_file, overrides=overrides)
    settings = load_hyperpyyaml((dest / "hyperparams.yaml").read_text(), overrides={})
    assert settings["trained_tasks"] == ["captioning"]
    assert settings["task_instructions"] == {}  # no verification/emotion/translation
    assert json.loads((dest / "export_info.json").read_text())["trained_tasks"] == ["captioning"]

    card = (dest / "README.md").read_text()
    assert "captioning" in card and "Clotho" in card
    for absent in ("`sv`", "`emotion`", "`en2zh`", "`asr`"):
        assert absent not in card
    assert "from speechbrain_listen.inference import ListenAudioLLM" in card
    assert "ListenAudioLLM.from_hparams(" in card and "pip install speechbrain-listen" in card
    assert "captions_evaluation_summary.json" in card and "31.5" in card
    assert "whisper_source" in card and "llm_source" in card  # the frozen sources


def test_an_export_moves_and_its_frozen_sources_are_overridable(clotho_run, tiny_whisper_dir, tmp_path):
    """No path of the run or of the export folder is written into it: a copy
    elsewhere loads and decodes with the original and the run gone; the
    frozen sources are top-level keys a loader can override."""
    import shutil

    overrides, run, _ = clotho_run
    hparams_file = CLOTHO / "hparams" / "listen_small.yaml"
    dest = export_model(run, tmp_path / "out" / "model", hparams_file=hparams_file, overrides=overrides)
    for path in dest.iterdir():
        text = path.read_text(errors="replace")
        assert str(tmp_path) not in text, path.name
    text = (dest / "hyperparams.yaml").read_text()
    assert "source: !ref <whisper_source>" in text and "source: !ref <llm_source>" in text

    elsewhere = Path(str(tmp_path) + "_moved")
    shutil.copytree(dest, elsewhere / "model")
    shutil.rmtree(tmp_path / "out")
    shutil.rmtree(run)
    try:
        loaded = ListenAudioLLM.from_hparams(
            source=str(elsewhere / "model"), savedir=str(elsewhere / "savedir")
        )
        captions, _ = loaded.caption_batch(torch.randn(1, 16000) * 0.1, torch.tensor([1.0]))
        assert len(captions) == 1 and isinstance(captions[0], str)

        # The frozen Whisper kept somewhere else: named at load time.
        whisper_copy = elsewhere / "whisper"
        shutil.copytree(tiny_whisper_dir, whisper_copy)
        moved = ListenAudioLLM.from_hparams(
            source=str(elsewhere / "model"),
            savedir=str(elsewhere / "savedir2"),
            overrides={"whisper_source": str(whisper_copy)},
        )
        assert moved.hparams.whisper_source == str(whisper_copy)
        assert len(moved.caption_batch(torch.randn(1, 16000) * 0.1)[0]) == 1
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)


def test_multitask_exports_its_active_tasks_and_selects_by_loss():
    from speechbrain_listen.inference.export import (
        checkpoint_selection,
        inference_settings,
        trained_tasks,
    )

    tree = read_training_hparams(MULTITASK / "hparams" / "listen.yaml", {"voxceleb_folder": "/data/vox"})
    assert trained_tasks(tree) == ["asr", "captioning", "sv"]
    assert checkpoint_selection(tree) == ("min_key", "loss")
    settings = inference_settings(tree)
    assert settings["trained_tasks"] == ["asr", "captioning", "sv"]
    assert list(settings["task_instructions"]) == ["sv"]
    asr_tree = read_training_hparams(RECIPE / "hparams" / "listen.yaml")
    assert trained_tasks(asr_tree) == ["asr"] and checkpoint_selection(asr_tree) == ("min_key", "WER")
    assert inference_settings(asr_tree)["task_instructions"] == {}
