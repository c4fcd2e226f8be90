"""Free-text answers parsed into labels, as scoring and inference both do."""

import pytest

from speechbrain_listen.tasks.answers import (
    UNPARSED,
    AnswerParser,
    emotion_answers,
    verification_answers,
)


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("Happy.", "happy"),
        ("I think the speaker sounds excited", "happy"),
        ("ANGER!", "angry"),
        ("The emotion is sadness.", "sad"),
        ("calm", "neutral"),
        # The first class word wins, whatever follows.
        ("Sad, or maybe happy", "sad"),
        ("blorp zzz", UNPARSED),
        ("", UNPARSED),
    ],
)
def test_emotion_parsing(answer, expected):
    assert emotion_answers().parse(answer) == expected


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("Yes, same person", "yes"),
        ("no.", "no"),
        ("Nope, two speakers", "no"),
        ("Same person", UNPARSED),
        ("I cannot tell", UNPARSED),
    ],
)
def test_verification_parsing(answer, expected):
    assert verification_answers().parse(answer) == expected


def test_a_synonym_maps_to_its_class_and_case_and_punctuation_do_not_matter():
    parser = AnswerParser(("Yes", "No"), {"Yeah": "yes"})
    assert parser.classes == ("yes", "no")
    assert parser.parse("YEAH!!!") == "yes"
    assert parser.synonyms == {"yeah": "yes"}


def test_a_reference_must_be_a_class_or_synonym_not_contain_one():
    parser = emotion_answers()
    assert parser.reference_label("Excited") == "happy"
    with pytest.raises(ValueError, match="none of the classes"):
        parser.reference_label("very happy")


@pytest.mark.parametrize(
    "classes, synonyms, message",
    [
        (("yes",), None, "two distinct"),
        (("yes", "yes"), None, "two distinct"),
        (("yes", "not sure"), None, "one word"),
        (("yes", UNPARSED), None, "one word other than"),
        (("yes", "no"), {"same person": "yes"}, "one word"),
        (("yes", "no"), {"maybe": "unsure"}, "not one of"),
        (("yes", "no"), {"yes": "no"}, "both"),
    ],
)
def test_bad_class_definitions_are_refused(classes, synonyms, message):
    with pytest.raises(ValueError, match=message):
        AnswerParser(classes, synonyms)
