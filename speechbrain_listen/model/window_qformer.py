"""Window-level Q-Former: fixed-rate audio tokens for the LLM.

The encoder output (50 frames per second for Whisper) is cut into
non-overlapping windows of ``window_frames`` frames (17 frames = 0.33 s in the
paper). One learned query per window cross-attends to that window's frames
through a BERT-style Q-Former (transformers' ``Blip2QFormerModel``: self- and
cross-attention in every layer), and a linear layer maps the query output to
the LLM width. A clip therefore becomes about 3 audio tokens per second.

Windows are computed from each clip's true length. Frames past the end of a
clip are masked inside a partly filled window, and windows that lie entirely
in padding are never computed: the returned relative lengths tell the LLM
lobe how many tokens of each row are real audio. ``num_windows`` fixes the
token count instead (the paper's 88 tokens for a 30 s Whisper input).

Authors
 * speechbrain-listen contributors 2026
"""

import math

import torch
from transformers import Blip2QFormerConfig, Blip2QFormerModel

from speechbrain_listen.model.trainable_state import TrainableStateModule


class WindowQFormer(TrainableStateModule):
    """Turns encoder frames into one LLM token per window.

    Arguments
    ---------
    input_size : int
        Channels of the encoder features (e.g. 1280 + 768 with BEATs).
    output_size : int
        LLM hidden size.
    window_frames : int
        Frames per window; the stride equals the window.
    hidden_size : int
        Q-Former width (768, BERT-base).
    num_layers : int
        Q-Former layers, each with cross-attention (2 in the paper).
    num_heads : int
        Attention heads.
    intermediate_size : int
        Feed-forward width.
    dropout : float
        Hidden and attention dropout inside the Q-Former.
    num_windows : int, optional
        If given, always return this many tokens per clip, padded windows
        included, as the paper does (88 = 1500 // 17).
    window_query : bool
        If True (not in the paper), each window's query is the learned query
        plus a linear map of the window's frames, stacked in order. The
        Q-Former then refines a query that already carries its window's
        content. From random init a plain Q-Former learns slowly: its
        cross-attention starts as a mean over the window's frames, and on the
        offline small setting it needed several times more steps than a
        linear map of the stacked frames to reach the same CTC error (see the
        LibriSpeech README).
    token_norm : float, optional
        Initial norm of the audio tokens. By default (None) the projection
        keeps PyTorch's initialisation, whose tokens are several times longer
        than LLM word embeddings; giving the LLM's mean embedding norm
        (``llm_lobe.mean_embedding_norm``) scales the projection's initial
        weights so audio tokens start at the size of words.

    Example
    -------
    >>> qformer = WindowQFormer(
    ...     input_size=16, output_size=32, window_frames=5,
    ...     hidden_size=24, num_layers=1, num_heads=2, intermediate_size=48)
    >>> feats = torch.randn(2, 50, 16)
    >>> tokens, token_lens = qformer(feats, torch.tensor([1.0, 0.42]))
    >>> tokens.shape, token_lens.tolist()
    (torch.Size([2, 10, 32]), [1.0, 0.5])
    """

    def __init__(
        self,
        input_size,
        output_size,
        window_frames=17,
        hidden_size=768,
        num_layers=2,
        num_heads=12,
        intermediate_size=3072,
        dropout=0.1,
        num_windows=None,
        window_query=False,
        token_norm=None,
    ):
        super().__init__()
        self.window_frames = window_frames
        self.num_windows = num_windows
        config = Blip2QFormerConfig(
            hidden_size=hidden_size,
            num_hidden_layers=num_layers,
            num_attention_heads=num_heads,
            intermediate_size=intermediate_size,
            hidden_dropout_prob=dropout,
            attention_probs_dropout_prob=dropout,
            encoder_hidden_size=input_size,
            cross_attention_frequency=1,
        )
        self.qformer = Blip2QFormerModel(config)
        self.query = torch.nn.Parameter(torch.randn(1, 1, hidden_size) * config.initializer_range)
        self.window_query = torch.nn.Linear(window_frames * input_size, hidden_size) if window_query else None
        self.projection = torch.nn.Linear(hidden_size, output_size)
        if token_norm is not None:
            # The Q-Former output is LayerNorm'ed (unit variance per channel),
            # so a token's expected norm is sqrt(hidden * output) * weight std.
            std = token_norm / math.sqrt(hidden_size * output_size)
            torch.nn.init.normal_(self.projection.weight, std=std)
            torch.nn.init.zeros_(self.projection.bias)

    def windows_for(self, num_frames):
        """Number of windows that hold at least one real frame.

        Arguments
        ---------
        num_frames : torch.Tensor
            ``[batch]`` valid frames per clip.

        Returns
        -------
        torch.Tensor
            ``[batch]`` window counts, at least 1.

        Example
        -------
        >>> WindowQFormer(4, 4, window_frames=17, hidden_size=8, num_layers=1,
        ...     num_heads=1, intermediate_size=8).windows_for(torch.tensor([1500, 17, 18]))
        tensor([89,  1,  2])

        (A partly filled last window counts: nothing is cut. The paper's
        ``1500 // 17 = 88`` drops the last 4 frames; ``num_windows=88``
        reproduces that.)
        """
        return ((num_frames + self.window_frames - 1) // self.window_frames).clamp(min=1)

    def forward(self, feats, feat_lens):
        """Computes the audio tokens.

        Arguments
        ---------
        feats : torch.Tensor
            ``[batch, frames, input_size]`` encoder features.
        feat_lens : torch.Tensor
            ``[batch]`` relative lengths of the features.

        Returns
        -------
        tokens : torch.Tensor
            ``[batch, windows, output_size]``; rows past a clip's windows are 0.
        token_lens : torch.Tensor
            ``[batch]`` relative lengths of the tokens.
        """
        batch, frames, channels = feats.shape
        num_frames = (feat_lens.to(feats.device) * frames).round().long().clamp(1, frames)
        clip_windows = self.windows_for(num_frames)
        total_windows = self.num_windows if self.num_windows is not None else int(clip_windows.max())
        padded_frames = total_windows * self.window_frames
        if padded_frames > frames:
            feats = torch.nn.functional.pad(feats, (0, 0, 0, padded_frames - frames))
        feats = feats[:, :padded_frames].reshape(batch, total_windows, self.window_frames, channels)
        frame_index = torch.arange(padded_frames, device=feats.device)
        frame_mask = (frame_index.unsqueeze(0) < num_frames.unsqueeze(1)).view(
            batch, total_windows, self.window_frames
        )
        if self.num_windows is not None:
            # Paper-faithful: every window is an audio token, padding or not.
            frame_mask = torch.ones_like(frame_mask)
            clip_windows = torch.full_like(clip_windows, total_windows)
        window_mask = frame_mask.any(dim=-1)

        # Only windows with real audio go through the Q-Former.
        window_feats = feats[window_mask]
        window_frames = frame_mask[window_mask]
        queries = self.query.expand(window_feats.shape[0], -1, -1)
        if self.window_query is not None:
            content = (window_feats * window_frames.unsqueeze(-1)).flatten(1)
            queries = queries + self.window_query(content).unsqueeze(1)
        out = self.qformer(
            query_embeds=queries,
            encoder_hidden_states=window_feats,
            encoder_attention_mask=window_frames.long(),
        ).last_hidden_state[:, 0]
        projected = self.projection(out)
        tokens = projected.new_zeros(batch, total_windows, projected.shape[-1])
        tokens[window_mask] = projected
        token_lens = clip_windows.float() / total_windows
        return tokens, token_lens
