"""Task mix of multitask training: probabilities, sampler, loader options."""

import collections

import pytest

from speechbrain_listen.data.pipelines import train_loader_options
from speechbrain_listen.tasks.sampling import example_weights, task_probabilities, task_sampler

SIZES = {"asr": 900, "captioning": 90, "sv": 10}


def test_probabilities_of_each_scheme():
    assert task_probabilities(SIZES) == {"asr": 0.9, "captioning": 0.09, "sv": 0.01}
    assert task_probabilities(SIZES, "balanced") == pytest.approx({t: 1 / 3 for t in SIZES})
    # T = 1 is proportional; a large T tends to balanced.
    assert task_probabilities(SIZES, "temperature", 1.0) == pytest.approx(task_probabilities(SIZES))
    hot = task_probabilities(SIZES, "temperature", 100.0)
    assert max(hot.values()) - min(hot.values()) < 0.05
    assert task_probabilities(SIZES, "temperature", 2.0)["sv"] == pytest.approx(
        10**0.5 / (900**0.5 + 90**0.5 + 10**0.5)
    )


def test_bad_choices_are_named():
    with pytest.raises(ValueError, match="unknown task sampling 'uniform'"):
        task_probabilities(SIZES, "uniform")
    with pytest.raises(ValueError, match="temperature must be positive"):
        task_probabilities(SIZES, "temperature", 0.0)
    with pytest.raises(ValueError, match="no task has training examples"):
        task_probabilities({"asr": 0})


def test_example_weights_give_each_task_its_probability():
    tasks = ["asr"] * 6 + ["sv"] * 2
    weights = example_weights(tasks, "balanced")
    assert sum(w for w, t in zip(weights, tasks) if t == "sv") == pytest.approx(0.5)
    assert sum(weights) == pytest.approx(1.0)


def test_balanced_sampler_draws_small_tasks_as_often_as_big_ones():
    tasks = ["asr"] * 95 + ["sv"] * 5
    sampler = task_sampler(tasks, "balanced", seed=1)
    counts = collections.Counter()
    for epoch in range(20):
        sampler.set_epoch(epoch)
        counts.update(tasks[i] for i in sampler)
    assert sum(counts.values()) == 20 * len(tasks)  # an epoch keeps its length
    assert 0.45 < counts["sv"] / sum(counts.values()) < 0.55  # 0.05 without re-weighting


def test_sampler_is_reproducible_per_epoch():
    tasks = ["asr"] * 30 + ["sv"] * 3
    first, second = (
        task_sampler(tasks, "temperature", 3.0, seed=7),
        task_sampler(tasks, "temperature", 3.0, seed=7),
    )
    first.set_epoch(2)
    second.set_epoch(2)
    assert list(first) == list(second)  # a resumed run draws the same examples
    second.set_epoch(3)
    assert list(first) != list(second)


def test_proportional_is_the_plain_concatenation():
    assert task_sampler(["asr", "sv"], "proportional") is None


HPARAMS = {
    "dynamic_batching": False,
    "sorting": "random",
    "train_dataloader_opts": {"batch_size": 4, "shuffle": True, "num_workers": 0},
    "dynamic_batch_sampler_train": {},
}


def test_loader_options_with_a_sampler():
    sampler = task_sampler(["asr", "sv"], "balanced")
    options = train_loader_options(HPARAMS, None, sampler)
    assert options["sampler"] is sampler and "shuffle" not in options
    assert options["batch_size"] == 4
    assert train_loader_options(HPARAMS, None)["shuffle"] is True
    with pytest.raises(ValueError, match="dynamic_batching cannot be combined"):
        train_loader_options({**HPARAMS, "dynamic_batching": True}, None, sampler)
