"""How often each task is seen in multitask training.

The reference trains on the concatenation of every task's training set, so a
task is seen in proportion to its size (``proportional``, the paper's
setting; 28k LibriSpeech hours next to a few thousand IEMOCAP clips). Two
options re-weight the draw so that small tasks are not drowned:

* ``balanced``: every task equally often, p_t = 1 / K;
* ``temperature``: p_t proportional to n_t ** (1 / T); T = 1 is
  proportional, large T tends to balanced (the usual multilingual recipe).

Re-weighted epochs draw ``len(dataset)`` examples with replacement through
SpeechBrain's ``ReproducibleWeightedRandomSampler`` (seeded per epoch, so a
resumed run draws the same examples; DDP wraps it like any sampler).

Authors
 * speechbrain-listen contributors 2026
"""

import collections

from speechbrain.dataio.sampler import ReproducibleWeightedRandomSampler

SAMPLING = ("proportional", "balanced", "temperature")


def task_probabilities(task_sizes, sampling="proportional", temperature=1.0):
    """The probability of drawing each task.

    Arguments
    ---------
    task_sizes : dict
        Task -> number of training examples.
    sampling : str
        One of :data:`SAMPLING`.
    temperature : float
        T of ``temperature`` sampling (> 0).

    Returns
    -------
    dict
        Task -> probability (sums to 1).

    Example
    -------
    >>> sizes = {"asr": 900, "sv": 100}
    >>> task_probabilities(sizes)
    {'asr': 0.9, 'sv': 0.1}
    >>> task_probabilities(sizes, "balanced")
    {'asr': 0.5, 'sv': 0.5}
    >>> {t: round(p, 3) for t, p in task_probabilities(sizes, "temperature", 2.0).items()}
    {'asr': 0.75, 'sv': 0.25}
    """
    if sampling not in SAMPLING:
        raise ValueError(f"unknown task sampling {sampling!r}: choose one of {', '.join(SAMPLING)}")
    if sampling == "temperature" and not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    sizes = {task: n for task, n in task_sizes.items() if n > 0}
    if not sizes:
        raise ValueError("no task has training examples")
    if sampling == "balanced":
        weights = {task: 1.0 for task in sizes}
    elif sampling == "temperature":
        weights = {task: n ** (1.0 / temperature) for task, n in sizes.items()}
    else:
        weights = {task: float(n) for task, n in sizes.items()}
    total = sum(weights.values())
    return {task: weight / total for task, weight in weights.items()}


def example_weights(example_tasks, sampling="proportional", temperature=1.0):
    """Per-example draw weights that give each task its probability.

    Arguments
    ---------
    example_tasks : list of str
        The task of each training example, in dataset order.
    sampling, temperature
        As in :func:`task_probabilities`.

    Returns
    -------
    list of float
        ``p_task / n_task`` per example.

    Example
    -------
    >>> example_weights(["asr", "asr", "asr", "sv"], "balanced")
    [0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.5]
    """
    sizes = collections.Counter(example_tasks)
    probabilities = task_probabilities(sizes, sampling, temperature)
    return [probabilities[task] / sizes[task] for task in example_tasks]


def task_sampler(example_tasks, sampling="proportional", temperature=1.0, seed=0):
    """A training sampler for the chosen task mix, or None for the plain
    shuffled concatenation (``proportional``).

    Example
    -------
    >>> sampler = task_sampler(["asr"] * 9 + ["sv"], "balanced", seed=3)
    >>> draws = list(sampler)
    >>> len(draws), sum(index == 9 for index in draws) > 1
    (10, True)
    >>> task_sampler(["asr", "sv"]) is None
    True
    """
    if sampling == "proportional":
        task_probabilities(collections.Counter(example_tasks))  # same checks
        return None
    weights = example_weights(example_tasks, sampling, temperature)
    return ReproducibleWeightedRandomSampler(weights, num_samples=len(weights), replacement=True, seed=seed)
