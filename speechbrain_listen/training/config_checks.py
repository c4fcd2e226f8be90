"""Start-up checks of a recipe's hparams, before any model is loaded.

Loading an 8B LLM and two encoders takes minutes; a typo in a setting should
not cost them. The recipes call :func:`check_hparams` on the hparams file and
the command-line overrides first. It reads the file with references resolved
but nothing instantiated (``hparams_tree.read_hparams_tree``) and stops at
the first problem with one line that names the key:

- a data folder unset, or not an existing folder. Data folders are found by
  name (:func:`data_folder_keys`): every top-level ``*_folder`` key
  (``data_folder``, ``librispeech_folder``, ``clotho_folder``,
  ``voxceleb_folder``, ...) except the folders the run writes
  (:data:`RUN_FOLDERS`). A folder the recipe names optional (the multitask
  recipe's optional corpora, passed as ``optional_folders``) may be null,
  which leaves its task out, but not missing;
- an override of another type than the file's value (:func:`check_types`:
  a boolean stays a boolean, a number a number, int and float alike);
- an enumeration (:data:`CHOICES`: ``selection_strategy``, ``adaptation``,
  ``task_sampling``, ``sorting``, ``on_bad_data``, ``precision``,
  ``eval_precision``) not one of its choices;
- a model source (``whisper_source``, ``llm_source``) in the model-pack
  cache whose folder is not built (the line gives the command that builds
  it), or a local path that does not exist and is no hub id;
- ``num_prompts`` larger than ``pool_size`` (N > M);
- a connector ``output_size`` written as a number that differs from the
  LLM's width (read from the LLM's ``config.json`` only, no weights);
- last, a data folder without the splits the recipe reads (``data_layout``:
  :func:`librispeech_layout`, :func:`clotho_layout`), unless ``skip_prep``.

An unknown override or a missing hparams file is one line too
(``hparams_tree.read_hparams_tree``).

:func:`parse_recipe_arguments` is ``speechbrain.parse_arguments`` with one
gap closed: ``--optimizer_step_limit=N`` reaches SpeechBrain as the string
``"N"`` (its run option has no type), which stops training at the first
comparison; here it becomes an int, and it also overrides the hparams key of
the same name, so the learning-rate schedule ends where training does.

Authors
 * speechbrain-listen contributors 2026
"""

import dataclasses
import os
import re

import ruamel.yaml
import speechbrain as sb

from speechbrain_listen.data.checks import BAD_DATA_CHOICES
from speechbrain_listen.prompts.adaptation import ADAPTATIONS
from speechbrain_listen.prompts.pool import STRATEGIES
from speechbrain_listen.tasks.sampling import SAMPLING
from speechbrain_listen.training.hparams_tree import UNSET, HparamsError, node_tag, read_hparams_tree

#: The ``*_folder`` keys that are no data: SpeechBrain's names for the
#: folders a run creates and writes into (results, checkpoints, downloads).
RUN_FOLDERS = ("output_folder", "save_folder", "pretrained_folder")

#: ``sorting`` of the training set (``speechbrain_listen.data.pipelines``).
SORTINGS = ("random", "ascending", "descending")
#: SpeechBrain's ``precision`` / ``eval_precision`` run options.
PRECISIONS = ("fp32", "fp16", "bf16")
#: The enumerations of the hparams, each with its choices.
CHOICES = {
    "selection_strategy": STRATEGIES,
    "adaptation": ADAPTATIONS,
    "task_sampling": SAMPLING,
    "sorting": SORTINGS,
    "on_bad_data": BAD_DATA_CHOICES,
    "precision": PRECISIONS,
    "eval_precision": PRECISIONS,
}
#: The hparams keys that name a model to load (hub id or folder).
MODEL_SOURCES = ("whisper_source", "llm_source")
#: ``owner/name`` as on the Hugging Face hub.
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


class ConfigError(ValueError):
    """An hparams value that cannot work; the message names the key."""


def _number(value):
    """The value if it is a plain int (not a tagged node), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def llm_width(source):
    """Hidden size from the LLM's config, or None if it cannot be read offline.

    Arguments
    ---------
    source : str
        Hub id or local folder.

    Returns
    -------
    int or None
    """
    if not isinstance(source, str) or not os.path.isfile(os.path.join(source, "config.json")):
        return None
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(source)
    return getattr(config.get_text_config(), "hidden_size", None)


def _kind(value):
    """'bool', 'number', or None for a value whose type is not checked."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return None


def check_types(defaults, overrides, prefix=""):
    """Raises :class:`ConfigError` for an override of another type than its default.

    Arguments
    ---------
    defaults : dict
        The hparams as the file has them (unresolved: a tagged value is not
        checked).
    overrides : dict
        The overrides.
    prefix : str
        Dotted path of ``defaults``.

    Example
    -------
    >>> check_types({"lr": 0.1, "epochs": 3, "shuffle": True}, {"lr": 1, "epochs": 2.5, "shuffle": False})
    >>> check_types({"opt": {"shuffle": True}}, {"opt": {"shuffle": "maybe"}})
    Traceback (most recent call last):
    ...
    speechbrain_listen.training.config_checks.ConfigError: opt.shuffle: 'maybe' is not a boolean (true or false)
    """
    if not isinstance(defaults, dict) or not isinstance(overrides, dict):
        return
    for key, value in overrides.items():
        default = defaults.get(key)
        if node_tag(default):
            continue
        if isinstance(default, dict):
            check_types(default, value, f"{prefix}{key}.")
            continue
        kind = _kind(default)
        if kind is not None and _kind(value) != kind:
            if value is None and kind == "number":
                continue  # null: "no limit" and the like
            what = "a boolean (true or false)" if kind == "bool" else "a number"
            raise ConfigError(f"{prefix}{key}: {value!r} is not {what}")


def _path_value(node):
    """A path written as a string or as ``os.path.join`` of the model cache; else None."""
    if isinstance(node, str) and not node_tag(node):
        return node
    tag = node_tag(node)
    if tag == "!apply:listen_offline.model_pack.build.default_cache_dir":
        from listen_offline.model_pack.build import default_cache_dir

        return str(default_cache_dir())
    if tag == "!apply:os.path.join" and isinstance(node, list):
        parts = [_path_value(part) for part in node]
        return os.path.join(*parts) if parts and None not in parts else None
    return None


def check_model_source(key, source):
    """Raises :class:`ConfigError` for a model source that cannot be loaded.

    A folder of the model-pack cache that is not built names the command
    that builds it; another local path must exist; a hub id passes.

    Arguments
    ---------
    key : str
        The hparams key (for the message).
    source : str
        Hub id or local folder.

    Example
    -------
    >>> check_model_source("llm_source", "meta-llama/Meta-Llama-3-8B-Instruct")
    >>> check_model_source("llm_source", "/no/such/llm")
    Traceback (most recent call last):
    ...
    speechbrain_listen.training.config_checks.ConfigError: llm_source: /no/such/llm is neither an existing folder nor a hub id
    """
    if not isinstance(source, str) or source in (UNSET, "") or os.path.exists(source):
        return
    from listen_offline.model_pack.build import default_cache_dir

    cache = os.path.abspath(default_cache_dir())
    path = os.path.abspath(os.path.expanduser(source))
    if os.path.dirname(path) == cache:
        name = os.path.basename(path)
        raise ConfigError(
            f"{key}: model {name} is not built in the model pack ({path}); "
            f"build it with: python -m listen_offline.model_pack --models {name}"
        )
    local = source.startswith(("/", ".", "~")) or source.count("/") != 1
    if local or not HUB_ID.fullmatch(source):
        raise ConfigError(f"{key}: {source} is neither an existing folder nor a hub id")


def librispeech_layout(tree):
    """The paths a LibriSpeech data folder must hold: one folder per split.

    Arguments
    ---------
    tree : dict
        Resolved hparams with ``data_folder`` and ``train_splits``,
        ``dev_splits``, ``test_splits``.

    Returns
    -------
    list of str

    Example
    -------
    >>> librispeech_layout({"data_folder": "/d", "train_splits": ["a"], "dev_splits": ["b"], "test_splits": []})
    ['/d/a', '/d/b']
    """
    splits = [s for key in ("train_splits", "dev_splits", "test_splits") for s in tree.get(key) or []]
    return [os.path.join(tree["data_folder"], split) for split in dict.fromkeys(splits)]


def clotho_layout(tree):
    """The paths a Clotho v2.1 folder must hold (``recipes/Clotho/clotho_prepare.py``).

    ``clotho_captions_<split>.csv`` and the ``<split>/`` audio folder of each
    split of ``train_splits``, ``valid_splits``, ``test_splits``.

    Example
    -------
    >>> clotho_layout({"data_folder": "/d", "train_splits": ["development"]})
    ['/d/clotho_captions_development.csv', '/d/development']
    """
    splits = [s for key in ("train_splits", "valid_splits", "test_splits") for s in tree.get(key) or []]
    folder = tree["data_folder"]
    paths = []
    for split in dict.fromkeys(splits):
        paths += [os.path.join(folder, f"clotho_captions_{split}.csv"), os.path.join(folder, split)]
    return paths


def data_folder_keys(tree):
    """The top-level keys of ``tree`` that name a data folder (read, not written).

    Arguments
    ---------
    tree : dict
        Top-level hparams.

    Returns
    -------
    list of str
        Every ``*_folder`` key but :data:`RUN_FOLDERS`, in the tree's order.

    Example
    -------
    >>> data_folder_keys(
    ...     {"output_folder": "results", "save_folder": "results/save", "clotho_folder": None, "lr": 0.1}
    ... )
    ['clotho_folder']
    """
    return [key for key in tree if key.endswith("_folder") and key not in RUN_FOLDERS]


def check_tree(tree, optional_folders=(), data_layout=None):
    """Checks resolved hparams; raises :class:`ConfigError` on the first problem.

    Arguments
    ---------
    tree : dict
        Top-level hparams, references resolved (tagged nodes stay as they are).
    optional_folders : sequence of str
        Data folders the recipe can do without: null leaves their task out.
        Only the recipe knows which these are (the multitask recipe's
        optional corpora); every other data folder must be given.
    data_layout : callable, optional
        Resolved hparams -> the paths the data folder must hold (e.g.
        :func:`librispeech_layout`); not checked under ``skip_prep``.

    Example
    -------
    >>> check_tree({"pool_size": 40, "num_prompts": 16, "selection_strategy": "similarity"})
    >>> check_tree({"pool_size": 10, "num_prompts": 16})
    Traceback (most recent call last):
    ...
    speechbrain_listen.training.config_checks.ConfigError: num_prompts: 16 prompts cannot be chosen from a pool of pool_size 10
    """
    for key in data_folder_keys(tree):
        folder = tree[key]
        if folder in (UNSET, None, ""):
            if key in optional_folders and folder is None:
                continue  # that task is left out
            raise ConfigError(f"{key}: not set (give --{key}=/path/to/the/data)")
        if isinstance(folder, str) and not os.path.isdir(folder):
            raise ConfigError(f"{key}: {folder} is not an existing folder")
    for key, choices in CHOICES.items():
        if key not in tree or node_tag(tree[key]):
            continue
        value = tree[key]
        if value is None and key == "eval_precision":
            continue  # the training precision
        if value not in choices:
            raise ConfigError(f"{key}: unknown choice {value!r} (choose one of {', '.join(choices)})")
    pool, prompts = _number(tree.get("pool_size")), _number(tree.get("num_prompts"))
    if pool is not None and prompts is not None and prompts > pool:
        raise ConfigError(f"num_prompts: {prompts} prompts cannot be chosen from a pool of pool_size {pool}")
    connector = tree.get("connector")
    output_size = _number(connector.get("output_size")) if isinstance(connector, dict) else None
    llm = tree.get("llm")
    source = llm.get("source") if isinstance(llm, dict) else None
    if output_size is not None:
        width = llm_width(source)
        if width is not None and width != output_size:
            raise ConfigError(
                f"connector.output_size: {output_size} differs from the width of the "
                f"LLM {source} ({width}); use !apply:getattr [!ref <llm>, hidden_size]"
            )
    for key in MODEL_SOURCES:
        check_model_source(key, _path_value(tree.get(key)))
    if data_layout is not None and tree.get("skip_prep") is not True:
        for path in data_layout(tree):
            if not os.path.exists(path):
                raise ConfigError(f"data_folder: {path} is missing (expected in {tree['data_folder']})")


def check_hparams(hparams_file, overrides=None, optional_folders=(), data_layout=None):
    """Checks a recipe's hparams file with its command-line overrides.

    Arguments
    ---------
    hparams_file : str
        The recipe hparams file.
    overrides : str or dict, optional
        Overrides as ``speechbrain.parse_arguments`` returns them (a YAML
        string) or as a dict.
    optional_folders : sequence of str
        Data folders that may be null (see :func:`check_tree`).
    data_layout : callable, optional
        What the data folder must hold (see :func:`check_tree`).
    """
    if isinstance(overrides, str):
        overrides = ruamel.yaml.YAML(typ="safe").load(overrides) if overrides.strip() else None
    try:
        tree = read_hparams_tree(hparams_file, overrides)
    except HparamsError as err:
        raise ConfigError(str(err)) from err
    if overrides:
        with open(hparams_file, encoding="utf-8") as fin:
            check_types(ruamel.yaml.YAML().load(fin), overrides)
    check_tree(tree, optional_folders, data_layout)


def parse_recipe_arguments(argv):
    """``speechbrain.parse_arguments`` with a typed ``optimizer_step_limit``.

    Arguments
    ---------
    argv : list of str
        The command line after the program name.

    Returns
    -------
    tuple
        ``(hparams_file, run_opts, overrides)`` as SpeechBrain returns them;
        a command-line ``optimizer_step_limit`` is an int in ``run_opts`` and
        is also an override of the hparams key (the schedule's length).

    Raises
    ------
    ConfigError
        A ``--optimizer_step_limit`` that is no whole number (SpeechBrain's
        own parser already refuses a ``--precision`` it does not know).

    Example
    -------
    >>> _, run_opts, overrides = parse_recipe_arguments(
    ...     ["hparams.yaml", "--optimizer_step_limit=12", "--lr=0.1"]
    ... )
    >>> run_opts["optimizer_step_limit"], overrides.split("\\n")
    (12, ['lr: 0.1', 'optimizer_step_limit: 12'])
    """
    hparams_file, run_opts, overrides = sb.parse_arguments(argv)
    limit = run_opts.get("optimizer_step_limit")
    if isinstance(limit, str):
        try:
            limit = int(limit)
        except ValueError:
            raise ConfigError(f"optimizer_step_limit: not a whole number: {limit!r}") from None
        run_opts = dataclasses.replace(run_opts, optimizer_step_limit=limit)
        overrides = "\n".join(filter(None, [overrides, f"optimizer_step_limit: {limit}"]))
    return hparams_file, run_opts, overrides
