"""What every prompt provider returns, and the usage counter they share.

A prompt provider (the LiSTEN prompt pool, or the soft-prompt baseline) takes
one selection query per example and returns soft tokens to prepend to the
LLM input. This module holds the common result type and a base class that
counts, in evaluation mode, how often each prompt index is chosen: the raw
material of the prompt-selection analysis.

Authors
 * speechbrain-listen contributors 2026
"""

from typing import NamedTuple, Optional

import torch

from speechbrain_listen.model.trainable_state import TrainableStateModule


class PromptSelection(NamedTuple):
    """Soft tokens chosen for a batch.

    Attributes
    ----------
    prompts : torch.Tensor
        ``[batch, num_prompts, llm_dim]`` tokens to prepend to the LLM input.
    indices : torch.Tensor or None
        ``[batch, num_prompts]`` pool indices of the prompts, in order.
    selection_loss : torch.Tensor
        Scalar auxiliary loss (zero where a provider has none).
    """

    prompts: torch.Tensor
    indices: Optional[torch.Tensor]
    selection_loss: torch.Tensor


def init_prompt_values(num, value_mean, value_std=0.02):
    """The paper's prompt initialisation: mean LLM embedding plus noise.

    Arguments
    ---------
    num : int
        Number of prompt vectors.
    value_mean : torch.Tensor
        ``[llm_dim]`` mean row of the LLM input-embedding matrix.
    value_std : float
        Standard deviation of the Gaussian noise (0.02 in the paper).

    Returns
    -------
    torch.Tensor
        ``[num, llm_dim]`` initial values.

    Example
    -------
    >>> init_prompt_values(3, torch.ones(8)).shape
    torch.Size([3, 8])
    """
    value_mean = torch.as_tensor(value_mean, dtype=torch.float32).flatten()
    noise = torch.randn(num, value_mean.numel()) * value_std
    return value_mean.unsqueeze(0) + noise


class PromptProvider(TrainableStateModule):
    """Base class: holds ``num_prompts`` and a per-index usage counter.

    The counter only runs in evaluation mode (``module.eval()``), so it
    describes the choices of the trained model, not the drift of training.

    Arguments
    ---------
    size : int
        Number of selectable indices (pool size, or soft-prompt length).
    num_prompts : int
        Prompts returned per example at inference (changeable at any time by
        setting the attribute or passing ``num_prompts`` to ``forward``).
    """

    def __init__(self, size, num_prompts):
        super().__init__()
        if not 1 <= num_prompts <= size:
            raise ValueError(f"num_prompts must be within 1..{size} (the pool size), got {num_prompts}")
        self.size = size
        self.num_prompts = num_prompts
        self.register_buffer("usage_counts", torch.zeros(size, dtype=torch.long), persistent=False)
        self.register_buffer("usage_inputs", torch.zeros((), dtype=torch.long), persistent=False)

    def resolve_num_prompts(self, num_prompts=None):
        """Returns the N to use now, checked against the pool size."""
        num = self.num_prompts if num_prompts is None else int(num_prompts)
        if not 1 <= num <= self.size:
            raise ValueError(f"cannot select {num} prompts from a pool of {self.size}")
        return num

    def count_usage(self, indices):
        """Adds a batch of selected indices to the counter (eval mode only).

        Arguments
        ---------
        indices : torch.Tensor
            ``[batch, num_prompts]`` selected indices.
        """
        if self.training or indices is None:
            return
        flat = indices.reshape(-1).to(self.usage_counts.device)
        self.usage_counts.index_add_(0, flat, torch.ones_like(flat))
        self.usage_inputs += indices.shape[0]

    def reset_usage(self):
        """Sets the usage counter to zero (e.g. before a test set)."""
        self.usage_counts.zero_()
        self.usage_inputs.zero_()

    def usage_frequency(self):
        """How often each index was chosen, per counted input.

        Returns
        -------
        torch.Tensor
            ``[size]`` float tensor: counts divided by the number of inputs.
        """
        inputs = max(int(self.usage_inputs), 1)
        return self.usage_counts.float() / inputs
