"""Scoring a mixed-task stage: one scoring object per task.

The multitask recipe validates and tests on a mix of tasks; every batch is
split by ``batch.task`` and each task's rows are scored by that task's own
scoring object (``asr``: ``TranscriptionScoring``, ``captioning`` and
``sqa``: ``CaptioningScoring``, ``emotion`` and ``sv``:
``ClassificationScoring``, ``en2zh``: ``TranslationScoring``).

Checkpoint selection: a mixed validation set has no single natural metric
(WER falls, accuracy rises, and their sizes differ). With
``MultitaskScoring(selection="loss")`` the checkpoint with the lowest
validation loss is kept: ``selection_metric`` is ``"loss"``,
``higher_is_better`` is False and ``selection_value()`` is NaN, meaning
"use the stage loss"; the brain stores the validation loss under the key
``"loss"``. ``selection="asr WER"`` (any ``"<task> <metric>"`` of the
flat ``summarize()`` keys) selects by one task's metric instead, lower
being better for error rates (WER, CER) and higher for everything else.

Authors
 * speechbrain-listen contributors 2026
"""

import collections
import json
import math
import os
import types

from speechbrain_listen.scoring.base import LOWER_IS_BETTER, TaskScoring, summary_path

#: File name of each kind of scoring object inside a multitask results
#: folder (``<task>_<name>``), by its ``output_hparam``: the fallback for a
#: scoring object without a ``default_file_name`` (one that does not
#: subclass ``TaskScoring``).
DEFAULT_FILE_NAMES = {
    "test_wer_file": "wer.txt",
    "test_captions_file": "captions.csv",
    "test_predictions_file": "predictions.csv",
    "test_translations_file": "translations.csv",
}


class MultitaskScoring(TaskScoring):
    """Scores a mixed-task stage with one scoring object per task.

    Each batch is split by ``batch.task``; every task's rows go to that
    task's scorer as a sub-batch (``types.SimpleNamespace`` with ``id`` and
    every per-row list field of the batch: ``task``, ``target``,
    ``references``, ``question``, ...; tensors such as the padded audio are
    not carried, no scorer reads them).

    ``summarize()`` is flat, ``"<task> <metric>"`` (``"asr WER"``, ``"sv
    accuracy"``, ``"captioning CIDEr-D"``), for the tasks scored so far.

    Checkpoint selection (see the module docstring): ``selection="loss"``
    gives ``selection_metric = "loss"``, ``higher_is_better = False`` and a
    NaN ``selection_value()``: the brain must select by the validation loss
    itself. ``selection="<task> <metric>"`` selects by that entry of
    ``summarize()``; lower is better for WER, CER and ``unparsed`` (or as
    the task's scorer says for its own selection metric), higher otherwise.
    A stage in which the task was not decoded gives the worst value (+inf or
    -inf).

    Test outputs: ``output_file`` is a *folder* (hparam
    ``test_results_folder``, e.g. ``results/x/test_multitask``) holding each
    scored task's files, ``<task>_<file name>`` (``asr_wer.txt`` and
    ``asr_wer_summary.json``, ``captioning_captions.csv``,
    ``sqa_captions.csv``, ``emotion_predictions.csv``,
    ``sv_predictions.csv``, ``en2zh_translations.csv``, each with its
    ``_summary.json``), and ``summary.json``: ``{"tasks": {task: that
    task's summary}, "tasks_without_scores": [...], "selection": ...,
    **info}``.

    Arguments
    ---------
    scorers : dict
        Task name -> scoring object.
    selection : str
        ``"loss"``, or ``"<task> <metric>"``.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> import speechbrain as sb
    >>> from speechbrain_listen.scoring.classification import emotion_scoring, verification_scoring
    >>> scoring = MultitaskScoring({"sv": verification_scoring(), "emotion": emotion_scoring()})
    >>> scoring.start(sb.Stage.VALID)
    >>> batch = SimpleNamespace(
    ...     id=["s1", "e1", "s2"], task=["sv", "emotion", "sv"], target=["yes", "sad", "no"]
    ... )
    >>> scoring.append(batch.id, ["Yes.", "Sad", "Yes"], batch)
    >>> scoring.summarize()["sv accuracy"], scoring.summarize()["emotion accuracy"]
    (50.0, 100.0)
    >>> scoring.selection_metric, scoring.higher_is_better, scoring.selection_value()
    ('loss', False, nan)
    """

    output_hparam = "test_results_folder"

    def __init__(self, scorers, selection="loss"):
        if not scorers:
            raise ValueError("MultitaskScoring needs at least one task scorer")
        self.scorers = dict(scorers)
        for task in self.scorers:
            if " " in task:
                raise ValueError(f"task name {task!r} must not contain spaces (keys are '<task> <metric>')")
            # Fails now, not after a whole test run, for a scorer whose
            # files would have no name.
            self.file_name(task)
        self.selection = selection
        if selection == "loss":
            self.selection_task, self.selection_name = None, "loss"
            self.selection_metric = "loss"
            self.higher_is_better = False
        else:
            task, _, metric = selection.partition(" ")
            if task not in self.scorers or not metric:
                raise ValueError(
                    f"selection {selection!r} must be 'loss' or '<task> <metric>' "
                    f"with a task among {list(self.scorers)}"
                )
            scorer = self.scorers[task]
            self.selection_task, self.selection_name = task, metric
            self.selection_metric = selection
            if metric == getattr(scorer, "selection_metric", None):
                self.higher_is_better = bool(scorer.higher_is_better)
            else:
                self.higher_is_better = metric not in LOWER_IS_BETTER

    def file_name(self, task):
        """``<task>_<the scorer's default file name>``.

        Raises
        ------
        ValueError
            For a scorer without ``default_file_name`` whose
            ``output_hparam`` is not in :data:`DEFAULT_FILE_NAMES`.
        """
        scorer = self.scorers[task]
        name = getattr(scorer, "default_file_name", None)
        if name is None:
            name = DEFAULT_FILE_NAMES.get(getattr(scorer, "output_hparam", None))
        if name is None:
            raise ValueError(
                f"no output file name for the {task!r} scorer ({type(scorer).__name__}): "
                "give it a default_file_name attribute"
            )
        return f"{task}_{name}"

    def start(self, stage):
        """Starts every task's scorer.

        Arguments
        ---------
        stage : speechbrain.Stage
            The stage starting.
        """
        for scorer in self.scorers.values():
            scorer.start(stage)

    def append(self, ids, hyps, batch):
        """Splits the batch by ``batch.task`` and forwards each task's rows.

        Raises
        ------
        KeyError
            When the batch holds a task without a scorer (nothing of the
            batch is appended then).
        """
        tasks = list(batch.task)
        if not len(ids) == len(hyps) == len(tasks):
            raise ValueError(f"{len(ids)} ids, {len(hyps)} hypotheses and {len(tasks)} tasks")
        missing = sorted(set(tasks) - set(self.scorers))
        if missing:
            raise KeyError(
                f"batch has task(s) {missing} without a scorer; scorers exist for {list(self.scorers)}"
            )
        rows_of = collections.defaultdict(list)
        for row, task in enumerate(tasks):
            rows_of[task].append(row)
        fields = {
            name: value
            for name, value in vars(batch).items()
            if not name.startswith("_") and isinstance(value, (list, tuple)) and len(value) == len(tasks)
        }
        for task, rows in rows_of.items():
            sub = types.SimpleNamespace(**{name: [value[r] for r in rows] for name, value in fields.items()})
            sub.id = [ids[r] for r in rows]
            self.scorers[task].append(sub.id, [hyps[r] for r in rows], sub)

    def has_scores(self):
        """Whether any task was decoded in this stage."""
        return any(scorer.has_scores() for scorer in self.scorers.values())

    def summarize(self):
        """``{"<task> <metric>": value}`` over the tasks with scores."""
        return {
            f"{task} {name}": value
            for task, scorer in self.scorers.items()
            if scorer.has_scores()
            for name, value in scorer.summarize().items()
        }

    def selection_value(self):
        """The selection metric's value: NaN for ``"loss"`` (the brain uses
        the stage loss), the worst value when the task has no scores or the
        metric is unavailable (e.g. SPICE without its jars)."""
        if self.selection_task is None:
            return math.nan
        worst = self.worst_value()
        scorer = self.scorers[self.selection_task]
        if not scorer.has_scores():
            return worst
        summary = scorer.summarize()
        if self.selection_name not in summary:
            raise KeyError(
                f"selection {self.selection!r}: the {self.selection_task!r} scorer reports "
                f"{list(summary)}, not {self.selection_name!r}"
            )
        value = summary[self.selection_name]
        if not isinstance(value, (int, float)) or math.isnan(value):
            return worst
        return float(value)

    def write(self, output_file, info):
        """Every scored task's files, and ``summary.json``, in one folder.

        Arguments
        ---------
        output_file : str
            The results folder (created if needed).
        info : dict
            Extra summary fields (epoch, beams), also given to each task.
        """
        os.makedirs(output_file, exist_ok=True)
        tasks, without = {}, []
        for task, scorer in self.scorers.items():
            if not scorer.has_scores():
                without.append(task)
                continue
            name = self.file_name(task)
            path = os.path.join(output_file, name)
            scorer.write(path, info)
            # Nest what the task's scorer itself wrote (counts, signature,
            # unavailable metrics), not only the log's short summary.
            if os.path.isfile(summary_path(path)):
                with open(summary_path(path), encoding="utf-8") as fin:
                    summary = json.load(fin)
                summary = {k: v for k, v in summary.items() if k not in info or info[k] != v}
            else:
                summary = scorer.summarize()
            tasks[task] = {"output_file": name, **summary}
        with open(os.path.join(output_file, "summary.json"), "w", encoding="utf-8") as out:
            json.dump(
                {"tasks": tasks, "tasks_without_scores": without, "selection": self.selection, **info},
                out,
                indent=2,
                ensure_ascii=False,
            )
