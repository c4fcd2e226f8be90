"""How the frozen LLM is adapted: the paper's comparison grid in one switch.

LiSTEN compares its dynamic prompt pool with two baselines that share every
other part of the model (docs/design.md section 1):

* ``prompt_pool``: the dynamic prompt pool (``prompt_pool.PromptPool``),
  with a selection strategy (similarity, attention, residual), trained with
  a fixed N (deterministic) or N ~ U{1..M} (stochastic);
* ``soft_prompt``: one learnable prompt shared by every input
  (``soft_prompt.SoftPrompt``), fixed length or random-length prefix;
* ``lora``: LoRA adapters inside the LLM, no prompts.

Every recipe's hparams (LibriSpeech, Clotho, Multitask; paper scale and
small) choose with the key ``adaptation``, e.g. ``python train.py
hparams/listen.yaml --adaptation=lora``; the two builders below turn it into
the pieces the rest of the hparams needs (a prompt provider or None, a
``peft.LoraConfig`` or None), so one hparams file covers the whole grid, the
recipes' ``train.py`` have no per-method code, and :data:`GRID` names the
paper's nine runs as overrides. What else differs between the methods
follows from the switch alone:

* the selection loss: only the pool has one; a soft prompt and LoRA (no
  provider, ``speechbrain_listen.model.audio_prompting.prompt_audio``) give
  a constant zero, so ``selection_loss_weight`` (lambda) needs no
  per-method value: it has no effect on them;
* the soft prompt's length ``prompt_length`` defaults to ``num_prompts``
  (the paper's L = N = 160);
* the LoRA adapters: rank 8, alpha 32, dropout 0.1 on ``q_proj`` and
  ``v_proj`` (:func:`lora_config`'s defaults, the hparams' ``lora_*`` keys);
* the output folder: the hparams put ``<adaptation>`` in its path.

Authors
 * speechbrain-listen contributors 2026
"""

from speechbrain_listen.prompts.pool import PromptPool
from speechbrain_listen.prompts.soft_prompt import SoftPrompt

ADAPTATIONS = ("prompt_pool", "soft_prompt", "lora")

# The paper's comparison grid (docs/design.md sections 1 and 4): run name ->
# hparams overrides of a recipe that reads ``adaptation``.
GRID = {
    "dps_similarity": {
        "adaptation": "prompt_pool",
        "selection_strategy": "similarity",
        "stochastic_selection": False,
    },
    "dps_similarity_stochastic": {
        "adaptation": "prompt_pool",
        "selection_strategy": "similarity",
        "stochastic_selection": True,
    },
    "dps_attention": {
        "adaptation": "prompt_pool",
        "selection_strategy": "attention",
        "stochastic_selection": False,
    },
    "dps_attention_stochastic": {
        "adaptation": "prompt_pool",
        "selection_strategy": "attention",
        "stochastic_selection": True,
    },
    "dps_residual": {
        "adaptation": "prompt_pool",
        "selection_strategy": "residual",
        "stochastic_selection": False,
    },
    "dps_residual_stochastic": {
        "adaptation": "prompt_pool",
        "selection_strategy": "residual",
        "stochastic_selection": True,
    },
    "soft_prompt": {"adaptation": "soft_prompt", "stochastic_prompt": False},
    "soft_prompt_stochastic": {"adaptation": "soft_prompt", "stochastic_prompt": True},
    "lora": {"adaptation": "lora"},
}


def check_adaptation(adaptation):
    """Raises a ValueError naming the choices for an unknown adaptation."""
    if adaptation not in ADAPTATIONS:
        raise ValueError(f"unknown adaptation {adaptation!r}: choose one of {', '.join(ADAPTATIONS)}")


def grid_overrides(name):
    """The command-line overrides of one grid run.

    Example
    -------
    >>> grid_overrides("soft_prompt_stochastic")
    ['--adaptation=soft_prompt', '--stochastic_prompt=True']
    """
    if name not in GRID:
        raise KeyError(f"unknown grid run {name!r}: choose from {', '.join(GRID)}")
    return [f"--{key}={value}" for key, value in GRID[name].items()]


def build_prompt_provider(
    adaptation,
    value_mean,
    pool_size,
    num_prompts,
    selection_strategy="similarity",
    stochastic_selection=False,
    prompt_length=None,
    stochastic_prompt=False,
):
    """The prompt provider of an adaptation (None for LoRA).

    Arguments
    ---------
    adaptation : str
        One of :data:`ADAPTATIONS`.
    value_mean : torch.Tensor
        ``[llm_dim]`` mean LLM input embedding (prompt initialisation).
    pool_size, num_prompts : int
        M and the inference N of the prompt pool.
    selection_strategy : str
        ``similarity``, ``attention`` or ``residual``.
    stochastic_selection : bool
        Draw N ~ U{1..M} per training step.
    prompt_length : int, optional
        Soft-prompt length L (default: ``num_prompts``, as in the paper: a
        160-token soft prompt against a pool that prepends N = 160); it
        infers with its first ``min(num_prompts, L)`` tokens.
    stochastic_prompt : bool
        Soft prompt trained on a random-length prefix.

    Returns
    -------
    PromptPool, SoftPrompt or None

    Example
    -------
    >>> import torch
    >>> pool = build_prompt_provider("prompt_pool", torch.zeros(8), 10, 4)
    >>> type(pool).__name__, pool.size, pool.num_prompts
    ('PromptPool', 10, 4)
    >>> type(build_prompt_provider("soft_prompt", torch.zeros(8), 10, 4)).__name__
    'SoftPrompt'
    >>> build_prompt_provider("lora", torch.zeros(8), 10, 4) is None
    True
    """
    check_adaptation(adaptation)
    if adaptation == "prompt_pool":
        return PromptPool(
            pool_size=pool_size,
            num_prompts=num_prompts,
            value_mean=value_mean,
            strategy=selection_strategy,
            stochastic=stochastic_selection,
        )
    if adaptation == "soft_prompt":
        length = num_prompts if prompt_length is None else prompt_length
        return SoftPrompt(
            length=length,
            value_mean=value_mean,
            stochastic=stochastic_prompt,
            num_prompts=min(num_prompts, length),
        )
    return None


def lora_config(adaptation, rank=8, alpha=32, dropout=0.1, target_modules=("q_proj", "v_proj")):
    """The ``peft.LoraConfig`` of the LoRA baseline, None otherwise.

    Example
    -------
    >>> lora_config("prompt_pool") is None
    True
    >>> config = lora_config("lora")
    >>> config.r, config.lora_alpha, sorted(config.target_modules)
    (8, 32, ['q_proj', 'v_proj'])
    """
    check_adaptation(adaptation)
    if adaptation != "lora":
        return None
    import peft

    return peft.LoraConfig(
        r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(target_modules)
    )
