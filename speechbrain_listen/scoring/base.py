"""The scoring protocol: how ``ListenBrain`` scores what it decodes.

On VALID and TEST, ``ListenBrain`` (``speechbrain_listen.training.brain``)
hands every decoded batch to one *scoring object*, the recipe's hparams
``scoring``. :class:`TaskScoring` is the protocol every scoring object of
this package follows; each task's module subclasses it (``transcription``,
``captioning``, ``classification``, ``translation``, ``multitask``).

A scoring object is not a SpeechBrain ``MetricStats``; it *holds* them.
A ``MetricStats`` (``ErrorRateStats``, ``CaptioningStats``,
``ParsedAnswerStats``, ...) computes one family of metrics from
``append(ids, predictions, targets)``. The scoring object adds what a
training run needs around them:

* the batch layout: which batch field is the reference (``batch.target``,
  ``batch.references``) and how hypotheses are prepared for the metric;
* the stage: ``start(stage)`` makes fresh statistics, possibly different
  ones for VALID and TEST (e.g. no SPICE in validation);
* checkpoint selection: ``selection_metric``, ``higher_is_better`` and
  ``selection_value()``;
* the test files: ``write(output_file, info)``, where ``output_file`` is the
  hparam named by ``output_hparam``, which the recipe sets before each test
  split, and a ``<stem>_summary.json`` (:func:`summary_path`) beside it.

Authors
 * speechbrain-listen contributors 2026
"""

import abc
import math
import os

from speechbrain_listen.tasks.answers import UNPARSED

#: Metric names for which lower is better (anything else: higher).
LOWER_IS_BETTER = frozenset({"WER", "CER", "loss", UNPARSED})


def summary_path(output_file):
    """``<stem>_summary.json`` beside ``output_file``, as every scorer writes.

    Arguments
    ---------
    output_file : str
        A test output file (``.../wer_test-clean.txt``).

    Returns
    -------
    str

    Example
    -------
    >>> summary_path("results/wer_test-clean.txt")
    'results/wer_test-clean_summary.json'
    """
    return os.path.splitext(output_file)[0] + "_summary.json"


class TaskScoring(abc.ABC):
    """Scores one task's decoded answers for ``ListenBrain`` (the protocol).

    The Brain calls ``start(stage)`` when a VALID or TEST stage starts,
    ``append(ids, hyps, batch)`` for every decoded batch, then
    ``has_scores()`` and ``summarize()`` for the log, ``selection_value()``
    when it saves a checkpoint (VALID) and ``write(output_file, info)``
    once a test split is done (TEST, main process only).

    Class attributes every subclass sets:

    * ``selection_metric``: the key of ``summarize()`` stored in the
      checkpoint meta to pick the best checkpoint; ``"loss"`` means the
      validation loss (the Brain stores it itself);
    * ``higher_is_better``: the direction of ``selection_metric``;
    * ``output_hparam``: the name of the hparam holding each test split's
      output file (``test_wer_file``, ``test_captions_file``, ...);
    * ``default_file_name``: that file's name inside a multitask results
      folder (``wer.txt``), None when the scorer writes a folder itself;
    * ``task``: the task name given to the prompt choices of a batch that
      has no ``task`` field.

    Example
    -------
    >>> class LengthScoring(TaskScoring):
    ...     '''Mean answer length in characters (a toy task).'''
    ...     selection_metric, higher_is_better = "length", False
    ...     output_hparam, default_file_name = "test_length_file", "length.txt"
    ...     def start(self, stage):
    ...         self.lengths = []
    ...     def append(self, ids, hyps, batch):
    ...         self.lengths.extend(len(h) for h in hyps)
    ...     def has_scores(self):
    ...         return bool(self.lengths)
    ...     def summarize(self):
    ...         return {"length": sum(self.lengths) / len(self.lengths)}
    ...     def selection_value(self):
    ...         return self.summarize()["length"] if self.has_scores() else self.worst_value()
    ...     def write(self, output_file, info):
    ...         pass
    >>> scoring = LengthScoring()
    >>> scoring.start("valid")
    >>> scoring.selection_value()  # nothing decoded: the worst possible value
    inf
    >>> scoring.append(["a", "b"], ["yes", "no"], batch=None)
    >>> scoring.summarize(), scoring.task
    ({'length': 2.5}, 'default')
    """

    selection_metric = None
    higher_is_better = True
    output_hparam = None
    default_file_name = None
    task = "default"

    @abc.abstractmethod
    def start(self, stage):
        """Forgets everything: a VALID or TEST stage starts.

        Arguments
        ---------
        stage : speechbrain.Stage
            The stage starting (a scorer may compute other metrics on TEST).
        """

    @abc.abstractmethod
    def append(self, ids, hyps, batch):
        """Scores one decoded batch.

        Arguments
        ---------
        ids : list of str
            Example ids.
        hyps : list of str
            The decoded answers, one per id.
        batch : speechbrain.dataio.batch.PaddedBatch or namespace
            The batch, holding the references (``target``, ``references``).
        """

    @abc.abstractmethod
    def has_scores(self):
        """Whether anything was appended since ``start``.

        Returns
        -------
        bool
        """

    @abc.abstractmethod
    def summarize(self):
        """The stage's metrics for the train log.

        Returns
        -------
        dict
            Metric name -> value; holds ``selection_metric`` (unless it is
            ``"loss"``).
        """

    @abc.abstractmethod
    def selection_value(self):
        """The value of ``selection_metric`` for the checkpoint meta.

        Returns
        -------
        float
            :meth:`worst_value` when nothing was decoded.
        """

    @abc.abstractmethod
    def write(self, output_file, info):
        """Writes a test split's per-example file(s) and their summary.

        Arguments
        ---------
        output_file : str
            The value of the ``output_hparam`` hparam.
        info : dict
            Fields added to the summary (epoch, beams).
        """

    def worst_value(self):
        """-inf when higher is better, +inf otherwise: never selected."""
        return -math.inf if self.higher_is_better else math.inf
