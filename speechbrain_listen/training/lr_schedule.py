"""Linear warm-up then cosine decay to a floor, stepped per optimizer step.

The paper's schedule: 1e-6 -> 3e-5 linearly over 3,000 steps, then cosine to
1e-5 at step 90,000 (docs/design.md section 1). SpeechBrain's schedulers do not
offer a warm-up start value and a cosine floor together, so this small one
follows SpeechBrain's scheduler protocol (call it with the optimizer, save
and load through the checkpointer).

Authors
 * speechbrain-listen contributors 2026
"""

import math

import torch
from speechbrain.utils.checkpoints import (
    mark_as_loader,
    mark_as_saver,
    register_checkpoint_hooks,
)


@register_checkpoint_hooks
class WarmupCosineScheduler:
    """Per-step learning rate: linear warm-up, cosine decay, then constant.

    Arguments
    ---------
    peak_lr : float
        Learning rate at the end of warm-up.
    total_steps : int
        Step at which the cosine reaches ``min_lr``.
    warmup_steps : int
        Length of the warm-up.
    warmup_start_lr : float
        Learning rate at step 0.
    min_lr : float
        Floor of the cosine.

    Example
    -------
    >>> sched = WarmupCosineScheduler(3e-5, total_steps=100, warmup_steps=10,
    ...     warmup_start_lr=1e-6, min_lr=1e-5)
    >>> [f"{sched.lr_at(s):.1e}" for s in (0, 10, 100, 200)]
    ['1.0e-06', '3.0e-05', '1.0e-05', '1.0e-05']
    """

    def __init__(
        self,
        peak_lr,
        total_steps,
        warmup_steps=0,
        warmup_start_lr=0.0,
        min_lr=0.0,
    ):
        self.peak_lr = peak_lr
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self.warmup_start_lr = warmup_start_lr
        self.min_lr = min_lr
        self.step = 0

    def lr_at(self, step):
        """Learning rate after ``step`` optimizer steps."""
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return self.warmup_start_lr + fraction * (self.peak_lr - self.warmup_start_lr)
        decay_steps = max(self.total_steps - self.warmup_steps, 1)
        progress = min((step - self.warmup_steps) / decay_steps, 1.0)
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.min_lr + cosine * (self.peak_lr - self.min_lr)

    def set_lr(self, optimizer):
        """Writes the current learning rate into every param group."""
        lr = self.lr_at(self.step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        return lr

    def __call__(self, optimizer):
        """Advances one step; returns ``(old_lr, new_lr)``."""
        old_lr = optimizer.param_groups[0]["lr"]
        self.step += 1
        return old_lr, self.set_lr(optimizer)

    @mark_as_saver
    def save(self, path):
        """Saves the step counter."""
        torch.save({"step": self.step}, path)

    @mark_as_loader
    def load(self, path, end_of_epoch=False):
        """Restores the step counter."""
        del end_of_epoch
        self.step = torch.load(path, weights_only=True)["step"]
