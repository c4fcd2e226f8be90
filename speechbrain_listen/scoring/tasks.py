"""Scoring objects for the other LiSTEN tasks, and for all tasks at once.

``ListenBrain`` (``brain.py``) scores decoded answers through a *scoring
object*: ``start(stage)``, ``append(ids, hyps, batch)``, ``has_scores()``,
``summarize()``, ``selection_value()``, ``write(output_file, info)`` and the
attributes ``selection_metric``, ``higher_is_better`` and ``output_hparam``.
ASR uses ``brain.TranscriptionScoring`` and audio captioning
``captioning_metrics.CaptioningScoring``; this module adds the rest of the
tasks of docs/design.md section 2:

=================  ============================  ==========================
task               scoring object                metrics
=================  ============================  ==========================
emotion (IEMOCAP)  :func:`emotion_scoring`       accuracy, UAR, unparsed
speaker verif.     :func:`verification_scoring`  accuracy, UAR, unparsed
SQA (LibriSQA)     :func:`answer_scoring`        COCO BLEU_1..4, ROUGE_L
En->Zh (CoVoST 2)  :class:`TranslationScoring`   sacreBLEU (``zh``), CER
every task         :class:`MultitaskScoring`     ``"<task> <metric>"``
=================  ============================  ==========================

One-word answers (emotion, yes/no) are *parsed*: the first word of the
normalised answer that is a class or a synonym of one is the prediction; an
answer without any is ``"unparsed"``, counted wrong and counted apart, so a
model that stopped answering in one word is visible as such.

En->Zh BLEU is sacreBLEU with its ``zh`` tokenizer (each Chinese character
a token). The reference code used the default ``13a`` tokenizer, which
splits only at spaces and punctuation, so a whole Chinese sentence was one
"word" and BLEU was close to meaningless (docs/design.md section 2).

Multitask checkpoint selection: a mixed validation set has no single natural
metric (WER falls, accuracy rises, and their sizes differ). With
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
import csv
import json
import math
import os
import types

from speechbrain.utils.metric_stats import ErrorRateStats, MetricStats

from speechbrain_listen.scoring.captioning import CaptioningScoring
from speechbrain_listen.scoring.text_normalization import normalize_for_scoring

#: The parsed label of an answer that names no class.
UNPARSED = "unparsed"

#: IEMOCAP's four classes (happy includes excited, as in the usual 4-class
#: setting) and the words an LLM says instead of the class name.
EMOTION_CLASSES = ("neutral", "happy", "angry", "sad")
EMOTION_SYNONYMS = {
    "neutrality": "neutral",
    "calm": "neutral",
    "happiness": "happy",
    "excited": "happy",
    "excitement": "happy",
    "joy": "happy",
    "joyful": "happy",
    "cheerful": "happy",
    "glad": "happy",
    "anger": "angry",
    "mad": "angry",
    "furious": "angry",
    "sadness": "sad",
    "sorrow": "sad",
    "sorrowful": "sad",
}
VERIFICATION_CLASSES = ("yes", "no")
# Only unambiguous spellings of yes and no: "same" or "different" could sit
# after a negation ("not the same"), which a first-word rule cannot see.
VERIFICATION_SYNONYMS = {"yeah": "yes", "yep": "yes", "nope": "no"}

#: Metric names for which lower is better (anything else: higher).
LOWER_IS_BETTER = frozenset({"WER", "CER", "loss", UNPARSED})

#: File name of each kind of scoring object inside a multitask results
#: folder (``<task>_<name>``), by its ``output_hparam``; a scoring object may
#: also say it itself with a ``default_file_name`` attribute.
DEFAULT_FILE_NAMES = {
    "test_wer_file": "wer.txt",
    "test_captions_file": "captions.csv",
    "test_predictions_file": "predictions.csv",
    "test_translations_file": "translations.csv",
}


def _summary_path(output_file):
    """``<stem>_summary.json`` beside ``output_file`` (as every scorer writes)."""
    return os.path.splitext(output_file)[0] + "_summary.json"


# ----------------------------------------------------------- classification --


class ClassificationStats(MetricStats):
    """Accuracy of one-word answers, parsed against a closed set of classes.

    Arguments
    ---------
    classes : sequence of str
        The class names (single words, case and punctuation ignored).
    synonyms : dict, optional
        Word -> class name, for answers that use another word
        (``{"excited": "happy"}``).

    Example
    -------
    >>> stats = ClassificationStats(("yes", "no"), {"yeah": "yes"})
    >>> stats.parse("Yeah, it is."), stats.parse("Hmm.")
    ('yes', 'unparsed')
    >>> stats.append(["a", "b", "c"], ["Yes.", "No", "maybe"], ["yes", "yes", "no"])
    >>> s = stats.summarize()
    >>> round(s["accuracy"], 2), s["UAR"], s["unparsed"]
    (33.33, 25.0, 1)
    """

    def __init__(self, classes, synonyms=None):
        self.classes = tuple(normalize_for_scoring(c) for c in classes)
        if len(self.classes) < 2 or len(set(self.classes)) != len(self.classes):
            raise ValueError(f"need at least two distinct classes, got {list(classes)}")
        for label in self.classes:
            if len(label.split()) != 1 or label == UNPARSED:
                raise ValueError(f"class {label!r} must be one word other than {UNPARSED!r}")
        # Word -> class: the classes themselves, then their synonyms.
        self.labels = {label: label for label in self.classes}
        for word, label in (synonyms or {}).items():
            word, label = normalize_for_scoring(word), normalize_for_scoring(label)
            if len(word.split()) != 1:
                raise ValueError(f"synonym {word!r} must be one word (answers are parsed word by word)")
            if label not in self.classes:
                raise ValueError(f"synonym {word!r} maps to {label!r}, not one of {self.classes}")
            if self.labels.get(word, label) != label:
                raise ValueError(f"{word!r} cannot stand for both {self.labels[word]!r} and {label!r}")
            self.labels[word] = label
        self.clear()

    def clear(self):
        """Forgets every example."""
        self.ids = []
        self.scores = []
        self.summary = {}

    def parse(self, text):
        """The class named by the first class word or synonym of ``text``.

        Arguments
        ---------
        text : str
            A decoded answer.

        Returns
        -------
        str
            A class name, or ``"unparsed"``.
        """
        for word in normalize_for_scoring(text).split():
            if word in self.labels:
                return self.labels[word]
        return UNPARSED

    def reference_label(self, target):
        """The class of a reference, which must *be* a class or synonym.

        Unlike hypotheses, references are not searched word by word: a
        reference that names no class is a data error, reported as such.

        Raises
        ------
        ValueError
            For a reference outside the classes.
        """
        label = self.labels.get(normalize_for_scoring(target))
        if label is None:
            raise ValueError(f"reference {target!r} is none of the classes {self.classes}")
        return label

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
            reference = self.reference_label(ref)
            parsed = self.parse(hyp)
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
        columns = self.classes + (UNPARSED,)
        confusion = {ref: {label: 0 for label in columns} for ref in self.classes}
        for score in self.scores:
            confusion[score["reference"]][score["parsed"]] += 1
        recall = {}
        for label in self.classes:
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


class ClassificationScoring:
    """How ``ListenBrain`` scores a one-word answer task (emotion, yes/no).

    ``batch.target`` holds the reference class. Test outputs (``output_file``
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
        Word -> class name.
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
        self.stats = ClassificationStats(self.classes, self.synonyms)

    def start(self, stage):
        """Fresh statistics (the same for VALID and TEST).

        Arguments
        ---------
        stage : speechbrain.Stage
            The stage starting.
        """
        self.stats = ClassificationStats(self.classes, self.synonyms)

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
        return self.stats.summarize("accuracy") if self.has_scores() else -math.inf

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
        with open(_summary_path(output_file), "w", encoding="utf-8") as out:
            json.dump(
                {
                    self.name: summary["accuracy"],
                    **{key: value for key, value in summary.items() if key != "accuracy"},
                    "classes": list(self.stats.classes),
                    "synonyms": {w: c for w, c in self.stats.labels.items() if w != c},
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
    >>> emotion_scoring().stats.parse("I think the speaker sounds excited.")
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
    >>> verification_scoring().stats.parse("Yes, same person.")
    'yes'
    """
    return ClassificationScoring(VERIFICATION_CLASSES, VERIFICATION_SYNONYMS)


# --------------------------------------------------------------------- SQA --


def answer_scoring(selection_metric="ROUGE_L"):
    """LibriSQA free-form answers: ROUGE-L and BLEU against the answer.

    A ``CaptioningScoring`` with only BLEU and ROUGE-L (so it needs Java for
    the PTB tokeniser but neither METEOR nor SPICE); ``batch.references``
    holds ``[answer]``. BLEU here is pycocoevalcap's (BLEU_1..4, PTB
    tokens), the captioning literature's, not sacreBLEU.

    Arguments
    ---------
    selection_metric : str
        ``"ROUGE_L"`` or one of ``"BLEU_1".."BLEU_4"``.

    Returns
    -------
    captioning_metrics.CaptioningScoring

    Example
    -------
    >>> scoring = answer_scoring()
    >>> scoring.test_metrics, scoring.selection_metric
    (['BLEU', 'ROUGE_L'], 'ROUGE_L')
    """
    return CaptioningScoring(
        valid_metrics=("BLEU", "ROUGE_L"),
        test_metrics=("BLEU", "ROUGE_L"),
        selection_metric=selection_metric,
    )


# ------------------------------------------------------------- translation --


def characters_for_scoring(text):
    """Characters for CER: normalised text without spaces or punctuation.

    Chinese has no spaces between words, so CER is over characters; spaces
    the model happens to put in (or not) are no errors, and punctuation
    (full-width included, after NFKC) is removed as for every metric.

    Arguments
    ---------
    text : str

    Returns
    -------
    list of str

    Example
    -------
    >>> characters_for_scoring("我 喜欢猫。OK!")
    ['我', '喜', '欢', '猫', 'o', 'k']
    """
    # normalize_for_scoring keeps in-word apostrophes; as characters they
    # are punctuation all the same.
    return [c for c in normalize_for_scoring(text) if not c.isspace() and c != "'"]


class TranslationScoring:
    """Speech translation scored with sacreBLEU and CER (En->Zh).

    BLEU is sacreBLEU's corpus BLEU with ``tokenize`` (``"zh"`` for Chinese
    targets: never the default ``13a``, which leaves a Chinese sentence in
    one piece) on the decoded text as it is, as sacreBLEU expects (its own
    tokenizer does the splitting; numbers comparable with CoVoST 2 papers),
    unless ``normalize_bleu``. CER is over :func:`characters_for_scoring`.
    The reference is ``batch.target``.

    Test outputs (``output_file`` is e.g. ``translations_<split>.csv``):
    a per-example CSV (``ID, reference, hypothesis, char_edits, ref_chars,
    CER``) and ``translations_<split>_summary.json`` (BLEU with its
    sacreBLEU signature, n-gram precisions, brevity penalty, CER).

    Arguments
    ---------
    tokenize : str
        sacreBLEU tokenizer (``"zh"``, ``"13a"``, ``"ja-mecab"``, ...).
    normalize_bleu : bool
        Lower-case and strip punctuation before BLEU as well.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> import speechbrain as sb
    >>> scoring = TranslationScoring()
    >>> scoring.start(sb.Stage.TEST)
    >>> scoring.append(["t1"], ["我喜欢猫。"], SimpleNamespace(target=["我很喜欢猫。"]))
    >>> summary = scoring.summarize()
    >>> round(summary["BLEU"], 2), summary["CER"]
    (57.89, 20.0)
    >>> scoring.signature()  # doctest: +ELLIPSIS
    'nrefs:1|case:mixed|eff:no|tok:zh|smooth:exp|version:...'
    """

    output_hparam = "test_translations_file"
    default_file_name = "translations.csv"
    selection_metric = "BLEU"
    higher_is_better = True

    def __init__(self, tokenize="zh", normalize_bleu=False):
        from sacrebleu.metrics import BLEU

        self.tokenize = tokenize
        self.normalize_bleu = normalize_bleu
        # Built now: an unknown tokenizer name fails when the hparams load.
        self.bleu = BLEU(tokenize=tokenize)
        self.clear()

    def clear(self):
        """Forgets every example."""
        self.ids = []
        self.hyps = []
        self.refs = []
        self.cer_metric = ErrorRateStats()

    def start(self, stage):
        """Fresh statistics (the same for VALID and TEST).

        Arguments
        ---------
        stage : speechbrain.Stage
            The stage starting.
        """
        self.clear()

    def append(self, ids, hyps, batch):
        """Adds translations, scored against ``batch.target``."""
        refs = list(batch.target)
        if not len(ids) == len(hyps) == len(refs):
            raise ValueError(f"{len(ids)} ids, {len(hyps)} hypotheses and {len(refs)} references")
        self.ids.extend(ids)
        self.hyps.extend(str(h) for h in hyps)
        self.refs.extend(str(r) for r in refs)
        self.cer_metric.append(
            ids,
            [characters_for_scoring(h) for h in hyps],
            [characters_for_scoring(r) for r in refs],
        )

    def has_scores(self):
        """Whether anything was decoded in this stage."""
        return len(self.ids) > 0

    def corpus_bleu(self):
        """sacreBLEU's ``BLEUScore`` over everything appended."""
        prepare = normalize_for_scoring if self.normalize_bleu else (lambda text: text)
        return self.bleu.corpus_score([prepare(h) for h in self.hyps], [[prepare(r) for r in self.refs]])

    def signature(self):
        """The sacreBLEU signature string (tokenizer, version, ...)."""
        return str(self.bleu.get_signature())

    def summarize(self):
        """``{"BLEU": ..., "CER": ...}`` (CER in percent)."""
        return {"BLEU": self.corpus_bleu().score, "CER": self.cer_metric.summarize("error_rate")}

    def selection_value(self):
        """BLEU, or -inf when nothing was decoded."""
        return self.corpus_bleu().score if self.has_scores() else -math.inf

    def write(self, output_file, info):
        """Per-example CSV and the JSON summary with the sacreBLEU signature.

        Arguments
        ---------
        output_file : str
            ``.../translations_<split>.csv``.
        info : dict
            Extra summary fields (epoch, beams).
        """
        with open(output_file, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["ID", "reference", "hypothesis", "char_edits", "ref_chars", "CER"])
            for uid, ref, hyp, score in zip(self.ids, self.refs, self.hyps, self.cer_metric.scores):
                edits, ref_chars = score["num_edits"], score["num_ref_tokens"]
                cer = 100.0 * edits / ref_chars if ref_chars else math.nan
                writer.writerow([uid, ref, hyp, edits, ref_chars, f"{cer:.2f}"])
        bleu = self.corpus_bleu()
        with open(_summary_path(output_file), "w", encoding="utf-8") as out:
            json.dump(
                {
                    "BLEU": bleu.score,
                    "CER": self.cer_metric.summarize("error_rate"),
                    "bleu_signature": self.signature(),
                    "bleu_precisions": list(bleu.precisions),
                    "bleu_brevity_penalty": bleu.bp,
                    "bleu_hyp_len": bleu.sys_len,
                    "bleu_ref_len": bleu.ref_len,
                    "bleu_input": "normalised" if self.normalize_bleu else "as decoded",
                    "cer_units": "characters of the normalised text, no spaces, no punctuation",
                    "examples": len(self.ids),
                    **info,
                },
                out,
                indent=2,
                ensure_ascii=False,
            )


# --------------------------------------------------------------- multitask --


class MultitaskScoring:
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
        worst = -math.inf if self.higher_is_better else math.inf
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
            if os.path.isfile(_summary_path(path)):
                with open(_summary_path(path), encoding="utf-8") as fin:
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
