"""Transcripts scored with WER and CER (the ASR recipes, the ``asr`` task).

LLMs answer in sentence case with punctuation while LibriSpeech references
are upper case without any: both sides go through ``words_for_scoring``
(``text_normalization``) before SpeechBrain's ``ErrorRateStats``.

Authors
 * speechbrain-listen contributors 2026
"""

import json

from speechbrain_listen.scoring.base import TaskScoring, summary_path
from speechbrain_listen.scoring.text_normalization import words_for_scoring


class TranscriptionScoring(TaskScoring):
    """WER and CER of decoded transcripts (the ASR recipes' scoring).

    Hypotheses and ``batch.target`` are lower-cased and stripped of
    punctuation (``words_for_scoring``) before SpeechBrain's
    ``ErrorRateStats``. Test outputs: ``wer_<split>.txt`` (per-utterance
    alignments, ``output_file``) and ``wer_<split>_summary.json``. It is
    ``ListenBrain``'s scoring when the hparams have no ``scoring`` entry.

    Arguments
    ---------
    error_rate_computer : callable
        Returns a fresh word-level ``ErrorRateStats``.
    cer_computer : callable
        Returns a fresh character-level ``ErrorRateStats``.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> import speechbrain as sb
    >>> from speechbrain.utils.metric_stats import ErrorRateStats
    >>> scoring = TranscriptionScoring(
    ...     ErrorRateStats, lambda: ErrorRateStats(split_tokens=True)
    ... )
    >>> scoring.start(sb.Stage.TEST)
    >>> scoring.append(["u1"], ["Hello, world!"], SimpleNamespace(target=["HELLO THERE WORLD"]))
    >>> round(scoring.summarize()["WER"], 2), scoring.selection_metric
    (33.33, 'WER')
    """

    output_hparam = "test_wer_file"
    default_file_name = "wer.txt"
    task = "asr"
    selection_metric = "WER"
    higher_is_better = False

    def __init__(self, error_rate_computer, cer_computer):
        self.error_rate_computer = error_rate_computer
        self.cer_computer = cer_computer
        self.wer_metric = None
        self.cer_metric = None

    def start(self, stage):
        """Fresh WER and CER statistics (the same for VALID and TEST).

        Arguments
        ---------
        stage : speechbrain.Stage
            The stage starting.
        """
        self.wer_metric = self.error_rate_computer()
        self.cer_metric = self.cer_computer()

    def append(self, ids, hyps, batch):
        """Scores hypotheses against ``batch.target``."""
        hyp_words = [words_for_scoring(h) for h in hyps]
        ref_words = [words_for_scoring(r) for r in batch.target]
        self.wer_metric.append(ids, hyp_words, ref_words)
        self.cer_metric.append(ids, hyp_words, ref_words)

    def has_scores(self):
        """Whether anything was decoded in this stage."""
        return self.wer_metric is not None and len(self.wer_metric.scores) > 0

    def summarize(self):
        """``{"WER": ..., "CER": ...}`` in percent."""
        return {
            "WER": self.wer_metric.summarize("error_rate"),
            "CER": self.cer_metric.summarize("error_rate"),
        }

    def selection_value(self):
        """WER, or +inf when nothing was decoded."""
        return self.wer_metric.summarize("error_rate") if self.has_scores() else self.worst_value()

    def write(self, output_file, info):
        """Per-utterance WER file and its JSON summary.

        Arguments
        ---------
        output_file : str
            ``.../wer_<split>.txt``.
        info : dict
            Extra summary fields (epoch, beams).
        """
        with open(output_file, "w", encoding="utf-8") as out:
            self.wer_metric.write_stats(out)
        with open(summary_path(output_file), "w", encoding="utf-8") as out:
            json.dump(
                {
                    **self.summarize(),
                    "utterances": len(self.wer_metric.scores),
                    **info,
                },
                out,
                indent=2,
            )
