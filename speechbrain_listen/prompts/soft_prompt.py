"""The soft-prompt baseline: one fixed sequence of learnable tokens.

The same prompt ``P [L, llm_dim]`` is prepended to every input (deterministic
variant). The stochastic variant trains on a random-length prefix
``P[:k]``, ``k ~ U{1..L}``, and at inference uses the first ``num_prompts``
tokens, which makes it the fair counterpart of the stochastic prompt pool.

Authors
 * speechbrain-listen contributors 2026
"""

import torch

from speechbrain_listen.prompts.selection import (
    PromptProvider,
    PromptSelection,
    init_prompt_values,
)


class SoftPrompt(PromptProvider):
    """A learnable prompt shared by all inputs.

    Arguments
    ---------
    length : int
        Number of soft tokens L (160 in the paper).
    value_mean : torch.Tensor
        ``[llm_dim]`` mean row of the LLM input-embedding matrix.
    stochastic : bool
        Train on a random-length prefix.
    num_prompts : int, optional
        Tokens used at inference (default: all ``length``).
    value_std : float
        Standard deviation of the initial noise.

    Example
    -------
    >>> prompt = SoftPrompt(length=6, value_mean=torch.zeros(8))
    >>> out = prompt(torch.randn(3, 8))
    >>> out.prompts.shape, out.indices[0].tolist()
    (torch.Size([3, 6, 8]), [0, 1, 2, 3, 4, 5])
    """

    def __init__(
        self,
        length,
        value_mean,
        stochastic=False,
        num_prompts=None,
        value_std=0.02,
    ):
        super().__init__(length, length if num_prompts is None else num_prompts)
        self.stochastic = stochastic
        self.prompt = torch.nn.Parameter(init_prompt_values(length, value_mean, value_std))

    def forward(self, query, num_prompts=None):
        """Returns the first k soft tokens for every example.

        Arguments
        ---------
        query : torch.Tensor
            ``[batch, llm_dim]``; only its batch size and device are used.
        num_prompts : int, optional
            Prefix length k for this call.

        Returns
        -------
        PromptSelection
            prompts ``[batch, k, llm_dim]``, indices ``0..k-1``, zero loss.
        """
        if self.training and self.stochastic and num_prompts is None:
            num = int(torch.randint(1, self.size + 1, ()).item())
        else:
            num = self.resolve_num_prompts(num_prompts)
        batch = query.shape[0]
        prompts = self.prompt[:num].unsqueeze(0).expand(batch, -1, -1)
        indices = torch.arange(num, device=query.device).expand(batch, -1)
        self.count_usage(indices)
        return PromptSelection(prompts, indices, query.new_zeros(()))
