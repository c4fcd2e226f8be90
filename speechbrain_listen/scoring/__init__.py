"""Scoring: every task's metrics, and how the Brain uses them.

* ``base``: ``TaskScoring``, the protocol of every scoring object (a scoring
  object holds SpeechBrain ``MetricStats`` and knows the batch layout, the
  stage, checkpoint selection and the test files).
* ``transcription``: WER and CER (ASR).
* ``captioning``: BLEU, METEOR, ROUGE-L, CIDEr-D, SPICE, SPIDEr (captioning;
  BLEU and ROUGE-L for spoken question answering).
* ``classification``: accuracy, UAR and confusions of one-word answers
  (emotion, speaker verification).
* ``translation``: sacreBLEU (``zh`` tokenizer) and CER (En->Zh).
* ``multitask``: every task of a mixed stage, each by its own scorer.
* ``text_normalization``: the normalisation applied before scoring.

=================  ==============================================  ==========================
task               scoring object                                  metrics
=================  ==============================================  ==========================
ASR (LibriSpeech)  ``transcription.TranscriptionScoring``          WER, CER
captioning         ``captioning.CaptioningScoring``                COCO BLEU_1..4, METEOR,
(Clotho)                                                           ROUGE_L, CIDEr-D, SPICE
SQA (LibriSQA)     ``captioning.answer_scoring``                   COCO BLEU_1..4, ROUGE_L
emotion (IEMOCAP)  ``classification.emotion_scoring``              accuracy, UAR, unparsed
speaker verif.     ``classification.verification_scoring``         accuracy, UAR, unparsed
En->Zh (CoVoST 2)  ``translation.TranslationScoring``              sacreBLEU (``zh``), CER
every task         ``multitask.MultitaskScoring``                  ``"<task> <metric>"``
=================  ==============================================  ==========================
"""
