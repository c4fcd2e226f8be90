"""Multitask result tables in the shape of the paper's (docs/design.md section 4).

A multitask test writes ``summary.json`` with one entry per task
(``speechbrain_listen.scoring.multitask.MultitaskScoring``). The comparison grid
(one row per adaptation method) and the prompt-count sweep (one row per N)
both show each task's headline metric side by side; this module picks those
metrics and formats the table, keeping only the tasks that were tested.

Authors
 * speechbrain-listen contributors 2026
"""

import json
import math

from speechbrain_listen.scoring.base import LOWER_IS_BETTER

# (task, metric in the task's summary, column title), in the paper's order.
HEADLINE_METRICS = (
    ("asr", "WER", "ASR WER %"),
    ("emotion", "accuracy", "ER acc %"),
    ("sv", "accuracy", "SV acc %"),
    ("captioning", "BLEU_4", "ACAP BLEU-4"),
    ("captioning", "ROUGE_L", "ACAP ROUGE-L"),
    ("captioning", "CIDEr-D", "ACAP CIDEr-D"),
    ("sqa", "ROUGE_L", "SQA ROUGE-L"),
    ("en2zh", "BLEU", "En2Zh BLEU"),
)


def read_summary(path):
    """Task -> metrics of a multitask test (its ``summary.json``'s ``tasks``)."""
    with open(path, encoding="utf-8") as fin:
        return json.load(fin)["tasks"]


def _has_metric(summary, task, metric):
    """Whether a summary holds ``metric`` of ``task``."""
    return isinstance(summary.get(task), dict) and metric in summary[task]


def headline_columns(summaries):
    """The headline metrics present in at least one summary.

    Arguments
    ---------
    summaries : list of dict
        Task -> metric -> value (extra top-level keys are ignored).

    Returns
    -------
    list of (task, metric, title)

    Example
    -------
    >>> headline_columns([{"asr": {"WER": 9.0}, "sv": {"accuracy": 80.0}}])
    [('asr', 'WER', 'ASR WER %'), ('sv', 'accuracy', 'SV acc %')]
    """
    return [
        column for column in HEADLINE_METRICS if any(_has_metric(s, column[0], column[1]) for s in summaries)
    ]


def format_value(value):
    """Two decimals; a dash when missing or not a number."""
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return f"{value:.2f}"
    return "-"


def markdown_table(rows, first_title="run"):
    """A Markdown table of headline metrics.

    Arguments
    ---------
    rows : list of (str, dict)
        Row label and that run's per-task summary.
    first_title : str
        Title of the label column.

    Returns
    -------
    str

    Example
    -------
    >>> print(markdown_table([("lora", {"asr": {"WER": 8.4}, "sv": {"accuracy": 89.15}})]))
    | run | ASR WER % | SV acc % |
    |---|---|---|
    | lora | 8.40 | 89.15 |
    """
    columns = headline_columns([summary for _, summary in rows])
    lines = [
        "| " + " | ".join([first_title] + [title for _, _, title in columns]) + " |",
        "|" + "---|" * (len(columns) + 1),
    ]
    for label, summary in rows:
        cells = [format_value(summary.get(task, {}).get(metric)) for task, metric, _ in columns]
        lines.append("| " + " | ".join([str(label)] + cells) + " |")
    return "\n".join(lines)


def sweep_row_label(count, default_count):
    """A prompt-count sweep's row label; the model's own N is marked.

    Example
    -------
    >>> sweep_row_label(16, 16), sweep_row_label(1, 16)
    ('N = 16 (default)', 'N = 1')
    """
    return f"N = {count}" + (" (default)" if count == default_count else "")


def _by_count(sweep):
    """``{N: summary}`` with int keys (JSON has turned them into strings)."""
    return {int(count): summary for count, summary in sweep.items()}


def headline_values(summary):
    """``{column title: value}`` of one summary (JSON tables)."""
    return {
        title: summary[task][metric]
        for task, metric, title in HEADLINE_METRICS
        if _has_metric(summary, task, metric)
    }


def prompt_count_divergence(deterministic, stochastic, reference_count, tolerance=5.0):
    """The inference N at which deterministic training falls behind stochastic.

    The paper's claim (docs/design.md section 4): a pool trained with a fixed N
    collapses when inference uses fewer prompts, one trained with random N
    does not. Each model is measured against itself at ``reference_count``
    (its default N), so that a generally better model does not count as
    "diverged": at every N, the *degradation* of each model is its change
    from its own reference value, signed so that positive is worse; the two
    have diverged at N when the deterministic model's degradation exceeds
    the stochastic one's by more than ``tolerance`` (metric points).

    Arguments
    ---------
    deterministic, stochastic : dict
        ``{N: per-task summary}`` of the two prompt-count sweeps (the
        ``results`` of ``prompt_count_sweep.json``; keys int or str).
    reference_count : int
        The N both models are compared from (their default N).
    tolerance : float
        Points of extra degradation that count as a divergence.

    Returns
    -------
    dict
        Column title -> the largest N below ``reference_count`` at which
        the models have diverged, or None if they never do; only columns
        both sweeps hold at ``reference_count``.

    Example
    -------
    >>> deterministic = {1: {"asr": {"WER": 60.0}}, 4: {"asr": {"WER": 20.0}},
    ...                  8: {"asr": {"WER": 11.0}}, 16: {"asr": {"WER": 10.0}}}
    >>> stochastic = {1: {"asr": {"WER": 14.0}}, 4: {"asr": {"WER": 13.0}},
    ...               8: {"asr": {"WER": 12.0}}, 16: {"asr": {"WER": 12.0}}}
    >>> prompt_count_divergence(deterministic, stochastic, 16)
    {'ASR WER %': 4}
    """
    deterministic, stochastic = _by_count(deterministic), _by_count(stochastic)
    shared = sorted(set(deterministic) & set(stochastic))
    if reference_count not in shared:
        raise ValueError(f"both sweeps need N = {reference_count} (they share {shared})")
    references = (deterministic[reference_count], stochastic[reference_count])
    divergence = {}
    for task, metric, title in HEADLINE_METRICS:
        if not all(_has_metric(s, task, metric) for s in references):
            continue
        sign = 1.0 if metric in LOWER_IS_BETTER else -1.0

        def degradation(sweep, count, sign=sign, task=task, metric=metric):
            return sign * (sweep[count][task][metric] - sweep[reference_count][task][metric])

        diverged = [
            count
            for count in shared
            if count < reference_count
            and all(_has_metric(s[count], task, metric) for s in (deterministic, stochastic))
            and degradation(deterministic, count) - degradation(stochastic, count) > tolerance
        ]
        divergence[title] = max(diverged) if diverged else None
    return divergence


def sweep_comparison_table(deterministic, stochastic, reference_count):
    """Side-by-side Markdown of two prompt-count sweeps (one row per N).

    Example
    -------
    >>> print(sweep_comparison_table({1: {"sv": {"accuracy": 60.0}}, 2: {"sv": {"accuracy": 80.0}}},
    ...                              {1: {"sv": {"accuracy": 78.0}}, 2: {"sv": {"accuracy": 79.0}}}, 2))
    | inference N | SV acc % (deterministic) | SV acc % (stochastic) |
    |---|---|---|
    | N = 1 | 60.00 | 78.00 |
    | N = 2 (default) | 80.00 | 79.00 |
    """
    deterministic, stochastic = _by_count(deterministic), _by_count(stochastic)
    counts = sorted(set(deterministic) & set(stochastic))
    columns = headline_columns([deterministic[n] for n in counts] + [stochastic[n] for n in counts])
    titles = [f"{title} ({kind})" for _, _, title in columns for kind in ("deterministic", "stochastic")]
    lines = ["| " + " | ".join(["inference N"] + titles) + " |", "|" + "---|" * (len(titles) + 1)]
    for count in counts:
        cells = [
            format_value(sweep[count].get(task, {}).get(metric))
            for task, metric, _ in columns
            for sweep in (deterministic, stochastic)
        ]
        lines.append("| " + " | ".join([sweep_row_label(count, reference_count)] + cells) + " |")
    return "\n".join(lines)
