"""Scoring: every task's metrics.

* ``captioning``: BLEU, METEOR, ROUGE-L, CIDEr-D, SPICE, SPIDEr.
* ``tasks``: classification, translation, and all tasks at once.
* ``text_normalization``: the normalisation applied before scoring.
"""
