"""Long audio: overlapping chunks the size of the encoder window, and stitching.

The frozen Whisper encoder sees at most one window (30 s, or the shorter
``whisper_seconds`` a recipe chose); ``AudioEncoder`` would cut anything
longer. For inference, a long recording is instead split into chunks of one
window each, every chunk overlapping the previous one by a few seconds, each
chunk is decoded on its own, and the answers are put back together:

* transcripts are **stitched**: the words both neighbours heard in their
  common stretch of audio are found by matching the end of the text so far
  against the start of the next chunk's text (longest common run of words,
  compared without case or punctuation), and kept once. The overlap exists so
  that a word cut in half at one chunk's edge is heard whole by the other.
  When no common run is found (a model that answered differently in the two
  halves), both texts are cut at the middle of the overlap, with the number
  of words per second of each chunk as the clock;
* other answers (captions, questions) cannot be merged word by word; the
  inference interface can return them one per chunk instead.

The LLM gives no timestamps, so the text itself is the only thing to align
on; this is the same idea as the longest-common-subsequence merge used for
chunked CTC and Whisper decoding, on words.

Authors
 * speechbrain-listen contributors 2026
"""

import math
import re

_NOT_WORD = re.compile(r"[^\w']+")


def plan_chunks(num_samples, window, overlap):
    """Splits ``num_samples`` into windows that overlap by ``overlap``.

    Arguments
    ---------
    num_samples : int
        Length of the recording.
    window : int
        Largest chunk (the encoder window), in samples.
    overlap : int
        Samples shared by two neighbouring chunks; ``0 <= overlap < window``.

    Returns
    -------
    list of (int, int)
        ``(start, end)`` of each chunk, in order; a single ``(0, num_samples)``
        when the recording fits in one window. Chunks start every
        ``window - overlap`` samples; the last one ends at ``num_samples``.

    Example
    -------
    >>> plan_chunks(70, window=30, overlap=5)  # e.g. seconds
    [(0, 30), (25, 55), (50, 70)]
    >>> plan_chunks(12, window=30, overlap=5)
    [(0, 12)]
    """
    if window <= 0 or not 0 <= overlap < window:
        raise ValueError(f"need 0 <= overlap < window, got overlap={overlap}, window={window}")
    if num_samples <= window:
        return [(0, num_samples)]
    hop = window - overlap
    chunks = []
    start = 0
    while True:
        end = min(start + window, num_samples)
        chunks.append((start, end))
        if end == num_samples:
            return chunks
        start += hop


def _key(word):
    """A word as compared across chunks: lower case, no punctuation."""
    return _NOT_WORD.sub("", word.lower())


def longest_common_run(left, right):
    """Longest run of equal words that ends in ``left`` and starts in ``right``.

    Arguments
    ---------
    left, right : list of str
        Normalised words.

    Returns
    -------
    (int, int, int)
        Start in ``left``, start in ``right`` and length of the longest
        common contiguous run (the latest one in ``left`` on ties, which sits
        nearest the overlap); length 0 if the lists share no word.

    Example
    -------
    >>> longest_common_run(["a", "b", "c", "d"], ["c", "d", "e"])
    (2, 0, 2)
    """
    best = (0, 0, 0)
    previous = [0] * (len(right) + 1)
    for i, word in enumerate(left):
        current = [0] * (len(right) + 1)
        for j, other in enumerate(right):
            if word and word == other:
                current[j + 1] = previous[j] + 1
                if current[j + 1] >= best[2]:
                    length = current[j + 1]
                    best = (i - length + 1, j - length + 1, length)
        previous = current
    return best


def stitch_transcripts(texts, spans, min_match=2):
    """Joins the transcripts of overlapping chunks into one text.

    Arguments
    ---------
    texts : list of str
        Transcript of each chunk, in order.
    spans : list of (int, int)
        ``(start, end)`` of each chunk (any unit, e.g. samples), as returned
        by :func:`plan_chunks`.
    min_match : int
        Fewest common words accepted as the seam (one common word is too
        often a coincidence such as "the"); 1 is accepted where both sides
        expect fewer than two words in the overlap.

    Returns
    -------
    str
        The stitched transcript, words separated by single spaces.

    Example
    -------
    >>> stitch_transcripts(
    ...     ["one two three four five six", "five six seven eight nine ten"],
    ...     [(0, 6), (4, 10)])
    'one two three four five six seven eight nine ten'
    """
    if len(texts) != len(spans):
        raise ValueError(f"{len(texts)} texts for {len(spans)} spans")
    if not texts:
        return ""
    merged = texts[0].split()
    previous_words, previous_span = len(merged), spans[0]
    for text, span in zip(texts[1:], spans[1:]):
        words = text.split()
        overlap = max(0, previous_span[1] - span[0])
        # Expected words inside the overlap, from each chunk's speaking rate.
        expect_prev = previous_words * overlap / max(1, previous_span[1] - previous_span[0])
        expect_next = len(words) * overlap / max(1, span[1] - span[0])
        # Search a little further than expected: speaking rates vary.
        tail = min(len(merged), math.ceil(1.5 * expect_prev) + 3)
        head = min(len(words), math.ceil(1.5 * expect_next) + 3)
        offset = len(merged) - tail
        left_start, right_start, length = longest_common_run(
            [_key(w) for w in merged[offset:]], [_key(w) for w in words[:head]]
        )
        needed = 1 if max(expect_prev, expect_next) < 2 else min_match
        if overlap > 0 and length >= needed:
            merged = merged[: offset + left_start + length] + words[right_start + length :]
        else:
            # No reliable seam: cut both sides at the middle of the overlap.
            drop_prev = min(len(merged), round(expect_prev / 2))
            drop_next = round(expect_next / 2)
            merged = merged[: len(merged) - drop_prev] + words[drop_next:]
        previous_words, previous_span = len(words), span
    return " ".join(merged)
