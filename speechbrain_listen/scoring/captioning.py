"""Audio-captioning metrics as SpeechBrain ``MetricStats``, via pycocoevalcap.

The captioning metrics of the DCASE / Clotho literature are those of the MS
COCO caption evaluation code: BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, SPICE and
SPIDEr (the mean of CIDEr-D and SPICE). They are computed here by
``pycocoevalcap`` itself, after its Stanford PTB tokenisation (lower case,
punctuation removed), so the numbers are those of the reference
implementation and not of a re-implementation:

============ ====================================== =====================
metric       pycocoevalcap scorer                   needs
============ ====================================== =====================
BLEU_1..4    ``Bleu(4)`` (corpus BLEU, closest ref) Java (tokeniser)
METEOR       ``Meteor`` (METEOR 1.5 jar)            Java
ROUGE_L      ``Rouge``                              Java (tokeniser)
CIDEr-D      ``Cider`` (the CIDEr-D variant: clipped Java (tokeniser)
             n-gram counts, length penalty, x10)
SPICE        ``Spice`` (SPICE 1.0 jar)              Java + Stanford
                                                    CoreNLP 3.6.0 jars
SPIDEr       (CIDEr-D + SPICE) / 2                  as SPICE
============ ====================================== =====================

CIDEr-D's n-gram weights (IDF) come from the references of the whole
evaluated set, so every metric is computed at ``summarize`` time over all
the captions appended so far, never per batch.

SPICE needs Stanford CoreNLP 3.6.0, which pycocoevalcap downloads on first
use into its ``spice/lib`` folder. Where those jars are absent (and this
module never downloads them) or SPICE fails, SPICE and SPIDEr are reported
as **unavailable, with the reason**: their value is ``None`` (never 0) and
the reason is in ``unavailable``; they are never silently dropped.

All scores are multiplied by ``scale`` (100 by default, as in the LiSTEN
paper's tables: BLEU 13.2 means 0.132; CIDEr-D 45.0 means 0.450).

:class:`CaptioningScoring` is the scoring object (``scoring.base``) that
holds these statistics for ``ListenBrain``: the Clotho recipe's, and, with
BLEU and ROUGE-L only (:func:`answer_scoring`), spoken question answering's.

Authors
 * speechbrain-listen contributors 2026
"""

import csv
import json
import os
import shutil
import subprocess

from speechbrain.utils.logger import get_logger
from speechbrain.utils.metric_stats import MetricStats

from speechbrain_listen.scoring.base import TaskScoring, summary_path

logger = get_logger(__name__)

BLEU_NAMES = ("BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4")
#: Metric groups that can be asked for, in report order. "BLEU" gives the
#: four BLEU_n values.
METRIC_GROUPS = ("BLEU", "METEOR", "ROUGE_L", "CIDEr-D", "SPICE", "SPIDEr")
ALL_METRICS = BLEU_NAMES + METRIC_GROUPS[1:]
SPICE_CORENLP_JARS = ("stanford-corenlp-3.6.0.jar", "stanford-corenlp-3.6.0-models.jar")

# Every character that Java's line reader (or Python's splitlines) would
# take as a line break. The PTB tokeniser is fed one caption per line and
# its output lines are matched back by position, so a stray "\r" inside a
# caption would shift every later caption onto the wrong clip.
_LINE_BREAKS = str.maketrans({c: " " for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


class MetricUnavailable(RuntimeError):
    """A metric that cannot be computed here; the message says why."""


def java_unavailable_reason():
    """Why Java cannot be used, or None when ``java`` is on the PATH.

    Returns
    -------
    str or None

    Example
    -------
    >>> reason = java_unavailable_reason()
    >>> reason is None or "java" in reason
    True
    """
    if shutil.which("java") is None:
        return (
            "no 'java' on the PATH: the PTB tokeniser, METEOR and SPICE are "
            "Java programs (Debian: apt-get install -y default-jre-headless)"
        )
    return None


def spice_unavailable_reason():
    """Why SPICE cannot run here, or None when it can be tried.

    SPICE 1.0 parses captions with Stanford CoreNLP 3.6.0, whose jars
    pycocoevalcap downloads from nlp.stanford.edu into ``spice/lib`` the
    first time ``Spice()`` is built. This check never downloads anything: it
    only looks for Java and for those jars.

    Returns
    -------
    str or None

    Example
    -------
    >>> reason = spice_unavailable_reason()
    >>> reason is None or isinstance(reason, str)
    True
    """
    java = java_unavailable_reason()
    if java is not None:
        return java
    try:
        import pycocoevalcap.spice as spice_package
    except ImportError:
        return "pycocoevalcap is not installed (pip install pycocoevalcap)"
    lib = os.path.join(os.path.dirname(spice_package.__file__), "lib")
    missing = [jar for jar in SPICE_CORENLP_JARS if not os.path.isfile(os.path.join(lib, jar))]
    if missing:
        return (
            f"Stanford CoreNLP 3.6.0 jars missing from {lib} ({', '.join(missing)}); "
            "pycocoevalcap would download them from nlp.stanford.edu, which "
            "this machine cannot reach. Copy them there to enable SPICE."
        )
    return None


def ptb_tokenize(captions):
    """Stanford PTB tokenisation of captions, as in the COCO evaluation.

    Lower-cases, splits clitics ("it's" -> "it 's") and drops punctuation
    tokens, with pycocoevalcap's ``PTBTokenizer`` (CoreNLP 3.4.1, Java).

    Arguments
    ---------
    captions : dict
        Key -> list of caption strings.

    Returns
    -------
    dict
        Key -> list of tokenised captions (space-separated tokens), same
        order.

    Raises
    ------
    MetricUnavailable
        Without Java.

    Example
    -------
    >>> ptb_tokenize({"a": ["A dog barks, twice!", "It's raining."]})
    {'a': ['a dog barks twice', "it 's raining"]}
    """
    reason = java_unavailable_reason()
    if reason is not None:
        raise MetricUnavailable(reason)
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    keys = list(captions)
    if not keys:
        return {}
    flat = {key: [{"caption": str(c).translate(_LINE_BREAKS)} for c in captions[key]] for key in keys}
    tokenized = PTBTokenizer().tokenize(flat)
    for key in keys:
        # PTBTokenizer leaves a key out when it got no lines back for it.
        got = tokenized.get(key, [])
        if len(got) != len(captions[key]):
            raise RuntimeError(
                f"PTB tokeniser returned {len(got)} captions for {key!r}, expected {len(captions[key])}"
            )
    return {key: tokenized[key] for key in keys}


# ---------------------------------------------------------------- scorers --
# Each takes tokenised references {id: [ref, ...]} and hypotheses
# {id: [hyp]} and returns {metric name: (corpus score, [per-clip scores])}
# in pycocoevalcap's own scale (0..1, CIDEr-D 0..10).


def _score_bleu(gts, res):
    from pycocoevalcap.bleu.bleu import Bleu

    corpus, per_clip = Bleu(4).compute_score(gts, res, verbose=0)
    return {name: (float(corpus[n]), [float(s) for s in per_clip[n]]) for n, name in enumerate(BLEU_NAMES)}


def _score_meteor(gts, res):
    from pycocoevalcap.meteor.meteor import Meteor

    scorer = Meteor()
    try:
        corpus, per_clip = scorer.compute_score(gts, res)
    finally:
        # Do not leave a 2 GB JVM behind until garbage collection.
        scorer.meteor_p.stdin.close()
        scorer.meteor_p.kill()
        scorer.meteor_p.wait()
    return {"METEOR": (float(corpus), [float(s) for s in per_clip])}


def _score_rouge(gts, res):
    from pycocoevalcap.rouge.rouge import Rouge

    corpus, per_clip = Rouge().compute_score(gts, res)
    return {"ROUGE_L": (float(corpus), [float(s) for s in per_clip])}


def _score_cider_d(gts, res):
    from pycocoevalcap.cider.cider import Cider

    corpus, per_clip = Cider().compute_score(gts, res)
    return {"CIDEr-D": (float(corpus), [float(s) for s in per_clip])}


def _score_spice(gts, res):
    reason = spice_unavailable_reason()
    if reason is not None:
        raise MetricUnavailable(reason)
    from pycocoevalcap.spice.spice import Spice

    try:
        corpus, per_clip = Spice().compute_score(gts, res)
    except (subprocess.CalledProcessError, OSError, ValueError) as err:
        raise MetricUnavailable(f"SPICE failed: {err}") from err
    # Sorted ids, as Spice.compute_score orders its per-clip list.
    order = sorted(gts)
    by_id = {key: s["All"]["f"] for key, s in zip(order, per_clip, strict=True)}
    return {"SPICE": (float(corpus), [float(by_id[key]) for key in gts])}


_SCORERS = {
    "BLEU": _score_bleu,
    "METEOR": _score_meteor,
    "ROUGE_L": _score_rouge,
    "CIDEr-D": _score_cider_d,
    "SPICE": _score_spice,
}


def metric_names(groups):
    """The metric names that a list of metric groups reports, in order.

    Example
    -------
    >>> metric_names(["CIDEr-D", "BLEU"])
    ['BLEU_1', 'BLEU_2', 'BLEU_3', 'BLEU_4', 'CIDEr-D']
    """
    unknown = [g for g in groups if g not in METRIC_GROUPS]
    if unknown:
        raise ValueError(f"Unknown captioning metrics {unknown}; choose from {list(METRIC_GROUPS)}")
    names = []
    for group in METRIC_GROUPS:
        if group in groups:
            names.extend(BLEU_NAMES if group == "BLEU" else [group])
    return names


class CaptioningStats(MetricStats):
    """Captioning metrics over every clip appended, computed by pycocoevalcap.

    Each clip has one hypothesis and any number of references (Clotho: 5).
    Texts are PTB-tokenised once for all metrics. Corpus scores are what
    pycocoevalcap's ``COCOEvalCap`` reports (corpus BLEU; means of the
    per-clip METEOR, ROUGE-L, CIDEr-D and SPICE); per-clip scores are kept
    for ``write_stats`` and ``write_csv``.

    Arguments
    ---------
    metrics : sequence of str
        Metric groups among ``"BLEU"`` (BLEU_1..4), ``"METEOR"``,
        ``"ROUGE_L"``, ``"CIDEr-D"``, ``"SPICE"``, ``"SPIDEr"``.
    scale : float
        Factor applied to every score (100: percentages).

    Example
    -------
    >>> stats = CaptioningStats(metrics=["BLEU", "ROUGE_L"])
    >>> stats.append(
    ...     ids=["clip1"],
    ...     predictions=["A dog barks."],
    ...     targets=[["A dog barks.", "A dog is barking loudly."]],
    ... )
    >>> summary = stats.summarize()
    >>> round(summary["BLEU_1"], 1), round(summary["ROUGE_L"], 1)
    (100.0, 100.0)
    >>> stats.scores[0]["ROUGE_L"]
    100.0
    """

    default_metrics = METRIC_GROUPS

    def __init__(self, metrics=None, scale=100.0):
        self.metrics = list(self.default_metrics if metrics is None else metrics)
        self.names = metric_names(self.metrics)
        self.scale = scale
        self.clear()

    def clear(self):
        """Forgets every clip and every computed score."""
        self.ids = []
        self.predictions = []
        self.targets = []
        self._scores = []
        self.summary = {}
        self.unavailable = {}
        self._computed = False

    @property
    def scores(self):
        """Per-clip scores (dicts, in append order), computed on first access."""
        if self.ids and not self._computed:
            self.compute()
        return self._scores

    def append(self, ids, predictions, targets):
        """Adds clips: one hypothesis and a list of references each.

        Arguments
        ---------
        ids : list of str
            Clip ids (unique across everything appended).
        predictions : list of str
            One hypothesis caption per clip.
        targets : list of list of str
            The reference captions of each clip (at least one).
        """
        if not len(ids) == len(predictions) == len(targets):
            raise ValueError(
                f"{len(ids)} ids, {len(predictions)} predictions and "
                f"{len(targets)} reference lists: one each per clip"
            )
        seen = set(self.ids)
        for uid, hyp, refs in zip(ids, predictions, targets):
            if uid in seen:
                raise ValueError(f"Clip id {uid!r} appended twice")
            if isinstance(refs, str) or len(refs) == 0:
                raise ValueError(f"Clip {uid!r} needs a list of reference captions, got {refs!r}")
            seen.add(uid)
            self.ids.append(uid)
            self.predictions.append(str(hyp))
            self.targets.append([str(r) for r in refs])
        self._computed = False

    def compute(self):
        """Tokenises and scores everything appended (cached until ``append``).

        Fills ``scores`` (one dict per clip, in append order), ``summary``
        and ``unavailable``.
        """
        if self._computed:
            return
        if not self.ids:
            raise ValueError("No captions appended: nothing to score")
        # Ids are positions: robust to ids that are not valid dict keys for
        # the scorers' sorting (SPICE sorts them) or that repeat text.
        keys = list(range(len(self.ids)))
        # One tokeniser run (one JVM start) for references and hypotheses.
        texts = {k: refs + [hyp] for k, refs, hyp in zip(keys, self.targets, self.predictions)}
        tokenized = ptb_tokenize(texts)
        gts = {k: tokenized[k][:-1] for k in keys}
        res = {k: tokenized[k][-1:] for k in keys}

        raw, unavailable = {}, {}
        wanted = set(self.metrics)
        if "SPIDEr" in wanted:
            wanted |= {"CIDEr-D", "SPICE"}
        for group in METRIC_GROUPS:
            if group not in wanted or group == "SPIDEr":
                continue
            try:
                raw.update(_SCORERS[group](gts, res))
            except MetricUnavailable as err:
                unavailable[group] = str(err)
                logger.warning("%s unavailable: %s", group, err)
        if "SPIDEr" in self.metrics:
            if "SPICE" in unavailable:
                unavailable["SPIDEr"] = f"needs SPICE, which is unavailable: {unavailable['SPICE']}"
            else:
                cider, spice = raw["CIDEr-D"], raw["SPICE"]
                raw["SPIDEr"] = (
                    (cider[0] + spice[0]) / 2,
                    [(c + s) / 2 for c, s in zip(cider[1], spice[1])],
                )

        self.unavailable = {name: reason for name, reason in unavailable.items() if name in self.names}
        self.summary = {name: (raw[name][0] * self.scale if name in raw else None) for name in self.names}
        self._scores = [
            {name: raw[name][1][i] * self.scale for name in self.names if name in raw} for i in keys
        ]
        self._computed = True

    def summarize(self, field=None):
        """Corpus scores, ``None`` for an unavailable metric.

        Arguments
        ---------
        field : str, optional
            One metric name (e.g. ``"CIDEr-D"``); all when omitted.

        Returns
        -------
        dict or float or None
            Metric name -> score (``scale``-d); ``unavailable`` says why a
            ``None`` is ``None``.
        """
        self.compute()
        if field is not None:
            if field not in self.summary:
                raise KeyError(f"{field!r} is not among the metrics computed: {self.names}")
            return self.summary[field]
        return dict(self.summary)

    def write_stats(self, filestream, verbose=False):
        """Writes the corpus scores, then every clip with its scores.

        Arguments
        ---------
        filestream : file-like
            Text stream to write to.
        verbose : bool
            Also print the corpus scores to stdout.
        """
        self.compute()
        header = ["Corpus scores (PTB-tokenised, pycocoevalcap):"]
        for name, value in self.summary.items():
            shown = f"{value:.2f}" if value is not None else f"unavailable ({self.unavailable[name]})"
            header.append(f"  {name}: {shown}")
        filestream.write("\n".join(header) + "\n" + "=" * 80 + "\n")
        if verbose:
            print("\n".join(header))
        for uid, hyp, refs, scores in zip(self.ids, self.predictions, self.targets, self._scores):
            filestream.write(f"{uid}, " + ", ".join(f"{k}: {v:.2f}" for k, v in scores.items()) + "\n")
            filestream.write(f"  hyp: {hyp}\n")
            for n, ref in enumerate(refs, 1):
                filestream.write(f"  ref{n}: {ref}\n")

    def write_csv(self, path):
        """Per-clip captions and scores as a CSV (any text survives quoting).

        Columns: ``ID, hypothesis, reference_1..reference_R`` (R = most
        references of any clip), then one column per available metric.

        Arguments
        ---------
        path : str
            Output file.
        """
        self.compute()
        num_refs = max(len(refs) for refs in self.targets)
        available = [name for name in self.names if name not in self.unavailable]
        with open(path, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(
                ["ID", "hypothesis"] + [f"reference_{n}" for n in range(1, num_refs + 1)] + available
            )
            for uid, hyp, refs, scores in zip(self.ids, self.predictions, self.targets, self.scores):
                refs = refs + [""] * (num_refs - len(refs))
                writer.writerow([uid, hyp, *refs] + [f"{scores[name]:.4f}" for name in available])


class BLEUStats(CaptioningStats):
    """COCO BLEU-1..4 (corpus level, closest reference length), PTB-tokenised.

    Not sacreBLEU: this is the captioning literature's BLEU.

    Example
    -------
    >>> stats = BLEUStats()
    >>> stats.append(["c"], ["a cat sat"], [["a cat sat", "the cat sat down"]])
    >>> round(stats.summarize("BLEU_1"), 2)
    100.0
    """

    default_metrics = ("BLEU",)


class METEORStats(CaptioningStats):
    """METEOR 1.5 (``-l en -norm``) through pycocoevalcap's Java wrapper.

    Starts one JVM per ``compute`` (a few seconds), closed right after.

    Example
    -------
    >>> stats = METEORStats()
    >>> stats.append(["c"], ["a dog barks"], [["a dog barks", "a dog is barking"]])
    >>> stats.summarize("METEOR") > 90
    True
    """

    default_metrics = ("METEOR",)


class ROUGELStats(CaptioningStats):
    """ROUGE-L (LCS F-measure, beta 1.2, best reference), PTB-tokenised.

    Example
    -------
    >>> stats = ROUGELStats()
    >>> stats.append(["c"], ["a dog"], [["a dog barks"]])
    >>> round(stats.summarize("ROUGE_L"), 1)  # P = 1, R = 2/3
    77.2
    """

    default_metrics = ("ROUGE_L",)


class CIDErDStats(CaptioningStats):
    """CIDEr-D (pycocoevalcap's ``Cider``): TF-IDF n-gram cosine, clipped,
    Gaussian length penalty (sigma 6), times 10; IDF from the evaluated
    set's references.

    Example
    -------
    >>> stats = CIDErDStats()
    >>> stats.append(
    ...     ["a", "b"],
    ...     ["a dog barks", "rain falls"],
    ...     [["a dog barks loudly", "a dog is barking"], ["heavy rain falls", "rain falls on a roof"]],
    ... )
    >>> [round(s["CIDEr-D"]) > 0 for s in stats.scores]
    [True, True]
    """

    default_metrics = ("CIDEr-D",)


class SPICEStats(CaptioningStats):
    """SPICE (scene-graph F-score); unavailable without CoreNLP 3.6.0 jars.

    Example
    -------
    >>> stats = SPICEStats()
    >>> stats.append(["c"], ["a dog barks"], [["a dog barks"]])
    >>> value = stats.summarize("SPICE")
    >>> value is not None or "SPICE" in stats.unavailable  # a number, or why not
    True
    """

    default_metrics = ("SPICE",)


class SPIDErStats(CaptioningStats):
    """SPIDEr = (CIDEr-D + SPICE) / 2; reports its parts too.

    Unavailable (``None``, with the reason) whenever SPICE is.

    Example
    -------
    >>> stats = SPIDErStats()
    >>> stats.append(["c"], ["a dog barks"], [["a dog barks"]])
    >>> list(stats.summarize())
    ['CIDEr-D', 'SPICE', 'SPIDEr']
    """

    default_metrics = ("CIDEr-D", "SPICE", "SPIDEr")


class CaptioningScoring(TaskScoring):
    """How the shared ``ListenBrain`` scores a captioning task.

    On VALID and TEST every decoded caption is scored against all the
    references of its clip (``batch.references``). Validation uses a
    cheaper metric list than test by default (no SPICE). The checkpoint
    kept as best maximises ``selection_metric``.

    Test outputs (``output_file`` is ``captions_<split>.csv``):
    ``captions_<split>.csv`` (per clip: hypothesis, references, scores),
    ``captions_<split>.txt`` (the same, readable) and
    ``captions_<split>_summary.json`` (corpus scores; ``null`` plus a reason
    in ``unavailable`` for a metric that cannot be computed here).

    Arguments
    ---------
    valid_metrics : sequence of str
        Metric groups computed on VALID.
    test_metrics : sequence of str
        Metric groups computed on TEST.
    selection_metric : str
        Metric that picks the best checkpoint (must be in both lists and
        always available, hence CIDEr-D by default rather than SPIDEr).
    scale : float
        Factor applied to every score.

    Example
    -------
    >>> scoring = CaptioningScoring(valid_metrics=["CIDEr-D"], test_metrics=["CIDEr-D"])
    >>> scoring.selection_metric, scoring.higher_is_better
    ('CIDEr-D', True)
    """

    output_hparam = "test_captions_file"
    default_file_name = "captions.csv"
    task = "captioning"
    higher_is_better = True

    def __init__(
        self,
        valid_metrics=("BLEU", "METEOR", "ROUGE_L", "CIDEr-D"),
        test_metrics=METRIC_GROUPS,
        selection_metric="CIDEr-D",
        scale=100.0,
    ):
        for metrics in (valid_metrics, test_metrics):
            if selection_metric not in metric_names(metrics):
                raise ValueError(
                    f"selection_metric {selection_metric!r} must be computed on "
                    f"VALID and TEST (got {list(valid_metrics)} / {list(test_metrics)})"
                )
        self.valid_metrics = list(valid_metrics)
        self.test_metrics = list(test_metrics)
        self.selection_metric = selection_metric
        self.scale = scale
        self.stats = None

    def start(self, stage):
        """Fresh statistics for a VALID or TEST stage.

        Arguments
        ---------
        stage : speechbrain.Stage
            TEST uses ``test_metrics``, anything else ``valid_metrics``.
        """
        import speechbrain as sb

        metrics = self.test_metrics if stage == sb.Stage.TEST else self.valid_metrics
        self.stats = CaptioningStats(metrics=metrics, scale=self.scale)

    def append(self, ids, hyps, batch):
        """Scores decoded captions against ``batch.references``."""
        self.stats.append(ids, hyps, batch.references)

    def has_scores(self):
        """Whether anything was decoded in this stage."""
        return self.stats is not None and len(self.stats.ids) > 0

    def summarize(self):
        """Corpus scores for the train log: ``"unavailable"`` for a missing one."""
        return {
            name: (value if value is not None else "unavailable")
            for name, value in self.stats.summarize().items()
        }

    def selection_value(self):
        """The checkpoint-selection score, or -inf when nothing was decoded."""
        if not self.has_scores():
            return self.worst_value()
        return self.stats.summarize(self.selection_metric)

    def write(self, output_file, info):
        """Per-clip CSV and text files and the JSON summary of a test set.

        Arguments
        ---------
        output_file : str
            ``.../captions_<split>.csv``.
        info : dict
            Extra fields for the summary (epoch, beams, ...).
        """
        self.stats.write_csv(output_file)
        with open(os.path.splitext(output_file)[0] + ".txt", "w", encoding="utf-8") as out:
            self.stats.write_stats(out)
        with open(summary_path(output_file), "w", encoding="utf-8") as out:
            json.dump(
                {
                    **self.stats.summarize(),
                    "unavailable": self.stats.unavailable,
                    "clips": len(self.stats.ids),
                    "scale": self.scale,
                    "tokenization": "Stanford PTB (pycocoevalcap), lower-cased, punctuation removed",
                    **info,
                },
                out,
                indent=2,
            )


def answer_scoring(selection_metric="ROUGE_L"):
    """LibriSQA free-form answers: ROUGE-L and BLEU against the answer.

    A :class:`CaptioningScoring` with only BLEU and ROUGE-L (so it needs
    Java for the PTB tokeniser but neither METEOR nor SPICE);
    ``batch.references`` holds ``[answer]``. BLEU here is pycocoevalcap's
    (BLEU_1..4, PTB tokens), the captioning literature's, not sacreBLEU.

    Arguments
    ---------
    selection_metric : str
        ``"ROUGE_L"`` or one of ``"BLEU_1".."BLEU_4"``.

    Returns
    -------
    CaptioningScoring

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
