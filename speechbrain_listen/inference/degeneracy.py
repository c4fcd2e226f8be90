"""Degenerate transcripts: detect them, decode them again, or empty them.

A half-trained (or simply unlucky) audio LLM sometimes answers a
transcription request like the chatbot it was built from. A transcript must
never be a chat reply, so every decoded transcript goes through
:class:`DegeneracyDetector`, which runs four checks and says which fired:

``repetition``
    A word n-gram (2 to 6 words) repeated ``max_ngram_repeats`` (3) times in
    a row ("the message handled by the message handled by the message
    handled by"), or one word ``max_word_run`` (4) times in a row ("over
    over over over"). "no no" or "nine nine nine" (a phone number) pass.
``compression``
    The gzip compression ratio of the text above ``max_compression_ratio``
    (2.4, Whisper's threshold): long text made of a few repeated pieces.
``template``
    The model's own prompt reappearing: its system prompt, the instruction
    it was given, the ``<Speech>``/``</Speech>`` tags, or chat-template
    markers (``<|im_start|>``, a line starting with ``assistant``).
``chat``
    An assistant phrase (:data:`CHAT_PATTERNS`): "I'm sorry, but I can't
    assist", "as an AI", "I'm here to help", "how can I help you" ...

:func:`decode_with_fallback` is the policy shared by the Brain's test decode
and the inference interface: an item whose first transcript is degenerate is
decoded again with :data:`FALLBACK_OPTIONS` (greedy, no repeated 3-gram, a
repetition penalty); if that is degenerate too the transcript is emptied.
:class:`DegeneracyCounts` adds up what happened.

Authors
 * speechbrain-listen contributors 2026
"""

import dataclasses
import re
import zlib
from typing import Optional, Tuple

CHECKS = ("repetition", "compression", "template", "chat")

# Assistant phrases, matched on lower-cased text with normalised apostrophes.
# Deliberately specific: "I'm sorry" alone is ordinary speech (and common in
# audiobooks), "I'm sorry, but I can't assist you" is not.
_CANT = (
    r"(?: can't| cannot| can not| am not able to|'m not able to| am unable to|'m unable to"
    r"| won't be able to| don't have the ability to)"
)
CHAT_PATTERNS = (
    rf"\bi(?:'m| am) sorry,? but i{_CANT}",
    rf"\bi{_CANT} (?:assist|help) (?:you|with)\b",
    rf"\bi{_CANT} (?:transcribe|process|access|hear|listen to|understand)"
    r"(?: the| this| your| that| any)? (?:audio|speech|recording|file|sound)",
    r"\bas an ai\b",
    r"\b(?:an|a) (?:ai|artificial intelligence)(?: language)? (?:model|assistant)\b",
    r"\bas a (?:large )?language model\b",
    r"\bi(?:'m| am) (?:just )?an ai\b",
    r"\bi(?:'m| am) here to (?:help|assist)\b",
    r"\bhow (?:can|may) i (?:help|assist) you\b",
    r"\bis there anything else i can\b",
    r"\bfeel free to ask\b",
    r"\bi(?:'m| am) (?:happy|glad) to (?:help|assist)\b",
    r"\bhelpful (?:ai )?assistant\b",
)

# Chat-template markup that has no business in a transcript.
MARKUP_PATTERNS = (
    r"</?\s*speech(?:here)?\s*>",
    r"<\|[a-z_]+\|>",
    r"(?:^|\n)\s*(?:system|user|assistant)\s*(?::|\n|$)",
)

FALLBACK_OPTIONS = {"num_beams": 1, "no_repeat_ngram_size": 3, "repetition_penalty": 1.3}

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def _normalize(text):
    """Lower case, straight apostrophes, single spaces."""
    return " ".join(text.lower().replace("\u2019", "'").replace("\u2018", "'").split())


def _words(text):
    """Lower-cased words (letters, digits, inner apostrophes)."""
    return _WORD.findall(_normalize(text))


def compression_ratio(text):
    """Bytes of the text over bytes of its zlib compression (Whisper's test).

    Arguments
    ---------
    text : str
        Any text.

    Returns
    -------
    float
        Near 1 for short or varied text, large for repeated text; 0 for "".

    Example
    -------
    >>> compression_ratio("") == 0.0
    True
    >>> compression_ratio("over " * 40) > 2.4
    True
    >>> compression_ratio("the birch canoe slid on the smooth planks") < 2.4
    True
    """
    data = text.encode("utf-8")
    if not data:
        return 0.0
    return len(data) / len(zlib.compress(data))


def longest_repeat(words, max_n=6):
    """The longest run of an n-gram repeated back to back.

    Arguments
    ---------
    words : list of str
        The words.
    max_n : int
        Longest n-gram considered.

    Returns
    -------
    list of (int, int)
        For each ``n`` in ``1..max_n``: ``(n, repeats)`` with the most
        consecutive repeats of any n-gram (1 when nothing repeats).

    Example
    -------
    >>> longest_repeat("a b c a b c a b c d".split(), max_n=3)
    [(1, 1), (2, 1), (3, 3)]
    """
    result = []
    for n in range(1, max_n + 1):
        best = 1
        for start in range(n):
            run = 1
            for i in range(start + n, len(words) - n + 1, n):
                if words[i : i + n] == words[i - n : i]:
                    run += 1
                    best = max(best, run)
                else:
                    run = 1
        result.append((n, best))
    return result


@dataclasses.dataclass(frozen=True)
class DegeneracyReport:
    """Which checks fired on one transcript.

    Attributes
    ----------
    checks : tuple of str
        Names from :data:`CHECKS`, in that order; empty for a clean text.
    details : tuple of str
        One human-readable reason per fired check.
    """

    checks: Tuple[str, ...] = ()
    details: Tuple[str, ...] = ()

    @property
    def degenerate(self):
        """True when any check fired."""
        return bool(self.checks)

    def __bool__(self):
        return self.degenerate


class DegeneracyDetector:
    """Finds transcripts that loop, repeat the prompt, or chat.

    Arguments
    ---------
    system_prompt : str, optional
        The model's system text: any 5 consecutive words of it (all of it
        when shorter) in a transcript fire ``template``.
    instructions : list of str
        Instruction texts of the prompt, checked like the system prompt.
    markers : list of str
        Literal strings that fire ``template`` (template tags, chat markers).
    max_ngram_repeats : int
        A 2- to 6-word n-gram repeated this many times in a row fires
        ``repetition``.
    max_word_run : int
        One word this many times in a row fires ``repetition``.
    max_compression_ratio : float
        Above this gzip ratio ``compression`` fires (Whisper: 2.4).

    Example
    -------
    >>> detector = DegeneracyDetector(
    ...     "You are a helpful AI assistant for solving speech related tasks.",
    ...     ["Recognize the speech and give me the transcription."],
    ... )
    >>> detector("no no I said the twenty second of May").checks
    ()
    >>> detector("over over over over over").checks
    ('repetition',)
    >>> detector("I'm sorry, but I'm not able to assist you with your speech.").checks
    ('chat',)
    >>> detector("<Speech> hello").checks
    ('template',)
    >>> report = detector("You are a helpful AI assistant for solving speech related tasks.")
    >>> report.degenerate, report.checks
    (True, ('template', 'chat'))
    """

    def __init__(
        self,
        system_prompt=None,
        instructions=(),
        markers=(),
        max_ngram_repeats=3,
        max_word_run=4,
        max_compression_ratio=2.4,
    ):
        self.max_ngram_repeats = max_ngram_repeats
        self.max_word_run = max_word_run
        self.max_compression_ratio = max_compression_ratio
        self.markers = tuple(m for m in markers if m and m.strip())
        self.echo_spans = set()
        for text in ([system_prompt] if system_prompt else []) + list(instructions):
            words = _words(text)
            span = min(len(words), 5)
            for i in range(len(words) - span + 1):
                if span:
                    self.echo_spans.add(" ".join(words[i : i + span]))
        self.chat_patterns = [re.compile(p) for p in CHAT_PATTERNS]
        self.markup_patterns = [re.compile(p, re.IGNORECASE) for p in MARKUP_PATTERNS]

    @classmethod
    def for_llm(cls, llm, instructions=(), **kwargs):
        """A detector for the prompt of an ``LLMLobe``.

        Arguments
        ---------
        llm : LLMLobe
            Gives the system prompt and the template markers.
        instructions : list of str
            The instructions the transcripts answered.
        **kwargs : dict
            Thresholds of the constructor.

        Returns
        -------
        DegeneracyDetector
        """
        return cls(llm.system_prompt, list(dict.fromkeys(instructions)), llm.template_markers(), **kwargs)

    def __call__(self, text):
        """Runs every check on one transcript.

        Arguments
        ---------
        text : str
            A decoded transcript.

        Returns
        -------
        DegeneracyReport
        """
        fired, details = [], []
        words = _words(text)
        for n, repeats in longest_repeat(words):
            limit = self.max_word_run if n == 1 else self.max_ngram_repeats
            if repeats >= limit:
                fired.append("repetition")
                details.append(f"a {n}-word sequence repeated {repeats} times in a row")
                break
        ratio = compression_ratio(text)
        if ratio > self.max_compression_ratio:
            fired.append("compression")
            details.append(f"compression ratio {ratio:.2f} > {self.max_compression_ratio}")
        template = self._template_reason(text, words)
        if template:
            fired.append("template")
            details.append(template)
        normalized = _normalize(text)
        for pattern in self.chat_patterns:
            if pattern.search(normalized):
                fired.append("chat")
                details.append(f"assistant phrase {pattern.pattern!r}")
                break
        return DegeneracyReport(tuple(fired), tuple(details))

    def _template_reason(self, text, words):
        """Why the text holds template or prompt text, else None."""
        for marker in self.markers:
            if marker in text:
                return f"template text {marker!r}"
        for pattern in self.markup_patterns:
            if pattern.search(text):
                return f"chat markup {pattern.pattern!r}"
        if self.echo_spans:
            joined = f" {' '.join(words)} "
            for span in self.echo_spans:
                if f" {span} " in joined:
                    return f"prompt text {span!r}"
        return None


@dataclasses.dataclass(frozen=True)
class FallbackOutcome:
    """What the degeneracy policy did to one transcript.

    Attributes
    ----------
    checks : tuple of str
        Checks that fired on the first decode (empty: it was clean).
    fallback : str or None
        None (no fallback), ``"decoded"`` (the fallback decode was clean
        and is the transcript) or ``"emptied"`` (it was degenerate too:
        the transcript is ``""``).
    """

    checks: Tuple[str, ...] = ()
    fallback: Optional[str] = None

    @property
    def degenerate(self):
        """True when the first decode was degenerate."""
        return bool(self.checks)


CLEAN = FallbackOutcome()


def settle_fallback(first_report, text, detector):
    """The transcript kept after a fallback decode, and what happened.

    The one rule both the Brain and the inference interface apply: the
    fallback transcript is kept unless it is degenerate too, then emptied.

    Arguments
    ---------
    first_report : DegeneracyReport
        The report on the first (degenerate) transcript.
    text : str
        The fallback decode's transcript.
    detector : DegeneracyDetector
        Decides what is degenerate.

    Returns
    -------
    text : str
        ``text``, or ``""`` if it is degenerate as well.
    outcome : FallbackOutcome

    Example
    -------
    >>> detector = DegeneracyDetector()
    >>> first = detector("I'm sorry, but I can't assist with that.")
    >>> settle_fallback(first, "the birch canoe", detector)
    ('the birch canoe', FallbackOutcome(checks=('chat',), fallback='decoded'))
    >>> settle_fallback(first, "over over over over over", detector)[0]
    ''
    """
    if detector(text).degenerate:
        return "", FallbackOutcome(first_report.checks, "emptied")
    return text, FallbackOutcome(first_report.checks, "decoded")


def decode_with_fallback(llm, inputs, texts, rows, detector, max_new_tokens, example_limits=None):
    """Decodes the degenerate transcripts of a batch again, or empties them.

    Arguments
    ---------
    llm : LLMLobe
        The LLM that decoded ``texts``.
    inputs : LLMInputs
        The batch it decoded (without labels).
    texts : list of str
        The first transcripts, one per row of ``inputs``.
    rows : list of int
        The rows that are transcripts (others are left alone).
    detector : DegeneracyDetector
        Decides what is degenerate.
    max_new_tokens : int
        As in the first decode.
    example_limits : list of int, optional
        As in the first decode.

    Returns
    -------
    texts : list of str
        The transcripts after the policy.
    outcomes : list of FallbackOutcome
        One per row of ``inputs``.
    """
    texts = list(texts)
    outcomes = [CLEAN] * len(texts)
    reports = {i: detector(texts[i]) for i in rows}
    redo = [i for i in rows if reports[i].degenerate]
    if not redo:
        return texts, outcomes
    index = inputs.embeds.new_tensor(redo).long()
    subset = type(inputs)(inputs.embeds.index_select(0, index), inputs.attention_mask.index_select(0, index))
    options = dict(FALLBACK_OPTIONS)
    num_beams = options.pop("num_beams")
    limits = None if example_limits is None else [example_limits[i] for i in redo]
    again = llm.generate(
        subset, num_beams=num_beams, max_new_tokens=max_new_tokens, example_limits=limits, **options
    )
    for i, text in zip(redo, again):
        texts[i], outcomes[i] = settle_fallback(reports[i], text, detector)
    return texts, outcomes


class DegeneracyCounts:
    """Counts degenerate transcripts, fallback decodes and emptied ones.

    Example
    -------
    >>> counts = DegeneracyCounts()
    >>> counts.add([CLEAN, FallbackOutcome(("chat",), "decoded"),
    ...     FallbackOutcome(("repetition",), "emptied")])
    >>> counts.stats()
    {'degenerate transcripts': 2, 'fallback decodes': 2, 'emptied': 1}
    >>> counts.summary()
    'degenerate transcripts: 2, fallback decodes: 2, emptied: 1'
    """

    def __init__(self):
        self.degenerate = 0
        self.fallback_decodes = 0
        self.emptied = 0

    def add(self, outcomes):
        """Adds the outcomes of a batch (list of :class:`FallbackOutcome`)."""
        for outcome in outcomes:
            self.degenerate += outcome.degenerate
            self.fallback_decodes += outcome.fallback is not None
            self.emptied += outcome.fallback == "emptied"

    def stats(self):
        """The counts as a dict (for logs and summaries)."""
        return {
            "degenerate transcripts": self.degenerate,
            "fallback decodes": self.fallback_decodes,
            "emptied": self.emptied,
        }

    def summary(self):
        """One line: ``degenerate transcripts: N, fallback decodes: M, emptied: K``."""
        return ", ".join(f"{key}: {value}" for key, value in self.stats().items())
