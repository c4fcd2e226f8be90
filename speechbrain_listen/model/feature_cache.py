"""An on-disk cache of frozen encoder features, keyed by the encoder itself.

Frozen encoders give the same features for the same clip at every epoch, so
they are computed once and read back afterwards. Every cache lives in a
folder named after a fingerprint of the encoders (class, settings and a hash
of every weight), so a different encoder or setting can never be served
stale features: it simply finds an empty folder.

Layout::

    <root>/<fingerprint>/<utterance id>.pt   # [frames, channels] tensor
    <root>/<fingerprint>/fingerprint.json    # what the fingerprint covers

Authors
 * speechbrain-listen contributors 2026
"""

import hashlib
import json
import os
import pathlib
import tempfile

import torch


def module_fingerprint(modules, settings):
    """A short hash of module classes, settings, parameters and buffers.

    Arguments
    ---------
    modules : dict
        Name -> ``torch.nn.Module`` (or None, which is recorded as absent).
    settings : dict
        JSON-serialisable settings that change the features.

    Returns
    -------
    str
        16 hex characters.

    Example
    -------
    >>> a = module_fingerprint({"enc": torch.nn.Linear(2, 2)}, {"sr": 16000})
    >>> b = module_fingerprint({"enc": torch.nn.Linear(2, 2)}, {"sr": 16000})
    >>> a == b  # different random weights
    False
    """
    digest = hashlib.sha256()
    digest.update(json.dumps(settings, sort_keys=True).encode())
    for name in sorted(modules):
        module = modules[name]
        digest.update(f"{name}:{type(module).__qualname__}".encode())
        if module is None:
            continue
        for key, tensor in module.state_dict().items():
            digest.update(key.encode())
            digest.update(str(tensor.dtype).encode())
            digest.update(str(tuple(tensor.shape)).encode())
            data = tensor.detach().cpu().contiguous()
            digest.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    return digest.hexdigest()[:16]


class FeatureCache:
    """Per-utterance feature files under a fingerprint folder.

    Arguments
    ---------
    root : str
        Parent folder of all caches.
    fingerprint : str
        Identity of the encoder (see :func:`module_fingerprint`).
    description : dict, optional
        Written once to ``fingerprint.json`` for humans.

    Example
    -------
    >>> cache = FeatureCache(getfixture("tmpdir"), "abc")
    >>> cache.load("utt1") is None
    True
    >>> cache.save("utt1", torch.ones(3, 2))
    >>> cache.load("utt1").shape
    torch.Size([3, 2])
    """

    def __init__(self, root, fingerprint, description=None):
        self.folder = pathlib.Path(root) / fingerprint
        self.folder.mkdir(parents=True, exist_ok=True)
        info = self.folder / "fingerprint.json"
        if description is not None and not info.exists():
            info.write_text(json.dumps(description, indent=2, default=str))

    def path(self, uid):
        """File of one utterance (ids may contain path separators)."""
        return self.folder / (uid.replace(os.sep, "__") + ".pt")

    def load(self, uid):
        """Cached features, or None if absent."""
        path = self.path(uid)
        if not path.exists():
            return None
        return torch.load(path, map_location="cpu", weights_only=True)

    def save(self, uid, feats):
        """Writes atomically: a killed run never leaves a truncated file.

        The tensor is cloned first: a row of a batch is a view, and
        ``torch.save`` would otherwise write the whole batch's storage
        (16x the bytes at batch 16, read back at every step).
        """
        path = self.path(uid)
        handle, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        os.close(handle)
        try:
            torch.save(feats.detach().cpu().clone(), tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
