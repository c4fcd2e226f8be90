"""Checkpointing of trainable parameters only.

LiSTEN trains a few tens of millions of parameters around a frozen 8B LLM and
frozen audio encoders. A SpeechBrain ``Checkpointer`` saves a module's whole
``state_dict`` by default, which would write a copy of every frozen weight
into every checkpoint. Modules that derive from :class:`TrainableStateModule`
register their own checkpoint hooks that save and restore only the parameters
that require gradients (plus any buffer the module declares as trainable
state), so a checkpoint holds exactly what training changed.

Authors
 * speechbrain-listen contributors 2026
"""

import torch
from speechbrain.utils.checkpoints import (
    mark_as_loader,
    mark_as_saver,
    register_checkpoint_hooks,
)


@register_checkpoint_hooks
class TrainableStateModule(torch.nn.Module):
    """A ``torch.nn.Module`` whose checkpoints hold only trainable parameters.

    Subclasses may list extra buffers to save in ``extra_state_buffers``
    (names as in ``named_buffers``).

    Example
    -------
    >>> class Frozen(TrainableStateModule):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.big = torch.nn.Linear(4, 4).requires_grad_(False)
    ...         self.small = torch.nn.Linear(4, 1)
    >>> sorted(Frozen().trainable_state_dict())
    ['small.bias', 'small.weight']
    """

    extra_state_buffers = ()

    def trainable_state_dict(self):
        """Returns the trainable parameters (and declared buffers) by name.

        Returns
        -------
        dict
            Name -> detached tensor, for parameters with ``requires_grad``.
        """
        state = {name: param.detach() for name, param in self.named_parameters() if param.requires_grad}
        buffers = dict(self.named_buffers())
        for name in self.extra_state_buffers:
            state[name] = buffers[name].detach()
        return state

    def load_trainable_state_dict(self, state):
        """Loads a dict written by :meth:`trainable_state_dict`.

        Arguments
        ---------
        state : dict
            Name -> tensor.

        Raises
        ------
        KeyError
            If a trainable parameter is missing from ``state``, ``state``
            names something this module does not have, or a shape differs:
            a checkpoint from a different configuration must not load at all.
        """
        expected = set(self.trainable_state_dict())
        missing = sorted(expected - set(state))
        unexpected = sorted(set(state) - expected)
        if missing or unexpected:
            raise KeyError(
                f"{type(self).__name__}: checkpoint does not match the "
                f"trainable parameters (missing: {missing[:5]}, "
                f"unexpected: {unexpected[:5]})"
            )
        tensors = dict(self.named_parameters())
        tensors.update(self.named_buffers())
        # Check every shape before copying anything: copy_ would broadcast a
        # wrong shape silently, or fail after a partial load.
        wrong_shapes = [
            f"{name}: {tuple(value.shape)} != {tuple(tensors[name].shape)}"
            for name, value in state.items()
            if value.shape != tensors[name].shape
        ]
        if wrong_shapes:
            raise KeyError(
                f"{type(self).__name__}: checkpoint shapes do not match "
                f"(checkpoint != module): {wrong_shapes[:5]}"
            )
        with torch.no_grad():
            for name, value in state.items():
                tensors[name].copy_(value.to(tensors[name].device))

    @mark_as_saver
    def _save_trainable(self, path):
        torch.save({k: v.cpu() for k, v in self.trainable_state_dict().items()}, path)

    @mark_as_loader
    def _load_trainable(self, path, end_of_epoch=False):
        del end_of_epoch  # Same state whatever the kind of checkpoint.
        self.load_trainable_state_dict(torch.load(path, map_location="cpu", weights_only=True))
