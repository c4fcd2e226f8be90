"""Who trains what: trainable parameters per part, against the LLM's size.

The reference implementation logs only the prompt values as "trainable"; the
report here counts every trained part (docs/design.md section 1) so that
comparisons between LiSTEN, soft prompts and LoRA are honest.

Authors
 * speechbrain-listen contributors 2026
"""

from speechbrain_listen.prompts.pool import PromptPool
from speechbrain_listen.prompts.soft_prompt import SoftPrompt


def count(params):
    """Number of elements in trainable parameters."""
    return sum(p.numel() for p in params if p.requires_grad)


def trainable_parameter_parts(audio_encoder, connector, prompt_provider, llm, token_alignment=None):
    """Trainable parameter counts per part.

    Arguments
    ---------
    audio_encoder : AudioEncoder
        Its LayerNorms count as connector.
    connector : WindowQFormer
        Q-Former + projection.
    prompt_provider : PromptPool, SoftPrompt or None
        The prompts.
    llm : LLMLobe
        LoRA parameters, if any.
    token_alignment : TokenAlignmentCTC, optional
        The auxiliary alignment loss (its blank and scale).

    Returns
    -------
    dict
        Part name -> count; zero parts are kept so tables line up.
    """
    parts = {
        "connector": count(audio_encoder.parameters()) + count(connector.parameters()),
        "pool keys": 0,
        "pool values": 0,
        "soft prompt": 0,
        "LoRA": count(llm.parameters()),
        "alignment": 0 if token_alignment is None else count(token_alignment.parameters()),
    }
    if isinstance(prompt_provider, PromptPool):
        parts["pool keys"] = count([prompt_provider.keys])
        parts["pool values"] = count([prompt_provider.values])
    elif isinstance(prompt_provider, SoftPrompt):
        parts["soft prompt"] = count([prompt_provider.prompt])
    parts["total"] = sum(parts.values())
    return parts


def format_parameter_report(parts, llm_parameters):
    """A small aligned table with percentages of the LLM size.

    Arguments
    ---------
    parts : dict
        Output of :func:`trainable_parameter_parts`.
    llm_parameters : int
        Parameters of the (frozen) LLM.

    Returns
    -------
    str

    Example
    -------
    >>> print(format_parameter_report({"connector": 10, "total": 10}, 1000))
    Trainable parameters (LLM: 1,000)
      connector             10    1.0000% of LLM
      total                 10    1.0000% of LLM
    """
    lines = [f"Trainable parameters (LLM: {llm_parameters:,})"]
    for name, value in parts.items():
        share = 100.0 * value / max(llm_parameters, 1)
        lines.append(f"  {name:<12}{value:>12,}  {share:>8.4f}% of LLM")
    return "\n".join(lines)
