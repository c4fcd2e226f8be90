"""One object for the decoding settings of :class:`ListenAudioLLM`.

Every decoding entry point (``generate``, ``ask_file``, ``process_files``,
``verify_speakers`` and the ``listen`` subcommands) takes one
:class:`DecodingOptions`, built once from the model's per-task defaults
(``ListenAudioLLM.decoding_options(task, **overrides)``) and overridden per
call, so that no entry point can forget one of them (as ``listen
transcribe`` once forgot the per-second answer limit).

Authors
 * speechbrain-listen contributors 2026
"""

import dataclasses
import numbers
from typing import Optional

LONG_AUDIO_MODES = ("stitch", "join", "error")


@dataclasses.dataclass(frozen=True)
class DecodingOptions:
    """Decoding settings of one call.

    Attributes
    ----------
    num_beams : int
        Beam size (1 = greedy).
    max_new_tokens : int
        Longest answer in tokens.
    max_new_tokens_per_second : float or None
        Also limit each answer to this many tokens per second of its audio.
    num_prompts : int or None
        Prompts selected per input, N (None: the pool's own N).
    batch_size : int
        Chunks decoded together.
    long_audio : str
        Audio longer than the encoder window: ``"stitch"``, ``"join"`` or
        ``"error"`` (see ``ListenAudioLLM.generate``).
    degeneracy_fallback : bool
        Decode degenerate answers again, and empty them if still degenerate.

    Example
    -------
    >>> options = DecodingOptions(num_beams=4, max_new_tokens=100)
    >>> options.replace(num_beams=1, num_prompts=None).num_beams
    1
    >>> options.replace(max_new_tokens=0)
    Traceback (most recent call last):
    ...
    ValueError: max_new_tokens must be >= 1, got 0
    """

    num_beams: int
    max_new_tokens: int
    max_new_tokens_per_second: Optional[float] = None
    num_prompts: Optional[int] = None
    batch_size: int = 8
    long_audio: str = "error"
    degeneracy_fallback: bool = False

    def __post_init__(self):
        for name in ("num_beams", "max_new_tokens", "batch_size", "num_prompts"):
            value = getattr(self, name)
            if value is None and name == "num_prompts":
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))
        rate = self.max_new_tokens_per_second
        if rate is not None and not rate > 0:
            raise ValueError(f"max_new_tokens_per_second must be > 0, got {rate}")
        if self.long_audio not in LONG_AUDIO_MODES:
            raise ValueError(f"long_audio must be one of {LONG_AUDIO_MODES}, got {self.long_audio!r}")

    @classmethod
    def names(cls):
        """The option names, in order."""
        return tuple(field.name for field in dataclasses.fields(cls))

    def replace(self, **overrides):
        """A copy with ``overrides`` applied; a None override keeps the value.

        None means "not given" (an unset command-line option); a value is
        never reset to None this way (use ``dataclasses.replace``).

        Raises
        ------
        TypeError
            An unknown option name.
        ValueError
            A value out of range.
        """
        unknown = sorted(set(overrides) - set(self.names()))
        if unknown:
            raise TypeError(f"unknown decoding options {unknown}; known: {list(self.names())}")
        given = {key: value for key, value in overrides.items() if value is not None}
        return dataclasses.replace(self, **given) if given else self

    def generation_kwargs(self):
        """The options one model pass uses (``ListenAudioLLM.decode_batch``)."""
        return {
            "num_beams": self.num_beams,
            "max_new_tokens": self.max_new_tokens,
            "num_prompts": self.num_prompts,
            "max_new_tokens_per_second": self.max_new_tokens_per_second,
        }
