"""Real English sentences that every Python installation ships, normalised
like LibriSpeech transcripts.

Where the text comes from, and why
----------------------------------
Nothing can be downloaded here, so the prose must already be on the machine.
The source is **Python's own documentation, as shipped with the
interpreter**:

* ``pydoc_data.topics``: the Python Language Reference topics that ``help()``
  shows (about 0.5 MB of edited English prose);
* the docstrings of the pure-Python standard library modules, read with
  ``ast`` from the source files (never imported, so nothing runs).

It was chosen over the alternatives because it needs no install at all
(it is part of CPython, so a fresh machine, a developer's and CI all have
it), it is real, carefully edited English written by people, and it is
large enough: several thousand usable sentences, more than the default
demo corpus needs. Debian's ``fortunes`` (quotations, jokes, song lyrics)
would need an extra package and has an uneven register; no PyPI package
found here ships whole public-domain books. The register is technical
("The return value of a function is determined by the last return statement
executed"), which is fine for an ASR demo: what matters is that audio and
transcript agree and that the vocabulary is open.

The sentence pool only depends on the Python version (the docs change
between releases); :func:`source_fingerprint` identifies it, and the corpus
generator records it so that a corpus is rebuilt when its text would change.

Normalisation
-------------
Transcripts look like LibriSpeech's: upper case, letters ``A-Z``,
apostrophes inside words, single spaces. Sentences that cannot be spoken
unambiguously by a speech synthesizer are dropped rather than rewritten:
digits (numbers are not spelled out), code (underscores, brackets, dotted
names, ``camelCase``, literals in single quotes, words without a vowel),
acronyms in capitals (a synthesizer spells them out
letter by letter while the transcript would show one word), stray single
letters (usually variable names) and abbreviations with dots.

Authors
 * speechbrain-listen contributors 2026
"""

import ast
import collections
import functools
import hashlib
import re
import sys
import sysconfig
import unicodedata
from pathlib import Path

SOURCE_NAME = "python-docs"

Sentence = collections.namedtuple("Sentence", ["spoken", "transcript"])
Sentence.__doc__ = """One usable sentence.

``spoken`` is the original sentence (with its punctuation, which gives the
synthesizer its prosody, and its original case, since an all-capital word
would be spelled out); ``transcript`` is its LibriSpeech-style
normalisation.
"""

# Typographic characters that have a plain ASCII equivalent in prose.
_ASCII_EQUIVALENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": " - ",
    "\u2014": " - ",
    "\u00a0": " ",
}
# A sentence ends at . ! or ? followed by space and a capital (optionally
# after an opening quote); good enough for edited prose without
# abbreviations, and abbreviations are rejected below anyway.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"']?[A-Z])")
# Only letters, spaces, apostrophes and ordinary prose punctuation may
# remain: everything else (digits, brackets, operators, underscores,
# colons that introduce code, slashes of paths) marks a sentence that a
# synthesizer would read differently from its transcript.
_ALLOWED_RAW = re.compile(r"^[A-Za-z '\",;!?.\-]+$")
# A dot inside a token: "os.path", "e.g", "i.e", "3.14".
_INNER_DOT = re.compile(r"\w\.\w")
# A capital after the first letter of a word: identifiers such as
# "SyntaxError", "camelCase" or "SAXException".
_IDENTIFIER = re.compile(r"[A-Za-z][A-Z]")
_WORD = re.compile(r"[A-Za-z']+")
_SINGLE_LETTERS_OK = {"a", "A", "I"}
_VOWEL = re.compile(r"[AEIOUYaeiouy]")


def normalize_transcript(sentence):
    """Returns the LibriSpeech-style transcript of a sentence, or None.

    None means that the sentence is not usable: it contains digits, code,
    acronyms, stray single letters or characters outside plain prose, so a
    synthesizer would not say exactly what the transcript says.

    Arguments
    ---------
    sentence : str
        One sentence of English prose.

    Returns
    -------
    str or None
        Upper-case words (``A-Z`` and inner apostrophes) joined by single
        spaces, or None if the sentence is rejected.

    Example
    -------
    >>> normalize_transcript('The "if" statement isn\\'t well-known, is it?')
    "THE IF STATEMENT ISN'T WELL KNOWN IS IT"
    >>> normalize_transcript("It has 3 items.") is None
    True
    >>> normalize_transcript("Call os.path.join here.") is None
    True
    >>> normalize_transcript("Raise a SyntaxError now.") is None
    True
    >>> normalize_transcript("The API returns it.") is None
    True
    >>> normalize_transcript("Use the letter x here.") is None
    True
    >>> normalize_transcript("Open it in 'rb' mode.") is None
    True
    >>> normalize_transcript('Give "rb" or "wb" here.') is None
    True
    """
    text = _to_ascii(sentence).strip()
    if not text or not _ALLOWED_RAW.match(text):
        return None
    if _INNER_DOT.search(text) or _IDENTIFIER.search(text):
        return None
    # Hyphens join compounds ("well-known") or stand for dashes; either way
    # LibriSpeech transcripts have separate words there.
    words = []
    for token in _WORD.findall(text.replace("-", " ")):
        if token.startswith("'"):
            # A literal in single quotes ('rb', 'utf-8'): code, not prose.
            return None
        # A trailing apostrophe is a plural possessive or a closing quote;
        # LibriSpeech transcripts drop it either way.
        token = token.rstrip("'")
        if not token:
            continue
        if len(token) == 1 and token not in _SINGLE_LETTERS_OK:
            # Usually a variable name ("if x is true"): not prose.
            return None
        if "''" in token:
            return None
        if not _VOWEL.search(token):
            # "rb", "nth", "xyz": spelled out letter by letter, if at all.
            return None
        words.append(token.upper())
    if not words:
        return None
    return " ".join(words)


def split_sentences(text):
    """Splits a text into sentences of prose, skipping code and headings.

    The text is cut into paragraphs at blank lines; indented lines (code
    examples, grammar rules, literal blocks), interpreter sessions and
    heading underlines also end a paragraph and are left out. Each
    paragraph's lines are joined and cut at sentence ends. Only sentences
    that start with a capital letter (or a quote) and end with ``.``, ``!``
    or ``?`` are kept, which drops headings, list items and fragments.

    Arguments
    ---------
    text : str
        Documentation text (reStructuredText-like plain text).

    Returns
    -------
    list of str
        The sentences, in order.

    Example
    -------
    >>> split_sentences("Title\\n*****\\n\\nFirst one. Second one!\\n"
    ...                 "   code = 1\\nnot a sentence")
    ['First one.', 'Second one!']
    """
    sentences = []
    for paragraph in _paragraphs(text):
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = sentence.strip()
            if sentence and sentence[-1] in ".!?" and (sentence[0].isupper() or sentence[0] in "\"'"):
                sentences.append(sentence)
    return sentences


def select_sentences(texts, min_words=5, max_words=20):
    """Turns texts into unique usable sentences of a given length.

    Arguments
    ---------
    texts : iterable of str
        Source texts, in a fixed order (the output keeps it).
    min_words : int
        Fewest words a transcript may have.
    max_words : int
        Most words a transcript may have.

    Returns
    -------
    list of Sentence
        One entry per distinct transcript, first occurrence kept.

    Example
    -------
    >>> pool = select_sentences(
    ...     ["Mutable sequences can be changed. They can. 2 is a number."],
    ...     min_words=3,
    ... )
    >>> [(s.spoken, s.transcript) for s in pool]
    [('Mutable sequences can be changed.', 'MUTABLE SEQUENCES CAN BE CHANGED')]
    """
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"Need 1 <= min_words <= max_words, got {min_words}, {max_words}")
    selected = []
    seen = set()
    for text in texts:
        for sentence in split_sentences(text):
            transcript = normalize_transcript(sentence)
            if transcript is None or transcript in seen:
                continue
            if not min_words <= len(transcript.split()) <= max_words:
                continue
            seen.add(transcript)
            selected.append(Sentence(_spoken_form(sentence), transcript))
    return selected


@functools.lru_cache(maxsize=8)
def python_docs_sentences(min_words=5, max_words=20):
    """The sentence pool from Python's shipped documentation.

    Cached: reading the standard library takes a few seconds and the pool
    never changes within a process.

    Arguments
    ---------
    min_words : int
        Fewest words a transcript may have.
    max_words : int
        Most words a transcript may have.

    Returns
    -------
    tuple of Sentence
        Distinct sentences in a fixed order (topics first, then the
        standard library files sorted by path).

    Example
    -------
    >>> pool = python_docs_sentences()  # doctest: +SKIP
    >>> len(pool) > 3000  # doctest: +SKIP
    True
    """
    return tuple(select_sentences(python_docs_texts(), min_words, max_words))


def python_docs_texts():
    """Yields the raw documentation texts of the running Python.

    Yields
    ------
    str
        First every ``pydoc_data.topics`` entry (sorted by topic name), then
        every module, class and function docstring of the standard library
        source files (sorted by path; tests, IDLE and bundled third-party
        code left out).
    """
    from pydoc_data.topics import topics

    for name in sorted(topics):
        yield topics[name]
    for path in _stdlib_sources():
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError, OSError):
            # E.g. the deliberately broken files some installs keep.
            continue
        for node in ast.walk(tree):
            if isinstance(
                node,
                (
                    ast.Module,
                    ast.ClassDef,
                    ast.FunctionDef,
                    ast.AsyncFunctionDef,
                ),
            ):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    yield doc


def source_fingerprint(sentences):
    """Identifies a sentence pool, so a corpus can tell if its text changed.

    Arguments
    ---------
    sentences : sequence of Sentence
        The pool.

    Returns
    -------
    dict
        The source name, the Python version, the pool size and a SHA-256
        of the spoken texts and transcripts in order.

    Example
    -------
    >>> pool = [Sentence("Hi there you all.", "HI THERE YOU ALL")]
    >>> fp = source_fingerprint(pool)
    >>> fp["sentences"], len(fp["sha256"])
    (1, 64)
    """
    digest = hashlib.sha256()
    for sentence in sentences:
        digest.update(sentence.spoken.encode("utf-8") + b"\0")
        digest.update(sentence.transcript.encode("utf-8") + b"\0")
    return {
        "name": SOURCE_NAME,
        "python": ".".join(str(part) for part in sys.version_info[:3]),
        "sentences": len(sentences),
        "sha256": digest.hexdigest(),
    }


def _to_ascii(text):
    """Maps typographic quotes and dashes to ASCII and folds accents.

    Arguments
    ---------
    text : str
        Any text.

    Returns
    -------
    str
        The text; characters without an ASCII form are kept, so that the
        caller's character check rejects the sentence.
    """
    for fancy, plain in _ASCII_EQUIVALENTS.items():
        text = text.replace(fancy, plain)
    # Accented letters ("naive" with a diaeresis) lose the accent.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _spoken_form(sentence):
    """The text given to the synthesizer for a usable sentence.

    Double quotes become spaces (a synthesizer may pause on them oddly, and
    the docs have typos such as ``is"all"`` where a space is missing);
    punctuation that shapes prosody stays.

    Arguments
    ---------
    sentence : str
        A sentence accepted by :func:`normalize_transcript`.

    Returns
    -------
    str
    """
    text = _to_ascii(sentence).replace('"', " ")
    return re.sub(r"\s+", " ", text).strip()


def _paragraphs(text):
    """Yields the prose paragraphs of a documentation text, lines joined.

    Arguments
    ---------
    text : str
        Documentation text.

    Yields
    ------
    str
    """
    block = []
    for line in text.splitlines():
        stripped = line.strip()
        is_break = (
            not stripped
            # Indented: code, grammar productions, literal blocks, and the
            # bodies of definition lists, which are rarely whole sentences.
            or line[:1].isspace()
            # Interactive sessions in docstrings.
            or stripped.startswith((">>>", "..."))
            # Heading underlines and transitions (****, ====, ----).
            or set(stripped) <= set("*=-~^#+")
        )
        if is_break:
            if block:
                yield " ".join(block)
                block = []
            continue
        block.append(stripped)
    if block:
        yield " ".join(block)


def _stdlib_sources():
    """The pure-Python standard library files, sorted by relative path.

    Returns
    -------
    list of pathlib.Path
    """
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    skipped = {
        "site-packages",
        "dist-packages",
        "test",
        "tests",
        "idlelib",
        "lib2to3",
        "turtledemo",
        "ensurepip",
        "pydoc_data",
        "__pycache__",
    }
    files = []
    for path in stdlib.rglob("*.py"):
        parts = path.relative_to(stdlib).parts
        if any(part in skipped or part.startswith("config-") for part in parts):
            continue
        files.append(path)
    return sorted(files, key=lambda p: p.relative_to(stdlib).as_posix())
