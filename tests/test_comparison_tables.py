"""The multitask result tables and the deterministic / stochastic divergence rule."""

import pytest

from speechbrain_listen.analysis.comparison_tables import prompt_count_divergence, sweep_comparison_table


def sweep(metric_by_count, task="sv", metric="accuracy"):
    return {n: {task: {metric: value}} for n, value in metric_by_count.items()}


def test_divergence_is_measured_from_each_models_own_default():
    # The deterministic model is 20 points better everywhere down to N = 4
    # and loses 3 points at N = 2, the stochastic one loses 1: not diverged
    # (tolerance 5); at N = 1 it loses 30 against 2: diverged.
    deterministic = sweep({1: 60.0, 2: 87.0, 4: 90.0, 8: 90.0})
    stochastic = sweep({1: 68.0, 2: 69.0, 4: 70.0, 8: 70.0})
    assert prompt_count_divergence(deterministic, stochastic, 8) == {"SV acc %": 1}


def test_wer_degrades_upwards():
    deterministic = sweep({1: 90.0, 2: 30.0, 4: 10.0}, task="asr", metric="WER")
    stochastic = sweep({1: 12.0, 2: 11.0, 4: 10.0}, task="asr", metric="WER")
    assert prompt_count_divergence(deterministic, stochastic, 4) == {"ASR WER %": 2}
    # The stochastic model being the one that degrades is not a divergence of the deterministic one.
    assert prompt_count_divergence(stochastic, deterministic, 4) == {"ASR WER %": None}


def test_counts_above_the_default_and_json_string_keys():
    deterministic = {
        "1": {"sv": {"accuracy": 80.0}},
        "4": {"sv": {"accuracy": 80.0}},
        "8": {"sv": {"accuracy": 20.0}},
    }
    stochastic = {
        "1": {"sv": {"accuracy": 80.0}},
        "4": {"sv": {"accuracy": 80.0}},
        "8": {"sv": {"accuracy": 80.0}},
    }
    assert prompt_count_divergence(deterministic, stochastic, 4) == {"SV acc %": None}


def test_missing_reference_count_is_a_clear_error():
    with pytest.raises(ValueError, match="N = 16"):
        prompt_count_divergence(sweep({1: 50.0}), sweep({1: 50.0}), 16)


def test_comparison_table_pairs_the_columns():
    table = sweep_comparison_table(sweep({1: 50.0, 4: 70.0}), sweep({1: 66.0, 4: 69.0}), 4)
    assert table.splitlines()[0] == "| inference N | SV acc % (deterministic) | SV acc % (stochastic) |"
    assert table.splitlines()[-1] == "| N = 4 (default) | 70.00 | 69.00 |"
