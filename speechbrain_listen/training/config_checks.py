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
- ``selection_strategy`` not one of the prompt pool's strategies;
- ``adaptation`` or ``task_sampling`` not one of their choices;
- ``num_prompts`` larger than ``pool_size`` (N > M);
- a connector ``output_size`` written as a number that differs from the
  LLM's width (read from the LLM's ``config.json`` only, no weights).

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

import ruamel.yaml
import speechbrain as sb

from speechbrain_listen.prompts.adaptation import ADAPTATIONS
from speechbrain_listen.prompts.pool import STRATEGIES
from speechbrain_listen.tasks.sampling import SAMPLING
from speechbrain_listen.training.hparams_tree import UNSET, HparamsError, read_hparams_tree

#: The ``*_folder`` keys that are no data: SpeechBrain's names for the
#: folders a run creates and writes into (results, checkpoints, downloads).
RUN_FOLDERS = ("output_folder", "save_folder", "pretrained_folder")


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


def check_tree(tree, optional_folders=()):
    """Checks resolved hparams; raises :class:`ConfigError` on the first problem.

    Arguments
    ---------
    tree : dict
        Top-level hparams, references resolved (tagged nodes stay as they are).
    optional_folders : sequence of str
        Data folders the recipe can do without: null leaves their task out.
        Only the recipe knows which these are (the multitask recipe's
        optional corpora); every other data folder must be given.

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
    for key, choices in (
        ("selection_strategy", STRATEGIES),
        ("adaptation", ADAPTATIONS),
        ("task_sampling", SAMPLING),
    ):
        value = tree.get(key)
        if isinstance(value, str) and value not in choices:
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


def check_hparams(hparams_file, overrides=None, optional_folders=()):
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
    """
    if isinstance(overrides, str):
        overrides = ruamel.yaml.YAML(typ="safe").load(overrides) if overrides.strip() else None
    try:
        tree = read_hparams_tree(hparams_file, overrides)
    except HparamsError as err:
        raise ConfigError(str(err)) from err
    check_tree(tree, optional_folders)


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
