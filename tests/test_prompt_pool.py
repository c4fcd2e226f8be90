"""Tests for the LiSTEN prompt pool, the soft-prompt baseline and their
checkpoint hooks (speechbrain_listen/prompts/pool.py, soft_prompt.py,
prompt_selection.py)."""

import logging
import math

import pytest
import torch

from speechbrain_listen.prompts.pool import (
    STRATEGIES,
    PromptPool,
    repeated_index_fraction,
)
from speechbrain_listen.prompts.soft_prompt import SoftPrompt

DIM = 8


def make_pool(strategy="similarity", pool_size=10, num_prompts=4, **kwargs):
    torch.manual_seed(0)
    return PromptPool(
        pool_size=pool_size,
        num_prompts=num_prompts,
        value_mean=torch.zeros(DIM),
        strategy=strategy,
        **kwargs,
    )


def set_pool(pool, keys, values):
    with torch.no_grad():
        pool.keys.copy_(torch.tensor(keys, dtype=torch.float32))
        pool.values.copy_(torch.tensor(values, dtype=torch.float32))


def softmax(xs):
    exps = [math.exp(x) for x in xs]
    total = sum(exps)
    return [e / total for e in exps]


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.hypot(*a) * math.hypot(*b))


# Hand-made 2-d example: keys of different norms, no ties in any ranking.
HAND_KEYS = [[2.0, 0.0], [0.0, 0.5], [-3.0, 0.0]]
HAND_VALUES = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
HAND_QUERY = [[1.0, 0.0], [-1.0, 2.0]]


def hand_pool(strategy, num_prompts=2):
    pool = PromptPool(
        pool_size=3,
        num_prompts=num_prompts,
        value_mean=torch.zeros(2),
        strategy=strategy,
    )
    set_pool(pool, HAND_KEYS, HAND_VALUES)
    return pool.eval()


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_output_shapes(strategy):
    pool = make_pool(strategy, pool_size=10, num_prompts=4).eval()
    out = pool(torch.randn(3, DIM))
    assert out.prompts.shape == (3, 4, DIM)
    assert out.indices.shape == (3, 4)
    assert out.indices.dtype == torch.long
    assert out.selection_loss.shape == ()
    assert torch.isfinite(out.selection_loss)
    assert int(out.indices.min()) >= 0 and int(out.indices.max()) < 10


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_num_prompts_override(strategy):
    pool = make_pool(strategy, pool_size=10, num_prompts=4).eval()
    assert pool(torch.randn(2, DIM), num_prompts=1).prompts.shape == (2, 1, DIM)
    assert pool(torch.randn(2, DIM), num_prompts=7).indices.shape == (2, 7)


# ---------------------------------------------------------------- order


def test_similarity_order_and_raw_values():
    pool = make_pool("similarity", pool_size=12, num_prompts=5).eval()
    query = torch.randn(4, DIM)
    out = pool(query)
    scores = torch.nn.functional.cosine_similarity(query.unsqueeze(1), pool.keys.unsqueeze(0), dim=-1)
    picked = scores.gather(1, out.indices)
    # Descending score order, and they are the N best.
    assert (picked[:, :-1] >= picked[:, 1:]).all()
    assert torch.allclose(picked, scores.topk(5, dim=-1).values)
    # Raw values, unscaled.
    assert torch.equal(out.prompts, pool.values[out.indices])


def test_attention_prompts_are_scaled_values():
    pool = make_pool("attention", pool_size=12, num_prompts=5).eval()
    query = torch.randn(4, DIM) * 3
    out = pool(query)
    attn = (query @ pool.keys.T / math.sqrt(DIM)).softmax(dim=-1)
    top = attn.gather(1, out.indices)
    assert (top[:, :-1] >= top[:, 1:]).all()
    assert torch.allclose(top, attn.topk(5, dim=-1).values)
    expected = pool.values[out.indices] * top.unsqueeze(-1)
    assert torch.allclose(out.prompts, expected, atol=1e-6)
    # Not the raw values: the scale matters.
    assert not torch.allclose(out.prompts, pool.values[out.indices])


# ------------------------------------------------- hand-computed losses


def test_similarity_hand_example():
    pool = hand_pool("similarity", num_prompts=2)
    out = pool(torch.tensor(HAND_QUERY))
    expected_loss = 0.0
    expected_indices = []
    for q in HAND_QUERY:
        p = softmax([cosine(q, k) for k in HAND_KEYS])
        order = sorted(range(3), key=lambda j: -p[j])[:2]
        expected_indices.append(order)
        expected_loss += -sum(p[j] for j in order)
    expected_loss /= len(HAND_QUERY)
    assert out.indices.tolist() == expected_indices == [[0, 1], [1, 2]]
    assert torch.allclose(out.selection_loss, torch.tensor(expected_loss))
    assert torch.equal(out.prompts, torch.tensor([[HAND_VALUES[j] for j in r] for r in expected_indices]))


def test_attention_hand_example():
    pool = hand_pool("attention", num_prompts=2)
    out = pool(torch.tensor(HAND_QUERY))
    expected_loss = 0.0
    expected_prompts = []
    for q in HAND_QUERY:
        logits = [sum(x * y for x, y in zip(q, k)) / math.sqrt(2) for k in HAND_KEYS]
        a = softmax(logits)
        order = sorted(range(3), key=lambda j: -a[j])[:2]
        expected_prompts.append([[v * a[j] for v in HAND_VALUES[j]] for j in order])
        expected_loss += -sum(x * math.log(x) for x in a)  # entropy
    expected_loss /= len(HAND_QUERY)
    assert torch.allclose(out.selection_loss, torch.tensor(expected_loss))
    assert torch.allclose(out.prompts, torch.tensor(expected_prompts))
    assert out.selection_loss > 0  # +entropy, not -entropy


def test_residual_hand_example():
    pool = hand_pool("residual", num_prompts=2)
    out = pool(torch.tensor(HAND_QUERY))
    expected_loss = 0.0
    expected_indices = []
    for q in HAND_QUERY:
        r = list(q)
        row, picked = [], 0.0
        for _ in range(2):
            p = softmax([cosine(r, k) for k in HAND_KEYS])
            j = max(range(3), key=lambda i: p[i])
            row.append(j)
            picked += p[j]
            r = [x - v for x, v in zip(r, HAND_VALUES[j])]
        expected_indices.append(row)
        expected_loss += -picked
    expected_loss /= len(HAND_QUERY)
    assert out.indices.tolist() == expected_indices
    assert torch.allclose(out.selection_loss, torch.tensor(expected_loss))
    assert torch.equal(out.prompts, torch.tensor([[HAND_VALUES[j] for j in r] for r in expected_indices]))


# ---------------------------------------------------------------- gradients


def test_similarity_gradients_are_split():
    pool = make_pool("similarity").train()
    query = torch.randn(3, DIM, requires_grad=True)
    out = pool(query)
    out.prompts.pow(2).sum().backward(retain_graph=True)
    assert pool.values.grad is not None and pool.values.grad.abs().sum() > 0
    assert pool.keys.grad is None or pool.keys.grad.abs().sum() == 0
    assert query.grad is None or query.grad.abs().sum() == 0

    pool.zero_grad(set_to_none=True)
    query.grad = None
    out.selection_loss.backward()
    assert pool.keys.grad is not None and pool.keys.grad.abs().sum() > 0
    assert pool.values.grad is None or pool.values.grad.abs().sum() == 0
    assert query.grad is not None and query.grad.abs().sum() > 0


def test_attention_gradients():
    pool = make_pool("attention").train()
    query = torch.randn(3, DIM, requires_grad=True)
    out = pool(query)
    out.prompts.sum().backward(retain_graph=True)
    # Scaled by a: prompts reach the values and (through a) the keys.
    assert pool.values.grad.abs().sum() > 0
    assert pool.keys.grad.abs().sum() > 0
    pool.zero_grad(set_to_none=True)
    query.grad = None
    out.selection_loss.backward()
    assert pool.keys.grad.abs().sum() > 0
    assert pool.values.grad is None or pool.values.grad.abs().sum() == 0
    assert query.grad.abs().sum() > 0


# ---------------------------------------------------------------- stochastic


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_stochastic_draws_in_training_fixed_in_eval(strategy):
    pool = make_pool(strategy, pool_size=5, num_prompts=3, stochastic=True)
    pool.train()
    torch.manual_seed(1)
    seen = set()
    for _ in range(100):
        out = pool(torch.randn(2, DIM))
        n = out.prompts.shape[1]
        assert 1 <= n <= 5
        assert out.indices.shape == (2, n)
        seen.add(n)
    assert seen == {1, 2, 3, 4, 5}
    # Explicit override wins over the draw, even in training.
    for _ in range(10):
        assert pool(torch.randn(2, DIM), num_prompts=2).prompts.shape[1] == 2
    pool.eval()
    for _ in range(10):
        assert pool(torch.randn(2, DIM)).prompts.shape[1] == 3
    assert pool(torch.randn(2, DIM), num_prompts=5).prompts.shape[1] == 5


def test_non_stochastic_training_uses_fixed_n():
    pool = make_pool("similarity", pool_size=5, num_prompts=3).train()
    for _ in range(20):
        assert pool(torch.randn(2, DIM)).prompts.shape[1] == 3


# ---------------------------------------------------- eval determinism, usage


def test_eval_selection_is_deterministic():
    pool = make_pool("similarity", pool_size=20, num_prompts=5).eval()
    query = torch.randn(4, DIM)
    first = pool(query)
    second = pool(query.clone())
    assert torch.equal(first.indices, second.indices)
    assert torch.equal(first.prompts, second.prompts)
    # ... and it does depend on the query.
    other = pool(-query)
    assert not torch.equal(first.indices, other.indices)


def test_usage_counter_counts_in_eval_only():
    pool = make_pool("similarity", pool_size=10, num_prompts=3)
    pool.train()
    pool(torch.randn(4, DIM))
    assert int(pool.usage_counts.sum()) == 0
    assert int(pool.usage_inputs) == 0
    pool.eval()
    out1 = pool(torch.randn(4, DIM))
    out2 = pool(torch.randn(2, DIM))
    assert int(pool.usage_inputs) == 6
    expected = torch.bincount(torch.cat([out1.indices.flatten(), out2.indices.flatten()]), minlength=10)
    assert torch.equal(pool.usage_counts, expected)
    assert math.isclose(float(pool.usage_frequency().sum()), 3.0, rel_tol=1e-6)
    pool.reset_usage()
    assert int(pool.usage_counts.sum()) == 0 and int(pool.usage_inputs) == 0
    # Usage is not trainable state: it is not in the checkpoint.
    assert "usage_counts" not in pool.trainable_state_dict()


# ----------------------------------------------------- residual degeneracy


def paper_init_pool(**kwargs):
    torch.manual_seed(0)
    dim = 32
    value_mean = torch.full((dim,), 1.0)  # norm ~5.7, the query's ~1
    return PromptPool(
        pool_size=20,
        num_prompts=6,
        value_mean=value_mean,
        strategy="residual",
        **kwargs,
    ).eval(), dim


def test_residual_degenerates_with_paper_init(caplog):
    pool, dim = paper_init_pool()
    torch.manual_seed(1)
    query = torch.randn(4, dim) / math.sqrt(dim)
    with caplog.at_level(logging.WARNING):
        out = pool(query)
    assert out.indices.shape == (4, 6)
    rows_with_repeat = [len(set(row.tolist())) < 6 for row in out.indices]
    assert all(rows_with_repeat)
    assert pool.last_repeat_fraction > 0
    assert pool.last_repeat_fraction == pytest.approx(repeated_index_fraction(out.indices))
    assert any("degenerate" in rec.getMessage() for rec in caplog.records)


def test_residual_exclude_picked_gives_distinct_indices(caplog):
    pool, dim = paper_init_pool(residual_exclude_picked=True)
    torch.manual_seed(1)
    query = torch.randn(4, dim) / math.sqrt(dim)
    with caplog.at_level(logging.WARNING):
        out = pool(query)
    for row in out.indices:
        assert len(set(row.tolist())) == 6
    assert pool.last_repeat_fraction == 0
    assert not any("degenerate" in rec.getMessage() for rec in caplog.records)


def test_repeated_index_fraction():
    assert repeated_index_fraction(torch.tensor([[0, 1, 2]])) == 0.0
    assert repeated_index_fraction(torch.tensor([[4, 4, 4, 4]])) == pytest.approx(0.75)


# ------------------------------------------------------------ bad arguments


def test_unknown_strategy_raises():
    with pytest.raises(ValueError, match="bogus"):
        PromptPool(pool_size=4, num_prompts=2, value_mean=torch.zeros(4), strategy="bogus")


def test_too_many_prompts_raise():
    with pytest.raises(ValueError):
        PromptPool(pool_size=4, num_prompts=5, value_mean=torch.zeros(4))
    with pytest.raises(ValueError):
        PromptPool(pool_size=4, num_prompts=0, value_mean=torch.zeros(4))
    pool = PromptPool(pool_size=4, num_prompts=2, value_mean=torch.zeros(4))
    with pytest.raises(ValueError):
        pool(torch.randn(1, 4), num_prompts=5)
    with pytest.raises(ValueError):
        SoftPrompt(length=4, value_mean=torch.zeros(4), num_prompts=5)
    with pytest.raises(ValueError):
        SoftPrompt(length=4, value_mean=torch.zeros(4))(torch.randn(1, 4), num_prompts=5)


# ------------------------------------------------------------------ init


def test_init_statistics():
    torch.manual_seed(0)
    value_mean = torch.linspace(-2.0, 3.0, 64)
    pool = PromptPool(pool_size=4000, num_prompts=10, value_mean=value_mean)
    keys = pool.keys.detach()
    values = pool.values.detach()
    assert keys.mean().abs() < 1e-3
    assert keys.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.allclose(values.mean(dim=0), value_mean, atol=3e-3)
    assert (values - value_mean).std().item() == pytest.approx(0.02, rel=0.05)
    assert pool.keys.requires_grad and pool.values.requires_grad


def test_soft_prompt_init_statistics():
    torch.manual_seed(0)
    value_mean = torch.linspace(-1.0, 1.0, 32)
    prompt = SoftPrompt(length=4000, value_mean=value_mean).prompt.detach()
    assert torch.allclose(prompt.mean(dim=0), value_mean, atol=3e-3)
    assert (prompt - value_mean).std().item() == pytest.approx(0.02, rel=0.05)


# ---------------------------------------------------------------- soft prompt


def test_soft_prompt_deterministic():
    torch.manual_seed(0)
    soft = SoftPrompt(length=6, value_mean=torch.zeros(DIM))
    for mode in (True, False):
        soft.train(mode)
        out = soft(torch.randn(3, DIM))
        assert out.prompts.shape == (3, 6, DIM)
        for row in out.prompts:
            assert torch.equal(row, soft.prompt)
        assert out.indices.tolist() == [list(range(6))] * 3
        assert out.selection_loss.item() == 0.0


def test_soft_prompt_stochastic():
    torch.manual_seed(0)
    soft = SoftPrompt(length=5, value_mean=torch.zeros(DIM), stochastic=True, num_prompts=2)
    soft.train()
    seen = set()
    for _ in range(100):
        out = soft(torch.randn(2, DIM))
        k = out.prompts.shape[1]
        assert 1 <= k <= 5
        assert torch.equal(out.prompts[0], soft.prompt[:k])
        assert torch.equal(out.prompts[1], soft.prompt[:k])
        seen.add(k)
    assert seen == {1, 2, 3, 4, 5}
    soft.eval()
    out = soft(torch.randn(2, DIM))
    assert torch.equal(out.prompts[0], soft.prompt[:2])
    assert out.prompts.shape == (2, 2, DIM)
    assert soft(torch.randn(2, DIM), num_prompts=4).prompts.shape[1] == 4


def test_soft_prompt_gradient():
    soft = SoftPrompt(length=4, value_mean=torch.zeros(DIM)).train()
    soft(torch.randn(2, DIM)).prompts.sum().backward()
    assert torch.equal(soft.prompt.grad, torch.full((4, DIM), 2.0))


# ---------------------------------------------------------------- checkpoints


def test_pool_checkpoint_roundtrip(tmp_path):
    pool = make_pool("similarity")
    assert set(pool.trainable_state_dict()) == {"keys", "values"}
    path = tmp_path / "pool.ckpt"
    pool._save_trainable(path)
    torch.manual_seed(123)
    other = PromptPool(pool_size=10, num_prompts=4, value_mean=torch.ones(DIM))
    assert not torch.equal(other.values, pool.values)
    other._load_trainable(path)
    assert torch.equal(other.values, pool.values)
    assert torch.equal(other.keys, pool.keys)


def test_soft_prompt_checkpoint_roundtrip(tmp_path):
    soft = SoftPrompt(length=4, value_mean=torch.zeros(DIM))
    assert set(soft.trainable_state_dict()) == {"prompt"}
    path = tmp_path / "soft.ckpt"
    soft._save_trainable(path)
    other = SoftPrompt(length=4, value_mean=torch.ones(DIM))
    other._load_trainable(path)
    assert torch.equal(other.prompt, soft.prompt)


def test_mismatched_checkpoint_raises(tmp_path):
    soft = SoftPrompt(length=10, value_mean=torch.zeros(DIM))
    path = tmp_path / "soft.ckpt"
    soft._save_trainable(path)
    pool = make_pool("similarity")
    before = pool.values.detach().clone()
    with pytest.raises(KeyError):
        pool._load_trainable(path)
    assert torch.equal(pool.values, before)  # nothing loaded half-way
    with pytest.raises(KeyError):
        pool.load_trainable_state_dict({"keys": pool.keys.detach()})


def test_checkpoint_of_another_pool_size_is_refused():
    small = PromptPool(pool_size=1, num_prompts=1, value_mean=torch.zeros(DIM))
    big = PromptPool(pool_size=5, num_prompts=2, value_mean=torch.zeros(DIM))
    before = big.values.detach().clone()
    with pytest.raises(KeyError, match="shapes do not match"):
        big.load_trainable_state_dict(small.trainable_state_dict())
    assert torch.equal(big.values, before)


def test_deterministic_similarity_training_collapses_to_one_set(tiny_llm):
    """Deterministic similarity training ends up choosing the same N prompts
    for every input (docs/design.md section 3, Jaccard 1.00): the selection
    queries share the chat template, and the selection loss pulls the keys
    that win most often towards that shared direction."""
    from speechbrain_listen.model.llm_lobe import masked_mean

    torch.manual_seed(0)
    dim = tiny_llm.hidden_size
    pool = PromptPool(pool_size=40, num_prompts=5, value_mean=torch.zeros(dim))
    scale = tiny_llm.input_embeddings.weight.std()

    def queries(n):
        audio = torch.randn(n, 8, dim) * scale
        counts = torch.randint(2, 9, (n,))
        with torch.no_grad():
            return masked_mean(tiny_llm.wrap_audio(audio, counts, ["Transcribe."] * n))

    def distinct_sets():
        with torch.no_grad():
            return len({frozenset(r.tolist()) for r in pool.eval()(queries(16)).indices})

    before = distinct_sets()
    optimizer = torch.optim.Adam([pool.keys], lr=0.05)
    pool.train()
    for _ in range(100):
        loss = pool(queries(8)).selection_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert before > 1  # at random init the clips still disagree
    assert distinct_sets() == 1
