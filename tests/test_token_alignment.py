"""The token-alignment CTC: what it rewards, what it learns, what it leaves alone."""

import pytest
import torch

from speechbrain_listen.model.token_alignment import TokenAlignmentCTC

DIM, VOCAB = 16, 12


@pytest.fixture
def table():
    torch.manual_seed(0)
    return torch.randn(VOCAB, DIM)


def spelled(table, align, ids, blanks_between=1):
    """Audio tokens that are the target embeddings with blanks between."""
    rows = []
    for i in ids:
        rows.append(table[i])
        rows += [align.blank.detach() * 50] * blanks_between
    return torch.stack(rows)


def test_tokens_that_spell_the_target_score_better_than_random(table):
    align = TokenAlignmentCTC(DIM, initial_scale=20.0)
    target = [3, 7, 7, 1]
    good = spelled(table, align, target)
    bad = torch.randn_like(good)
    counts = torch.tensor([good.shape[0]])
    good_loss = align(good[None], counts, table, [target])
    bad_loss = align(bad[None], counts, table, [target])
    assert good_loss < 0.5 * bad_loss
    assert align.greedy_ids(good[None], counts, table) == [target]


def test_greedy_ids_ignore_tokens_past_the_count(table):
    align = TokenAlignmentCTC(DIM, initial_scale=20.0)
    tokens = spelled(table, align, [2, 5, 9])  # 6 tokens
    assert align.greedy_ids(tokens[None], torch.tensor([4]), table) == [[2, 5]]


def test_padding_tokens_do_not_change_the_loss(table):
    align = TokenAlignmentCTC(DIM)
    tokens = torch.randn(1, 5, DIM)
    padded = torch.cat([tokens, 100 * torch.randn(1, 3, DIM)], dim=1)
    counts = torch.tensor([5])
    assert torch.allclose(align(tokens, counts, table, [[1, 2]]), align(padded, counts, table, [[1, 2]]))


def test_too_few_tokens_are_counted_and_add_nothing(table):
    align = TokenAlignmentCTC(DIM)
    tokens = torch.randn(2, 4, DIM, requires_grad=True)
    loss = align(tokens, torch.tensor([4, 2]), table, [[1, 2], [3, 4, 5]])
    assert torch.isfinite(loss)
    assert align.infeasible == 1
    loss.backward()
    assert tokens.grad[1].abs().sum() == 0  # the infeasible example adds no gradient
    assert tokens.grad[0].abs().sum() > 0


def test_the_frozen_table_gets_no_gradient_but_blank_and_scale_do(table):
    align = TokenAlignmentCTC(DIM)
    table = table.clone().requires_grad_(True)
    tokens = torch.randn(1, 6, DIM, requires_grad=True)
    align(tokens, torch.tensor([6]), table, [[1, 2, 3]]).backward()
    assert table.grad is None
    assert align.blank.grad.abs().sum() > 0 and align.log_scale.grad != 0


def test_training_free_tokens_learns_to_spell_the_target(table):
    """Gradient descent on the loss alone makes the tokens spell the target."""
    torch.manual_seed(1)
    align = TokenAlignmentCTC(DIM)
    tokens = torch.nn.Parameter(torch.randn(2, 8, DIM) * 0.1)
    targets = [[4, 0, 9], [6, 6, 2, 11]]
    counts = torch.tensor([8, 8])
    optimizer = torch.optim.Adam([tokens, *align.parameters()], lr=0.05)
    assert align.greedy_ids(tokens, counts, table) != targets
    for _ in range(300):
        optimizer.zero_grad()
        align(tokens, counts, table, targets).backward()
        optimizer.step()
    assert align.greedy_ids(tokens, counts, table) == targets


def test_checkpoint_holds_only_blank_and_scale():
    align = TokenAlignmentCTC(DIM)
    assert sorted(align.trainable_state_dict()) == ["blank", "log_scale"]


def test_scale_is_capped():
    align = TokenAlignmentCTC(4, initial_scale=10.0, max_scale=20.0)
    with torch.no_grad():
        align.log_scale.fill_(10.0)  # e^10 would be far above the cap
    table = torch.cat([torch.eye(4), -torch.eye(4)])  # mean row 0: no centring
    tokens = table[:1][None]  # cosine 1 with class 0, 0 with classes 1-3
    log_probs = align.log_probs(tokens, table)[0, 0]
    # With the cap, class 0 leads every other class by exactly 20 nats.
    assert (log_probs[0] - log_probs[1]).item() == pytest.approx(20.0, abs=1e-3)


def test_unit_table_is_reused_until_the_table_changes(table):
    align = TokenAlignmentCTC(DIM)
    first, mean = align.unit_table(table)
    assert align.unit_table(table)[0] is first
    assert torch.allclose(first.norm(dim=-1), torch.ones(VOCAB))
    assert torch.allclose(mean, table.mean(dim=0))
    with torch.no_grad():
        table.mul_(2.0).add_(1.0)  # an in-place change bumps the tensor version
    second, mean = align.unit_table(table)
    assert second is not first
    assert torch.allclose(second, torch.nn.functional.normalize(table - mean, dim=-1))


def test_a_shared_direction_in_the_table_does_not_blur_the_scores(table):
    """Adding one common vector to every row (as LLM tables have) leaves the
    scores of tokens placed on the rows unchanged."""
    align = TokenAlignmentCTC(DIM)
    shared = 5 * torch.randn(DIM)
    tokens = table[[3, 8]][None]
    plain = align.log_probs(tokens, table)
    shifted = align.log_probs(tokens + shared, table + shared)
    assert torch.allclose(plain, shifted, atol=1e-4)
    assert plain[0, 0].argmax() == 3 and plain[0, 1].argmax() == 8


def test_autocast_gives_the_same_loss_as_float32(table):
    align = TokenAlignmentCTC(DIM)
    tokens = torch.randn(2, 6, DIM)
    args = (tokens, torch.tensor([6, 5]), table, [[1, 2, 3], [4, 4]])
    exact = align(*args)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        approx = align(*args)
    assert approx.dtype == torch.float32
    assert approx.item() == pytest.approx(exact.item(), rel=0.02)
