"""Captioning metrics: our MetricStats against pycocoevalcap's own scorers.

The reference numbers are computed here, in the test, the way
pycocoevalcap's ``COCOEvalCap`` does it (PTB-tokenise references and
hypotheses, then each scorer's ``compute_score``), on a fixed set of
hypotheses and references; the wrappers must match them clip by clip,
whatever the batching and order of ``append`` calls.
"""

import json
import math
import pathlib
import shutil
from types import SimpleNamespace

import pytest
import speechbrain as sb

from speechbrain_listen.scoring import captioning as cm

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="needs Java (PTB tokeniser)")

# Clotho-like clips: five references each, with the punctuation, quotes,
# clitics, unicode and line breaks that tokenisation must handle.
CLIPS = {
    "clip one": (
        "A dog barks twice, then a car passes.",
        [
            "A dog barks twice and then a car drives past.",
            'Dogs bark while "cars" drive by on the street.',
            "A dog is barking as a vehicle passes by.",
            "Two barks from a dog, followed by a passing car.",
            "A car passes after a dog barks two times.",
        ],
    ),
    "clip,2": (
        "rain is falling on a tin roof",
        [
            "Rain falls on a tin roof.",
            "It's raining heavily on a metal roof outside.",
            "Heavy rain pours down onto a roof.",
            "Raindrops hit a tin roof steadily.",
            "Rain is falling on the roof of a house.",
        ],
    ),
    "clip-3": (
        "A man speaks while birds chirp in the background.",
        [
            "A man talks as birds chirp in the background.",
            "Birds are chirping while a man speaks.",
            "A male voice speaks over birdsong.",
            "Birds sing and a man is talking.",
            "A person speaks while birds tweet nearby.",
        ],
    ),
    "clip 4 (café)": (
        "People talk in a busy café — cups clink.",
        [
            "People chat in a busy café while cups clink.",
            "Crowd chatter and the clinking of dishes in a restaurant.",
            "Many people talk as cups and plates clink.",
            "A busy cafe with people talking and dishes clattering.",
            "Voices murmur in a crowded room as cutlery clinks.",
        ],
    ),
    "clip5": (
        "a siren wails\rand fades",
        [
            "A siren wails and slowly fades away.",
            "An emergency siren sounds and then fades out.",
            "A siren is wailing in the distance.",
            "A police siren goes by and fades.",
            "The wail of a siren fades into the distance.",
        ],
    ),
    "clip6": (
        "",  # an empty hypothesis (a model that says nothing) scores, never crashes
        [
            "Footsteps walk slowly across a wooden floor.",
            "Someone walks slowly on a wooden floor.",
            "A person is walking on wooden boards.",
            "Slow footsteps on a creaky floor.",
            "Somebody walks across a hard wooden floor.",
        ],
    ),
}
ORDER = list(CLIPS)


def reference_scores():
    """pycocoevalcap as COCOEvalCap runs it: {metric: (corpus, {id: clip})}."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    # COCOEvalCap tokenises references and results separately; line breaks
    # are made spaces first (see cm._LINE_BREAKS) as the wrapper does.
    gts = {k: [{"caption": r} for r in refs] for k, (_, refs) in CLIPS.items()}
    res = {k: [{"caption": hyp.replace("\r", " ")}] for k, (hyp, _) in CLIPS.items()}
    gts, res = PTBTokenizer().tokenize(gts), PTBTokenizer().tokenize(res)
    out = {}
    bleu, bleu_clips = Bleu(4).compute_score(gts, res, verbose=0)
    keys = list(gts)
    for n in range(4):
        out[f"BLEU_{n + 1}"] = (bleu[n], dict(zip(keys, bleu_clips[n])))
    meteor = Meteor()
    score, clips = meteor.compute_score(gts, res)
    out["METEOR"] = (score, dict(zip(keys, clips)))
    score, clips = Rouge().compute_score(gts, res)
    out["ROUGE_L"] = (score, dict(zip(keys, clips)))
    score, clips = Cider().compute_score(gts, res)
    out["CIDEr-D"] = (score, dict(zip(keys, clips)))
    return out


@pytest.fixture(scope="module")
def reference():
    return reference_scores()


@pytest.fixture(scope="module")
def ours():
    """All metrics, appended in two batches in a shuffled order, scale 1."""
    stats = cm.CaptioningStats(metrics=["BLEU", "METEOR", "ROUGE_L", "CIDEr-D"], scale=1.0)
    shuffled = [ORDER[i] for i in (3, 0, 5, 1, 4, 2)]
    for batch in (shuffled[:4], shuffled[4:]):
        stats.append(batch, [CLIPS[k][0] for k in batch], [CLIPS[k][1] for k in batch])
    stats.compute()
    return stats


@pytest.mark.parametrize("name", ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr-D"])
def test_matches_pycocoevalcap(name, reference, ours):
    corpus, clips = reference[name]
    assert ours.summarize(name) == pytest.approx(corpus, rel=1e-9, abs=1e-12)
    for uid, scores in zip(ours.ids, ours.scores):
        assert scores[name] == pytest.approx(clips[uid], rel=1e-9, abs=1e-12), uid
    # Not a degenerate agreement: the scores differ between clips.
    assert len({round(s[name], 9) for s in ours.scores}) > 2


def test_reference_numbers_are_sane(ours):
    """Pinned properties of the fixed set: a check on pycocoevalcap itself."""
    summary = ours.summarize()
    assert 0 < summary["BLEU_4"] < summary["BLEU_3"] < summary["BLEU_2"] < summary["BLEU_1"] < 1
    empty = ours.scores[ours.ids.index("clip6")]
    assert empty["ROUGE_L"] == 0 and empty["CIDEr-D"] == 0 and empty["METEOR"] == 0
    rain = ours.scores[ours.ids.index("clip,2")]
    assert rain["ROUGE_L"] > 0.5 and rain["CIDEr-D"] > 1.0


def test_scale_and_subsets():
    """Scale 100 multiplies every score; a metric subset gives the same values."""
    ids = ORDER[:3]
    hyps = [CLIPS[k][0] for k in ids]
    refs = [CLIPS[k][1] for k in ids]
    full = cm.CaptioningStats(metrics=["BLEU", "ROUGE_L", "CIDEr-D"], scale=1.0)
    full.append(ids, hyps, refs)
    percent = cm.CIDErDStats()
    percent.append(ids, hyps, refs)
    assert list(percent.summarize()) == ["CIDEr-D"]
    assert percent.summarize("CIDEr-D") == pytest.approx(100 * full.summarize("CIDEr-D"))
    rouge = cm.ROUGELStats(scale=1.0)
    rouge.append(ids, hyps, refs)
    assert rouge.summarize("ROUGE_L") == pytest.approx(full.summarize("ROUGE_L"))
    bleu = cm.BLEUStats(scale=1.0)
    bleu.append(ids, hyps, refs)
    assert list(bleu.summarize()) == ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4"]


def test_line_breaks_do_not_shift_captions():
    """A "\\r" inside one caption must not move the next captions onto other clips."""
    refs = [["a dog barks"], ["rain falls on the roof"]]
    broken = cm.ROUGELStats()
    broken.append(["a", "b"], ["a dog\rbarks", "rain falls on the roof"], refs)
    assert [s["ROUGE_L"] for s in broken.scores] == [100.0, 100.0]


def test_identical_captions_score_perfectly():
    stats = cm.CaptioningStats(metrics=["BLEU", "ROUGE_L"])
    stats.append(["x"], ["A cat meows loudly."], [["a cat meows loudly", "A dog barks"]])
    summary = stats.summarize()
    assert summary["BLEU_4"] == pytest.approx(100.0)
    assert summary["ROUGE_L"] == pytest.approx(100.0)


def test_spice_and_spider_unavailable_with_reason(monkeypatch, tmp_path):
    """Without CoreNLP jars (this machine), never 0 and never dropped."""
    monkeypatch.setattr(cm, "spice_unavailable_reason", lambda: "CoreNLP jars missing (test)")
    stats = cm.CaptioningStats(metrics=["CIDEr-D", "SPICE", "SPIDEr"])
    stats.append(ORDER[:2], [CLIPS[k][0] for k in ORDER[:2]], [CLIPS[k][1] for k in ORDER[:2]])
    summary = stats.summarize()
    assert list(summary) == ["CIDEr-D", "SPICE", "SPIDEr"]
    assert summary["SPICE"] is None and summary["SPIDEr"] is None
    assert summary["CIDEr-D"] > 0
    assert "CoreNLP jars missing (test)" in stats.unavailable["SPICE"]
    assert "SPICE" in stats.unavailable["SPIDEr"]

    # Through the recipe scoring: the log says "unavailable", the JSON has
    # null plus the reason, and the CSV has no SPICE column of zeros.
    scoring = cm.CaptioningScoring(valid_metrics=["CIDEr-D"], test_metrics=["CIDEr-D", "SPICE", "SPIDEr"])
    scoring.start(sb.Stage.TEST)
    scoring.append(ORDER[:2], [CLIPS[k][0] for k in ORDER[:2]],
                   SimpleNamespace(references=[CLIPS[k][1] for k in ORDER[:2]]))  # fmt: skip
    logged = scoring.summarize()
    assert logged["SPICE"] == "unavailable" and logged["SPIDEr"] == "unavailable"
    scoring.write(str(tmp_path / "captions_eval.csv"), {"epoch": 1})
    summary = json.loads((tmp_path / "captions_eval_summary.json").read_text())
    assert summary["SPICE"] is None and summary["SPIDEr"] is None
    assert "CoreNLP" in summary["unavailable"]["SPICE"]
    header = (tmp_path / "captions_eval.csv").read_text().splitlines()[0]
    assert "SPICE" not in header and "CIDEr-D" in header
    assert "unavailable (CoreNLP jars missing (test))" in (tmp_path / "captions_eval.txt").read_text()


def test_real_spice_check_names_the_missing_jars():
    reason = cm.spice_unavailable_reason()
    lib = pathlib.Path(pytest.importorskip("pycocoevalcap.spice").__file__).parent / "lib"
    jars_present = all((lib / jar).is_file() for jar in cm.SPICE_CORENLP_JARS)
    if jars_present:
        assert reason is None
    else:
        assert "stanford-corenlp-3.6.0" in reason and "nlp.stanford.edu" in reason


def test_spider_is_the_mean_of_cider_d_and_spice(monkeypatch):
    """Where SPICE runs, SPIDEr = (CIDEr-D + SPICE) / 2, clip by clip."""

    def fake_spice(gts, res):
        return {"SPICE": (0.25, [0.1 * (i + 1) for i in range(len(gts))])}

    monkeypatch.setitem(cm._SCORERS, "SPICE", fake_spice)
    stats = cm.SPIDErStats(scale=1.0)
    ids = ORDER[:3]
    stats.append(ids, [CLIPS[k][0] for k in ids], [CLIPS[k][1] for k in ids])
    summary = stats.summarize()
    assert summary["SPICE"] == 0.25 and not stats.unavailable
    assert summary["SPIDEr"] == pytest.approx((summary["CIDEr-D"] + 0.25) / 2)
    for i, scores in enumerate(stats.scores):
        assert scores["SPIDEr"] == pytest.approx((scores["CIDEr-D"] + 0.1 * (i + 1)) / 2)


def test_spice_failure_is_reported_not_raised(monkeypatch):
    def failing_spice(gts, res):
        raise cm.MetricUnavailable("SPICE failed: java exited with 1")

    monkeypatch.setitem(cm._SCORERS, "SPICE", failing_spice)
    stats = cm.SPICEStats()
    stats.append(["a"], ["a dog barks"], [["a dog barks"]])
    assert stats.summarize() == {"SPICE": None}
    assert stats.unavailable == {"SPICE": "SPICE failed: java exited with 1"}


def test_no_java_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(cm.shutil, "which", lambda name: None)
    with pytest.raises(cm.MetricUnavailable, match="java"):
        cm.ptb_tokenize({"a": ["A dog."]})


def test_bad_input_is_rejected():
    stats = cm.CaptioningStats(metrics=["BLEU"])
    stats.append(["a"], ["x"], [["y"]])
    with pytest.raises(ValueError, match="appended twice"):
        stats.append(["a"], ["x"], [["y"]])
    with pytest.raises(ValueError, match="list of reference"):
        stats.append(["b"], ["x"], ["a plain string"])
    with pytest.raises(ValueError, match="Unknown captioning metrics"):
        cm.CaptioningStats(metrics=["BLEURT"])
    with pytest.raises(ValueError, match="No captions"):
        cm.CaptioningStats().summarize()
    with pytest.raises(ValueError, match="selection_metric"):
        cm.CaptioningScoring(valid_metrics=["BLEU"], selection_metric="CIDEr-D")


def test_clear_and_recompute():
    stats = cm.ROUGELStats()
    stats.append(["a"], ["a dog"], [["a dog"]])
    assert stats.summarize("ROUGE_L") == 100.0
    stats.append(["b"], ["a cat"], [["rain falls"]])
    assert stats.summarize("ROUGE_L") == pytest.approx(50.0)  # recomputed after append
    stats.clear()
    assert stats.ids == [] and stats.scores == []


def test_scoring_selection_value_without_scores():
    scoring = cm.CaptioningScoring()
    scoring.start(sb.Stage.VALID)
    assert not scoring.has_scores()
    assert scoring.selection_value() == -math.inf
    assert scoring.stats.metrics == ["BLEU", "METEOR", "ROUGE_L", "CIDEr-D"]
    scoring.start(sb.Stage.TEST)
    assert "SPIDEr" in scoring.stats.metrics
