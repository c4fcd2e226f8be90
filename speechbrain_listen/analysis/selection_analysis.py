"""Which prompts does the pool pick? Per-task usage, overlap and collapse.

LiSTEN's dynamic prompt pool selects, for every input, ``N`` of ``M``
learnable prompts by query-key matching. The paper backs two claims with an
analysis of *which* prompts are picked on the test sets:

* **general vs task-specific prompts**: some prompts are used by every task
  (shared knowledge) while others are used mostly by one task. Related tasks
  use nearly the same set (in the reference, N = 10, ASR and SQA pick almost
  identical top prompts) and unrelated ones overlap less (captioning and
  En->Zh overlap 0.42-0.58 with the rest, as Jaccard of top-N sets);
* **deterministic training collapses**: with a fixed N during training the
  similarity selector learns to pick the same N prompts for *every* input, so
  the "dynamic" pool behaves like one soft prompt (per-input Jaccard 1.00).
  Stochastic training (N ~ U{1..M}) keeps selections input-dependent.

This module turns the ``prompt_choices.json`` files written at test time::

    {"pool_size": M, "num_prompts": N,
     "choices": [{"id": "asr-1089-0001", "task": "asr", "indices": [3, 17, ...]}, ...]}

into the numbers and plots that test those claims: per-task usage normalised
by the number of examples, distinct prompts per task, prompts shared by all
tasks, pairwise Jaccard overlap of the tasks' top-n sets, usage entropy (low
entropy = few prompts carry the task), per-input agreement (mean pairwise
Jaccard between examples of one task: 1.0 is the collapse signature), a
task x prompt heat-map sorted by ASR usage, per-task usage histograms and the
Jaccard matrix.

Command line::

    python -m speechbrain_listen.analysis.selection_analysis \\
        results/run/test-clean/prompt_choices.json results/run/clotho/prompt_choices.json \\
        --output_folder results/run/selection --top_n 10 --sort_by asr

Only numpy is needed (matplotlib for the plots, imported inside the plotting
functions and used through ``matplotlib.figure.Figure`` so the global pyplot
backend is left alone).

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import json
import math
import os
import sys

import numpy as np

ANALYSIS_FILE = "selection_analysis.json"
HEATMAP_FILE = "usage_heatmap.png"
HISTOGRAMS_FILE = "usage_histograms.png"
JACCARD_FILE = "jaccard.png"


# ---------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------


def _is_int(value):
    # JSON booleans load as bool, which is an int subclass: not an index.
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_pool_size(pool_size, where="pool_size"):
    if not _is_int(pool_size) or pool_size < 1:
        raise ValueError(f"{where}: pool_size must be a positive integer, got {pool_size!r}")
    return int(pool_size)


def _check_record(record, pool_size, where):
    """Raise a ValueError naming the example if a record is malformed."""
    if not isinstance(record, dict):
        raise ValueError(f"{where}: each choice must be an object, got {type(record).__name__}")
    name = record.get("id", "?")
    for key in ("task", "indices"):
        if key not in record:
            raise ValueError(f"{where}: choice {name!r} has no {key!r}")
    indices = record["indices"]
    if not isinstance(indices, (list, tuple, np.ndarray)):
        raise ValueError(f"{where}: choice {name!r}: 'indices' must be a list")
    for index in indices:
        if not _is_int(index):
            raise ValueError(f"{where}: choice {name!r}: index {index!r} is not an integer")
        if index < 0 or index >= pool_size:
            raise ValueError(
                f"{where}: choice {name!r}: index {index} out of range for pool_size {pool_size} "
                f"(valid indices are 0..{pool_size - 1})"
            )


def load_choices(paths):
    """Reads and merges ``prompt_choices.json`` files.

    Arguments
    ---------
    paths : str or list of str
        One file or several (e.g. one per test split or task). All must have
        the same ``pool_size``: usage vectors of different pools cannot be
        compared index by index.

    Returns
    -------
    pool_size : int
        M, the number of prompts in the pool.
    records : list of dict
        Every choice of every file, in file order, each
        ``{"id": str, "task": str, "indices": list of int}``.

    Raises
    ------
    FileNotFoundError
        If a file does not exist.
    ValueError
        If a file is not valid JSON, has no ``pool_size`` or no choices,
        an index is outside ``0..pool_size-1``, or the files' pool sizes
        differ.

    Example
    -------
    >>> import json, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "prompt_choices.json")
    >>> with open(path, "w") as fout:
    ...     json.dump({"pool_size": 4, "num_prompts": 2, "choices": [
    ...         {"id": "a", "task": "asr", "indices": [3, 1]}]}, fout)
    >>> load_choices(path)
    (4, [{'id': 'a', 'task': 'asr', 'indices': [3, 1]}])
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise ValueError("no prompt_choices.json file given")
    pool_size = None
    first_path = None
    records = []
    for path in paths:
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"prompt choices file not found: {path}")
        with open(path, encoding="utf-8") as fin:
            try:
                data = json.load(fin)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}: not valid JSON ({err})") from err
        if not isinstance(data, dict) or "pool_size" not in data:
            raise ValueError(f"{path}: expected an object with 'pool_size' and 'choices'")
        size = _check_pool_size(data["pool_size"], where=path)
        if pool_size is None:
            pool_size, first_path = size, path
        elif size != pool_size:
            raise ValueError(
                f"pool_size mismatch: {first_path} has {pool_size}, {path} has {size}; "
                "only files of the same pool can be merged"
            )
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ValueError(f"{path}: no choices (empty or missing 'choices' list)")
        for record in choices:
            _check_record(record, pool_size, where=path)
            records.append(
                {
                    "id": str(record.get("id", "")),
                    "task": str(record["task"]),
                    "indices": [int(i) for i in record["indices"]],
                }
            )
    return pool_size, records


def _group_by_task(records):
    """Task -> list of index lists, tasks in order of first appearance."""
    groups = {}
    for record in records:
        groups.setdefault(str(record["task"]), []).append(list(record["indices"]))
    return groups


# ---------------------------------------------------------------------------
# Usage statistics
# ---------------------------------------------------------------------------


def selection_counts(records, pool_size):
    """How many times each pool index is selected, per task (raw counts).

    Arguments
    ---------
    records : list of dict
        Choices with ``task`` and ``indices``.
    pool_size : int
        M.

    Returns
    -------
    dict
        Task -> int array ``[M]``; tasks in order of first appearance.

    Example
    -------
    >>> counts = selection_counts([{"task": "asr", "indices": [0, 2]},
    ...                            {"task": "asr", "indices": [2, 3]}], 4)
    >>> counts["asr"].tolist()
    [1, 0, 2, 1]
    """
    pool_size = _check_pool_size(pool_size)
    if not records:
        raise ValueError("no choices to analyse")
    for record in records:
        _check_record(record, pool_size, where="records")
    counts = {}
    for task, sets in _group_by_task(records).items():
        flat = np.fromiter((i for indices in sets for i in indices), dtype=np.int64)
        counts[task] = np.bincount(flat, minlength=pool_size)
    return counts


def usage_by_task(records, pool_size):
    """Per-task usage of each prompt, normalised by the task's number of examples.

    ``usage[task][j]`` is the number of times prompt ``j`` was selected
    divided by the number of examples of that task. When the selector picks
    ``N`` distinct prompts per input (similarity, attention) this is the
    fraction of the task's inputs that used ``j`` (in ``[0, 1]``) and each
    vector sums to ``N``. The normalisation makes tasks with test sets of
    very different sizes comparable (the DESIGN's "normalised by set size").
    A selector that repeats an index (the degenerate residual variant) counts
    each repetition, so its usage can exceed 1.

    Arguments
    ---------
    records : list of dict
        Choices with ``task`` and ``indices``.
    pool_size : int
        M.

    Returns
    -------
    dict
        Task -> float array ``[M]``; tasks in order of first appearance.

    Example
    -------
    >>> records = [{"task": "asr", "indices": [0, 2]},
    ...            {"task": "asr", "indices": [2, 3]},
    ...            {"task": "caption", "indices": [1, 2]}]
    >>> usage = usage_by_task(records, 4)
    >>> usage["asr"].tolist(), usage["caption"].tolist()
    ([0.5, 0.0, 1.0, 0.5], [0.0, 1.0, 1.0, 0.0])
    """
    counts = selection_counts(records, pool_size)
    examples = {task: len(sets) for task, sets in _group_by_task(records).items()}
    return {task: counts[task] / examples[task] for task in counts}


def top_prompts(usage, n):
    """The ``n`` most used prompt indices, most used first.

    Ties are broken by the smaller index so results are reproducible. Only
    prompts that were selected at least once are returned: padding a short
    list with unused prompts would make two tasks look similar just because
    both ignore the same indices.

    Arguments
    ---------
    usage : array-like
        ``[M]`` usage (counts or normalised).
    n : int
        How many.

    Returns
    -------
    list of int
        At most ``n`` indices.

    Example
    -------
    >>> top_prompts([0.5, 0.0, 1.0, 0.5], 2)
    [2, 0]
    >>> top_prompts([0.0, 3.0, 0.0], 2)
    [1]
    """
    if not _is_int(n) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    usage = np.asarray(usage, dtype=float)
    # A stable sort of -usage keeps equal values in index order.
    order = np.argsort(-usage, kind="stable")
    return [int(j) for j in order[:n] if usage[j] > 0]


def distinct_prompts(records):
    """Number of distinct prompts ever selected by each task.

    Arguments
    ---------
    records : list of dict
        Choices with ``task`` and ``indices``.

    Returns
    -------
    dict
        Task -> int. Equal to N for a selector that always picks the same N
        prompts (collapse); up to M for a fully input-dependent one.

    Example
    -------
    >>> distinct_prompts([{"task": "asr", "indices": [0, 2]},
    ...                   {"task": "asr", "indices": [2, 3]},
    ...                   {"task": "sqa", "indices": [2, 0]}])
    {'asr': 3, 'sqa': 2}
    """
    return {
        task: len({i for indices in sets for i in indices}) for task, sets in _group_by_task(records).items()
    }


def _jaccard(a, b):
    a, b = set(a), set(b)
    union = a | b
    # Two empty sets are identical: overlap 1.
    return len(a & b) / len(union) if union else 1.0


def shared_prompts(usage_by_task, n):
    """Prompts common to all tasks: the "general" prompts of the paper.

    Arguments
    ---------
    usage_by_task : dict
        Task -> ``[M]`` usage, from :func:`usage_by_task`.
    n : int
        Size of each task's top set.

    Returns
    -------
    dict
        ``"top_n"``: indices in the top-``n`` set of every task;
        ``"selected_by_all"``: indices selected at least once by every task.
        Both sorted by index.

    Example
    -------
    >>> usage = {"asr": np.array([0.5, 0.0, 1.0, 0.5]),
    ...          "caption": np.array([0.0, 1.0, 1.0, 0.1])}
    >>> shared_prompts(usage, 2)
    {'top_n': [2], 'selected_by_all': [2, 3]}
    """
    if not usage_by_task:
        return {"top_n": [], "selected_by_all": []}
    usages = list(usage_by_task.values())
    top = set.intersection(*(set(top_prompts(u, n)) for u in usages))
    used = np.all(np.stack([np.asarray(u) > 0 for u in usages]), axis=0)
    return {"top_n": sorted(int(j) for j in top), "selected_by_all": [int(j) for j in np.flatnonzero(used)]}


def jaccard_matrix(usage_by_task, n):
    """Pairwise Jaccard overlap of the tasks' top-``n`` prompt sets.

    ``J(A, B) = |A & B| / |A | B|``: 1 for identical sets, 0 for disjoint
    ones. The paper's reference uses n = N = 10.

    Arguments
    ---------
    usage_by_task : dict
        Task -> ``[M]`` usage.
    n : int
        Size of each task's top set.

    Returns
    -------
    tasks : list of str
        Row/column order.
    matrix : numpy.ndarray
        ``[T, T]`` float, symmetric, ones on the diagonal.

    Example
    -------
    >>> usage = {"asr": np.array([3, 2, 1, 0]), "sqa": np.array([0, 2, 1, 3])}
    >>> tasks, matrix = jaccard_matrix(usage, 2)
    >>> tasks, matrix.tolist()
    (['asr', 'sqa'], [[1.0, 0.3333333333333333], [0.3333333333333333, 1.0]])
    """
    tasks = list(usage_by_task)
    tops = [top_prompts(usage_by_task[task], n) for task in tasks]
    matrix = np.ones((len(tasks), len(tasks)))
    for a in range(len(tasks)):
        for b in range(a + 1, len(tasks)):
            matrix[a, b] = matrix[b, a] = _jaccard(tops[a], tops[b])
    return tasks, matrix


def usage_entropy(usage):
    """Entropy of a usage distribution, in bits and normalised.

    The usage is normalised to sum to 1 (a distribution over the pool).
    ``log2 N`` bits means N prompts used equally; ``log2 M`` means the whole
    pool used uniformly; 0 means one prompt only.

    Arguments
    ---------
    usage : array-like
        ``[M]`` non-negative usage or counts, not all zero.

    Returns
    -------
    bits : float
        Shannon entropy in bits.
    normalized : float
        ``bits / log2 M`` in ``[0, 1]`` (0 when M = 1: no choice to make).

    Example
    -------
    >>> usage_entropy([1, 1, 1, 1])
    (2.0, 1.0)
    >>> usage_entropy([0, 5, 0, 0])
    (0.0, 0.0)
    """
    usage = np.asarray(usage, dtype=float)
    if usage.ndim != 1 or usage.size == 0:
        raise ValueError("usage must be a non-empty 1-D array")
    if np.any(usage < 0) or usage.sum() <= 0:
        raise ValueError("usage must be non-negative and not all zero")
    p = usage / usage.sum()
    p = p[p > 0]
    # abs() turns the -0.0 of a one-prompt distribution into 0.0.
    bits = abs(float(-(p * np.log2(p)).sum()))
    normalized = bits / math.log2(usage.size) if usage.size > 1 else 0.0
    return bits, normalized


# ---------------------------------------------------------------------------
# Per-input agreement (the collapse signature)
# ---------------------------------------------------------------------------


def mean_pairwise_intersection(records):
    """Mean ``|A & B|`` over pairs of examples of a task, from index counts.

    With ``c_j`` = number of the task's ``n`` examples whose selected set
    contains prompt ``j``, every pair of examples sharing ``j`` contributes
    one to that pair's intersection, and ``j`` is shared by ``C(c_j, 2)``
    pairs. Summing over ``j`` and dividing by the ``C(n, 2)`` pairs::

        mean |A & B| = sum_j c_j (c_j - 1) / (n (n - 1))

    which costs O(total selections) instead of O(n^2). (Repeated indices
    within one example count once: these are sets.)

    Arguments
    ---------
    records : list of dict
        Choices with ``task`` and ``indices``.

    Returns
    -------
    dict
        Task -> float, or None for a task with fewer than two examples.

    Example
    -------
    >>> mean_pairwise_intersection([{"task": "asr", "indices": [0, 1]},
    ...                             {"task": "asr", "indices": [1, 2]},
    ...                             {"task": "asr", "indices": [1, 0]}])
    {'asr': 1.3333333333333333}
    """
    result = {}
    for task, sets in _group_by_task(records).items():
        n = len(sets)
        if n < 2:
            result[task] = None
            continue
        flat = np.fromiter((i for indices in sets for i in set(indices)), dtype=np.int64)
        c = np.bincount(flat).astype(float)
        result[task] = float((c * (c - 1)).sum() / (n * (n - 1)))
    return result


def _mean_pairwise_jaccard(sets, chunk_elements=4_000_000):
    """Exact mean Jaccard over unordered pairs of the given index sets.

    The mean Jaccard is not a function of the index counts alone: for sets
    of equal size N, ``J = I / (2N - I)`` is convex in the intersection
    ``I``, so ``f(mean I)`` (from :func:`mean_pairwise_intersection`) is only
    a lower bound (Jensen), reached when all pairs overlap equally (e.g. the
    collapse case). So this computes it exactly, but cheaply:

    * identical sets are merged with a multiplicity ``w`` (a collapsed
      selector has one unique set, so this is O(1) then);
    * the intersections of all unique pairs come from one matrix product
      ``X X^T`` of the ``[u, M]`` indicator matrix, in row chunks to bound
      memory; ``|A | B| = |A| + |B| - |A & B|``;
    * the sum over ordered pairs of examples is ``w^T J w``; removing the
      ``n`` self pairs (each Jaccard 1) and dividing by ``n (n - 1)`` gives
      the mean over pairs of distinct examples.
    """
    n = len(sets)
    if n < 2:
        return None
    unique = {}
    for indices in sets:
        key = tuple(sorted(set(indices)))
        unique[key] = unique.get(key, 0) + 1
    keys = list(unique)
    weights = np.array([unique[k] for k in keys], dtype=float)
    width = max((max(k) for k in keys if k), default=-1) + 1
    indicator = np.zeros((len(keys), max(width, 1)))
    for row, key in enumerate(keys):
        indicator[row, list(key)] = 1.0
    sizes = indicator.sum(axis=1)
    total = 0.0
    step = max(1, chunk_elements // max(len(keys), 1))
    for start in range(0, len(keys), step):
        block = slice(start, start + step)
        inter = indicator[block] @ indicator.T
        union = sizes[block, None] + sizes[None, :] - inter
        jac = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
        total += float(weights[block] @ jac @ weights)
    return (total - n) / (n * (n - 1))


def per_input_agreement(records):
    """Mean pairwise Jaccard between the selected sets of a task's examples.

    1.0 means every input of the task receives exactly the same prompts: the
    deterministic-training collapse (the pool degenerates into one soft
    prompt). Independent uniformly random sets of N of M prompts give about
    ``N / (2M - N)``; values in between measure how much the selection
    depends on the input. Computed exactly (not from the lower bound of
    :func:`mean_pairwise_intersection`), merging identical sets and using an
    indicator-matrix product, so it stays fast for thousands of examples.

    Arguments
    ---------
    records : list of dict
        Choices with ``task`` and ``indices``.

    Returns
    -------
    dict
        Task -> float in ``[0, 1]``, or None for a task with fewer than two
        examples.

    Example
    -------
    >>> per_input_agreement([{"task": "asr", "indices": [0, 1]},
    ...                      {"task": "asr", "indices": [1, 0]},
    ...                      {"task": "sqa", "indices": [0, 1]},
    ...                      {"task": "sqa", "indices": [2, 3]},
    ...                      {"task": "er", "indices": [0, 1]}])
    {'asr': 1.0, 'sqa': 0.0, 'er': None}
    """
    return {task: _mean_pairwise_jaccard(sets) for task, sets in _group_by_task(records).items()}


# ---------------------------------------------------------------------------
# Everything together
# ---------------------------------------------------------------------------


def analyze(records, pool_size, n=10):
    """Every statistic of this module as one JSON-serialisable dict.

    Arguments
    ---------
    records : list of dict
        Choices with ``task`` and ``indices`` (from :func:`load_choices`).
    pool_size : int
        M.
    n : int
        Size of the top sets (the paper uses 10).

    Returns
    -------
    dict
        ``pool_size``, ``top_n``, ``num_examples``, ``tasks`` (order);
        ``per_task``: task -> ``examples``, ``prompts_per_example``,
        ``distinct_prompts``, ``entropy_bits``, ``normalized_entropy``,
        ``top_prompts``, ``top_usage``, ``per_input_jaccard``,
        ``mean_pairwise_intersection``, ``usage`` (``[M]`` normalised) and
        ``usage_counts`` (``[M]`` raw);
        ``jaccard``: ``{"tasks", "matrix"}``;
        ``shared_prompts``: ``{"top_n", "selected_by_all"}``.
        Only Python ints, floats, strings, lists and None.

    Example
    -------
    >>> result = analyze([{"task": "asr", "indices": [0, 1]},
    ...                   {"task": "asr", "indices": [1, 2]},
    ...                   {"task": "sqa", "indices": [1, 0]}], 4, n=2)
    >>> result["per_task"]["asr"]["top_prompts"], result["per_task"]["asr"]["distinct_prompts"]
    ([1, 0], 3)
    >>> result["jaccard"]["matrix"], result["shared_prompts"]
    ([[1.0, 1.0], [1.0, 1.0]], {'top_n': [0, 1], 'selected_by_all': [0, 1]})
    """
    pool_size = _check_pool_size(pool_size)
    counts = selection_counts(records, pool_size)
    groups = _group_by_task(records)
    usage = {task: counts[task] / len(groups[task]) for task in counts}
    distinct = distinct_prompts(records)
    agreement = per_input_agreement(records)
    intersection = mean_pairwise_intersection(records)
    per_task = {}
    for task, task_usage in usage.items():
        if counts[task].sum() > 0:
            bits, normalized = usage_entropy(task_usage)
        else:  # every example of the task selected nothing
            bits, normalized = 0.0, 0.0
        top = top_prompts(task_usage, n)
        per_task[task] = {
            "examples": len(groups[task]),
            "prompts_per_example": float(counts[task].sum() / len(groups[task])),
            "distinct_prompts": int(distinct[task]),
            "entropy_bits": bits,
            "normalized_entropy": normalized,
            "top_prompts": top,
            "top_usage": [float(task_usage[j]) for j in top],
            "per_input_jaccard": agreement[task],
            "mean_pairwise_intersection": intersection[task],
            "usage": [float(u) for u in task_usage],
            "usage_counts": [int(c) for c in counts[task]],
        }
    tasks, matrix = jaccard_matrix(usage, n)
    return {
        "pool_size": pool_size,
        "top_n": int(n),
        "num_examples": len(records),
        "tasks": tasks,
        "per_task": per_task,
        "jaccard": {"tasks": tasks, "matrix": [[float(v) for v in row] for row in matrix]},
        "shared_prompts": shared_prompts(usage, n),
    }


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


def _sort_task(usage_by_task, sort_by):
    """The task whose usage orders the heat-map: ``sort_by`` or the first."""
    if not usage_by_task:
        raise ValueError("no tasks to plot")
    return sort_by if sort_by in usage_by_task else next(iter(usage_by_task))


def prompt_order(usage_by_task, sort_by="asr"):
    """Column order of the heat-map: prompts by descending usage of one task.

    Sorting every row by the same (ASR) order makes shared prompts appear as
    a block on the left for all tasks and task-specific ones as bright spots
    elsewhere. Ties are broken by index. If ``sort_by`` is not a task, the
    first task is used.

    Arguments
    ---------
    usage_by_task : dict
        Task -> ``[M]`` usage.
    sort_by : str
        Task that defines the order.

    Returns
    -------
    numpy.ndarray
        ``[M]`` permutation of the pool indices.

    Example
    -------
    >>> usage = {"caption": np.array([0.9, 0.0, 0.1]), "asr": np.array([0.2, 0.5, 0.2])}
    >>> prompt_order(usage, "asr").tolist(), prompt_order(usage, "sv").tolist()
    ([1, 0, 2], [0, 2, 1])
    """
    usage = np.asarray(usage_by_task[_sort_task(usage_by_task, sort_by)], dtype=float)
    return np.argsort(-usage, kind="stable")


def _new_figure(figsize):
    # A bare Figure with its own Agg canvas: no pyplot, no global backend
    # switch, nothing to close, safe in threads and in notebooks.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _index_ticks(ax, labels, max_ticks=25):
    """Label the x (pool) axis with the original indices, thinned when M is large."""
    step = max(1, int(math.ceil(len(labels) / max_ticks)))
    positions = np.arange(0, len(labels), step)
    ax.set_xticks(positions)
    ax.set_xticklabels([str(int(labels[p])) for p in positions], rotation=90, fontsize=7)


def plot_usage_heatmap(usage_by_task, path, sort_by="asr"):
    """Task x prompt heat-map of usage, prompts sorted by one task's usage.

    Arguments
    ---------
    usage_by_task : dict
        Task -> ``[M]`` usage (normalised).
    path : str
        PNG file to write.
    sort_by : str
        Task whose descending usage orders the columns (first task if absent).

    Returns
    -------
    numpy.ndarray
        The column order used (see :func:`prompt_order`).
    """
    tasks = list(usage_by_task)
    sort_task = _sort_task(usage_by_task, sort_by)
    order = prompt_order(usage_by_task, sort_by)
    grid = np.stack([np.asarray(usage_by_task[t], dtype=float)[order] for t in tasks])
    fig = _new_figure((max(6.0, min(16.0, 0.04 * grid.shape[1] + 4)), 1.2 + 0.5 * len(tasks)))
    ax = fig.add_subplot()
    image = ax.imshow(grid, aspect="auto", interpolation="nearest", cmap="viridis", vmin=0)
    ax.set_yticks(np.arange(len(tasks)))
    ax.set_yticklabels(tasks)
    _index_ticks(ax, order)
    ax.set_xlabel(f"prompt index (sorted by {sort_task} usage, descending)")
    ax.set_ylabel("task")
    ax.set_title("prompt usage per task (selections per example)")
    fig.colorbar(image, ax=ax, label="usage")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return order


def plot_usage_histograms(usage_by_task, path):
    """One bar chart per task: prompt index vs usage frequency.

    Arguments
    ---------
    usage_by_task : dict
        Task -> ``[M]`` usage (normalised).
    path : str
        PNG file to write.
    """
    tasks = list(usage_by_task)
    if not tasks:
        raise ValueError("no tasks to plot")
    fig = _new_figure((8.0, 1.0 + 1.8 * len(tasks)))
    axes = fig.subplots(len(tasks), 1, sharex=True, squeeze=False)[:, 0]
    for ax, task in zip(axes, tasks):
        usage = np.asarray(usage_by_task[task], dtype=float)
        ax.bar(np.arange(usage.size), usage, width=1.0, color="tab:blue")
        ax.set_ylabel("usage")
        ax.set_title(task, fontsize=9, loc="left")
        ax.set_xlim(-0.5, usage.size - 0.5)
    axes[-1].set_xlabel("prompt index")
    fig.suptitle("prompt usage frequency per task (selections per example)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_jaccard(tasks, matrix, path, title="Jaccard overlap of top-n prompt sets"):
    """Annotated task x task Jaccard matrix.

    Arguments
    ---------
    tasks : list of str
        Row/column labels.
    matrix : array-like
        ``[T, T]`` values in ``[0, 1]``.
    path : str
        PNG file to write.
    title : str
        Figure title.
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(tasks), len(tasks)):
        raise ValueError(f"matrix shape {matrix.shape} does not match {len(tasks)} tasks")
    size = 2.5 + 0.7 * len(tasks)
    fig = _new_figure((size + 1.0, size))
    ax = fig.add_subplot()
    image = ax.imshow(matrix, vmin=0.0, vmax=1.0, cmap="Blues")
    ax.set_xticks(np.arange(len(tasks)))
    ax.set_xticklabels(tasks, rotation=45, ha="right")
    ax.set_yticks(np.arange(len(tasks)))
    ax.set_yticklabels(tasks)
    for a in range(len(tasks)):
        for b in range(len(tasks)):
            value = matrix[a, b]
            # Dark cells get white text so the number stays readable.
            ax.text(
                b,
                a,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=9,
                color="white" if value > 0.6 else "black",
            )
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, label="Jaccard")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_analysis(paths, output_folder, n=10, sort_by="asr"):
    """Loads choice files, writes the JSON analysis and the three plots.

    Arguments
    ---------
    paths : str or list of str
        ``prompt_choices.json`` files (merged; same pool size).
    output_folder : str
        Created if needed; receives ``selection_analysis.json``,
        ``usage_heatmap.png``, ``usage_histograms.png`` and ``jaccard.png``.
    n : int
        Size of the top sets.
    sort_by : str
        Task that orders the heat-map columns.

    Returns
    -------
    dict
        The analysis, as written (see :func:`analyze`).
    """
    pool_size, records = load_choices(paths)
    result = analyze(records, pool_size, n)
    os.makedirs(output_folder, exist_ok=True)
    with open(os.path.join(output_folder, ANALYSIS_FILE), "w", encoding="utf-8") as fout:
        json.dump(result, fout, indent=1)
        fout.write("\n")
    usage = {task: np.asarray(stats["usage"]) for task, stats in result["per_task"].items()}
    plot_usage_heatmap(usage, os.path.join(output_folder, HEATMAP_FILE), sort_by=sort_by)
    plot_usage_histograms(usage, os.path.join(output_folder, HISTOGRAMS_FILE))
    plot_jaccard(
        result["jaccard"]["tasks"],
        result["jaccard"]["matrix"],
        os.path.join(output_folder, JACCARD_FILE),
        title=f"Jaccard overlap of top-{n} prompt sets",
    )
    return result


def format_report(result):
    """A short plain-text table of an :func:`analyze` result.

    Example
    -------
    >>> result = analyze([{"task": "asr", "indices": [0, 1]},
    ...                   {"task": "asr", "indices": [1, 0]}], 4, n=2)
    >>> print(format_report(result))  # doctest: +NORMALIZE_WHITESPACE
    prompt selection: 1 task(s), 2 examples, pool M = 4, top-2
    task examples distinct entropy(bits) norm.entropy input-J top-2
    asr         2        2          1.00         0.50    1.00 0 1
    <BLANKLINE>
    pairwise Jaccard of top-2 sets
         asr
    asr 1.00
    <BLANKLINE>
    in every task's top-2: 0 1
    selected by every task: 0 1
    (input-J: mean Jaccard between examples' selected sets; 1.00 = same prompts for every input)
    """
    n = result["top_n"]
    tasks = result["tasks"]
    width = max([4] + [len(t) for t in tasks])
    lines = [
        f"prompt selection: {len(tasks)} task(s), {result['num_examples']} examples, "
        f"pool M = {result['pool_size']}, top-{n}",
        f"{'task':<{width}} {'examples':>8} {'distinct':>8} {'entropy(bits)':>13} "
        f"{'norm.entropy':>12} {'input-J':>7} top-{n}",
    ]
    for task in tasks:
        stats = result["per_task"][task]
        agreement = stats["per_input_jaccard"]
        agreement = "-" if agreement is None else f"{agreement:.2f}"
        lines.append(
            f"{task:<{width}} {stats['examples']:>8d} {stats['distinct_prompts']:>8d} "
            f"{stats['entropy_bits']:>13.2f} {stats['normalized_entropy']:>12.2f} {agreement:>7} "
            + " ".join(str(j) for j in stats["top_prompts"])
        )
    lines += ["", f"pairwise Jaccard of top-{n} sets"]
    cell = max(width, 4)
    lines.append(" " * width + " " + " ".join(f"{t:>{cell}}" for t in tasks))
    for task, row in zip(tasks, result["jaccard"]["matrix"]):
        lines.append(f"{task:<{width}} " + " ".join(f"{v:>{cell}.2f}" for v in row))
    shared = result["shared_prompts"]
    lines += [
        "",
        f"in every task's top-{n}: " + (" ".join(map(str, shared["top_n"])) or "none"),
        "selected by every task: " + (" ".join(map(str, shared["selected_by_all"])) or "none"),
        "(input-J: mean Jaccard between examples' selected sets; 1.00 = same prompts for every input)",
    ]
    return "\n".join(lines)


def main(argv=None):
    """Command line: analyse ``prompt_choices.json`` files, print, write plots.

    Exit status 0 on success; a missing file, an empty choice list, an index
    outside the pool or mismatched pool sizes stop with a one-line error and
    status 1.
    """
    parser = argparse.ArgumentParser(
        prog="python -m speechbrain_listen.analysis.selection_analysis",
        description="Per-task prompt-selection analysis of a LiSTEN prompt pool.",
    )
    parser.add_argument("choices", nargs="+", help="prompt_choices.json files (merged)")
    parser.add_argument(
        "--output_folder",
        default=None,
        help="where to write the JSON and plots (default: the first file's folder)",
    )
    parser.add_argument("--top_n", type=int, default=10, help="size of the top sets (default 10)")
    parser.add_argument("--sort_by", default="asr", help="task that orders the heat-map (default asr)")
    args = parser.parse_args(argv)
    if args.top_n < 1:
        parser.error("--top_n must be at least 1")
    output_folder = args.output_folder or os.path.dirname(os.path.abspath(args.choices[0]))
    try:
        result = write_analysis(args.choices, output_folder, n=args.top_n, sort_by=args.sort_by)
    except (FileNotFoundError, ValueError) as err:
        print(f"selection_analysis: error: {err}", file=sys.stderr)
        raise SystemExit(1) from err
    print(format_report(result))
    print(
        f"\nwrote {os.path.join(output_folder, ANALYSIS_FILE)}, {HEATMAP_FILE}, "
        f"{HISTOGRAMS_FILE}, {JACCARD_FILE}"
    )
    return result


if __name__ == "__main__":
    main()
