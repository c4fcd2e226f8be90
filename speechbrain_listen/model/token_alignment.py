"""Token alignment: a CTC loss that makes audio tokens read like the words spoken.

A frozen LLM uses audio tokens only once they carry something it recognises.
From a random connector that takes long: the LLM first learns to ignore the
audio and writes fluent text from its own prior (a loss plateau; on the
offline small setting 1,500 steps were not enough to leave it). This
auxiliary loss gives the connector a direct signal from the first step.
Each audio token is scored against every row of the LLM's frozen
input-embedding table by cosine similarity (and against one learned blank),
both taken relative to the table's mean row: LLM embeddings share a common
direction (SmolLM2's rows have a mean cosine of 0.45), which without
centering makes every token look alike and keeps CTC stuck on blanks;
and CTC asks the audio tokens of a clip to spell the target's token ids in
order. Audio tokens are thus pulled towards the embeddings of the words
spoken in their window: text the LLM already knows how to read.

This is not part of the paper; a recipe switches it on by defining
``token_alignment`` (and its weight) in hparams. CTC needs at least as many
audio tokens as target tokens (plus one per repeated token): use windows
short enough, e.g. 5 Whisper frames (10 tokens per second) against about 4
BPE tokens per second of read speech. Examples with too few audio tokens add
nothing (``zero_infinity``) and are counted in ``infeasible``.

Authors
 * speechbrain-listen contributors 2026
"""

import math

import torch

from speechbrain_listen.model.trainable_state import TrainableStateModule


class TokenAlignmentCTC(TrainableStateModule):
    """CTC between audio tokens and the target's LLM token ids.

    Arguments
    ---------
    hidden_size : int
        LLM width (size of the audio tokens).
    initial_scale : float
        Initial multiplier of the cosine similarities (an inverse
        temperature); learned in log space.
    max_scale : float
        Upper bound of the learned multiplier.

    Example
    -------
    >>> align = TokenAlignmentCTC(hidden_size=8)
    >>> table = torch.randn(20, 8)             # [vocab, dim] frozen embeddings
    >>> tokens = torch.randn(2, 6, 8, requires_grad=True)  # [batch, windows, dim]
    >>> loss = align(tokens, torch.tensor([6, 4]), table, [[3, 5, 7], [1, 2]])
    >>> loss.shape, loss.item() > 0
    (torch.Size([]), True)
    >>> loss.backward(); tokens.grad.shape
    torch.Size([2, 6, 8])
    """

    def __init__(self, hidden_size, initial_scale=20.0, max_scale=100.0):
        super().__init__()
        self.blank = torch.nn.Parameter(torch.randn(hidden_size) * 0.02)
        self.log_scale = torch.nn.Parameter(torch.tensor(math.log(initial_scale)))
        self.max_log_scale = math.log(max_scale)
        self.infeasible = 0
        self._unit_table, self._unit_table_key = None, None

    def unit_table(self, embedding_table):
        """The centred embedding table with unit rows, and its mean row.

        The table is frozen, so this is computed (and cast for autocast) once
        and reused: redoing it every step would cost more than the loss.

        Returns
        -------
        table : torch.Tensor
            ``[vocab, dim]`` unit rows of ``embedding_table - mean``, in the
            dtype the matmul runs in.
        mean : torch.Tensor
            ``[dim]`` float32 mean row.
        """
        device = embedding_table.device.type
        dtype = (
            torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else embedding_table.dtype
        )
        key = (embedding_table.data_ptr(), embedding_table._version, dtype, embedding_table.shape)
        if self._unit_table_key != key:
            table = embedding_table.detach().float()
            mean = table.mean(dim=0)
            table = torch.nn.functional.normalize(table - mean, dim=-1)
            self._unit_table = (table.to(dtype), mean)
            self._unit_table_key = key
        return self._unit_table

    def log_probs(self, audio_tokens, embedding_table):
        """Per-token log-probabilities over the vocabulary plus blank.

        Arguments
        ---------
        audio_tokens : torch.Tensor
            ``[batch, windows, dim]``.
        embedding_table : torch.Tensor
            ``[vocab, dim]`` frozen LLM input embeddings (not trained here).

        Returns
        -------
        torch.Tensor
            ``[batch, windows, vocab + 1]`` float32; the blank is the last
            class.
        """
        table, mean = self.unit_table(embedding_table)
        tokens = torch.nn.functional.normalize(audio_tokens.float() - mean, dim=-1)
        if not torch.is_autocast_enabled(tokens.device.type):
            tokens = tokens.to(table.dtype)
        blank = torch.nn.functional.normalize(self.blank, dim=0).to(tokens.dtype)
        cosine = torch.cat([tokens @ table.T, (tokens @ blank)[..., None]], dim=-1)
        scale = self.log_scale.clamp(max=self.max_log_scale).exp()
        return (scale * cosine.float()).log_softmax(dim=-1)

    def forward(self, audio_tokens, audio_counts, embedding_table, target_ids):
        """Mean CTC loss of the batch (per target token, as CTC ``mean``).

        Arguments
        ---------
        audio_tokens : torch.Tensor
            ``[batch, windows, dim]`` connector output.
        audio_counts : torch.Tensor
            ``[batch]`` real audio tokens per example.
        embedding_table : torch.Tensor
            ``[vocab, dim]`` the LLM's input embeddings.
        target_ids : list of list of int
            Target token ids per example (no end-of-turn token).

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        log_probs = self.log_probs(audio_tokens, embedding_table)
        blank = log_probs.shape[-1] - 1
        input_lengths = audio_counts.to(torch.long).cpu()
        target_lengths = torch.tensor([len(ids) for ids in target_ids], dtype=torch.long)
        self.infeasible += int((target_lengths > input_lengths).sum())
        targets = torch.tensor(
            [i for ids in target_ids for i in ids], dtype=torch.long, device=log_probs.device
        )
        return torch.nn.functional.ctc_loss(
            log_probs.transpose(0, 1),
            targets,
            input_lengths,
            target_lengths,
            blank=blank,
            reduction="mean",
            zero_infinity=True,
        )

    @torch.no_grad()
    def greedy_ids(self, audio_tokens, audio_counts, embedding_table):
        """Best-path CTC decoding (repeats merged, blanks removed).

        Shows what the audio tokens spell; useful to watch alignment emerge.

        Arguments
        ---------
        audio_tokens : torch.Tensor
            ``[batch, windows, dim]``.
        audio_counts : torch.Tensor
            ``[batch]``.
        embedding_table : torch.Tensor
            ``[vocab, dim]``.

        Returns
        -------
        list of list of int
            Token ids per example.

        Example
        -------
        >>> align = TokenAlignmentCTC(hidden_size=4)
        >>> table = torch.eye(4)
        >>> tokens = torch.stack([table[2], table[2], align.blank.detach() * 100, table[2], table[1]])
        >>> align.greedy_ids(tokens[None], torch.tensor([5]), table)
        [[2, 2, 1]]
        """
        best = self.log_probs(audio_tokens, embedding_table).argmax(dim=-1)
        blank = embedding_table.shape[0]
        decoded = []
        for row, count in zip(best.tolist(), audio_counts.tolist()):
            ids, previous = [], None
            for index in row[: int(count)]:
                if index != previous and index != blank:
                    ids.append(index)
                previous = index
            decoded.append(ids)
        return decoded
