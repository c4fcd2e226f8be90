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
    export_info.json     # where it came from

and is loaded with ``ListenAudioLLM.from_hparams(source=folder, savedir=...)``
(``speechbrain_listen.inference.audio_llm``). The frozen parts stay referenced exactly
as training referenced them: a hub id, a local path, or an expression such
as the offline model cache, evaluated where the model is loaded.

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

HPARAMS_FILE = "hyperparams.yaml"
INFO_FILE = "export_info.json"
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


def _absolute_paths(part, base_dir):
    """Makes relative local model paths absolute (the loader's cwd differs)."""
    for node in _walk(part):
        if not isinstance(node, dict):
            continue
        for key in PATH_KEYS:
            value = node.get(key)
            if isinstance(value, str) and not is_node(value) and not os.path.isabs(value):
                candidate = os.path.join(base_dir, value)
                if os.path.exists(candidate):
                    node[key] = os.path.abspath(candidate)


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


def inference_settings(tree, instructions=None):
    """Inference defaults: the recipe's test decoding and task instructions.

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
        if _plain(tree.get(key)) is not None:
            settings[key] = _plain(tree[key])
    if _plain(tree.get("test_batch_size")) is not None:
        settings["batch_size"] = _plain(tree["test_batch_size"])
    asr = tree.get("test_instruction")
    settings["asr_instruction"] = _evaluate(asr) if asr is not None else TEST_INSTRUCTIONS["asr"]
    # The multitask recipe names every task's test instruction.
    tasks = tree.get("test_instructions")
    tasks = dict(_evaluate(tasks) if tasks is not None else TEST_INSTRUCTIONS)
    settings["caption_instruction"] = tasks.pop("captioning", TEST_INSTRUCTIONS["captioning"])
    tasks.pop("asr", None)
    settings["task_instructions"] = tasks
    # The Brain decodes VALID/TEST under eval_precision (fp32 by default);
    # Pretrained reads the same choice from ``precision``.
    if _plain(tree.get("eval_precision")) is not None:
        settings["precision"] = _plain(tree["eval_precision"])
    settings.update(instructions or {})
    return settings


def find_checkpoint(source, min_key="WER", max_key=None):
    """Finds the checkpoint folder and the hparams file of a run.

    Arguments
    ---------
    source : str
        A recipe output folder (``hyperparams.yaml`` + ``save/CKPT+*``), its
        ``save`` folder, or one ``CKPT+*`` folder.
    min_key, max_key : str, optional
        Which checkpoint of several: lowest ``min_key`` (default: lowest WER,
        the one the recipe tests) or highest ``max_key`` in its meta; the
        most recent one if neither key is in the metas.

    Returns
    -------
    ckpt_dir : pathlib.Path
    hparams_file : pathlib.Path or None
        The run's ``hyperparams.yaml`` if one was found next to it.
    meta : dict
    """
    from speechbrain.utils.checkpoints import Checkpointer

    source = pathlib.Path(source)
    if not source.is_dir():
        raise ExportError(f"no such folder: {source}")
    if (source / "CKPT.yaml").exists():
        ckpt_dir = source
        candidates = [source.parent.parent / HPARAMS_FILE, source.parent / HPARAMS_FILE]
        meta = _read_meta(source)
    else:
        save_dir = source / "save" if (source / "save").is_dir() else source
        if not list(save_dir.glob("CKPT+*")):
            raise ExportError(f"no CKPT+* checkpoint folder in {save_dir}")
        checkpointer = Checkpointer(save_dir)
        metas = [c.meta for c in checkpointer.list_checkpoints()]
        use_min = min_key if max_key is None and any(min_key in m for m in metas) else None
        use_max = max_key if max_key is not None and any(max_key in m for m in metas) else None
        if max_key is not None and use_max is None:
            raise ExportError(f"no checkpoint in {save_dir} has {max_key!r} in its meta")
        if use_min or use_max:
            ckpt = checkpointer.find_checkpoint(min_key=use_min, max_key=use_max)
        else:
            ckpt = checkpointer.find_checkpoint()
        ckpt_dir, meta = pathlib.Path(ckpt.path), dict(ckpt.meta)
        candidates = [save_dir.parent / HPARAMS_FILE, save_dir / HPARAMS_FILE]
    hparams_file = next((c for c in candidates if c.exists()), None)
    return ckpt_dir, hparams_file, meta


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
    if isinstance(value, (str, dict)):  # JSON is YAML: quotes and maps read back
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


def export_model(
    source,
    dest,
    hparams_file=None,
    overrides=None,
    min_key="WER",
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
        Checkpoint choice (see :func:`find_checkpoint`).
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
    ckpt_dir, found_hparams, meta = find_checkpoint(source, min_key, max_key)
    hparams_file = hparams_file or found_hparams
    if hparams_file is None:
        raise ExportError(f"no {HPARAMS_FILE} found for {ckpt_dir}; pass the training hparams file")
    tree = read_training_hparams(hparams_file, overrides)
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
    _absolute_paths(part, base_dir or os.getcwd())

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
    header = [
        "LiSTEN inference hyperparameters, written by speechbrain_listen.inference.export.",
        f"Training hparams: {os.path.abspath(hparams_file)}",
        f"Checkpoint: {ckpt_dir.resolve()}  meta: {json.dumps(meta, default=str)}",
        "Load with:",
        "  from speechbrain_listen.inference.audio_llm import ListenAudioLLM",
        "  model = ListenAudioLLM.from_hparams(source=<this folder>, savedir=<any folder>)",
        "Frozen encoders and the LLM are referenced below, not copied.",
    ]
    text = render_hyperparams(part, settings, list(files), header)
    (staging / HPARAMS_FILE).write_text(text, encoding="utf-8")
    for module_key, path in files.items():
        shutil.copyfile(path, staging / f"{module_key}.ckpt")
    info = {
        "checkpoint": str(ckpt_dir.resolve()),
        "checkpoint_meta": meta,
        "training_hparams": os.path.abspath(hparams_file),
        "exported": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "files": {f"{k}.ckpt": (staging / f"{k}.ckpt").stat().st_size for k in files},
        "unsaved_modules": sorted(set(tree["modules"]) - set(files)),
    }
    (staging / INFO_FILE).write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
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
        default="WER",
        help="pick the checkpoint with the lowest meta value (default WER)",
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
    print(f"exported {info['checkpoint']} -> {dest} ({size / 1e6:.2f} MB of trained weights)")
    return 0


def main(argv=None):
    """Entry point of ``python -m speechbrain_listen.inference.export``."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
