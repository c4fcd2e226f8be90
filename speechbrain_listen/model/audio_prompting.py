"""From waveforms to the LLM's prompt-ready sequences: the shared model pass.

Training (``ListenBrain``) and inference (``ListenAudioLLM``) run the same
steps before the LLM: frozen encoders -> window Q-Former -> chat template
with the audio tokens ("wrapped" sequences) -> selection query -> prompts.
Keeping them in one function guarantees that a deployed model sees exactly
what it was trained on.

Authors
 * speechbrain-listen contributors 2026
"""

from typing import List, NamedTuple, Optional

import torch

from speechbrain_listen.model.llm_lobe import masked_mean


class PromptedAudio(NamedTuple):
    """The LLM inputs of a batch, before targets are added.

    Attributes
    ----------
    wrapped : list of torch.Tensor
        ``[length_i, llm_dim]`` chat sequence with audio tokens, per example.
    prompts : torch.Tensor or None
        ``[batch, N, llm_dim]`` selected soft prompts.
    indices : torch.Tensor or None
        ``[batch, N]`` their pool indices.
    selection_loss : torch.Tensor
        Scalar (zero without a prompt pool).
    audio_tokens : torch.Tensor
        ``[batch, windows, llm_dim]`` connector output (for auxiliary losses).
    audio_counts : torch.Tensor
        ``[batch]`` real audio tokens per example.
    """

    wrapped: List[torch.Tensor]
    prompts: Optional[torch.Tensor]
    indices: Optional[torch.Tensor]
    selection_loss: torch.Tensor
    audio_tokens: torch.Tensor
    audio_counts: torch.Tensor


def prompt_audio(
    audio_encoder,
    connector,
    prompt_provider,
    llm,
    wavs,
    wav_lens,
    instructions,
    ids=None,
    num_prompts=None,
):
    """Runs encoders, connector and prompt selection for a batch.

    Arguments
    ---------
    audio_encoder, connector, prompt_provider : torch.nn.Module
        Called through ``forward`` (so DDP wrappers work); ``prompt_provider``
        may be None (LoRA baseline).
    llm : LLMLobe
        The (unwrapped) LLM lobe.
    wavs : torch.Tensor
        ``[batch, samples]``.
    wav_lens : torch.Tensor
        ``[batch]`` relative lengths.
    instructions : list of str
        One per example.
    ids : list of str, optional
        Utterance ids (feature cache keys).
    num_prompts : int, optional
        N for this call (default: the adapter's own).

    Returns
    -------
    PromptedAudio
    """
    feats, feat_lens = audio_encoder(wavs, wav_lens, ids=ids)
    tokens, token_lens = connector(feats, feat_lens)
    counts = (token_lens * tokens.shape[1]).round().long()
    wrapped = llm.wrap_audio(tokens, counts, instructions)
    if prompt_provider is None:
        return PromptedAudio(wrapped, None, None, tokens.new_zeros(()), tokens, counts)
    kwargs = {} if num_prompts is None else {"num_prompts": num_prompts}
    selection = prompt_provider(masked_mean(wrapped), **kwargs)
    return PromptedAudio(
        wrapped,
        selection.prompts,
        selection.indices,
        selection.selection_loss,
        tokens,
        counts,
    )
