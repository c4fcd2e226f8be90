"""Long-audio chunk planning and transcript stitching (no model needed)."""

import pytest

from speechbrain_listen.inference.chunking import (
    longest_common_run,
    plan_chunks,
    stitch_transcripts,
)


@pytest.mark.parametrize("length", [1, 299, 300, 301, 549, 550, 551, 700, 1234])
def test_chunks_cover_everything_within_the_window(length):
    window, overlap = 300, 50
    chunks = plan_chunks(length, window, overlap)
    assert chunks[0][0] == 0 and chunks[-1][1] == length
    assert all(0 < end - start <= window for start, end in chunks)
    for (s1, e1), (s2, e2) in zip(chunks, chunks[1:]):
        assert e1 - s2 == overlap  # every seam is heard by both neighbours
        assert s2 > s1 and e2 > e1
    assert len(chunks) == (1 if length <= window else -(-(length - overlap) // (window - overlap)))


def test_bad_chunk_settings_raise():
    with pytest.raises(ValueError):
        plan_chunks(100, window=30, overlap=30)
    with pytest.raises(ValueError):
        plan_chunks(100, window=0, overlap=0)


def words(first, last):
    return " ".join(f"w{k}" for k in range(first, last))


def test_overlapping_transcripts_merge_without_loss_or_repeats():
    spans = [(0, 30), (25, 55), (50, 70)]
    texts = [words(0, 30), words(25, 55), words(50, 70)]
    assert stitch_transcripts(texts, spans) == words(0, 70)


def test_seam_ignores_case_and_punctuation():
    texts = ["The cat sat on the mat.", "on the mat, the dog slept"]
    assert stitch_transcripts(texts, [(0, 6), (3, 9)]) == "The cat sat on the mat. the dog slept"


def test_without_a_common_run_both_sides_are_cut_mid_overlap():
    # 10 words per 10 s on both sides, 4 s overlap: ~4 words each side are
    # in the overlap; 2 are dropped from each (the middle of the overlap).
    texts = [words(0, 10), words(100, 110)]
    assert stitch_transcripts(texts, [(0, 10), (6, 16)]) == words(0, 8) + " " + words(102, 110)


def test_one_common_word_is_not_a_seam_when_more_are_expected():
    left = "a b c d e f g h i the"
    right = "the x y z q r s t u v"
    merged = stitch_transcripts([left, right], [(0, 10), (5, 15)])
    # "the" alone would glue the texts; the midpoint fallback is used instead.
    assert merged.split() == left.split()[:8] + right.split()[2:]


def test_edge_cases():
    assert stitch_transcripts([], []) == ""
    assert stitch_transcripts(["just one"], [(0, 5)]) == "just one"
    assert stitch_transcripts(["a b c", ""], [(0, 30), (25, 40)]) == "a b c"
    assert stitch_transcripts(["", "x y"], [(0, 30), (25, 40)]) == "x y"
    with pytest.raises(ValueError):
        stitch_transcripts(["a"], [(0, 1), (1, 2)])


def test_longest_common_run_prefers_the_latest_match():
    assert longest_common_run(["x", "y", "x", "y"], ["x", "y"]) == (2, 0, 2)
    assert longest_common_run(["a"], ["b"])[2] == 0
    assert longest_common_run(["", ""], ["", ""])[2] == 0  # empty words never match
