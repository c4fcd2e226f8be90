"""Speech translation (En->Zh, CoVoST 2) scored with sacreBLEU and CER.

BLEU is sacreBLEU with its ``zh`` tokenizer (each Chinese character a
token). The reference code used the default ``13a`` tokenizer, which splits
only at spaces and punctuation, so a whole Chinese sentence was one "word"
and BLEU was close to meaningless (docs/design.md section 2). CER is over
the characters of the normalised text (:func:`characters_for_scoring`).

Authors
 * speechbrain-listen contributors 2026
"""

import csv
import json
import math

from speechbrain.utils.metric_stats import ErrorRateStats

from speechbrain_listen.scoring.base import TaskScoring, summary_path
from speechbrain_listen.scoring.text_normalization import normalize_for_scoring


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


class TranslationScoring(TaskScoring):
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
        return self.corpus_bleu().score if self.has_scores() else self.worst_value()

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
        with open(summary_path(output_file), "w", encoding="utf-8") as out:
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
