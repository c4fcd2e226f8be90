"""Bad configs fail at start-up with one line naming the key, before any model loads."""

import importlib.util
import pathlib
import subprocess
import sys
import textwrap

import pytest

from speechbrain_listen.training.config_checks import ConfigError, check_hparams, check_tree

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
