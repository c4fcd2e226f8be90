"""Bad configs fail at start-up with one line naming the key, before any model loads."""

import importlib.util
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from speechbrain_listen.training.config_checks import (
    ConfigError,
    check_hparams,
    check_tree,
    clotho_layout,
    librispeech_layout,
)
from speechbrain_listen.training.hparams_tree import read_hparams_tree

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAPER_YAML = ROOT / "recipes" / "LibriSpeech" / "hparams" / "listen.yaml"


@pytest.mark.parametrize(
    "overrides, key",
    [
        ({"num_prompts": 500}, "num_prompts"),  # M = 400 in the paper yaml
        ({"selection_strategy": "simliarity"}, "selection_strategy"),
        ({"data_folder": "/no/such/folder"}, "data_folder"),
        ({"lr_typo": 1.0}, "lr_typo"),
    ],
)
def test_paper_yaml_with_one_bad_value_names_the_key(overrides, key, tmp_path):
    overrides = {"data_folder": str(tmp_path), **overrides}
    with pytest.raises(ConfigError, match=key):
        check_hparams(PAPER_YAML, overrides)


def test_paper_yaml_as_shipped_passes_given_a_data_folder(tmp_path):
    check_hparams(PAPER_YAML, f"data_folder: {tmp_path}\n")  # a YAML string, as SpeechBrain gives it


def test_unset_data_folder_is_named():
    with pytest.raises(ConfigError, match="data_folder: not set"):
        check_hparams(PAPER_YAML)


def test_connector_width_that_disagrees_with_the_llm(tiny_llm_dir, tmp_path):
    hparams = tmp_path / "toy.yaml"
    hparams.write_text(
        textwrap.dedent(f"""\
        llm: !new:speechbrain_listen.model.llm_lobe.LLMLobe
            source: {tiny_llm_dir}
        connector: !new:speechbrain_listen.model.window_qformer.WindowQFormer
            input_size: 8
            output_size: 4096
    """)
    )
    with pytest.raises(ConfigError, match=r"connector.output_size: 4096 .*\(32\)"):
        check_hparams(hparams)
    matching = hparams.read_text().replace("4096", "32")
    hparams.write_text(matching)
    check_hparams(hparams)


def test_a_pool_as_large_as_n_is_fine():
    check_tree({"pool_size": 16, "num_prompts": 16})


def test_train_py_stops_with_one_line_before_loading_models(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "recipes" / "LibriSpeech" / "train.py"),
            str(PAPER_YAML),
            f"--data_folder={tmp_path}",
            "--num_prompts=401",
            f"--output_folder={tmp_path / 'out'}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith("num_prompts: 401 prompts cannot be chosen from a pool of pool_size 400")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # nothing was started


def test_every_data_folder_is_found_by_its_name(tmp_path):
    # A corpus folder no list names is checked all the same...
    with pytest.raises(ConfigError, match="audiocaps_folder: /no/such is not an existing folder"):
        check_tree({"data_folder": str(tmp_path), "audiocaps_folder": "/no/such"})
    with pytest.raises(ConfigError, match="audiocaps_folder: not set"):
        check_tree({"audiocaps_folder": None})
    # ...while the folders a run writes need not exist yet.
    check_tree({"output_folder": "/no/such", "save_folder": "/no/such/save", "pretrained_folder": "/no"})


def multitask_optional_folders():
    """The optional corpora as the multitask recipe's train.py declares them."""
    spec = importlib.util.spec_from_file_location(
        "multitask_train", ROOT / "recipes" / "Multitask" / "train.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.OPTIONAL_TASK_FOLDERS.values())


def test_multitask_yaml_names_its_unset_corpus_folder(tmp_path):
    multitask = ROOT / "recipes" / "Multitask" / "hparams" / "listen.yaml"
    optional = multitask_optional_folders()
    assert "voxceleb_folder" in optional and "librispeech_folder" not in optional
    with pytest.raises(ConfigError, match="librispeech_folder: not set"):
        check_hparams(multitask, optional_folders=optional)
    with pytest.raises(ConfigError, match="clotho_folder: not set"):
        check_hparams(multitask, {"librispeech_folder": str(tmp_path)}, optional)
    # The optional corpora are null in the file: their tasks are left out.
    given = {"librispeech_folder": str(tmp_path), "clotho_folder": str(tmp_path)}
    check_hparams(multitask, given, optional)
    # Null is only fine where the recipe says so (the first null corpus).
    with pytest.raises(ConfigError, match="librisqa_folder: not set"):
        check_hparams(multitask, given)
    with pytest.raises(ConfigError, match="voxceleb_folder: /no/such is not an existing folder"):
        check_hparams(multitask, {**given, "voxceleb_folder": "/no/such"}, optional)


# -- one line for each mistake, before any model loads ----------------------

CLOTHO_YAML = ROOT / "recipes" / "Clotho" / "hparams" / "listen.yaml"


def test_unknown_override_is_one_line_with_the_closest_keys(tmp_path):
    with pytest.raises(ConfigError) as err:
        check_hparams(PAPER_YAML, {"data_folder": str(tmp_path), "lr_typo": 1.0})
    message = str(err.value)
    assert message.startswith(f"lr_typo: not a key of {PAPER_YAML} (did you mean: lr, ")
    assert message.endswith("?)") and "\n" not in message
    assert str(PAPER_YAML) in message and message.count(str(PAPER_YAML)) == 1
    assert "num_prompts" not in message  # not every key of the file


def test_missing_hparams_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"^hparams/nope.yaml: no such hparams file$"):
        check_hparams("hparams/nope.yaml", f"data_folder: {tmp_path}\n")


def test_train_py_with_a_missing_hparams_file_prints_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "recipes" / "LibriSpeech" / "train.py"), "hparams/nope.yaml"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1].endswith("train.py: hparams/nope.yaml: no such hparams file")
    )


@pytest.mark.parametrize(
    "override, message",
    [
        ("stochastic_selection: maybe", "stochastic_selection: 'maybe' is not a boolean (true or false)"),
        ("lr: fast", "lr: 'fast' is not a number"),
        ("on_bad_data: ignore", "on_bad_data: unknown choice 'ignore' (choose one of skip, stop)"),
        (
            "sorting: descnding",
            "sorting: unknown choice 'descnding' (choose one of random, ascending, descending)",
        ),
        ("precision: bf32", "precision: unknown choice 'bf32' (choose one of fp32, fp16, bf16)"),
        ("adaptation: lorra", "adaptation: unknown choice 'lorra'"),
    ],
)
def test_bad_value_is_named_at_start_up(override, message, tmp_path):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}"):
        check_hparams(PAPER_YAML, f"data_folder: {tmp_path}\n{override}\n")


def test_numbers_stay_numbers_int_or_float(tmp_path):
    check_hparams(
        PAPER_YAML, f"data_folder: {tmp_path}\nlr: 1\nnumber_of_epochs: 2.0\nstochastic_selection: false\n"
    )


def make_layout(folder, layout, tree):
    """Creates the paths ``layout`` expects (files for *.csv, else folders)."""
    for path in layout({**tree, "data_folder": str(folder)}):
        path = pathlib.Path(path)
        if path.suffix == ".csv":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        else:
            path.mkdir(parents=True, exist_ok=True)


def test_librispeech_folder_without_a_split_is_named(tmp_path):
    tree = read_hparams_tree(PAPER_YAML)
    make_layout(tmp_path, librispeech_layout, tree)
    check_hparams(PAPER_YAML, {"data_folder": str(tmp_path)}, data_layout=librispeech_layout)
    (tmp_path / "test-other").rmdir()
    missing = re.escape(f"data_folder: {tmp_path / 'test-other'} is missing (expected in {tmp_path})")
    with pytest.raises(ConfigError, match=f"^{missing}$"):
        check_hparams(PAPER_YAML, {"data_folder": str(tmp_path)}, data_layout=librispeech_layout)
    # skip_prep: the manifests exist, the audio folders need not be checked.
    check_hparams(
        PAPER_YAML, {"data_folder": str(tmp_path), "skip_prep": True}, data_layout=librispeech_layout
    )


def test_clotho_folder_without_its_captions_is_named(tmp_path):
    make_layout(tmp_path, clotho_layout, read_hparams_tree(CLOTHO_YAML))
    check_hparams(CLOTHO_YAML, {"data_folder": str(tmp_path)}, data_layout=clotho_layout)
    (tmp_path / "clotho_captions_validation.csv").unlink()
    with pytest.raises(ConfigError, match="data_folder: .*clotho_captions_validation.csv is missing"):
        check_hparams(CLOTHO_YAML, {"data_folder": str(tmp_path)}, data_layout=clotho_layout)


def test_unbuilt_model_pack_model_names_the_build_command(tmp_path, monkeypatch):
    cache = tmp_path / "models"
    (cache / "smollm2-135m-instruct").mkdir(parents=True)
    monkeypatch.setenv("LISTEN_MODEL_CACHE", str(cache))
    small = ROOT / "recipes" / "LibriSpeech" / "hparams" / "listen_small.yaml"
    message = (
        f"whisper_source: model whisper-base is not built in the model pack ({cache / 'whisper-base'}); "
        "build it with: python -m listen_offline.model_pack --models whisper-base"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        check_hparams(small, {"data_folder": str(tmp_path)})


def test_local_model_path_that_does_not_exist_is_named(tmp_path):
    missing = tmp_path / "no_such_llm"
    with pytest.raises(
        ConfigError, match=f"^llm_source: {re.escape(str(missing))} is neither an existing folder"
    ):
        check_hparams(PAPER_YAML, {"data_folder": str(tmp_path), "llm_source": str(missing)})


RECIPE_LAYOUTS = {"LibriSpeech": librispeech_layout, "Clotho": clotho_layout, "Multitask": None}


@pytest.mark.parametrize("recipe", sorted(RECIPE_LAYOUTS))
@pytest.mark.parametrize("name", ["listen.yaml", "listen_small.yaml"])
def test_every_recipe_yaml_passes_every_check(recipe, name, tmp_path, monkeypatch):
    cache = tmp_path / "models"
    for model in ("whisper-base", "whisper-tiny.en", "smollm2-135m-instruct"):
        (cache / model).mkdir(parents=True)
    monkeypatch.setenv("LISTEN_MODEL_CACHE", str(cache))
    hparams = ROOT / "recipes" / recipe / "hparams" / name
    layout = RECIPE_LAYOUTS[recipe]
    data = tmp_path / "data"
    data.mkdir()
    if layout is None:
        overrides = {"librispeech_folder": str(data), "clotho_folder": str(data)}
        check_hparams(hparams, {**overrides, "voxceleb_folder": None}, multitask_optional_folders())
    else:
        make_layout(data, layout, read_hparams_tree(hparams))
        check_hparams(hparams, {"data_folder": str(data)}, data_layout=layout)
