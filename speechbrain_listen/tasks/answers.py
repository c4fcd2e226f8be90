"""Answers as labels: a free-text answer parsed into one of a few classes.

Two tasks of docs/design.md section 2 ask for a one-word answer: emotion
recognition (IEMOCAP's four classes) and speaker verification (yes or no).
An LLM does not always answer with the class name itself ("The speaker
sounds excited.", "Yeah."), so an answer is *parsed*: the first word of the
normalised answer that is a class or a synonym of one is the label; an
answer without any is :data:`UNPARSED`. Scoring counts it wrong and apart
(``speechbrain_listen.scoring.classification``), so a model that stopped
answering in one word is visible as such; inference returns None for it
(``ListenAudioLLM.verify_speakers``, ``recognize_emotion_file``).

Authors
 * speechbrain-listen contributors 2026
"""

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


class AnswerParser:
    """Parses answers against a closed set of one-word classes.

    Arguments
    ---------
    classes : sequence of str
        The class names (single words, case and punctuation ignored).
    synonyms : dict, optional
        Word -> class name, for answers that use another word
        (``{"excited": "happy"}``).

    Raises
    ------
    ValueError
        For fewer than two distinct classes, a class or synonym of several
        words, a synonym of no class, or a word standing for two classes.

    Example
    -------
    >>> parser = AnswerParser(("yes", "no"), {"yeah": "yes"})
    >>> parser.parse("Yeah, it is."), parser.parse("No."), parser.parse("Hmm.")
    ('yes', 'no', 'unparsed')
    >>> parser.reference_label("YES")
    'yes'
    >>> parser.synonyms
    {'yeah': 'yes'}
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

    @property
    def synonyms(self):
        """Word -> class, for the words other than the class names."""
        return {word: label for word, label in self.labels.items() if word != label}

    def parse(self, text):
        """The class named by the first class word or synonym of ``text``.

        Arguments
        ---------
        text : str
            A decoded answer.

        Returns
        -------
        str
            A class name, or :data:`UNPARSED`.
        """
        for word in normalize_for_scoring(text).split():
            if word in self.labels:
                return self.labels[word]
        return UNPARSED

    def reference_label(self, target):
        """The class of a reference, which must *be* a class or synonym.

        Unlike answers, references are not searched word by word: a
        reference that names no class is a data error, reported as such.

        Arguments
        ---------
        target : str
            A reference label.

        Returns
        -------
        str
            A class name.

        Raises
        ------
        ValueError
            For a reference outside the classes.
        """
        label = self.labels.get(normalize_for_scoring(target))
        if label is None:
            raise ValueError(f"reference {target!r} is none of the classes {self.classes}")
        return label


def emotion_answers():
    """The parser of emotion answers (IEMOCAP's four classes).

    Returns
    -------
    AnswerParser

    Example
    -------
    >>> emotion_answers().parse("I think the speaker sounds excited.")
    'happy'
    """
    return AnswerParser(EMOTION_CLASSES, EMOTION_SYNONYMS)


def verification_answers():
    """The parser of speaker-verification answers (yes or no).

    Returns
    -------
    AnswerParser

    Example
    -------
    >>> verification_answers().parse("Yes, same person.")
    'yes'
    >>> verification_answers().parse("Not the same person.")  # "not" is no "no"
    'unparsed'
    """
    return AnswerParser(VERIFICATION_CLASSES, VERIFICATION_SYNONYMS)
