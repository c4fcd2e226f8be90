"""The LiSTEN dynamic prompt pool.

A pool of ``M`` single-token prompts, each with a learnable key and value in
the LLM's embedding space. For every input, a selection query ``q`` (the mean
of the embedded audio + instruction sequence) is matched against the keys and
``N`` values are chosen and prepended to the LLM input. Three selection
strategies from the paper (Mousavi et al., Interspeech 2025):

* ``similarity``: ``s = cos(q, K)``, ``p = softmax(s)``, top-N of ``p``;
  prompts are the raw values in descending score order;
  ``L_sel = -mean_b sum_{j in top-N} p_bj``.
* ``attention``: ``a = softmax(q K^T / sqrt(d))``, top-N of ``a``;
  prompts are ``V[idx] * a[idx]``; ``L_sel = mean_b entropy(a_b)``.
* ``residual``: ``r = q``; N times pick the top-1 key by cosine, emit its
  value and set ``r = r - V[j]``; ``L_sel = -mean_b sum of the picked
  top-1 probabilities``. As in the reference code this tends to pick one
  index again and again; the pool measures and reports that (see
  ``last_repeat_fraction``), and ``residual_exclude_picked=True`` offers the
  obvious fix (a key can be picked once per input).

With ``stochastic=True`` the number of prompts is drawn per training step,
``N ~ U{1..M}``, shared by the batch; inference always uses a fixed N.

Authors
 * speechbrain-listen contributors 2026
"""

import math

import torch
import torch.nn.functional as F
from speechbrain.utils.logger import get_logger

from speechbrain_listen.prompts.selection import (
    PromptProvider,
    PromptSelection,
    init_prompt_values,
)

logger = get_logger(__name__)

STRATEGIES = ("similarity", "attention", "residual")


class PromptPool(PromptProvider):
    """Dynamic prompt pool with query-key selection.

    Arguments
    ---------
    pool_size : int
        Number of prompts M (400 in the paper).
    num_prompts : int
        Prompts selected per input at inference, N (160 in the paper).
    value_mean : torch.Tensor
        ``[llm_dim]`` mean row of the LLM input-embedding matrix; values are
        initialised to it plus N(0, ``value_std``^2) noise.
    strategy : str
        One of ``similarity``, ``attention``, ``residual``.
    stochastic : bool
        Draw N ~ U{1..M} at every training step.
    key_std : float
        Keys are initialised from N(0, key_std^2).
    value_std : float
        Standard deviation of the value noise.
    residual_exclude_picked : bool
        Residual strategy only: never pick a key twice for one input
        (not in the paper; off by default to stay faithful).

    Example
    -------
    >>> pool = PromptPool(pool_size=10, num_prompts=4, value_mean=torch.zeros(8))
    >>> out = pool(torch.randn(2, 8))
    >>> out.prompts.shape, out.indices.shape, out.selection_loss.shape
    (torch.Size([2, 4, 8]), torch.Size([2, 4]), torch.Size([]))
    >>> pool(torch.randn(2, 8), num_prompts=1).prompts.shape
    torch.Size([2, 1, 8])
    """

    def __init__(
        self,
        pool_size,
        num_prompts,
        value_mean,
        strategy="similarity",
        stochastic=False,
        key_std=0.01,
        value_std=0.02,
        residual_exclude_picked=False,
    ):
        super().__init__(pool_size, num_prompts)
        if strategy not in STRATEGIES:
            raise ValueError(
                f"unknown prompt selection strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}"
            )
        self.strategy = strategy
        self.stochastic = stochastic
        self.residual_exclude_picked = residual_exclude_picked
        values = init_prompt_values(pool_size, value_mean, value_std)
        self.values = torch.nn.Parameter(values)
        self.keys = torch.nn.Parameter(torch.randn_like(values) * key_std)
        self.last_repeat_fraction = 0.0
        self._warned_degenerate = False

    @property
    def embedding_dim(self):
        """Width of keys and values (the LLM width)."""
        return self.values.shape[1]

    def draw_num_prompts(self, num_prompts=None):
        """N for this call: random in training if stochastic, else fixed."""
        if self.training and self.stochastic and num_prompts is None:
            return int(torch.randint(1, self.size + 1, ()).item())
        return self.resolve_num_prompts(num_prompts)

    def forward(self, query, num_prompts=None):
        """Selects prompts for each query.

        Arguments
        ---------
        query : torch.Tensor
            ``[batch, llm_dim]`` selection queries.
        num_prompts : int, optional
            Override N for this call (also disables the stochastic draw).

        Returns
        -------
        PromptSelection
            prompts ``[batch, N, llm_dim]``, indices ``[batch, N]``, and the
            scalar selection loss.
        """
        num = self.draw_num_prompts(num_prompts)
        # Selection scores are small differences of cosines and softmaxes:
        # compute them in fp32 even under mixed precision.
        with torch.autocast(query.device.type, enabled=False):
            query = query.float()
            select = getattr(self, f"_select_{self.strategy}")
            selection = select(query, num)
        self.count_usage(selection.indices)
        return selection

    def _select_similarity(self, query, num):
        scores = F.normalize(query, dim=-1) @ F.normalize(self.keys, dim=-1).T
        probs = scores.softmax(dim=-1)
        top_probs, indices = probs.topk(num, dim=-1)
        loss = -top_probs.sum(dim=-1).mean()
        return PromptSelection(self.values[indices], indices, loss)

    def _select_attention(self, query, num):
        logits = query @ self.keys.T / math.sqrt(self.embedding_dim)
        attn = logits.softmax(dim=-1)
        top_attn, indices = attn.topk(num, dim=-1)
        prompts = self.values[indices] * top_attn.unsqueeze(-1)
        entropy = -(attn * torch.log(attn.clamp_min(1e-12))).sum(dim=-1)
        return PromptSelection(prompts, indices, entropy.mean())

    def _select_residual(self, query, num):
        residual = query
        keys = F.normalize(self.keys, dim=-1)
        picked_mask = torch.zeros(query.shape[0], self.size, dtype=torch.bool, device=query.device)
        prompts, indices, picked_probs = [], [], []
        for _ in range(num):
            probs = (F.normalize(residual, dim=-1) @ keys.T).softmax(dim=-1)
            if self.residual_exclude_picked:
                choose_from = probs.masked_fill(picked_mask, -1.0)
            else:
                choose_from = probs
            index = choose_from.argmax(dim=-1)
            value = self.values[index]
            picked_probs.append(probs.gather(1, index.unsqueeze(1)).squeeze(1))
            prompts.append(value)
            indices.append(index)
            picked_mask[torch.arange(query.shape[0]), index] = True
            residual = residual - value
        indices = torch.stack(indices, dim=1)
        self._report_repeats(indices)
        loss = -torch.stack(picked_probs, dim=1).sum(dim=1).mean()
        return PromptSelection(torch.stack(prompts, dim=1), indices, loss)

    def _report_repeats(self, indices):
        """Records (and warns once about) indices picked twice for one input."""
        self.last_repeat_fraction = repeated_index_fraction(indices)
        if self.last_repeat_fraction > 0 and not self._warned_degenerate:
            self._warned_degenerate = True
            logger.warning(
                "Residual prompt selection is degenerate: "
                f"{100 * self.last_repeat_fraction:.1f}% of the selected "
                "prompts repeat an index already chosen for the same input "
                "(set residual_exclude_picked: True to forbid repeats)."
            )


def repeated_index_fraction(indices):
    """Fraction of selected slots that repeat an index earlier in the row.

    Arguments
    ---------
    indices : torch.Tensor
        ``[batch, num_prompts]`` selected indices.

    Returns
    -------
    float
        0.0 when every row holds distinct indices, ``(N - 1) / N`` when every
        row repeats a single index.

    Example
    -------
    >>> round(repeated_index_fraction(torch.tensor([[1, 2, 3], [4, 4, 4]])), 3)
    0.333
    """
    distinct = sum(len(set(row.tolist())) for row in indices)
    return 1.0 - distinct / indices.numel()
