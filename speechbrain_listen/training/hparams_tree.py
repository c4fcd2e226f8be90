"""A recipe's hparams read as a YAML tree: references resolved, nothing built.

Two tools look at a recipe's hparams without running it: the start-up
checks (``config_checks``: a typo must not cost minutes of model loading)
and the export of a trained model (``speechbrain_listen.inference.export``:
no model is loaded to export one). Both need the file as HyperPyYAML would
see it, overrides applied and ``!ref`` resolved, but with ``!new:`` and
``!apply:`` left as tagged nodes instead of objects. :func:`read_hparams_tree`
gives that tree (a ruamel ``CommentedMap``; a node referenced twice is the
same object), and the helpers below walk it.

Authors
 * speechbrain-listen contributors 2026
"""

import difflib
import io

import ruamel.yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

#: What a ``!PLACEHOLDER`` (e.g. an unset data folder) reads as: a file that
#: still has one can be read, and a check can tell "not set" apart.
UNSET = "__listen_export_unset__"


class HparamsError(RuntimeError):
    """An hparams file that cannot be read as asked (e.g. an unknown override)."""


def node_tag(node):
    """The tag of a ruamel node as a string ('' when untagged).

    Example
    -------
    >>> tree = ruamel.yaml.YAML().load("enc: !new:torch.nn.Linear {in_features: 2}\\nlr: 0.1")
    >>> node_tag(tree["enc"]), node_tag(tree["lr"])
    ('!new:torch.nn.Linear', '')
    """
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag)
    return value or ""


def is_node(value):
    """True for the nodes that are shared by identity (maps, lists, tags)."""
    return isinstance(value, (CommentedMap, CommentedSeq, TaggedScalar))


def child_nodes(node):
    """The values of a map or the items of a list (nothing for a scalar)."""
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, list):
        return list(node)
    return []


def replace_children(node, replace, seen):
    """Applies ``replace(child)`` to every child, depth first, once per node.

    Arguments
    ---------
    node : CommentedMap or CommentedSeq
        Where to start.
    replace : callable
        Child -> its replacement (the child itself to keep it and descend
        into it).
    seen : set
        Ids of the nodes already visited (shared nodes are visited once).
    """
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, child in list(items):
        new = replace(child)
        if new is not child:
            node[key] = new
        elif is_node(child):
            replace_children(child, replace, seen)


def unknown_override(tree, overrides, prefix=""):
    """The first override whose key the file does not have, or None.

    Arguments
    ---------
    tree : dict
        The hparams as read from the file.
    overrides : dict
        Overrides; a dict value over a map of the file is looked into.
    prefix : str
        Dotted path of ``tree`` (for nested keys).

    Returns
    -------
    tuple or None
        ``(dotted key, keys of the map it is missing from)``.

    Example
    -------
    >>> unknown_override({"lr": 1, "opt": {"beta": 2}}, {"lr": 3, "opt": {"betta": 1}})
    ('opt.betta', ['beta'])
    >>> unknown_override({"lr": 1}, {"lr": 2}) is None
    True
    """
    for key, value in overrides.items():
        if key not in tree:
            return f"{prefix}{key}", [str(name) for name in tree]
        if isinstance(value, dict) and isinstance(tree[key], dict):
            found = unknown_override(tree[key], value, f"{prefix}{key}.")
            if found is not None:
                return found
    return None


def unknown_key_message(key, keys, hparams_file):
    """One line for an unknown override, with the closest keys of the file.

    Example
    -------
    >>> unknown_key_message("lr_typo", ["seed", "lr", "min_lr", "batch_size"], "hparams/listen.yaml")
    'lr_typo: not a key of hparams/listen.yaml (did you mean: lr?)'
    >>> unknown_key_message("zzz", ["lr"], "h.yaml")
    'zzz: not a key of h.yaml'
    """
    name = key.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(name, keys, n=4, cutoff=0.6)
    # A typo appended to a short key ("lr_typo") is far from it by ratio.
    prefixed = [k for k in keys if len(k) > 1 and name.startswith(k) and k not in close]
    close = (prefixed + close)[:4] if prefixed else close
    if not close:
        close = difflib.get_close_matches(name, keys, n=4, cutoff=0.4)
    hint = f" (did you mean: {', '.join(close)}?)" if close else ""
    return f"{key}: not a key of {hparams_file}{hint}"


def read_hparams_tree(hparams_file, overrides=None):
    """The hparams as a ruamel tree, references resolved, nothing instantiated.

    ``!new:``/``!apply:`` nodes stay as tagged nodes. ``!PLACEHOLDER``
    values (data folders) read as :data:`UNSET`, so that a file that still
    has them can be read; it is for the caller to say whether it needs one.

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
    HparamsError
        For a missing file, or an override of a key the file does not have
        (one line, with the closest keys).

    Example
    -------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "hparams.yaml")
    >>> with open(path, "w") as out:
    ...     _ = out.write(
    ...         "data_folder: !PLACEHOLDER\\nsize: 4\\n"
    ...         "enc: !new:torch.nn.Linear {in_features: !ref <size>, out_features: 2}\\n"
    ...     )
    >>> tree = read_hparams_tree(path, {"size": 8})
    >>> tree["data_folder"] == UNSET, tree["enc"]["in_features"], node_tag(tree["enc"])
    (True, 8, '!new:torch.nn.Linear')
    >>> read_hparams_tree(path, {"sise": 8})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    speechbrain_listen.training.hparams_tree.HparamsError: sise: not a key of ... (did you mean: size?)
    >>> read_hparams_tree(path + ".nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    speechbrain_listen.training.hparams_tree.HparamsError: ...hparams.yaml.nope: no such hparams file
    """
    from hyperpyyaml import resolve_references

    yaml = ruamel.yaml.YAML()
    try:
        with open(hparams_file, encoding="utf-8") as fin:
            tree = yaml.load(fin)
    except FileNotFoundError:
        raise HparamsError(f"{hparams_file}: no such hparams file") from None
    except IsADirectoryError:
        raise HparamsError(f"{hparams_file}: a folder, not an hparams file") from None
    if overrides:
        from hyperpyyaml.core import recursive_update

        unknown = unknown_override(tree, overrides)
        if unknown is not None:
            raise HparamsError(unknown_key_message(*unknown, hparams_file))

        try:
            recursive_update(tree, overrides, must_match=True)
        except KeyError as err:
            raise HparamsError(f"{hparams_file}: {err.args[0]}") from err

    def fill(child):
        if node_tag(child) == "!PLACEHOLDER":
            return UNSET
        return child

    replace_children(tree, fill, set())
    text = io.StringIO()
    yaml.dump(tree, text)
    text.seek(0)
    text.name = str(hparams_file)  # !include: paths are relative to the file
    resolved = resolve_references(text)
    return ruamel.yaml.YAML().load(resolved)
