"""Bad training batches: skipped and counted, never trained on.

A long run should not die on one bad example, nor silently train on one.
``ListenBrain.fit_batch`` therefore drops three kinds of batches:

* a batch holding audio that could not be read (``batch.audio_ok``, see
  ``audio_loading.load_audio_or_placeholder``): skipped before the forward
  pass, the placeholder silence never reaches the model;
* a batch whose loss is not finite: its gradients are discarded before the
  optimizer sees them;
* a step whose clipped gradient norm is not finite: the optimizer step is
  left out.

Each is counted by reason (:class:`BadBatches`); the counts go to the train
log at the end of the epoch (``skipped unreadable audio: 2``) and into the
checkpoints, so a resumed run reports the same numbers. Only
``nonfinite_patience`` non-finite losses *in a row* stop the run: that is a
diverged model, not one bad example. With DDP every process must take the
same decision (they all take part in each gradient reduction), hence
:func:`any_process`.

Authors
 * speechbrain-listen contributors 2026
"""

import collections

import torch
from speechbrain.utils.distributed import ddp_all_reduce
from speechbrain.utils.logger import get_logger

logger = get_logger(__name__)


def any_process(flag, device):
    """True if ``flag`` is True on any DDP process (``flag`` without DDP).

    Arguments
    ---------
    flag : bool
        This process's answer.
    device : str or torch.device
        Where the reduction runs (the Brain's device).

    Returns
    -------
    bool

    Example
    -------
    >>> any_process(True, "cpu"), any_process(False, "cpu")
    (True, False)
    """
    value = torch.tensor(float(flag), device=device)
    return bool(ddp_all_reduce(value, torch.distributed.ReduceOp.MAX).item())


def has_unreadable_audio(batch):
    """Whether some audio of the batch could not be read (``batch.audio_ok``).

    Arguments
    ---------
    batch : speechbrain.dataio.batch.PaddedBatch
        A training batch; one without ``audio_ok`` is taken as readable.

    Returns
    -------
    bool

    Example
    -------
    >>> from types import SimpleNamespace
    >>> has_unreadable_audio(SimpleNamespace(audio_ok=[True, False]))
    True
    >>> has_unreadable_audio(SimpleNamespace(id=["u1"]))
    False
    """
    audio_ok = getattr(batch, "audio_ok", None)
    return audio_ok is not None and not all(audio_ok)


class BadBatches:
    """Counts the skipped training batches of an epoch, by reason.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> bad = BadBatches()
    >>> bad.skip("unreadable audio", SimpleNamespace(id=["u1", "u2"]))
    tensor(nan)
    >>> bad.nonfinite_loss(SimpleNamespace(id=["u3"]), patience=1)
    tensor(nan)
    >>> bad.nonfinite_loss(SimpleNamespace(id=["u4"]), patience=1)
    Traceback (most recent call last):
    ...
    ValueError: 2 training batches in a row had a non-finite loss: the model has diverged (lower the learning rate, or raise --nonfinite_patience)
    >>> bad.epoch_stats()
    {'skipped non-finite loss': 1, 'skipped unreadable audio': 1}
    >>> bad.epoch_stats()  # counted afresh in every epoch
    {}
    """

    def __init__(self):
        self.counts = collections.Counter()
        self.nonfinite_in_a_row = 0

    def skip(self, reason, batch):
        """Counts a skipped batch and names its examples in the log.

        Arguments
        ---------
        reason : str
            Why (``"unreadable audio"``, ``"non-finite loss"``).
        batch : speechbrain.dataio.batch.PaddedBatch
            The batch skipped.

        Returns
        -------
        torch.Tensor
            A NaN loss, which SpeechBrain leaves out of the running average.
        """
        self.counts[reason] += 1
        logger.warning(f"Skipped a training batch ({reason}): {', '.join(batch.id)}")
        return torch.tensor(float("nan"))

    def nonfinite_loss(self, batch, patience):
        """Skips a batch whose loss is not finite, unless the run diverged.

        Arguments
        ---------
        batch : speechbrain.dataio.batch.PaddedBatch
            The batch skipped.
        patience : int
            Non-finite losses in a row that are tolerated.

        Returns
        -------
        torch.Tensor
            A NaN loss.

        Raises
        ------
        ValueError
            On the ``patience + 1``-th non-finite loss in a row.
        """
        self.nonfinite_in_a_row += 1
        if self.nonfinite_in_a_row > patience:
            raise ValueError(
                f"{self.nonfinite_in_a_row} training batches in a row had a "
                "non-finite loss: the model has diverged (lower the learning "
                "rate, or raise --nonfinite_patience)"
            )
        return self.skip("non-finite loss", batch)

    def finite_loss(self):
        """A batch had a finite loss: the run has not diverged."""
        self.nonfinite_in_a_row = 0

    def nonfinite_gradients(self):
        """Counts an optimizer step left out for non-finite gradients."""
        self.counts["non-finite gradients"] += 1
        logger.warning("Skipped an optimizer step: non-finite gradients")

    def epoch_stats(self):
        """The epoch's counts for the train log, then a fresh count.

        Returns
        -------
        dict
            ``{"skipped <reason>": count}``, sorted by reason; empty when
            nothing was skipped (the log then says nothing about it).
        """
        if not self.counts:
            return {}
        stats = {f"skipped {reason}": count for reason, count in sorted(self.counts.items())}
        logger.warning(f"Skipped training batches this epoch: {dict(self.counts)}")
        self.counts = collections.Counter()
        return stats

    def state(self):
        """The counts, as stored in the Brain's checkpoint (a plain dict)."""
        return dict(self.counts)

    def load_state(self, state):
        """Restores the counts of :meth:`state` (None: nothing skipped).

        Arguments
        ---------
        state : dict or None
            Reason -> count.
        """
        self.counts = collections.Counter(state or {})
