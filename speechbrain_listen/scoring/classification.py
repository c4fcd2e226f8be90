"""One-word answers scored as a classification (emotion, speaker verification).

Answers are parsed into labels by ``speechbrain_listen.tasks.answers`` (the
first class word or synonym of the normalised answer; ``"unparsed"`` when
there is none); :class:`ParsedAnswerStats` counts them against the
references, and :class:`ClassificationScoring` is the scoring object of
such a task (:func:`emotion_scoring`, :func:`verification_scoring`).

Authors
 * speechbrain-listen contributors 2026
"""

import csv
import json
import math

from speechbrain.utils.metric_stats import MetricStats

from speechbrain_listen.scoring.base import TaskScoring, summary_path
from speechbrain_listen.tasks.answers import (
    EMOTION_CLASSES,
    EMOTION_SYNONYMS,
    UNPARSED,
    VERIFICATION_CLASSES,
    VERIFICATION_SYNONYMS,
    AnswerParser,
)


class ParsedAnswerStats(MetricStats):
    """Accuracy, recall and confusions of answers parsed into classes.

    Not SpeechBrain's ``ClassificationStats``, which compares class labels:
    here the predictions are free-text answers, parsed by an
    :class:`~speechbrain_listen.tasks.answers.AnswerParser`, and an answer
    that names no class is counted apart (``"unparsed"``).

    Arguments
    ---------
    parser : speechbrain_listen.tasks.answers.AnswerParser
        The classes, and how an answer names one.

    Example
    -------
    >>> stats = ParsedAnswerStats(AnswerParser(("yes", "no"), {"yeah": "yes"}))
    >>> stats.append(["a", "b", "c"], ["Yeah.", "No", "maybe"], ["yes", "yes", "no"])
    >>> s = stats.summarize()
    >>> round(s["accuracy"], 2), s["UAR"], s["unparsed"]
    (33.33, 25.0, 1)
    >>> [score["parsed"] for score in stats.scores]
    ['yes', 'no', 'unparsed']
    """

    def __init__(self, parser):
        self.parser = parser
        self.clear()

    def clear(self):
        """Forgets every example."""
        self.ids = []
        self.scores = []
        self.summary = {}

    def append(self, ids, predictions, targets):
        """Adds examples.

        Arguments
        ---------
        ids : list of str
            Example ids.
        predictions : list of str
            Decoded answers.
        targets : list of str
            Reference labels.
        """
        if not len(ids) == len(predictions) == len(targets):
            raise ValueError(f"{len(ids)} ids, {len(predictions)} predictions and {len(targets)} targets")
        for uid, hyp, ref in zip(ids, predictions, targets):
            reference = self.parser.reference_label(ref)
            parsed = self.parser.parse(hyp)
            self.ids.append(uid)
            self.scores.append(
                {
                    "ID": uid,
                    "reference": reference,
                    "hypothesis": str(hyp),
                    "parsed": parsed,
                    "correct": parsed == reference,
                }
            )

    def summarize(self, field=None):
        """Accuracy, per-class recall, UAR, unparsed count and confusions.

        UAR (unweighted average recall) is the mean recall over the classes
        that occur among the references, the usual IEMOCAP "unweighted
        accuracy"; a class without references has recall None and is left
        out of it.

        Arguments
        ---------
        field : str, optional
            One key of the summary; all when omitted.

        Returns
        -------
        dict or value
            ``accuracy`` and ``UAR`` (percent), ``recall`` (class ->
            percent or None), ``unparsed``, ``examples`` and ``confusion``
            (reference class -> parsed label -> count, ``"unparsed"``
            included).
        """
        classes = self.parser.classes
        columns = classes + (UNPARSED,)
        confusion = {ref: {label: 0 for label in columns} for ref in classes}
        for score in self.scores:
            confusion[score["reference"]][score["parsed"]] += 1
        recall = {}
        for label in classes:
            total = sum(confusion[label].values())
            recall[label] = 100.0 * confusion[label][label] / total if total else None
        present = [value for value in recall.values() if value is not None]
        examples = len(self.scores)
        correct = sum(score["correct"] for score in self.scores)
        self.summary = {
            "accuracy": 100.0 * correct / examples if examples else math.nan,
            "UAR": sum(present) / len(present) if present else math.nan,
            "recall": recall,
            UNPARSED: sum(score["parsed"] == UNPARSED for score in self.scores),
            "examples": examples,
            "confusion": confusion,
        }
        return self.summary if field is None else self.summary[field]

    def write_stats(self, filestream, verbose=False):
        """Writes the summary, then one line per example.

        Arguments
        ---------
        filestream : file-like
            Text stream to write to.
        verbose : bool
            Also print the summary.
        """
        summary = self.summarize()
        header = (
            f"accuracy {summary['accuracy']:.2f}  UAR {summary['UAR']:.2f}  "
            f"unparsed {summary[UNPARSED]} of {summary['examples']}"
        )
        filestream.write(header + "\n" + "=" * 80 + "\n")
        if verbose:
            print(header)
        for score in self.scores:
            mark = "ok" if score["correct"] else "WRONG"
            filestream.write(
                f"{score['ID']}: {mark} ref={score['reference']} parsed={score['parsed']} "
                f"hyp={score['hypothesis']!r}\n"
            )

    def write_csv(self, path):
        """Per-example CSV: ``ID, reference, hypothesis, parsed, correct``.

        Arguments
        ---------
        path : str
            Output file.
        """
        with open(path, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["ID", "reference", "hypothesis", "parsed", "correct"])
            for s in self.scores:
                writer.writerow([s["ID"], s["reference"], s["hypothesis"], s["parsed"], int(s["correct"])])


class ClassificationScoring(TaskScoring):
    """How ``ListenBrain`` scores a one-word answer task (emotion, yes/no).

    Answers are parsed by ``self.parser`` (an
    :class:`~speechbrain_listen.tasks.answers.AnswerParser`, the one
    inference uses too); ``batch.target`` holds the reference class. Test
    outputs (``output_file``
    is e.g. ``predictions_<split>.csv``): the per-example CSV (``ID,
    reference, hypothesis, parsed, correct``) and
    ``predictions_<split>_summary.json`` (accuracy, UAR, per-class recall,
    unparsed count, confusion counts). The best checkpoint maximises
    accuracy.

    Arguments
    ---------
    classes : sequence of str
        The class names.
    synonyms : dict, optional
        Word -> class name (another word for a class).
    name : str
        Key of the accuracy in ``summarize()``, and ``selection_metric``.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> import speechbrain as sb
    >>> scoring = emotion_scoring()
    >>> scoring.start(sb.Stage.TEST)
    >>> scoring.append(
    ...     ["e1", "e2", "e3"],
    ...     ["Happy.", "The speaker sounds excited", "Hmm"],
    ...     SimpleNamespace(target=["happy", "happy", "sad"]),
    ... )
    >>> summary = scoring.summarize()
    >>> round(summary["accuracy"], 2), summary["UAR"], summary["unparsed"]
    (66.67, 50.0, 1)
    >>> scoring.selection_metric, scoring.higher_is_better
    ('accuracy', True)
    """

    output_hparam = "test_predictions_file"
    default_file_name = "predictions.csv"
    higher_is_better = True

    def __init__(self, classes, synonyms=None, name="accuracy"):
        self.classes = tuple(classes)
        self.synonyms = dict(synonyms or {})
        self.name = name
        self.selection_metric = name
        # Built once: a bad class list fails when the hparams load, not at
        # the first validation.
        self.parser = AnswerParser(self.classes, self.synonyms)
        self.stats = ParsedAnswerStats(self.parser)

    def start(self, stage):
        """Fresh statistics (the same for VALID and TEST).

        Arguments
        ---------
        stage : speechbrain.Stage
            The stage starting.
        """
        self.stats = ParsedAnswerStats(self.parser)

    def append(self, ids, hyps, batch):
        """Scores answers against ``batch.target``."""
        self.stats.append(ids, hyps, batch.target)

    def has_scores(self):
        """Whether anything was decoded in this stage."""
        return len(self.stats.scores) > 0

    def summarize(self):
        """``{name: accuracy, "UAR": ..., "unparsed": count}`` for the log."""
        summary = self.stats.summarize()
        return {self.name: summary["accuracy"], "UAR": summary["UAR"], UNPARSED: summary[UNPARSED]}

    def selection_value(self):
        """Accuracy, or -inf when nothing was decoded."""
        return self.stats.summarize("accuracy") if self.has_scores() else self.worst_value()

    def write(self, output_file, info):
        """Per-example CSV and its JSON summary.

        Arguments
        ---------
        output_file : str
            ``.../predictions_<split>.csv``.
        info : dict
            Extra summary fields (epoch, beams).
        """
        self.stats.write_csv(output_file)
        summary = self.stats.summarize()
        with open(summary_path(output_file), "w", encoding="utf-8") as out:
            json.dump(
                {
                    self.name: summary["accuracy"],
                    **{key: value for key, value in summary.items() if key != "accuracy"},
                    "classes": list(self.parser.classes),
                    "synonyms": self.parser.synonyms,
                    "parsing": "first word of the normalised answer that is a class or a synonym",
                    **info,
                },
                out,
                indent=2,
            )


def emotion_scoring():
    """IEMOCAP 4-class emotion accuracy (neutral, happy, angry, sad).

    Returns
    -------
    ClassificationScoring

    Example
    -------
    >>> emotion_scoring().parser.parse("I think the speaker sounds excited.")
    'happy'
    """
    return ClassificationScoring(EMOTION_CLASSES, EMOTION_SYNONYMS)


def verification_scoring():
    """Speaker-verification accuracy of yes/no answers.

    Returns
    -------
    ClassificationScoring

    Example
    -------
    >>> verification_scoring().parser.classes
    ('yes', 'no')
    """
    return ClassificationScoring(VERIFICATION_CLASSES, VERIFICATION_SYNONYMS)
