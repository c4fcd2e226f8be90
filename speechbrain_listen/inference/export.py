"""Export a trained LiSTEN checkpoint as a small, loadable inference folder.

A recipe's output folder holds everything about a run: data paths, the
optimizer, the learning-rate schedule, the checkpointer, loggers, and
checkpoints with the optimizer state. Someone who only wants to *use* the
model needs much less, and the frozen Whisper (+ BEATs) encoders and the LLM
are not in the checkpoints at all (``trainable_state`` keeps them out). This
module turns a run into a folder that holds::

    hyperparams.yaml     # the model part of the training hparams + inference settings
    audio_encoder.ckpt   # trainable weights only: LayerNorms,
    connector.ckpt       #   Q-Former + projection,
    prompt_provider.ckpt  #   prompt pool / soft prompt (if any),
    llm.ckpt             #   LoRA adapters (empty without LoRA)
    export_info.json     # where it came from (checkpoint name, meta, selection)
    README.md            # model card: tasks, data, test result, how to load

and is loaded with ``ListenAudioLLM.from_hparams(source=folder, savedir=...)``
(``speechbrain_listen.inference.audio_llm``). The folder is portable: the
files in it name each other by relative paths only, so it can be copied or
moved anywhere. The frozen parts stay referenced as training referenced
them: a hub id, a local path (made absolute), or an expression such as the
offline model cache, evaluated where the model is loaded. Each of them is a
top-level key of ``hyperparams.yaml`` (``whisper_source``,
``beats_checkpoint``, ``llm_source``, as in the recipe), so a machine that
keeps the frozen models elsewhere overrides it when loading::

    ListenAudioLLM.from_hparams(
        source="exported/listen_asr",
        savedir="pretrained/listen_asr",
        overrides={"whisper_source": "/models/whisper-large-v2"},
    )

(``Pretrained.from_hparams`` passes ``overrides`` to ``load_hyperpyyaml``.)

Which checkpoint: the one the run itself kept as best, i.e. the selection
of the recipe's ``scoring`` object (``selection_metric`` and
``higher_is_better``): lowest WER for the ASR recipes, highest CIDEr-D for
Clotho, lowest validation loss for the multitask recipe. ``--min-key`` /
``--max-key`` override it.

Which tasks: ``trained_tasks`` in ``hyperparams.yaml`` lists the tasks the
model was trained on (the single task of the ASR or Clotho recipe, the
active tasks of the multitask recipe), and ``task_instructions`` holds the
instructions of those tasks only.

How ``hyperparams.yaml`` is made: the training hparams are read with their
references resolved but nothing instantiated (``training.hparams_tree``: no
model is loaded to export one), every top-level entry the ``modules`` do not
depend on is dropped (data, training, optimizer, checkpointer, loggers, the seed, and
training-only loss modules such as ``token_alignment``), the feature
cache is switched off, and the inference settings (decoding defaults taken
from the recipe's test decoding, the task instructions, chunking) and a
``Pretrainer`` that loads the exported weights strictly are appended. The
model part keeps the recipe's own keys and tags, so the file reads like the
recipe that trained it.

Usage::

    python -m speechbrain_listen.inference.export results/listen/prompt_pool/42 exported/listen_asr
    listen export results/listen/prompt_pool/42/save/CKPT+2026-... exported/listen_asr

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import datetime
import io
import json
import logging
import math
import os
import pathlib
import shutil
import sys

import ruamel.yaml
from ruamel.yaml.comments import CommentedMap, TaggedScalar

from speechbrain_listen.training.hparams_tree import (
    UNSET,
    HparamsError,
    child_nodes,
    is_node,
    node_tag,
    read_hparams_tree,
    replace_children,
)

logger = logging.getLogger(__name__)

HPARAMS_FILE = "hyperparams.yaml"
INFO_FILE = "export_info.json"
CARD_FILE = "README.md"
CHECKPOINTER_CLASSES = (
    "speechbrain.utils.checkpoints.Checkpointer",
    "speechbrain_listen.training.checkpointing.AtomicCheckpointer",
)
AUDIO_ENCODER_CLASS = "speechbrain_listen.model.audio_encoder.AudioEncoder"
LOAD_HOOK = "speechbrain_listen.inference.audio_llm.load_trainable_checkpoint"
REQUIRED_MODULES = ("audio_encoder", "connector", "llm")
# Modules that only compute training losses: inference never runs them.
TRAINING_ONLY_MODULES = ("token_alignment",)
# The prompt provider of the adaptation switch; None for a LoRA run.
PROMPT_PROVIDER_BUILDER = "!apply:speechbrain_listen.prompts.adaptation.build_prompt_provider"
# Keys whose string values name files or folders of frozen models.
PATH_KEYS = ("source", "ckp_path")
# The optional tasks of the multitask recipe and their data folders (as in
# recipes/Multitask/train.py): a null folder leaves the task out.
OPTIONAL_TASK_FOLDERS = {
    "sqa": "librisqa_folder",
    "emotion": "iemocap_folder",
    "sv": "voxceleb_folder",
    "en2zh": "covost_folder",
}
TASK_DATA = {
    "asr": "LibriSpeech",
    "captioning": "Clotho",
    "sqa": "LibriSQA",
    "emotion": "IEMOCAP",
    "sv": "VoxCeleb1",
    "en2zh": "CoVoST 2 (en -> zh)",
}

DEFAULT_INFERENCE = {
    "sample_rate": 16000,
    "num_beams": 4,
    "max_new_tokens": 150,
    "batch_size": 8,
    "chunk_overlap_seconds": 5.0,
    "silence_threshold": 1.0e-4,
}


class ExportError(RuntimeError):
    """A run that cannot be exported, with the reason."""


def _built_as_none(node):
    """True for a module the hparams build as None: the prompt provider of a
    LoRA run (``adaptation: lora``; it has no prompts, hence no checkpoint)."""
    return node_tag(node) == PROMPT_PROVIDER_BUILDER and node.get("adaptation") == "lora"


def _reachable(root):
    """Ids of every shared node below (and including) ``root``."""
    seen = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if not is_node(node) or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(child_nodes(node))
    return seen


def _strip_comments(node, seen=None):
    """Drops ruamel's attached comments (they describe dropped keys too) and
    writes mappings in block style."""
    seen = set() if seen is None else seen
    if not is_node(node) or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, CommentedMap):
        # Keyword arguments one per line, whatever style the source used.
        node.fa.set_block_style()
    if hasattr(node, "ca"):
        node.ca.items.clear()
        node.ca.comment = None
        if hasattr(node.ca, "end"):
            node.ca.end = []
    for child in child_nodes(node):
        _strip_comments(child, seen)


def read_training_hparams(hparams_file, overrides=None):
    """The training hparams as a tree (``hparams_tree.read_hparams_tree``).

    A ``!PLACEHOLDER`` reads as ``UNSET``: the export fails later only if
    the model itself needs one of them.

    Arguments
    ---------
    hparams_file : str
        A recipe hparams file, or the ``hyperparams.yaml`` a run saved.
    overrides : dict, optional
        Overrides, as on the recipe's command line.

    Returns
    -------
    ruamel.yaml.comments.CommentedMap
        The resolved tree; nodes referenced twice are the same object.

    Raises
    ------
    ExportError
        For an override of a key the file does not have.
    """
    try:
        return read_hparams_tree(hparams_file, overrides)
    except HparamsError as err:
        raise ExportError(str(err)) from err


def model_part(tree):
    """The entries of ``tree`` the ``modules`` need, refs instead of copies.

    Arguments
    ---------
    tree : CommentedMap
        Output of :func:`read_training_hparams`.

    Returns
    -------
    CommentedMap
        Top-level entries whose value the modules use (in their original
        order) and ``modules``; a node defined at the top level is written
        there once and referenced with ``!ref <key>`` elsewhere.

    Example
    -------
    >>> tree = ruamel.yaml.YAML().load('''
    ... lr: 0.1
    ... enc: !new:torch.nn.Linear {in_features: 2, out_features: 2}
    ... opt: !name:torch.optim.SGD {lr: 0.1}
    ... modules: {enc: !ref <enc>}
    ... ''')
    >>> tree["modules"]["enc"] = tree["enc"]  # as resolve_references leaves it
    >>> list(model_part(tree))
    ['enc', 'modules']
    """
    if "modules" not in tree:
        raise ExportError("the hparams have no 'modules' entry")
    needed = _reachable(tree["modules"])
    kept = CommentedMap()
    for key, value in tree.items():
        if key == "modules" or (is_node(value) and id(value) in needed):
            kept[key] = value
    owner = {}
    for key, value in kept.items():
        if key != "modules":
            owner.setdefault(id(value), key)

    def refify(child):
        if is_node(child) and id(child) in owner:
            return TaggedScalar(value=f"<{owner[id(child)]}>", tag="!ref")
        return child

    seen = set()
    for key in kept:
        replace_children(kept[key], refify, seen)
    if "modules" in owner.values():
        raise ExportError("'modules' is referenced by a module")
    return kept


def checkpointed_names(tree):
    """Maps each module key to its recoverable name in the checkpointer.

    Arguments
    ---------
    tree : CommentedMap
        Output of :func:`read_training_hparams`.

    Returns
    -------
    dict
        Module key -> checkpoint file stem, for modules the checkpointer saves.
    """
    recoverables = {}
    for value in tree.values():
        if node_tag(value) in {f"!new:{name}" for name in CHECKPOINTER_CLASSES}:
            recoverables.update(value.get("recoverables") or {})
    names = {}
    for module_key, module in tree["modules"].items():
        for name, recoverable in recoverables.items():
            if recoverable is module:
                names[module_key] = name
                break
    return names


def _plain(value):
    """A scalar of the tree as a Python value (None for anything tagged)."""
    if is_node(value):
        return None
    return value


def _evaluate(node):
    """Evaluates a small tagged node (e.g. ``!apply:`` of an instruction)."""
    if not is_node(node):
        return node
    from hyperpyyaml import load_hyperpyyaml

    text = io.StringIO()
    ruamel.yaml.YAML().dump({"value": node}, text)
    return load_hyperpyyaml(text.getvalue())["value"]


def _absolute_path(value, base_dir):
    """A relative local path made absolute (the loader's cwd differs); a hub
    id, an absolute path or anything else is returned as is."""
    if isinstance(value, str) and not is_node(value) and not os.path.isabs(value):
        candidate = os.path.join(base_dir, value)
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    return value


def frozen_sources(part, tree, base_dir):
    """Names every frozen model's source by a top-level key of ``part``.

    A ``source`` / ``ckp_path`` whose value the training hparams took from a
    top-level key (``whisper_source``, ``beats_checkpoint``, ``llm_source``;
    the tree holds the resolved value) becomes ``!ref <that key>`` again and
    the key is written at the top of the model part, so that the loader can
    override it (``from_hparams(..., overrides={"whisper_source": ...})``).
    Relative local paths are made absolute; hub ids are kept as they are.

    Arguments
    ---------
    part : CommentedMap
        Output of :func:`model_part` (changed in place).
    tree : CommentedMap
        The training hparams tree.
    base_dir : str
        Folder relative local paths are relative to.

    Returns
    -------
    dict
        Key -> source (a string, or None for an expression evaluated at load
        time, e.g. the offline model cache).

    Example
    -------
    >>> tree = ruamel.yaml.YAML().load('''
    ... whisper_source: openai/whisper-tiny
    ... enc: !new:torch.nn.Identity {source: openai/whisper-tiny}
    ... modules: {enc: !ref <enc>}
    ... ''')
    >>> tree["modules"]["enc"] = tree["enc"]
    >>> part = model_part(tree)
    >>> frozen_sources(part, tree, ".")
    {'whisper_source': 'openai/whisper-tiny'}
    >>> list(part), part["enc"]["source"].value
    (['whisper_source', 'enc', 'modules'], '<whisper_source>')
    """
    sources = {}
    top = {k: v for k, v in tree.items() if isinstance(v, str) and not is_node(v)}
    for node in _walk(part):
        if not isinstance(node, dict):
            continue
        for path_key in PATH_KEYS:
            value = node.get(path_key)
            if is_node(value) and node_tag(value) == "!ref":
                name = value.value.strip("<>")
                if name in part:  # an expression model_part kept at the top
                    sources[name] = None if is_node(part[name]) else part[name]
                continue
            if not isinstance(value, str) or UNSET in value:
                continue
            names = [k for k, v in top.items() if v == value]
            named = [k for k in names if any(w in k for w in ("source", "checkpoint", "ckp", "path"))]
            name = (named or names or [None])[0]
            if name is None:  # written in the module itself: only made absolute
                node[path_key] = _absolute_path(value, base_dir)
                continue
            if name not in part:
                part.insert(0, name, _absolute_path(value, base_dir))
            sources[name] = part[name]
            node[path_key] = TaggedScalar(value=f"<{name}>", tag="!ref")
    return sources


def _disable_feature_cache(part):
    """Inference never reads or writes the training feature cache."""
    for node in _walk(part):
        if node_tag(node) == f"!new:{AUDIO_ENCODER_CLASS}" and isinstance(node, dict):
            node["cache_dir"] = None


def _walk(root):
    seen, stack, out = set(), [root], []
    while stack:
        node = stack.pop()
        if not is_node(node) or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(child_nodes(node))
    return out


def _contains_unset(part):
    for node in _walk(part):
        for child in child_nodes(node):
            if isinstance(child, str) and UNSET in child:
                return True
    return False


def trained_tasks(tree):
    """The tasks the run trained on.

    The multitask recipe (``test_instructions``): ASR, captioning and every
    optional task whose data folder is set. A single-task recipe: the task
    of its ``test_instruction`` (``evaluation_instruction [captioning]``),
    else captioning for a captioning scoring, else ASR.

    Arguments
    ---------
    tree : CommentedMap
        Output of :func:`read_training_hparams`.

    Returns
    -------
    list of str

    Example
    -------
    >>> trained_tasks(ruamel.yaml.YAML().load('''
    ... test_instruction: !apply:speechbrain_listen.tasks.instructions.evaluation_instruction [captioning]
    ... '''))
    ['captioning']
    >>> trained_tasks(ruamel.yaml.YAML().load('''
    ... test_instructions: !apply:speechbrain_listen.tasks.instructions.all_evaluation_instructions []
    ... voxceleb_folder: /data/VoxCeleb1
    ... iemocap_folder: null
    ... '''))
    ['asr', 'captioning', 'sv']
    """
    from speechbrain_listen.tasks.instructions import TEST_INSTRUCTIONS

    if tree.get("test_instructions") is not None:
        tasks = ["asr", "captioning"]
        for task, key in OPTIONAL_TASK_FOLDERS.items():
            folder = _plain(tree.get(key))
            if folder and not (isinstance(folder, str) and UNSET in folder):
                tasks.append(task)
        return tasks
    node = tree.get("test_instruction")
    if node_tag(node).endswith("evaluation_instruction") and isinstance(node, list) and node:
        if node[0] in TEST_INSTRUCTIONS:
            return [str(node[0])]
    if node is not None:
        try:
            text = _evaluate(node)
        except Exception:  # not evaluable here: judged by the scoring below
            text = None
        for task, instruction in TEST_INSTRUCTIONS.items():
            if text == instruction:
                return [task]
    if "Captioning" in node_tag(tree.get("scoring")):
        return ["captioning"]
    return ["asr"]


def inference_settings(tree, instructions=None):
    """Inference defaults: the recipe's test decoding and task instructions.

    ``trained_tasks`` lists the tasks the model was trained on and
    ``task_instructions`` holds the instructions of those tasks only (ASR
    and captioning have their own keys, which the loader requires).

    Arguments
    ---------
    tree : CommentedMap
        Output of :func:`read_training_hparams`.
    instructions : dict, optional
        Overrides of ``asr_instruction`` / ``caption_instruction``.

    Returns
    -------
    dict
        Plain values for the inference part of ``hyperparams.yaml``.
    """
    from speechbrain_listen.tasks.instructions import TEST_INSTRUCTIONS

    settings = dict(DEFAULT_INFERENCE)
    for key in (
        "sample_rate",
        "num_beams",
        "max_new_tokens",
        "max_new_tokens_per_second",
        "degeneracy_fallback",
    ):
        # A recipe's explicit null (no per-second limit) is written too: the
        # setting stays visible, and editable, in the exported file.
        value = _plain(tree.get(key))
        if value is not None or (key in tree and key not in settings):
            settings[key] = value
    if _plain(tree.get("test_batch_size")) is not None:
        settings["batch_size"] = _plain(tree["test_batch_size"])
    asr = tree.get("test_instruction")
    settings["asr_instruction"] = _evaluate(asr) if asr is not None else TEST_INSTRUCTIONS["asr"]
    # The multitask recipe names every task's test instruction.
    tasks = tree.get("test_instructions")
    tasks = dict(_evaluate(tasks) if tasks is not None else TEST_INSTRUCTIONS)
    settings["caption_instruction"] = tasks.pop("captioning", TEST_INSTRUCTIONS["captioning"])
    tasks.pop("asr", None)
    trained = trained_tasks(tree)
    settings["trained_tasks"] = trained
    settings["task_instructions"] = {task: text for task, text in tasks.items() if task in trained}
    # The Brain decodes VALID/TEST under eval_precision (fp32 by default);
    # Pretrained reads the same choice from ``precision``.
    if _plain(tree.get("eval_precision")) is not None:
        settings["precision"] = _plain(tree["eval_precision"])
    settings.update(instructions or {})
    return settings


def checkpoint_selection(tree):
    """How the run chose its best checkpoint: ``(kind, metric)``.

    The Brain keeps the checkpoint its scoring object prefers
    (``training.brain``: ``selection_metric`` in the checkpoint meta, kept
    with ``max_keys`` if ``higher_is_better`` else ``min_keys``); without a
    ``scoring`` hparam that is WER/CER scoring (lowest WER).

    Arguments
    ---------
    tree : CommentedMap
        Output of :func:`read_training_hparams`.

    Returns
    -------
    kind : str
        ``"min_key"`` or ``"max_key"``.
    metric : str
        The checkpoint meta key, e.g. ``"WER"``, ``"CIDEr-D"``, ``"loss"``.

    Example
    -------
    >>> checkpoint_selection(ruamel.yaml.YAML().load("lr: 0.1"))
    ('min_key', 'WER')
    >>> checkpoint_selection(ruamel.yaml.YAML().load(
    ...     "scoring: !new:speechbrain_listen.scoring.captioning.CaptioningScoring {}"))
    ('max_key', 'CIDEr-D')
    """
    node = tree.get("scoring")
    if node is None:
        return "min_key", "WER"
    try:
        scoring = _evaluate(node)
        return ("max_key" if scoring.higher_is_better else "min_key"), str(scoring.selection_metric)
    except Exception as err:
        raise ExportError(
            f"cannot tell which checkpoint the run kept as best from its 'scoring' ({err}); "
            "pass --min-key or --max-key"
        ) from err


def _run_layout(source):
    """``(ckpt_dir or None, save_dir or None, hparams_file or None)`` of a source."""
    source = pathlib.Path(source)
    if not source.is_dir():
        raise ExportError(f"no such folder: {source}")
    if (source / "CKPT.yaml").exists():
        candidates = [source.parent.parent / HPARAMS_FILE, source.parent / HPARAMS_FILE]
        ckpt_dir, save_dir = source, None
    else:
        save_dir = source / "save" if (source / "save").is_dir() else source
        if not list(save_dir.glob("CKPT+*")):
            raise ExportError(f"no CKPT+* checkpoint folder in {save_dir}")
        candidates = [save_dir.parent / HPARAMS_FILE, save_dir / HPARAMS_FILE]
        ckpt_dir = None
    return ckpt_dir, save_dir, next((c for c in candidates if c.exists()), None)


def run_folder(ckpt_dir):
    """The recipe output folder a checkpoint folder belongs to."""
    ckpt_dir = pathlib.Path(ckpt_dir)
    return ckpt_dir.parent.parent if ckpt_dir.parent.name == "save" else ckpt_dir.parent


def find_checkpoint(source, min_key=None, max_key=None, hparams_file=None, overrides=None):
    """Finds the checkpoint folder and the hparams file of a run.

    Arguments
    ---------
    source : str
        A recipe output folder (``hyperparams.yaml`` + ``save/CKPT+*``), its
        ``save`` folder, or one ``CKPT+*`` folder.
    min_key, max_key : str, optional
        Which checkpoint of several: lowest ``min_key`` or highest
        ``max_key`` in its meta (an error if no checkpoint has it). Neither:
        the one the run kept as best (:func:`checkpoint_selection` of the
        run's hparams: lowest WER, highest CIDEr-D, lowest loss); the most
        recent one, with a warning, if no checkpoint has that key.
    hparams_file : str, optional
        The training hparams that say how the run selected checkpoints;
        default: the run's own ``hyperparams.yaml``.
    overrides : dict, optional
        Overrides for ``hparams_file``.

    Returns
    -------
    ckpt_dir : pathlib.Path
    hparams_file : pathlib.Path or None
        The run's ``hyperparams.yaml`` if one was found next to it.
    meta : dict
    """
    return _find_checkpoint(source, min_key, max_key, hparams_file, overrides)[:3]


def _find_checkpoint(source, min_key=None, max_key=None, hparams_file=None, overrides=None, tree=None):
    """:func:`find_checkpoint`, plus a description of the selection used."""
    from speechbrain.utils.checkpoints import Checkpointer

    ckpt_dir, save_dir, found = _run_layout(source)
    if ckpt_dir is not None:
        return ckpt_dir, found, _read_meta(ckpt_dir), "the checkpoint folder given"
    derived = min_key is None and max_key is None
    if derived:
        if tree is None and (hparams_file or found) is not None:
            tree = read_training_hparams(hparams_file or found, overrides)
        kind, key = checkpoint_selection(tree) if tree is not None else ("min_key", "WER")
    else:
        kind, key = ("max_key", max_key) if max_key is not None else ("min_key", min_key)
    checkpointer = Checkpointer(save_dir)
    metas = [c.meta for c in checkpointer.list_checkpoints()]
    direction = "highest" if kind == "max_key" else "lowest"
    if any(key in m for m in metas):
        ckpt = checkpointer.find_checkpoint(**{kind: key})
        how = f"{direction} {key}" + (" (the run's own selection)" if derived else "")
    elif derived:
        logger.warning(
            "no checkpoint in %s has %r (the run's selection metric) in its meta: "
            "exporting the most recent one",
            save_dir,
            key,
        )
        ckpt = checkpointer.find_checkpoint()
        how = f"most recent (no checkpoint has {key!r} in its meta)"
    else:
        raise ExportError(f"no checkpoint in {save_dir} has {key!r} in its meta")
    return pathlib.Path(ckpt.path), found, dict(ckpt.meta), how


def _read_meta(ckpt_dir):
    yaml = ruamel.yaml.YAML(typ="safe")
    with open(ckpt_dir / "CKPT.yaml", encoding="utf-8") as fin:
        return dict(yaml.load(fin) or {})


def _yaml_scalar(value):
    """A Python scalar (or a flat map) as YAML text, JSON-quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, dict, list)):  # JSON is YAML: quotes and maps read back
        return json.dumps(value)
    return repr(value)


def render_hyperparams(part, settings, loadables, header):
    """Writes the inference ``hyperparams.yaml`` text.

    Arguments
    ---------
    part : CommentedMap
        Output of :func:`model_part`.
    settings : dict
        Output of :func:`inference_settings`.
    loadables : list of str
        Module keys whose ``<key>.ckpt`` the Pretrainer loads.
    header : list of str
        Comment lines for the top of the file.

    Returns
    -------
    str
    """
    _strip_comments(part)
    model_text = io.StringIO()
    yaml = ruamel.yaml.YAML()
    yaml.width = 100
    yaml.dump(part, model_text)
    lines = ["# " + line if line else "#" for line in header]
    lines += ["", "# " + "-" * 66 + " Model --", model_text.getvalue().rstrip(), ""]
    lines.append("# " + "-" * 62 + " Inference --")
    for key, value in settings.items():
        lines.append(f"{key}: {_yaml_scalar(value)}")
    lines += [
        "",
        "# Trained weights: only the trainable parameters of each module,",
        "# loaded strictly (a missing or extra tensor is an error).",
        "pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer",
        "    loadables:",
    ]
    lines += [f"        {name}: !ref <modules[{name}]>" for name in loadables]
    lines.append("    custom_hooks:")
    lines += [f"        {name}: !name:{LOAD_HOOK}" for name in loadables]
    return "\n".join(lines) + "\n"


def read_test_summaries(folder):
    """The test summaries a recipe wrote into its output folder.

    ``<stem>_summary.json`` files (``wer_test-clean_summary.json``,
    ``captions_evaluation_summary.json``, ...) and the multitask
    ``test/summary.json``.

    Arguments
    ---------
    folder : str
        The recipe output folder.

    Returns
    -------
    dict
        Path relative to ``folder`` -> flat ``{metric: number}``.
    """
    folder = pathlib.Path(folder)
    paths = sorted(folder.glob("*_summary.json"))
    if (folder / "test" / "summary.json").exists():
        paths.append(folder / "test" / "summary.json")
    summaries = {}
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        flat = {}
        for key, value in data.items() if isinstance(data, dict) else ():
            if isinstance(value, dict):  # multitask: {"tasks": {task: {metric: value}}}
                for inner, sub in value.items():
                    items = sub.items() if isinstance(sub, dict) else [("", sub)]
                    for name, number in items:
                        label = " ".join(x for x in (inner, name) if x)
                        if _is_number(number):
                            flat[label] = number
            elif _is_number(value):
                flat[key] = value
        summaries[path.relative_to(folder).as_posix()] = flat
    return summaries


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def model_card(name, settings, sources, info, summaries, tree):
    """The text of the export's ``README.md``.

    Arguments
    ---------
    name : str
        The export folder's name.
    settings : dict
        Output of :func:`inference_settings`.
    sources : dict
        Output of :func:`frozen_sources`.
    info : dict
        The content of ``export_info.json``.
    summaries : dict
        Output of :func:`read_test_summaries`.
    tree : CommentedMap
        The training hparams tree.

    Returns
    -------
    str
    """
    tasks = settings["trained_tasks"]
    adaptation = _plain(tree.get("adaptation"))
    lines = [
        f"# {name}: LiSTEN audio LLM ({', '.join(tasks)})",
        "",
        "A LiSTEN audio LLM (frozen Whisper"
        + (" + BEATs" if "beats_checkpoint" in sources else "")
        + " encoders, a trained window Q-Former connector and a frozen LLM"
        + (f", adapted with `{adaptation}`" if adaptation else "")
        + "), exported from a training run of speechbrain-listen by "
        "`listen export`. This folder holds only the trained weights "
        "(LayerNorms, connector, prompts or LoRA adapters); the frozen models "
        "are named below and loaded from their sources.",
        "",
        "## Trained tasks",
        "",
    ]
    instructions = {
        "asr": settings["asr_instruction"],
        "captioning": settings["caption_instruction"],
        **settings["task_instructions"],
    }
    for task in tasks:
        data = TASK_DATA.get(task, "?")
        said = instructions.get(task)
        said = f'instruction: "{said}"' if said else "instruction: the question itself"
        lines.append(f"- `{task}` (data: {data}; {said})")
    lines += [
        "",
        "Other tasks were not trained: the model cannot be expected to follow "
        "their instructions (`trained_tasks` in `hyperparams.yaml`).",
        "",
        "## Data",
        "",
    ]
    splits = tree.get("train_splits")
    for task in tasks:
        line = f"- {task}: {TASK_DATA.get(task, '?')}"
        if task == "asr" and isinstance(splits, list) and all(isinstance(x, str) for x in splits):
            line += f" (training splits: {', '.join(splits)})"
        lines.append(line)
    meta = {k: v for k, v in info["checkpoint_meta"].items() if k != "unixtime"}
    lines += [
        "",
        "## Checkpoint and result",
        "",
        f"Checkpoint `{info['checkpoint']}` of the run, chosen by {info['selection']}; "
        f"its validation meta: `{json.dumps(meta, default=str)}`.",
        "",
    ]
    if summaries:
        for path, metrics in summaries.items():
            lines.append(f"Test result, from `{path}` in the run's output folder:")
            lines.append("")
            lines.append("| metric | value |")
            lines.append("|---|---|")
            lines += [f"| {k} | {v:.4g} |" for k, v in metrics.items()]
            lines.append("")
    else:
        lines += ["No test summary (`*_summary.json`) was found in the run's output folder.", ""]
    lines += [
        "## Use",
        "",
        "```bash",
        "pip install speechbrain-listen",
        "```",
        "",
        "```python",
        "from speechbrain_listen.inference import ListenAudioLLM",
        "",
        "model = ListenAudioLLM.from_hparams(",
        f'    source="{name}",  # this folder',
        f'    savedir="pretrained/{name}",',
        ")",
    ]
    if "asr" in tasks:
        lines.append('print(model.transcribe_file("speech.wav"))')
    if "captioning" in tasks:
        lines.append('print(model.caption_file("sound.wav"))')
    lines += ["```", "", "From the command line:", "", "```bash"]
    if "asr" in tasks:
        lines.append(f"listen transcribe {name} speech.wav")
    if "captioning" in tasks:
        lines.append(f"listen caption {name} sound.wav")
    lines += ["```", "", "## Frozen models", ""]
    if sources:
        lines.append(
            "Not copied here; loaded from these sources (hub ids, or local paths on the exporting machine):"
        )
        lines.append("")
        for key, value in sources.items():
            shown = f"`{value}`" if value is not None else "an expression in `hyperparams.yaml`"
            lines.append(f"- `{key}`: {shown}")
        key = next(iter(sources))
        lines += [
            "",
            "Where they live elsewhere, override them when loading:",
            "",
            "```python",
            "model = ListenAudioLLM.from_hparams(",
            f'    source="{name}", savedir="pretrained/{name}",',
            f'    overrides={{"{key}": "/path/to/{key}"}},',
            ")",
            "```",
        ]
    else:
        lines.append("See `hyperparams.yaml` for the frozen encoders and the LLM.")
    return "\n".join(lines) + "\n"


def export_model(
    source,
    dest,
    hparams_file=None,
    overrides=None,
    min_key=None,
    max_key=None,
    base_dir=None,
    force=False,
):
    """Exports a run (or one of its checkpoints) as an inference folder.

    Arguments
    ---------
    source : str
        Recipe output folder, its ``save`` folder, or a ``CKPT+*`` folder.
    dest : str
        Folder to create.
    hparams_file : str, optional
        The training hparams; default: the ``hyperparams.yaml`` the run saved.
    overrides : dict, optional
        Overrides for ``hparams_file`` (as given to the recipe).
    min_key, max_key : str, optional
        Checkpoint choice (see :func:`find_checkpoint`); default: the run's
        own selection metric.
    base_dir : str, optional
        Folder that relative model paths in the hparams are relative to
        (the folder training ran from); default: the current folder.
    force : bool
        Replace ``dest`` if it exists.

    Returns
    -------
    pathlib.Path
        ``dest``.

    Example
    -------
    >>> export_model("results/listen/prompt_pool/42", "exported/listen")  # doctest: +SKIP
    PosixPath('exported/listen')
    """
    _, _, found_hparams = _run_layout(source)
    hparams_file = hparams_file or found_hparams
    if hparams_file is None:
        raise ExportError(f"no {HPARAMS_FILE} found for {source}; pass the training hparams file")
    tree = read_training_hparams(hparams_file, overrides)
    ckpt_dir, _, meta, selection = _find_checkpoint(source, min_key, max_key, tree=tree)
    missing = [m for m in REQUIRED_MODULES if m not in tree.get("modules", {})]
    if missing:
        raise ExportError(f"{hparams_file}: 'modules' lacks {', '.join(missing)}")
    for key in TRAINING_ONLY_MODULES:
        tree["modules"].pop(key, None)
    for key in [k for k, v in tree["modules"].items() if _built_as_none(v)]:
        del tree["modules"][key]
    names = checkpointed_names(tree)
    settings = inference_settings(tree)
    part = model_part(tree)
    if _contains_unset(part):
        raise ExportError(
            f"{hparams_file}: the model depends on a !PLACEHOLDER value; give it as an override"
        )
    _disable_feature_cache(part)
    sources = frozen_sources(part, tree, base_dir or os.getcwd())

    files = {}
    for module_key, name in names.items():
        path = ckpt_dir / f"{name}.ckpt"
        if not path.exists():
            raise ExportError(f"checkpoint {ckpt_dir} has no {path.name} for module '{module_key}'")
        files[module_key] = path

    dest = pathlib.Path(dest)
    if dest.exists():
        if not force:
            raise ExportError(f"{dest} exists (use --force to replace it)")
        shutil.rmtree(dest)
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    # Only names, no paths of the exporting machine: the folder is portable.
    header = [
        "LiSTEN inference hyperparameters, written by speechbrain_listen.inference.export.",
        f"Training hparams: {pathlib.Path(hparams_file).name} of the run",
        f"Checkpoint: {ckpt_dir.name}, chosen by {selection}; meta: {json.dumps(meta, default=str)}",
        f"Trained tasks: {', '.join(settings['trained_tasks'])}",
        "Load with:",
        "  from speechbrain_listen.inference import ListenAudioLLM",
        "  model = ListenAudioLLM.from_hparams(source=<this folder>, savedir=<any folder>)",
        "Frozen encoders and the LLM are referenced below, not copied; override",
        '  their keys to load them from elsewhere: overrides={"whisper_source": ...}',
    ]
    text = render_hyperparams(part, settings, list(files), header)
    (staging / HPARAMS_FILE).write_text(text, encoding="utf-8")
    for module_key, path in files.items():
        shutil.copyfile(path, staging / f"{module_key}.ckpt")
    info = {
        "checkpoint": ckpt_dir.name,
        "checkpoint_meta": meta,
        "selection": selection,
        "training_hparams": pathlib.Path(hparams_file).name,
        "trained_tasks": settings["trained_tasks"],
        "frozen_sources": sources,
        "exported": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "files": {f"{k}.ckpt": (staging / f"{k}.ckpt").stat().st_size for k in files},
        "unsaved_modules": sorted(set(tree["modules"]) - set(files)),
    }
    (staging / INFO_FILE).write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    summaries = read_test_summaries(run_folder(ckpt_dir))
    card = model_card(dest.name, settings, sources, info, summaries, tree)
    (staging / CARD_FILE).write_text(card, encoding="utf-8")
    # Written elsewhere and moved into place: an interrupted export never
    # leaves a folder that looks loadable.
    staging.rename(dest)
    return dest


def _parse_overrides(items):
    """``key=value`` strings (values read as YAML) into a dict."""
    overrides = {}
    yaml = ruamel.yaml.YAML(typ="safe")
    for item in items or []:
        if "=" not in item:
            raise ExportError(f"override {item!r} is not key=value")
        key, value = item.split("=", 1)
        overrides[key.lstrip("-")] = yaml.load(value) if value else None
    return overrides


def build_parser(parser=None):
    """The command-line options of the exporter (also ``listen export``)."""
    parser = parser or argparse.ArgumentParser(
        prog="python -m speechbrain_listen.inference.export",
        description="Export a trained LiSTEN run as a small inference folder "
        "(hyperparams.yaml + trainable weights).",
    )
    parser.add_argument("source", help="recipe output folder, its save folder, or a CKPT+* folder")
    parser.add_argument("dest", help="inference folder to create")
    parser.add_argument("--hparams", help="training hparams file (default: the run's hyperparams.yaml)")
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a training hparam (repeatable), e.g. --override llm_source=/models/llm",
    )
    parser.add_argument(
        "--min-key",
        help="pick the checkpoint with the lowest meta value (default: the run's own "
        "selection: lowest WER for ASR, highest CIDEr-D for Clotho, lowest loss for multitask)",
    )
    parser.add_argument("--max-key", help="pick the checkpoint with the highest meta value")
    parser.add_argument("--base-dir", help="folder relative model paths are relative to (default: cwd)")
    parser.add_argument("--force", action="store_true", help="replace DEST if it exists")
    return parser


def run(args):
    """Runs the export for parsed arguments; returns the exit status."""
    try:
        dest = export_model(
            args.source,
            args.dest,
            hparams_file=args.hparams,
            overrides=_parse_overrides(args.override),
            min_key=args.min_key,
            max_key=args.max_key,
            base_dir=args.base_dir,
            force=args.force,
        )
    except ExportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    info = json.loads((dest / INFO_FILE).read_text())
    size = sum(info["files"].values())
    print(
        f"exported {info['checkpoint']} (chosen by {info['selection']}) -> {dest} "
        f"({size / 1e6:.2f} MB of trained weights; tasks: {', '.join(info['trained_tasks'])})"
    )
    return 0


def main(argv=None):
    """Entry point of ``python -m speechbrain_listen.inference.export``."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
