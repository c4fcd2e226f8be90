"""Tests of the prompt-selection analysis on hand-made choices (no training)."""

import itertools
import json
import math

import numpy as np
import pytest

from speechbrain_listen.analysis import selection_analysis as sa

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _rec(task, indices, uid=None):
    return {"id": uid or f"{task}-{len(indices)}", "task": task, "indices": list(indices)}


def _write(path, pool_size, choices, num_prompts=2):
    path.write_text(json.dumps({"pool_size": pool_size, "num_prompts": num_prompts, "choices": choices}))
    return str(path)


# Three tasks of different sizes, M = 6, N = 2.
RECORDS = [
    _rec("asr", [0, 1]),
    _rec("asr", [1, 2]),
    _rec("asr", [1, 0]),
    _rec("asr", [3, 1]),
    _rec("sqa", [1, 0]),
    _rec("sqa", [0, 1]),
    _rec("caption", [4, 5]),
]


def _brute_jaccard(sets):
    pairs = list(itertools.combinations([set(s) for s in sets], 2))
    return sum(len(a & b) / len(a | b) for a, b in pairs) / len(pairs)


def _brute_intersection(sets):
    pairs = list(itertools.combinations([set(s) for s in sets], 2))
    return sum(len(a & b) for a, b in pairs) / len(pairs)


# ----------------------------------------------------------------- usage


def test_usage_is_normalised_by_the_number_of_examples_of_each_task():
    usage = sa.usage_by_task(RECORDS, 6)
    assert list(usage) == ["asr", "sqa", "caption"]  # order of first appearance
    np.testing.assert_array_equal(usage["asr"], [0.5, 1.0, 0.25, 0.25, 0.0, 0.0])
    np.testing.assert_array_equal(usage["sqa"], [1.0, 1.0, 0, 0, 0, 0])
    np.testing.assert_array_equal(usage["caption"], [0, 0, 0, 0, 1.0, 1.0])
    # Each vector sums to N whatever the set size: comparable across tasks.
    for task_usage in usage.values():
        assert task_usage.sum() == pytest.approx(2.0)
    counts = sa.selection_counts(RECORDS, 6)
    assert counts["asr"].tolist() == [2, 4, 1, 1, 0, 0]


def test_repeated_indices_count_every_repetition_but_once_per_set():
    # The degenerate residual selector: one index N times.
    records = [_rec("asr", [2, 2, 2]), _rec("asr", [2, 2, 2])]
    assert sa.usage_by_task(records, 4)["asr"].tolist() == [0, 0, 3.0, 0]
    assert sa.distinct_prompts(records) == {"asr": 1}
    assert sa.per_input_agreement(records) == {"asr": 1.0}
    assert sa.mean_pairwise_intersection(records) == {"asr": 1.0}


def test_index_out_of_range_and_bad_records_are_rejected():
    with pytest.raises(ValueError, match="out of range for pool_size 4"):
        sa.usage_by_task([_rec("asr", [0, 4])], 4)
    with pytest.raises(ValueError, match="out of range"):
        sa.usage_by_task([_rec("asr", [-1])], 4)
    with pytest.raises(ValueError, match="no 'task'"):
        sa.usage_by_task([{"id": "x", "indices": [0]}], 4)
    with pytest.raises(ValueError, match="not an integer"):
        sa.usage_by_task([_rec("asr", [1.5])], 4)
    with pytest.raises(ValueError, match="no choices"):
        sa.usage_by_task([], 4)


# -------------------------------------------------------------- top / distinct


def test_top_prompts_breaks_ties_by_index_and_skips_unused():
    usage = np.array([1.0, 3.0, 3.0, 0.0, 1.0, 2.0])
    assert sa.top_prompts(usage, 3) == [1, 2, 5]
    assert sa.top_prompts(usage, 5) == [1, 2, 5, 0, 4]
    # Index 3 is never used: it is not padded into the top set.
    assert sa.top_prompts(usage, 10) == [1, 2, 5, 0, 4]
    assert sa.top_prompts(usage, 0) == []
    with pytest.raises(ValueError):
        sa.top_prompts(usage, -1)


def test_distinct_prompts_per_task():
    assert sa.distinct_prompts(RECORDS) == {"asr": 4, "sqa": 2, "caption": 2}


# -------------------------------------------------------------- overlap


def test_jaccard_identical_disjoint_and_partial():
    usage = sa.usage_by_task(RECORDS, 6)
    tasks, matrix = sa.jaccard_matrix(usage, 2)
    assert tasks == ["asr", "sqa", "caption"]
    # asr top-2 = {1, 0}, sqa top-2 = {0, 1}: identical.
    assert matrix[0, 1] == matrix[1, 0] == 1.0
    # caption {4, 5} is disjoint from both.
    assert matrix[0, 2] == matrix[2, 0] == 0.0
    assert matrix[1, 2] == 0.0
    np.testing.assert_array_equal(np.diag(matrix), 1.0)
    # Partial, hand computed: top-3 asr = [1, 0, 2] (tie 2/3 -> 2), sqa = [0, 1]
    # -> |{0,1}| / |{0,1,2}| = 2/3.
    _, matrix3 = sa.jaccard_matrix(usage, 3)
    assert matrix3[0, 1] == pytest.approx(2 / 3)
    partial = {"a": np.array([3, 2, 1, 0, 0]), "b": np.array([0, 5, 4, 3, 0])}
    # top-3: a = {0, 1, 2}, b = {1, 2, 3}: 2 shared of 4.
    assert sa.jaccard_matrix(partial, 3)[1][0, 1] == 0.5


def test_shared_prompts_top_n_and_selected_by_all():
    usage = sa.usage_by_task(RECORDS + [_rec("caption", [0, 4])], 6)
    shared = sa.shared_prompts(usage, 2)
    # caption's top-2 is now {4, 0} (4 used twice), asr/sqa top-2 are {0, 1}.
    assert shared == {"top_n": [0], "selected_by_all": [0]}
    usage_two = {k: usage[k] for k in ("asr", "sqa")}
    assert sa.shared_prompts(usage_two, 2) == {"top_n": [0, 1], "selected_by_all": [0, 1]}


# -------------------------------------------------------------- entropy


def test_entropy_of_uniform_is_log2_m_and_of_one_prompt_is_zero():
    assert sa.usage_entropy(np.ones(8)) == (pytest.approx(3.0), pytest.approx(1.0))
    bits, norm = sa.usage_entropy(np.full(400, 0.4))
    assert bits == pytest.approx(math.log2(400))
    assert norm == pytest.approx(1.0)
    assert sa.usage_entropy([0, 0, 7, 0]) == (0.0, 0.0)
    # Collapse to 10 of 40 prompts: log2(10) bits.
    usage = np.zeros(40)
    usage[:10] = 1.0
    bits, norm = sa.usage_entropy(usage)
    assert bits == pytest.approx(math.log2(10))
    assert norm == pytest.approx(math.log2(10) / math.log2(40))
    with pytest.raises(ValueError):
        sa.usage_entropy(np.zeros(4))


# -------------------------------------------------------------- agreement


def test_per_input_agreement_matches_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    records = []
    # Fixed-size sets, with duplicates (exercises merging identical sets).
    for i in range(60):
        indices = rng.choice(12, size=4, replace=False)
        if i % 5 == 0 and records:
            indices = records[-1]["indices"][::-1]
        records.append(_rec("fixed", [int(j) for j in indices]))
    # Variable-size sets (stochastic inference / repeated indices).
    for _ in range(40):
        size = int(rng.integers(1, 7))
        records.append(_rec("variable", [int(j) for j in rng.integers(0, 15, size=size)]))
    agreement = sa.per_input_agreement(records)
    intersection = sa.mean_pairwise_intersection(records)
    for task in ("fixed", "variable"):
        sets = [r["indices"] for r in records if r["task"] == task]
        assert agreement[task] == pytest.approx(_brute_jaccard(sets), rel=1e-12)
        assert intersection[task] == pytest.approx(_brute_intersection(sets), rel=1e-12)
    # Small row chunks give the same answer as one block.
    fixed = [r["indices"] for r in records if r["task"] == "fixed"]
    assert sa._mean_pairwise_jaccard(fixed, chunk_elements=7) == pytest.approx(
        _brute_jaccard(fixed), rel=1e-12
    )
    # For equal-size sets, J = I / (2N - I) is convex: counts give a lower bound.
    mean_i = intersection["fixed"]
    assert mean_i / (2 * 4 - mean_i) <= agreement["fixed"] + 1e-12
    assert 0.0 < agreement["fixed"] < 1.0


def test_per_input_agreement_is_one_when_every_input_gets_the_same_set():
    # The deterministic-collapse signature: same 10 of 40 for every input,
    # in whatever order.
    rng = np.random.default_rng(1)
    chosen = list(range(5, 15))
    records = [_rec("asr", list(rng.permutation(chosen))) for _ in range(200)]
    records += [_rec("sqa", [0, 1]), _rec("sqa", [2, 3]), _rec("er", [1, 2])]
    agreement = sa.per_input_agreement(records)
    assert agreement == {"asr": 1.0, "sqa": 0.0, "er": None}
    assert sa.mean_pairwise_intersection(records)["asr"] == 10.0
    assert sa.distinct_prompts(records)["asr"] == 10


# -------------------------------------------------------------- analyze


def test_analyze_reports_every_number_and_is_strict_json():
    result = sa.analyze(RECORDS, 6, n=2)
    assert result["pool_size"] == 6 and result["top_n"] == 2 and result["num_examples"] == 7
    assert result["tasks"] == ["asr", "sqa", "caption"]
    asr = result["per_task"]["asr"]
    assert asr["examples"] == 4
    assert asr["distinct_prompts"] == 4
    assert asr["top_prompts"] == [1, 0]
    assert asr["top_usage"] == [1.0, 0.5]
    assert asr["usage_counts"] == [2, 4, 1, 1, 0, 0]
    assert asr["usage"] == [0.5, 1.0, 0.25, 0.25, 0.0, 0.0]
    assert asr["prompts_per_example"] == 2.0
    expected_bits = -sum(p * math.log2(p) for p in (0.25, 0.5, 0.125, 0.125))
    assert asr["entropy_bits"] == pytest.approx(expected_bits)
    assert asr["normalized_entropy"] == pytest.approx(expected_bits / math.log2(6))
    sets = [r["indices"] for r in RECORDS if r["task"] == "asr"]
    assert asr["per_input_jaccard"] == pytest.approx(_brute_jaccard(sets))
    assert result["per_task"]["caption"]["per_input_jaccard"] is None
    assert result["jaccard"]["matrix"] == [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert result["shared_prompts"] == {"top_n": [], "selected_by_all": []}
    text = json.dumps(result, allow_nan=False)
    assert json.loads(text) == result


# -------------------------------------------------------------- plots


def test_heatmap_column_order_follows_asr_usage():
    usage = {
        "caption": np.array([0.0, 0.9, 0.1, 0.0, 0.5]),
        "asr": np.array([0.2, 0.0, 0.7, 0.2, 0.9]),
    }
    assert sa.prompt_order(usage, "asr").tolist() == [4, 2, 0, 3, 1]
    # Absent task: falls back to the first task (caption), ties by index.
    assert sa.prompt_order(usage, "sv").tolist() == [1, 4, 2, 0, 3]


def test_plot_heatmap_uses_the_ordering(tmp_path):
    usage = sa.usage_by_task(RECORDS, 6)
    order = sa.plot_usage_heatmap(usage, str(tmp_path / "h.png"), sort_by="caption")
    assert order.tolist() == sa.prompt_order(usage, "caption").tolist() == [4, 5, 0, 1, 2, 3]
    assert (tmp_path / "h.png").read_bytes()[:8] == PNG_SIGNATURE


def test_write_analysis_writes_pngs_and_round_tripping_json(tmp_path):
    path = _write(tmp_path / "prompt_choices.json", 6, RECORDS)
    out = tmp_path / "analysis"
    result = sa.write_analysis([path], str(out), n=2)
    for name in ("usage_heatmap.png", "usage_histograms.png", "jaccard.png"):
        data = (out / name).read_bytes()
        assert data[:8] == PNG_SIGNATURE, name
        assert len(data) > 2000, name
    with open(out / "selection_analysis.json") as fin:
        assert json.load(fin) == result
    assert result["per_task"]["asr"]["top_prompts"] == [1, 0]


# -------------------------------------------------------------- loading / CLI


def test_merging_two_files_and_pool_size_mismatch(tmp_path):
    first = _write(tmp_path / "a.json", 6, RECORDS[:4])
    second = _write(tmp_path / "b.json", 6, RECORDS[4:])
    pool_size, records = sa.load_choices([first, second])
    assert pool_size == 6
    assert records == RECORDS
    assert sa.analyze(records, pool_size, 2) == sa.analyze(RECORDS, 6, 2)
    other = _write(tmp_path / "c.json", 8, RECORDS[4:])
    with pytest.raises(ValueError, match="pool_size mismatch.*6.*8"):
        sa.load_choices([first, other])


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        sa.load_choices(str(tmp_path / "missing.json"))
    empty = _write(tmp_path / "empty.json", 6, [])
    with pytest.raises(ValueError, match="no choices"):
        sa.load_choices(empty)
    bad = _write(tmp_path / "bad.json", 6, [_rec("asr", [0, 6], uid="asr-7")])
    with pytest.raises(ValueError, match="'asr-7'.*index 6 out of range for pool_size 6"):
        sa.load_choices(bad)


def test_cli_prints_the_table_and_writes_files(tmp_path, capsys):
    first = _write(tmp_path / "a.json", 6, RECORDS[:4])
    second = _write(tmp_path / "b.json", 6, RECORDS[4:])
    out = tmp_path / "out"
    sa.main([first, second, "--output_folder", str(out), "--top_n", "2", "--sort_by", "asr"])
    text = capsys.readouterr().out
    assert "prompt selection: 3 task(s), 7 examples, pool M = 6, top-2" in text
    assert "examples" in text and "distinct" in text and "entropy(bits)" in text
    asr_row = next(line for line in text.splitlines() if line.startswith("asr "))
    assert asr_row.split()[:3] == ["asr", "4", "4"]
    assert asr_row.split()[-2:] == ["1", "0"]  # its top-2
    assert "pairwise Jaccard of top-2 sets" in text
    caption_row = [line for line in text.splitlines() if line.startswith("caption ")][-1]
    assert caption_row.split()[1:] == ["0.00", "0.00", "1.00"]
    assert (out / "selection_analysis.json").is_file()
    assert (out / "jaccard.png").read_bytes()[:8] == PNG_SIGNATURE


def test_cli_errors_exit_with_a_message(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        sa.main([str(tmp_path / "missing.json")])
    assert exc.value.code == 1
    assert "not found" in capsys.readouterr().err
    bad = _write(tmp_path / "bad.json", 4, [_rec("asr", [9])])
    with pytest.raises(SystemExit) as exc:
        sa.main([bad, "--output_folder", str(tmp_path / "o")])
    assert exc.value.code == 1
    assert "out of range" in capsys.readouterr().err
    assert not (tmp_path / "o" / "selection_analysis.json").exists()
