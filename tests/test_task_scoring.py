"""Scoring of the one-word, translation, SQA and multitask evaluations.

Every expected number is computed by hand in the test (or, for BLEU, by
sacreBLEU called directly), so a change in parsing, averaging, tokenisation
or batch splitting shows up as a different value.
"""

import csv
import json
import math
import shutil
from types import SimpleNamespace

import pytest
import sacrebleu
import speechbrain as sb
from speechbrain.dataio.batch import PaddedBatch
from speechbrain.utils.metric_stats import ErrorRateStats

from speechbrain_listen.scoring.captioning import CaptioningScoring, answer_scoring
from speechbrain_listen.scoring.classification import (
    ClassificationScoring,
    emotion_scoring,
    verification_scoring,
)
from speechbrain_listen.scoring.multitask import MultitaskScoring
from speechbrain_listen.scoring.transcription import TranscriptionScoring
from speechbrain_listen.scoring.translation import TranslationScoring, characters_for_scoring
from speechbrain_listen.tasks.answers import emotion_answers, verification_answers

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="needs Java (PTB tokeniser)")


def transcription_scoring():
    return TranscriptionScoring(ErrorRateStats, lambda: ErrorRateStats(split_tokens=True))


def started(scoring, stage=sb.Stage.TEST):
    scoring.start(stage)
    return scoring


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fin:
        return list(csv.DictReader(fin))


# ------------------------------------------------------------ classification


def test_scoring_parses_answers_as_inference_does():
    # Answer parsing itself is tested in test_answers.py; scoring must use it.
    assert emotion_scoring().parser.parse("The emotion is sadness.") == "sad"
    assert verification_scoring().parser.parse("Nope, two speakers") == "no"
    assert emotion_scoring().parser.labels == emotion_answers().labels
    assert verification_scoring().parser.labels == verification_answers().labels


def test_gibberish_is_wrong_and_counted_unparsed():
    scoring = started(verification_scoring())
    scoring.append(["p1", "p2"], ["qwerty asdf", "Yes"], SimpleNamespace(target=["no", "yes"]))
    assert scoring.summarize() == {"accuracy": 50.0, "UAR": 50.0, "unparsed": 1}
    assert [s["correct"] for s in scoring.stats.scores] == [False, True]


EMOTION_REFS = ["neutral", "neutral", "happy", "happy", "Happy", "angry"]
EMOTION_HYPS = ["Neutral.", "happy", "Happy!", "joy", "hmm let me think", "sad"]


def test_accuracy_recall_uar_confusion_by_hand():
    scoring = started(emotion_scoring())
    ids = [f"e{i}" for i in range(6)]
    # Two batches: the statistics are over the whole stage.
    scoring.append(ids[:4], EMOTION_HYPS[:4], SimpleNamespace(target=EMOTION_REFS[:4]))
    scoring.append(ids[4:], EMOTION_HYPS[4:], SimpleNamespace(target=EMOTION_REFS[4:]))
    summary = scoring.stats.summarize()
    # Correct: e0 (neutral), e2 (happy), e3 (joy -> happy): 3 of 6.
    assert summary["accuracy"] == pytest.approx(50.0)
    # neutral 1/2, happy 2/3, angry 0/1, sad has no references.
    assert summary["recall"] == pytest.approx({"neutral": 50.0, "happy": 200 / 3, "angry": 0.0, "sad": None})
    assert summary["UAR"] == pytest.approx((50.0 + 200 / 3 + 0.0) / 3)
    assert summary["unparsed"] == 1
    assert summary["examples"] == 6
    assert summary["confusion"]["neutral"] == {"neutral": 1, "happy": 1, "angry": 0, "sad": 0, "unparsed": 0}
    assert summary["confusion"]["happy"] == {"neutral": 0, "happy": 2, "angry": 0, "sad": 0, "unparsed": 1}
    assert summary["confusion"]["angry"]["sad"] == 1
    assert sum(summary["confusion"]["sad"].values()) == 0
    assert scoring.selection_value() == pytest.approx(50.0)
    assert (scoring.selection_metric, scoring.higher_is_better) == ("accuracy", True)


def test_start_forgets_the_previous_stage():
    scoring = started(emotion_scoring())
    scoring.append(["a"], ["sad"], SimpleNamespace(target=["happy"]))
    scoring.start(sb.Stage.TEST)
    assert not scoring.has_scores()
    assert scoring.selection_value() == -math.inf
    scoring.append(["a"], ["happy"], SimpleNamespace(target=["happy"]))
    assert scoring.summarize()["accuracy"] == 100.0


def test_reference_outside_the_classes_is_an_error():
    scoring = started(emotion_scoring())
    with pytest.raises(ValueError, match="frustrated"):
        scoring.append(["a"], ["sad"], SimpleNamespace(target=["frustrated"]))


def test_bad_class_definitions_fail_at_construction():
    with pytest.raises(ValueError, match="one word"):
        ClassificationScoring(("yes", "no"), {"same person": "yes"})
    with pytest.raises(ValueError, match="not one of"):
        ClassificationScoring(("yes", "no"), {"maybe": "unsure"})
    with pytest.raises(ValueError, match="both"):
        ClassificationScoring(("yes", "no"), {"yes": "no"})


def test_classification_write(tmp_path):
    scoring = started(emotion_scoring())
    scoring.append(["e0", "e1"], ["Sad, I think.", "no idea"], SimpleNamespace(target=["sad", "angry"]))
    out = tmp_path / "predictions_test.csv"
    scoring.write(str(out), {"epoch": 3})
    assert read_csv(out) == [
        {"ID": "e0", "reference": "sad", "hypothesis": "Sad, I think.", "parsed": "sad", "correct": "1"},
        {"ID": "e1", "reference": "angry", "hypothesis": "no idea", "parsed": "unparsed", "correct": "0"},
    ]
    summary = json.loads((tmp_path / "predictions_test_summary.json").read_text())
    assert summary["accuracy"] == 50.0
    assert summary["UAR"] == 50.0
    assert summary["unparsed"] == 1
    assert summary["confusion"]["angry"]["unparsed"] == 1
    assert summary["synonyms"]["excited"] == "happy"
    assert summary["epoch"] == 3


# --------------------------------------------------------------- translation

ZH_HYPS = ["我喜欢吃苹果。", "今天天气很好。", "他在图书馆看书。"]
ZH_REFS = ["我很喜欢吃苹果。", "今天的天气很好。", "他在图书馆里看书。"]


def test_bleu_is_sacrebleu_zh_and_the_tokenizer_matters():
    scoring = started(TranslationScoring())
    scoring.append(["t0", "t1"], ZH_HYPS[:2], SimpleNamespace(target=ZH_REFS[:2]))
    scoring.append(["t2"], ZH_HYPS[2:], SimpleNamespace(target=ZH_REFS[2:]))
    zh = sacrebleu.corpus_bleu(ZH_HYPS, [ZH_REFS], tokenize="zh").score
    thirteen_a = sacrebleu.corpus_bleu(ZH_HYPS, [ZH_REFS], tokenize="13a").score
    # Corpus BLEU over all batches, not a mean of per-batch BLEU.
    assert scoring.summarize()["BLEU"] == pytest.approx(zh, abs=1e-9)
    assert scoring.selection_value() == pytest.approx(zh, abs=1e-9)
    # 13a sees each sentence as one "word" (+ the full stop): BLEU collapses.
    assert zh > 40 and thirteen_a < 10
    assert "tok:zh" in scoring.signature()

    # The 13a scorer reproduces the reference code's number, i.e. the
    # tokenizer argument is really used.
    old = started(TranslationScoring(tokenize="13a"))
    old.append(["t0", "t1", "t2"], ZH_HYPS, SimpleNamespace(target=ZH_REFS))
    assert old.summarize()["BLEU"] == pytest.approx(thirteen_a, abs=1e-9)


def test_cer_by_hand_on_chinese():
    scoring = started(TranslationScoring())
    # ref chars 我爱北京天安门 (7; space and "！" removed), hyp 我爱北京 (4):
    # 3 deletions. Second pair: 汽 for 气, 1 substitution of 6.
    scoring.append(
        ["c0", "c1"],
        ["我爱北京。", "今天天汽很好"],
        SimpleNamespace(target=["我爱 北京天安门！", "今天天气，很好"]),
    )
    assert scoring.summarize()["CER"] == pytest.approx(100 * 4 / 13)
    assert characters_for_scoring("我爱 北京天安门！") == list("我爱北京天安门")


def test_translation_write(tmp_path):
    scoring = started(TranslationScoring())
    scoring.append(["c0", "c1"], ["我爱北京。", "好"], SimpleNamespace(target=["我爱北京天安门！", "好"]))
    out = tmp_path / "translations_test.csv"
    scoring.write(str(out), {"epoch": 1})
    rows = read_csv(out)
    assert [(r["ID"], r["char_edits"], r["ref_chars"], r["CER"]) for r in rows] == [
        ("c0", "3", "7", "42.86"),
        ("c1", "0", "1", "0.00"),
    ]
    assert rows[0]["hypothesis"] == "我爱北京。"
    summary = json.loads((tmp_path / "translations_test_summary.json").read_text(encoding="utf-8"))
    expected = sacrebleu.corpus_bleu(["我爱北京。", "好"], [["我爱北京天安门！", "好"]], tokenize="zh")
    assert summary["BLEU"] == pytest.approx(expected.score)
    assert summary["CER"] == pytest.approx(100 * 3 / 8)
    assert summary["bleu_signature"].startswith("nrefs:1|") and "tok:zh" in summary["bleu_signature"]
    assert summary["examples"] == 2 and summary["epoch"] == 1


# ----------------------------------------------------------------------- SQA


def test_answer_scoring_uses_bleu_and_rouge_only():
    scoring = answer_scoring()
    assert scoring.valid_metrics == scoring.test_metrics == ["BLEU", "ROUGE_L"]
    assert (scoring.selection_metric, scoring.higher_is_better) == ("ROUGE_L", True)
    assert scoring.output_hparam == "test_captions_file"


@needs_java
def test_answer_scoring_against_the_single_reference():
    scoring = started(answer_scoring())
    scoring.append(["q"], ["He went to the market."], SimpleNamespace(references=[["he went to the market"]]))
    summary = scoring.summarize()
    assert summary["ROUGE_L"] == pytest.approx(100.0)
    assert summary["BLEU_1"] == pytest.approx(100.0)


# ----------------------------------------------------------------- multitask

MIXED = SimpleNamespace(
    id=["a1", "s1", "z1", "e1", "a2", "s2", "e2"],
    task=["asr", "sv", "en2zh", "emotion", "asr", "sv", "emotion"],
    target=["the cat sat", "yes", "我爱北京天安门", "happy", "a dog barks loudly", "no", "sad"],
    question=["", "", "", "", "", "", ""],
)
MIXED_HYPS = ["The cat sat.", "Yes.", "我爱北京。", "Excited!", "a dog barked", "Yes", "um"]


def multitask(selection="loss", with_emotion=True):
    scorers = {
        "asr": transcription_scoring(),
        "sv": verification_scoring(),
        "en2zh": TranslationScoring(),
    }
    if with_emotion:
        scorers["emotion"] = emotion_scoring()
    return MultitaskScoring(scorers, selection=selection)


def rows_of(task):
    rows = [i for i, t in enumerate(MIXED.task) if t == task]
    ids = [MIXED.id[i] for i in rows]
    return ids, [MIXED_HYPS[i] for i in rows], SimpleNamespace(target=[MIXED.target[i] for i in rows])


def test_multitask_split_equals_scorers_fed_separately():
    scoring = started(multitask())
    scoring.append(MIXED.id, MIXED_HYPS, MIXED)
    expected = {}
    for task, alone in [
        ("asr", transcription_scoring()),
        ("sv", verification_scoring()),
        ("en2zh", TranslationScoring()),
        ("emotion", emotion_scoring()),
    ]:
        started(alone).append(*rows_of(task))
        expected.update({f"{task} {name}": value for name, value in alone.summarize().items()})
    summary = scoring.summarize()
    assert summary == pytest.approx(expected)
    # Hand-checked anchors: asr 1 substitution + 1 deletion over 7 words;
    # sv 1 of 2; emotion 1 of 2 with one unparsed.
    assert summary["asr WER"] == pytest.approx(100 * 2 / 7)
    assert summary["sv accuracy"] == 50.0
    assert (summary["emotion accuracy"], summary["emotion unparsed"]) == (50.0, 1)
    assert summary["en2zh CER"] == pytest.approx(100 * 3 / 7)
    assert scoring.scorers["sv"].stats.ids == ["s1", "s2"]


def test_multitask_sub_batches_carry_every_row_field():
    seen = {}

    class Recorder:
        output_hparam = "test_predictions_file"

        def start(self, stage):
            pass

        def append(self, ids, hyps, batch):
            seen[batch.task[0]] = (ids, hyps, batch)

    scoring = MultitaskScoring({"sqa": Recorder(), "sv": Recorder()})
    batch = PaddedBatch(
        [
            {"id": "q1", "task": "sqa", "target": "x", "question": "why?", "references": ["x"]},
            {"id": "v1", "task": "sv", "target": "no", "question": "", "references": ["no"]},
            {"id": "q2", "task": "sqa", "target": "y", "question": "who?", "references": ["y", "z"]},
        ]
    )
    scoring.append(batch.id, ["h1", "h2", "h3"], batch)
    ids, hyps, sub = seen["sqa"]
    assert ids == sub.id == ["q1", "q2"]
    assert hyps == ["h1", "h3"]
    assert sub.task == ["sqa", "sqa"]
    assert sub.target == ["x", "y"]
    assert sub.question == ["why?", "who?"]
    assert seen["sv"][2].target == ["no"]


def test_unknown_task_is_a_key_error_and_appends_nothing():
    scoring = started(multitask(with_emotion=False))
    with pytest.raises(KeyError, match="emotion"):
        scoring.append(MIXED.id, MIXED_HYPS, MIXED)
    assert not scoring.has_scores()


def test_multitask_write_layout_and_summary(tmp_path):
    scoring = started(multitask())
    # No emotion rows in this test set: it is listed, not written.
    rows = [i for i, t in enumerate(MIXED.task) if t != "emotion"]
    batch = SimpleNamespace(**{k: [v[i] for i in rows] for k, v in vars(MIXED).items()})
    scoring.append(batch.id, [MIXED_HYPS[i] for i in rows], batch)
    folder = tmp_path / "test_multitask"
    scoring.write(str(folder), {"epoch": 7, "num_beams": 4})
    assert sorted(p.name for p in folder.iterdir()) == [
        "asr_wer.txt",
        "asr_wer_summary.json",
        "en2zh_translations.csv",
        "en2zh_translations_summary.json",
        "summary.json",
        "sv_predictions.csv",
        "sv_predictions_summary.json",
    ]
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["epoch"] == 7 and summary["num_beams"] == 4
    assert summary["selection"] == "loss"
    assert summary["tasks_without_scores"] == ["emotion"]
    assert set(summary["tasks"]) == {"asr", "sv", "en2zh"}
    assert summary["tasks"]["asr"]["WER"] == pytest.approx(100 * 2 / 7)
    assert summary["tasks"]["asr"]["utterances"] == 2
    assert summary["tasks"]["asr"]["output_file"] == "asr_wer.txt"
    assert summary["tasks"]["sv"]["accuracy"] == 50.0
    assert summary["tasks"]["sv"]["confusion"]["no"]["yes"] == 1
    assert "tok:zh" in summary["tasks"]["en2zh"]["bleu_signature"]
    # info is stated once, at the top.
    assert "epoch" not in summary["tasks"]["sv"]
    # Each task file is the task scorer's own.
    assert [r["ID"] for r in read_csv(folder / "sv_predictions.csv")] == ["s1", "s2"]
    assert scoring.output_hparam == "test_results_folder"


@needs_java
def test_multitask_captioning_file_names(tmp_path):
    caption = lambda: CaptioningScoring(["BLEU", "ROUGE_L"], ["BLEU", "ROUGE_L"], "ROUGE_L")  # noqa: E731
    scoring = started(MultitaskScoring({"captioning": caption(), "sqa": answer_scoring()}))
    batch = SimpleNamespace(
        id=["c1", "q1"],
        task=["captioning", "sqa"],
        target=["a dog barks", "paris"],
        references=[["a dog barks", "a dog is barking"], ["paris"]],
    )
    scoring.append(batch.id, ["A dog barks.", "Paris."], batch)
    assert scoring.summarize()["sqa ROUGE_L"] == pytest.approx(100.0)
    scoring.write(str(tmp_path / "out"), {})
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"captioning_captions.csv", "sqa_captions.csv", "sqa_captions_summary.json"} <= names


def test_selection_loss_and_per_task_directions():
    loss = multitask()
    assert (loss.selection_metric, loss.higher_is_better) == ("loss", False)
    assert math.isnan(loss.selection_value())

    wer = started(multitask("asr WER"))
    assert (wer.selection_metric, wer.higher_is_better) == ("asr WER", False)
    # Nothing decoded yet: the worst value for a lower-is-better metric.
    assert wer.selection_value() == math.inf
    wer.append(MIXED.id, MIXED_HYPS, MIXED)
    assert wer.selection_value() == pytest.approx(100 * 2 / 7)

    assert multitask("asr CER").higher_is_better is False
    assert multitask("en2zh CER").higher_is_better is False
    assert multitask("emotion UAR").higher_is_better is True
    acc = started(multitask("sv accuracy"))
    assert acc.higher_is_better is True and acc.selection_value() == -math.inf


def test_bad_selection_and_missing_metric():
    with pytest.raises(ValueError, match="task"):
        multitask("captioning CIDEr-D")
    with pytest.raises(ValueError):
        multitask("asr")
    scoring = started(multitask("sv recall_yes"))
    scoring.append(MIXED.id, MIXED_HYPS, MIXED)
    with pytest.raises(KeyError, match="recall_yes"):
        scoring.selection_value()
