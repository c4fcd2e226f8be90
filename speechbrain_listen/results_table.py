"""Multitask result tables in the shape of the paper's (DESIGN.md section 4).

A multitask test writes ``summary.json`` with one entry per task
(``speechbrain_listen.task_scoring.MultitaskScoring``). The comparison grid
(one row per adaptation method) and the prompt-count sweep (one row per N)
both show each task's headline metric side by side; this module picks those
metrics and formats the table, keeping only the tasks that were tested.

Authors
 * speechbrain-listen contributors 2026
"""

import json
import math

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
        column
        for column in HEADLINE_METRICS
        if any(_has_metric(s, column[0], column[1]) for s in summaries)
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


def headline_values(summary):
    """``{column title: value}`` of one summary (JSON tables)."""
    return {
        title: summary[task][metric]
        for task, metric, title in HEADLINE_METRICS
        if _has_metric(summary, task, metric)
    }
