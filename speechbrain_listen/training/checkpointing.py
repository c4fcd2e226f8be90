"""Checkpoints that survive a kill at any moment and resume exactly.

SpeechBrain's ``Checkpointer`` writes a checkpoint's ``CKPT.yaml`` first and
its parameter files afterwards, so a run killed during a save leaves a
folder that looks complete and cannot be loaded; its intra-epoch checkpoints
also leave the random number generators behind, so a resumed run draws other
dropout masks, other prompt samples and other instructions than the run it
continues. Two pieces close both gaps:

* :class:`AtomicCheckpointer` builds each checkpoint in a staging folder
  (a name the checkpointer never lists) and renames it into place once every
  file is written and flushed. The
  newest listed checkpoint is therefore always whole. (Old checkpoints
  are still removed by SpeechBrain's ``rmtree``: one half-removed by a kill
  is neither the newest nor the best, the only ones a run ever loads.)
* :class:`RandomState`, a recoverable holding the torch, Python and NumPy
  generators of each process (one file per rank), so that a run resumed
  from a mid-epoch checkpoint continues the same random streams.

Authors
 * speechbrain-listen contributors 2026
"""

import collections.abc
import logging
import os
import pathlib
import random
import shutil

import numpy as np
import torch
from speechbrain.utils.checkpoints import (
    Checkpoint,
    Checkpointer,
    mark_as_loader,
    mark_as_saver,
    register_checkpoint_hooks,
)
from speechbrain.utils.distributed import ddp_barrier, get_rank, if_main_process
from speechbrain.utils.logger import get_logger

logger = get_logger(__name__)

STAGING_PREFIX = "staging-"
DELETING_PREFIX = "deleting-"


def _fsync_folder_files(folder):
    """Flushes every file of ``folder`` and the folder itself to disk."""
    for path in pathlib.Path(folder).iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_path(folder)


def _fsync_path(path):
    """Flushes a folder entry (a rename's new name) to disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class AtomicCheckpointer(Checkpointer):
    """A ``Checkpointer`` whose checkpoints appear whole or not at all.

    Same arguments and behaviour as ``speechbrain.utils.checkpoints.Checkpointer``;
    only the way checkpoint folders are written (and a named one replaced)
    differs. Leftovers of a run
    killed mid-save (staging or half-deleted folders) are removed when the
    next checkpointer for the same folder is created.

    Example
    -------
    >>> model = torch.nn.Linear(2, 2)
    >>> folder = getfixture("tmpdir")
    >>> checkpointer = AtomicCheckpointer(folder, {"model": model})
    >>> ckpt = checkpointer.save_checkpoint(meta={"WER": 10.0})
    >>> ckpt.path.name.startswith("CKPT+"), sorted(p.name for p in ckpt.path.iterdir())
    (True, ['CKPT.yaml', 'model.ckpt'])
    >>> [c.meta["WER"] for c in checkpointer.list_checkpoints()]
    [10.0]
    """

    def __init__(self, checkpoints_dir, *args, **kwargs):
        super().__init__(checkpoints_dir, *args, **kwargs)
        if if_main_process():
            self.remove_leftovers()

    def add_recoverables(self, recoverables):
        """``Checkpointer.add_recoverables``; absent parts (None) are left out.

        One hparams file serves several model variants
        (``speechbrain_listen.prompts.adaptation``): the LoRA run has no prompt
        adapter, and its ``prompt_provider`` recoverable is None.
        """
        if isinstance(recoverables, collections.abc.Mapping):
            recoverables = {name: obj for name, obj in recoverables.items() if obj is not None}
        super().add_recoverables(recoverables)

    def remove_leftovers(self):
        """Removes staging and half-deleted folders of an interrupted run."""
        for path in self.checkpoints_dir.iterdir():
            if path.is_dir() and path.name.startswith((STAGING_PREFIX, DELETING_PREFIX)):
                logger.warning(f"Removing an incomplete checkpoint folder: {path}")
                shutil.rmtree(path, ignore_errors=True)

    # The parent builds the checkpoint in whatever folder these two return:
    # a staging name, which ``list_checkpoints`` ignores (it is not CKPT+...).
    def _new_checkpoint_dirpath(self):
        final = super()._new_checkpoint_dirpath()
        return final.with_name(STAGING_PREFIX + final.name)

    def _custom_checkpoint_dirpath(self, name):
        final = super()._custom_checkpoint_dirpath(name)
        return final.with_name(STAGING_PREFIX + final.name)

    def save_checkpoint(self, meta=None, end_of_epoch=True, name=None, verbosity=logging.INFO):
        """Saves a checkpoint (see ``Checkpointer.save_checkpoint``), atomically.

        Every recoverable is written into ``staging-CKPT+...``; once all
        processes are done and the files are on disk, one ``os.rename``
        makes it ``CKPT+...``.

        Returns
        -------
        Checkpoint
            The saved checkpoint (None on processes other than the main one).
        """
        staged = super().save_checkpoint(
            meta=meta or {}, end_of_epoch=end_of_epoch, name=name, verbosity=logging.DEBUG
        )
        ddp_barrier()  # every rank's files are written before the rename
        saved = None
        if staged is not None:  # the main process
            final = staged.path.with_name(staged.path.name[len(STAGING_PREFIX) :])
            _fsync_folder_files(staged.path)
            if final.exists():  # a named checkpoint saved again: replace it
                self._remove_folder(final)
            os.rename(staged.path, final)
            _fsync_path(final.parent)
            kind = "end-of-epoch" if end_of_epoch else "intra-epoch"
            logger.log(verbosity, f"Saved an {kind} checkpoint in {final}")
            paramfiles = {key: final / path.name for key, path in staged.paramfiles.items()}
            saved = Checkpoint(final, staged.meta, paramfiles)
        # Every rank lists the same checkpoints afterwards (``save_and_keep_only``
        # deletes on the main process with collectives that must match).
        ddp_barrier()
        return saved

    @staticmethod
    def _remove_folder(path):
        """Renames a folder out of the listed names, then removes it."""
        doomed = path.with_name(DELETING_PREFIX + path.name)
        os.rename(path, doomed)
        shutil.rmtree(doomed)


class RandomState:
    """The random number generators of this process, as a recoverable.

    Saved with every checkpoint (each rank writes its own file) and restored
    with it, so that a run resumed mid-epoch draws the same dropout masks,
    prompt samples and instructions as the uninterrupted run would have.

    Example
    -------
    >>> state = RandomState()
    >>> path = getfixture("tmpdir") / "random_state.ckpt"
    >>> _ = torch.manual_seed(0); state.save(path)
    >>> first = (torch.rand(1), random.random(), np.random.rand())
    >>> state.load(path, end_of_epoch=False)
    >>> (torch.rand(1), random.random(), np.random.rand()) == first
    True
    """

    @staticmethod
    def rank_path(path):
        """The file of this process: ``path`` for rank 0, ``path.rank<N>`` else."""
        rank = get_rank() or 0  # None without DDP
        return pathlib.Path(f"{path}.rank{rank}" if rank else path)

    @mark_as_saver
    def save(self, path):
        """Writes the torch, Python and NumPy generator states."""
        kind, keys, position, has_gauss, cached_gauss = np.random.get_state()
        python_version, python_state, python_gauss = random.getstate()
        state = {
            "torch": torch.get_rng_state(),
            "python": (python_version, list(python_state), python_gauss),
            "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached_gauss),
        }
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = torch.cuda.get_rng_state_all()
        torch.save(state, self.rank_path(path))

    @mark_as_loader
    def load(self, path, end_of_epoch):
        """Restores the generator states written by :meth:`save`."""
        del end_of_epoch  # the same at epoch ends and within epochs
        path = self.rank_path(path)
        if not path.exists():  # e.g. resumed with more processes than saved
            logger.warning(f"No random state in {path}: generators are not restored")
            return
        state = torch.load(path, weights_only=True)
        torch.set_rng_state(state["torch"])
        version, python_state, gauss = state["python"]
        random.setstate((version, tuple(python_state), gauss))
        kind, keys, position, has_gauss, cached_gauss = state["numpy"]
        np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached_gauss))
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])


# Every rank saves its own generators (the default would save rank 0 only).
register_checkpoint_hooks(RandomState, save_on_main_only=False)
