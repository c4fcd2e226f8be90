"""Text normalisation before scoring: lower case, no punctuation.

LLMs answer in sentence case with punctuation while references (LibriSpeech)
are upper case without any; both sides are normalised the same way before
WER, CER and the captioning metrics (docs/design.md section 2).

Authors
 * speechbrain-listen contributors 2026
"""

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w\s']|_")
_SPACES = re.compile(r"\s+")


def normalize_for_scoring(text):
    """Lower-cases, strips punctuation (apostrophes kept), squeezes spaces.

    Arguments
    ---------
    text : str
        Hypothesis or reference.

    Returns
    -------
    str

    Example
    -------
    >>> normalize_for_scoring("Hello, World!  It's   ME.")
    "hello world it's me"
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'")
    text = _NOT_WORD.sub(" ", text)
    text = " ".join(word.strip("'") for word in text.split())
    return _SPACES.sub(" ", text).strip()


def words_for_scoring(text):
    """Normalised word list (``ErrorRateStats`` input).

    Example
    -------
    >>> words_for_scoring("A cat.")
    ['a', 'cat']
    """
    return normalize_for_scoring(text).split()
