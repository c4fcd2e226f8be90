"""Tests for the window-level Q-Former (speechbrain_listen/model/window_qformer.py)."""

import re

import pytest
import torch
from transformers import Blip2QFormerModel

from speechbrain_listen.model.window_qformer import WindowQFormer

IN, OUT = 12, 20


def make_qformer(window_frames=5, num_windows=None, seed=0, window_query=False):
    torch.manual_seed(seed)
    return WindowQFormer(
        input_size=IN,
        output_size=OUT,
        window_frames=window_frames,
        hidden_size=16,
        num_layers=2,
        num_heads=2,
        intermediate_size=32,
        num_windows=num_windows,
        window_query=window_query,
    ).eval()


def test_built_on_blip2_qformer():
    qformer = make_qformer()
    assert isinstance(qformer.qformer, Blip2QFormerModel)
    config = qformer.qformer.config
    assert config.num_hidden_layers == 2
    assert config.encoder_hidden_size == IN
    layers = qformer.qformer.encoder.layer
    assert len(layers) == 2
    assert all(layer.has_cross_attention for layer in layers)
    assert qformer.query.shape == (1, 1, 16)
    assert qformer.projection.in_features == 16
    assert qformer.projection.out_features == OUT


def test_windows_for():
    qformer = make_qformer(window_frames=17)
    counts = qformer.windows_for(torch.tensor([1500, 17, 18, 1, 0, 34, 35]))
    assert counts.tolist() == [89, 1, 2, 1, 1, 2, 3]


def test_output_shape_and_token_lens():
    qformer = make_qformer(window_frames=5)
    feats = torch.randn(3, 50, IN)
    # 50, 21, 10 valid frames -> 10, 5, 2 windows
    tokens, token_lens = qformer(feats, torch.tensor([1.0, 0.42, 0.2]))
    assert tokens.shape == (3, 10, OUT)
    assert torch.allclose(token_lens, torch.tensor([1.0, 0.5, 0.2]))
    # Without a full-length clip, the batch is only as long as its longest.
    tokens, token_lens = qformer(feats, torch.tensor([0.42, 0.2, 0.1]))
    assert tokens.shape == (3, 5, OUT)
    assert torch.allclose(token_lens, torch.tensor([1.0, 0.4, 0.2]))


def test_partial_window_at_the_end_is_kept():
    qformer = make_qformer(window_frames=5)
    tokens, token_lens = qformer(torch.randn(1, 52, IN), torch.tensor([1.0]))
    assert tokens.shape == (1, 11, OUT)  # 52 frames -> 10 full + 1 partial
    assert token_lens.tolist() == [1.0]


def test_padded_windows_are_zero():
    qformer = make_qformer(window_frames=5)
    tokens, _ = qformer(torch.randn(2, 50, IN), torch.tensor([1.0, 0.42]))
    assert torch.equal(tokens[1, 5:], torch.zeros(5, OUT))
    assert (tokens[1, :5].abs().sum(dim=-1) > 0).all()
    assert (tokens[0].abs().sum(dim=-1) > 0).all()


@pytest.mark.parametrize("window_query", [False, True])
def test_padding_does_not_leak_into_tokens(window_query):
    qformer = make_qformer(window_frames=5, window_query=window_query)
    torch.manual_seed(1)
    feats = torch.randn(2, 50, IN)
    lens = torch.tensor([1.0, 0.42])  # clip 1: 21 frames, window 4 = frames 20..24
    tokens, _ = qformer(feats, lens)

    changed = feats.clone()
    changed[1, 21:] = torch.randn(29, IN) * 100  # padding only, incl. frames 21..24
    tokens_changed, _ = qformer(changed, lens)
    assert torch.allclose(tokens_changed, tokens, atol=1e-6)

    # Positive control: the last real frame (in the partial window) matters.
    changed[1, 20] += 10.0
    tokens_real, _ = qformer(changed, lens)
    assert not torch.allclose(tokens_real[1, 4], tokens[1, 4], atol=1e-4)
    assert torch.allclose(tokens_real[1, :4], tokens[1, :4], atol=1e-6)
    assert torch.allclose(tokens_real[0], tokens[0], atol=1e-6)


@pytest.mark.parametrize("window_query", [False, True])
def test_each_window_sees_only_its_frames(window_query):
    qformer = make_qformer(window_frames=5, window_query=window_query)
    feats = torch.randn(1, 50, IN)
    tokens, _ = qformer(feats, torch.tensor([1.0]))
    changed = feats.clone()
    changed[0, 10:15] += 5.0  # window 2 only
    tokens_changed, _ = qformer(changed, torch.tensor([1.0]))
    differs = (tokens_changed - tokens).abs().sum(dim=-1)[0] > 1e-5
    assert differs.tolist() == [i == 2 for i in range(10)]


@pytest.mark.parametrize("window_query", [False, True])
def test_frame_order_inside_a_window_matters_only_with_the_window_query(window_query):
    """Cross-attention alone pools a window's frames regardless of their order;
    the window query reads them in order."""
    qformer = make_qformer(window_frames=5, window_query=window_query)
    feats = torch.randn(1, 10, IN)
    tokens, _ = qformer(feats, torch.tensor([1.0]))
    swapped = feats.clone()
    swapped[0, :5] = feats[0, [4, 3, 2, 1, 0]]
    tokens_swapped, _ = qformer(swapped, torch.tensor([1.0]))
    assert torch.allclose(tokens_swapped[0, 1], tokens[0, 1], atol=1e-6)
    assert torch.allclose(tokens_swapped[0, 0], tokens[0, 0], atol=1e-5) != window_query


def test_window_query_is_trained_and_off_by_default():
    assert make_qformer().window_query is None
    qformer = make_qformer(window_query=True)
    assert qformer.window_query.in_features == 5 * IN
    assert "window_query.weight" in qformer.trainable_state_dict()


def test_paper_num_windows():
    qformer = make_qformer(window_frames=17, num_windows=88)
    feats = torch.randn(2, 1500, IN)
    tokens, token_lens = qformer(feats, torch.tensor([1.0, 0.1]))
    assert tokens.shape == (2, 88, OUT)
    assert token_lens.tolist() == [1.0, 1.0]
    # Every window is a token, padded or not.
    assert (tokens.abs().sum(dim=-1) > 0).all()


def test_batch_invariance():
    qformer = make_qformer(window_frames=5)
    torch.manual_seed(2)
    short = torch.randn(1, 23, IN)  # 5 windows, the last one partial
    long = torch.randn(1, 50, IN) * 3
    alone, alone_lens = qformer(short, torch.tensor([1.0]))
    batch = torch.zeros(2, 50, IN)
    batch[0, :23] = short[0]
    batch[1] = long[0]
    batched, batched_lens = qformer(batch, torch.tensor([23 / 50, 1.0]))
    assert alone.shape == (1, 5, OUT)
    assert batched.shape == (2, 10, OUT)
    assert torch.allclose(batched[0, :5], alone[0], atol=1e-5)
    assert torch.equal(batched[0, 5:], torch.zeros(5, OUT))
    assert batched_lens[0].item() == pytest.approx(0.5)


def test_gradient_flow():
    qformer = make_qformer(window_frames=5).train()
    feats = torch.randn(2, 50, IN, requires_grad=True)
    tokens, _ = qformer(feats, torch.tensor([1.0, 0.42]))
    (tokens**2).sum().backward()
    assert qformer.query.grad.abs().sum() > 0
    assert qformer.projection.weight.grad.abs().sum() > 0
    assert qformer.projection.bias.grad.abs().sum() > 0
    assert feats.grad[1, :21].abs().sum() > 0
    assert torch.equal(feats.grad[1, 21:], torch.zeros(29, IN))
    # With one query per window, the self-attention softmax is over a single
    # key, so its query/key projections (and the cross-attention key bias, a
    # constant shift of all logits) have no effect; everything else learns.
    inert = re.compile(
        r"layer\.\d+\.attention\.attention\.(query|key)\."
        r"|crossattention\.attention\.key\.bias"
    )
    checked = 0
    for name, param in qformer.qformer.named_parameters():
        if inert.search(name):
            continue
        assert param.grad is not None, name
        assert param.grad.abs().sum() > 0, name
        checked += 1
    assert checked > 20
    for layer in qformer.qformer.encoder.layer:
        cross = layer.crossattention.attention
        assert cross.query.weight.grad.abs().sum() > 0
        assert cross.key.weight.grad.abs().sum() > 0
        assert cross.value.weight.grad.abs().sum() > 0


def test_trainable_state_is_everything():
    qformer = make_qformer()
    state = qformer.trainable_state_dict()
    assert set(state) == {name for name, _ in qformer.named_parameters()}
    assert "query" in state and "projection.weight" in state


def test_checkpoint_of_another_shape_loads_nothing():
    source = make_qformer(seed=1)
    torch.manual_seed(2)
    target = WindowQFormer(
        input_size=IN,
        output_size=OUT + 4,
        window_frames=5,
        hidden_size=16,
        num_layers=2,
        num_heads=2,
        intermediate_size=32,
    )
    before = {k: v.clone() for k, v in target.trainable_state_dict().items()}
    with pytest.raises(KeyError):
        target.load_trainable_state_dict(source.trainable_state_dict())
    after = target.trainable_state_dict()
    assert all(torch.equal(after[k], before[k]) for k in before)


def test_checkpoint_roundtrip(tmp_path):
    source = make_qformer(seed=1)
    target = make_qformer(seed=2)
    assert not torch.equal(source.query, target.query)
    source._save_trainable(tmp_path / "qformer.ckpt")
    target._load_trainable(tmp_path / "qformer.ckpt")
    feats = torch.randn(2, 30, IN)
    lens = torch.tensor([1.0, 0.5])
    assert torch.equal(source(feats, lens)[0], target(feats, lens)[0])
