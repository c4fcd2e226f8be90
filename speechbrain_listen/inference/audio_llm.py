"""Ready-to-use inference for exported LiSTEN models.

:class:`ListenAudioLLM` is a SpeechBrain ``Pretrained`` interface, loaded
from a folder written by ``speechbrain_listen.inference.export`` (or any folder with
the same layout)::

    from speechbrain_listen.inference.audio_llm import ListenAudioLLM

    model = ListenAudioLLM.from_hparams(source="exported/listen", savedir="tmp")
    model.transcribe_file("speech.flac")                   # 'the birch canoe ...'
    model.caption_file("street.wav")
    model.generate(wavs, wav_lens, "What is the speaker's emotion?")
    text, prompts = model.transcribe_file("a.wav", num_prompts=16, return_prompts=True)
    same, answer = model.verify_speakers("a.wav", "b.wav")    # a multitask model

It runs exactly the computation of ``ListenBrain``'s evaluation decode
(``brain.py``): frozen encoders, window Q-Former, chat template, prompt
selection on the masked mean, beam search in the frozen LLM. With the same
settings it gives the same text as the recipe's ``wer_<split>.txt``.

Around that computation it adds what a user needs and the Brain does not:

* **Audio files** of any sample rate and channel count are resampled to
  16 kHz and averaged to mono (``audio_loading``). Missing, unreadable,
  empty, non-finite and silent files raise :class:`AudioError` naming the
  file; the ``*_files`` methods record the error for that file and still
  return every other file's result.
* **Long audio.** Audio longer than the encoder window (30 s for Whisper, or
  the recipe's ``whisper_seconds``) is never silently cut: transcription
  decodes overlapping window-sized chunks and stitches the transcripts
  (``chunking``); for other instructions the default is a clear
  :class:`LongAudioError`, or one answer per chunk on request.
* **Per-call settings**: beam size, maximum new tokens, and the number of
  selected prompts N; the selected prompt indices on request. A model
  trained with ``max_new_tokens_per_second`` (the LibriSpeech small recipe)
  keeps that per-duration limit on its transcripts, as its test did.
* **The multitask recipe's tasks**: :meth:`ListenAudioLLM.verify_speakers`
  hears two files as one clip with the training gap between them and parses
  the yes/no answer; :meth:`ListenAudioLLM.recognize_emotion_file` parses the
  emotion word; :meth:`ListenAudioLLM.translate_file` (En->Zh). Each uses its
  task's evaluation instruction (``task_instructions`` of the exported
  hparams, else docs/design.md section 2's).
* **Degenerate transcripts** (loops, the prompt echoed, chat replies such
  as "I'm sorry, but I can't assist"; ``degeneracy``) are decoded again
  with a constrained fallback, and emptied if still degenerate: on by
  default for transcription (hparams ``degeneracy_fallback``, or the
  ``degeneracy_fallback`` argument). :class:`FileResult` says what
  happened to each file and ``degeneracy_counts`` adds it up.

Authors
 * speechbrain-listen contributors 2026
"""

import dataclasses
import os
from typing import Optional, Tuple

import torch
from speechbrain.inference.interfaces import Pretrained
from speechbrain.utils.logger import get_logger

from speechbrain_listen.data.audio_loading import SAMPLE_RATE, AudioError, join_pair, load_audio
from speechbrain_listen.inference.chunking import plan_chunks, stitch_transcripts
from speechbrain_listen.inference.degeneracy import (
    CLEAN,
    FALLBACK_OPTIONS,
    DegeneracyCounts,
    DegeneracyDetector,
    FallbackOutcome,
)
from speechbrain_listen.model.audio_prompting import prompt_audio
from speechbrain_listen.model.llm_lobe import duration_length_limits
from speechbrain_listen.model.trainable_state import TrainableStateModule
from speechbrain_listen.tasks.answers import emotion_answers, verification_answers
from speechbrain_listen.tasks.instructions import evaluation_instruction
from speechbrain_listen.tasks.manifest import PAIR_GAP_SECONDS

logger = get_logger(__name__)

LONG_AUDIO_MODES = ("stitch", "join", "error")
CHUNK_SEPARATOR = "\n"


class LongAudioError(AudioError):
    """Audio longer than the encoder window where chunking was not asked for."""


@dataclasses.dataclass
class FileResult:
    """The outcome for one file of :meth:`ListenAudioLLM.process_files`.

    Attributes
    ----------
    path : str
        The file as given.
    text : str or None
        The model's answer, None if the file failed.
    error : str or None
        Why the file failed (the message names the file), else None.
    duration : float or None
        Seconds of audio (at 16 kHz), when the file could be read.
    prompt_indices : torch.Tensor or None
        ``[chunks, N]`` selected prompt indices, when asked for.
    degenerate : tuple of str
        The degeneracy checks that fired on the first transcript (of any
        chunk); empty when it was clean or no check ran.
    fallback : str or None
        None (no fallback decode), ``"decoded"`` (the fallback transcript
        is the text) or ``"emptied"`` (still degenerate: part or all of the
        text is empty).
    """

    path: str
    text: Optional[str] = None
    error: Optional[str] = None
    duration: Optional[float] = None
    prompt_indices: Optional[torch.Tensor] = None
    degenerate: Tuple[str, ...] = ()
    fallback: Optional[str] = None

    @property
    def ok(self):
        """True when the file has a result."""
        return self.error is None


def load_trainable_checkpoint(module, path):
    """Pretrainer hook: loads an exported ``<module>.ckpt`` strictly.

    The exported files hold only trainable parameters (see
    ``trainable_state``), so SpeechBrain's default transfer (a non-strict
    ``load_state_dict``) would warn about every frozen weight and would not
    notice a tensor that is missing. This hook checks that the file holds
    exactly the module's trainable parameters, with the same shapes.

    Arguments
    ---------
    module : torch.nn.Module
        The module built from ``hyperparams.yaml``.
    path : str
        The ``.ckpt`` file.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    try:
        if isinstance(module, TrainableStateModule):
            module.load_trainable_state_dict(state)
        else:
            module.load_state_dict(state, strict=True)
    except (KeyError, RuntimeError) as err:
        raise RuntimeError(f"cannot load {path} into {type(module).__name__}: {err}") from err


class ListenAudioLLM(Pretrained):
    """An audio LLM (LiSTEN): transcribe, caption, or answer an instruction.

    The hyperparams file must define the modules ``audio_encoder``,
    ``connector`` and ``llm`` (optionally ``prompt_provider``), and the
    inference settings ``asr_instruction``, ``caption_instruction``,
    ``num_beams``, ``max_new_tokens``; optionally ``batch_size``,
    ``chunk_overlap_seconds``, ``silence_threshold``,
    ``max_new_tokens_per_second`` (transcripts only),
    ``degeneracy_fallback`` (transcripts only, default True) and
    ``task_instructions`` (the other tasks). The exporter writes all of them.

    Arguments
    ---------
    *args : tuple
    **kwargs : dict
        Forwarded to ``Pretrained`` (``modules``, ``hparams``, ``run_opts``
        such as ``{"device": "cuda:0"}``).

    Example
    -------
    >>> model = ListenAudioLLM.from_hparams(
    ...     source="exported/listen", savedir=getfixture("tmpdir"))  # doctest: +SKIP
    >>> wavs = torch.randn(2, 16000)  # [batch, samples] at 16 kHz
    >>> texts = model.transcribe_batch(wavs, torch.tensor([1.0, 0.5]))  # doctest: +SKIP
    >>> len(texts)  # doctest: +SKIP
    2
    >>> texts, prompts = model.transcribe_batch(
    ...     wavs, num_prompts=4, return_prompts=True)  # doctest: +SKIP
    >>> prompts[0].shape  # [chunks, N] per input  # doctest: +SKIP
    torch.Size([1, 4])
    """

    HPARAMS_NEEDED = ["asr_instruction", "caption_instruction", "num_beams", "max_new_tokens"]
    MODULES_NEEDED = ["audio_encoder", "connector", "llm"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        missing = [name for name in self.MODULES_NEEDED if name not in self.mods]
        if missing:
            raise ValueError(f"the hyperparams lack the modules {missing}")
        # Inference has no utterance ids; never touch a training feature cache.
        self.mods.audio_encoder.cache_dir = None
        self.window_samples = int(self.mods.audio_encoder.whisper_samples)
        overlap_seconds = float(getattr(self.hparams, "chunk_overlap_seconds", 5.0))
        # At most a quarter of the window: most of each chunk is new audio.
        self.overlap_samples = min(int(round(overlap_seconds * SAMPLE_RATE)), self.window_samples // 4)
        self.silence_threshold = float(getattr(self.hparams, "silence_threshold", 1e-4))
        self.default_batch_size = int(getattr(self.hparams, "batch_size", 8))
        self.degeneracy_fallback = bool(getattr(self.hparams, "degeneracy_fallback", True))
        # Every degenerate transcript, fallback decode and emptied transcript so far.
        self.degeneracy_counts = DegeneracyCounts()
        self._detectors = {}

    # ------------------------------------------------------------ properties
    @property
    def llm(self):
        """The LLM lobe (tokenizer, chat template, decoding)."""
        return self.mods.llm

    @property
    def prompt_provider(self):
        """The prompt pool or soft prompt, None for models without one."""
        return self.mods["prompt_provider"] if "prompt_provider" in self.mods else None

    @property
    def window_seconds(self):
        """Longest audio decoded in one piece (the encoder window)."""
        return self.window_samples / SAMPLE_RATE

    # ------------------------------------------------------------------ audio
    def load_audio(self, path):
        """Reads an audio file as 16 kHz mono; unusable files raise.

        Arguments
        ---------
        path : str
            Audio file (any format soundfile reads: WAV, FLAC, OGG, ...).

        Returns
        -------
        torch.Tensor
            ``[samples]`` float32 on the CPU.

        Raises
        ------
        AudioError
            Missing, unreadable or non-audio, empty, non-finite, or silent
            (peak below ``silence_threshold``) audio; the message names the file.
        """
        # soundfile reports a missing file as an opaque "System error".
        if not os.path.isfile(path):
            what = "is a folder, not an audio file" if os.path.isdir(path) else "not found"
            raise AudioError(f"audio file {what}: {path}")
        audio = load_audio(path, SAMPLE_RATE)
        peak = float(audio.abs().max())
        if peak < self.silence_threshold:
            raise AudioError(
                f"audio file is silent (peak amplitude {peak:.2g} < {self.silence_threshold:g}): {path}"
            )
        return audio

    # ------------------------------------------------------------- decoding
    def generate(
        self,
        wavs,
        wav_lens=None,
        instruction=None,
        num_beams=None,
        max_new_tokens=None,
        num_prompts=None,
        return_prompts=False,
        long_audio="error",
        batch_size=None,
        max_new_tokens_per_second=None,
        degeneracy_fallback=False,
    ):
        """Answers an instruction about each waveform of a batch.

        Arguments
        ---------
        wavs : torch.Tensor
            ``[batch, samples]`` (or ``[samples]``) 16 kHz mono audio.
        wav_lens : torch.Tensor, optional
            ``[batch]`` relative lengths (default: all 1.0).
        instruction : str or list of str
            The instruction, or one per waveform.
        num_beams : int, optional
            Beam size (default: the model's ``num_beams``; 1 = greedy).
        max_new_tokens : int, optional
            Longest answer in tokens (default: the model's ``max_new_tokens``).
        num_prompts : int, optional
            Prompts selected per input, N (default: the pool's own N).
        return_prompts : bool
            Also return the selected prompt indices.
        long_audio : str
            Audio longer than the encoder window: ``"error"`` raises
            :class:`LongAudioError`; ``"stitch"`` decodes overlapping chunks
            and stitches the texts (transcription); ``"join"`` answers each
            chunk and joins the answers with newlines.
        batch_size : int, optional
            Chunks decoded together (default: the model's ``batch_size``).
        max_new_tokens_per_second : float, optional
            Also limit each answer to this many tokens per second of its
            audio (transcription defaults to the model's own setting).
        degeneracy_fallback : bool
            Decode degenerate answers again, and empty them if still
            degenerate (``degeneracy``); transcription defaults to the
            model's ``degeneracy_fallback`` (True).

        Returns
        -------
        texts : list of str
            One answer per waveform.
        prompt_indices : list of torch.Tensor or None
            Only with ``return_prompts``: per waveform a ``[chunks, N]`` long
            tensor (``chunks`` = 1 unless the audio was chunked), or None
            per waveform for a model without prompts.
        """
        if instruction is None:
            raise ValueError("generate() needs an instruction")
        waveforms = self._split_batch(wavs, wav_lens)
        instructions = self._per_item(instruction, len(waveforms))
        outcomes = self._run(
            waveforms,
            instructions,
            names=[f"input {i}" for i in range(len(waveforms))],
            long_audio=long_audio,
            options=self.decoding_options(num_beams, max_new_tokens, num_prompts, max_new_tokens_per_second),
            batch_size=batch_size,
            degeneracy_fallback=degeneracy_fallback,
        )
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
        texts = [text for text, _, _ in outcomes]
        if return_prompts:
            return texts, [indices for _, indices, _ in outcomes]
        return texts

    def transcribe_batch(self, wavs, wav_lens=None, **kwargs):
        """Transcribes a batch; long audio is chunked and stitched.

        Arguments
        ---------
        wavs : torch.Tensor
            ``[batch, samples]`` 16 kHz mono audio.
        wav_lens : torch.Tensor, optional
            ``[batch]`` relative lengths.
        **kwargs : dict
            Options of :meth:`generate` (``num_beams``, ``max_new_tokens``,
            ``num_prompts``, ``return_prompts``, ``long_audio``, ``batch_size``,
            ``degeneracy_fallback``).

        Returns
        -------
        list of str
            (and the prompt indices with ``return_prompts=True``)
        """
        self._transcription_defaults(kwargs)
        return self.generate(wavs, wav_lens, self.hparams.asr_instruction, **kwargs)

    def caption_batch(self, wavs, wav_lens=None, **kwargs):
        """Describes each waveform of a batch (the captioning instruction).

        Arguments and returns as :meth:`transcribe_batch`; long audio raises
        :class:`LongAudioError` unless ``long_audio="join"``.
        """
        return self.generate(wavs, wav_lens, self.hparams.caption_instruction, **kwargs)

    def transcribe_file(self, path, **kwargs):
        """Transcribes one audio file.

        Arguments
        ---------
        path : str
            Audio file, any sample rate and channel count.
        **kwargs : dict
            Options of :meth:`generate`.

        Returns
        -------
        str
            The transcript (with ``return_prompts=True``: the transcript and
            a ``[chunks, N]`` tensor of prompt indices).
        """
        self._transcription_defaults(kwargs)
        return self.ask_file(path, self.hparams.asr_instruction, **kwargs)

    def caption_file(self, path, **kwargs):
        """Describes one audio file (the captioning instruction).

        Arguments and returns as :meth:`transcribe_file`.
        """
        return self.ask_file(path, self.hparams.caption_instruction, **kwargs)

    def ask_file(
        self,
        path,
        instruction,
        num_beams=None,
        max_new_tokens=None,
        num_prompts=None,
        return_prompts=False,
        long_audio="error",
        batch_size=None,
        max_new_tokens_per_second=None,
        degeneracy_fallback=False,
    ):
        """Answers ``instruction`` about one audio file.

        Arguments
        ---------
        path : str
            Audio file, any sample rate and channel count.
        instruction : str
            Any instruction or question.
        num_beams, max_new_tokens, num_prompts, batch_size : int, optional
            As in :meth:`generate`.
        return_prompts : bool
            Also return the ``[chunks, N]`` selected prompt indices.
        long_audio : str
            As in :meth:`generate`.
        max_new_tokens_per_second : float, optional
            As in :meth:`generate`.
        degeneracy_fallback : bool
            As in :meth:`generate`.

        Returns
        -------
        str
            The answer (and the prompt indices with ``return_prompts``).

        Raises
        ------
        AudioError
            The file cannot be used; the message names it.
        """
        audio = self.load_audio(path)
        outcome = self._run(
            [audio],
            [instruction],
            names=[str(path)],
            long_audio=long_audio,
            options=self.decoding_options(num_beams, max_new_tokens, num_prompts, max_new_tokens_per_second),
            batch_size=batch_size,
            degeneracy_fallback=degeneracy_fallback,
        )[0]
        if isinstance(outcome, Exception):
            raise outcome
        text, indices, _ = outcome
        return (text, indices) if return_prompts else text

    def process_files(
        self,
        paths,
        instruction,
        long_audio="error",
        num_beams=None,
        max_new_tokens=None,
        num_prompts=None,
        return_prompts=False,
        batch_size=None,
        max_new_tokens_per_second=None,
        degeneracy_fallback=False,
    ):
        """Answers instructions about many files; a bad file fails alone.

        Files are read first, one by one; those that can be used are decoded
        together in batches of ``batch_size`` (sorted by length, which
        changes nothing in the answers: each clip is encoded alone and the
        LLM batch is left-padded and masked).

        Arguments
        ---------
        paths : list of str
            Audio files.
        instruction : str or list of str
            The instruction, or one per file.
        long_audio : str
            As in :meth:`generate`; with ``"error"`` a long file fails alone.
        num_beams, max_new_tokens, num_prompts, batch_size : int, optional
            As in :meth:`generate`.
        return_prompts : bool
            Fill ``prompt_indices`` of the results.
        max_new_tokens_per_second : float, optional
            As in :meth:`generate`.
        degeneracy_fallback : bool
            As in :meth:`generate`; the results' ``degenerate`` and
            ``fallback`` say what it did.

        Returns
        -------
        list of FileResult
            One per path, in order; ``error`` names the file for files that
            could not be used.
        """
        paths = [str(p) for p in paths]
        instructions = self._per_item(instruction, len(paths))
        results = [FileResult(path) for path in paths]
        audios, keep = [], []
        for i, path in enumerate(paths):
            try:
                audio = self.load_audio(path)
            except AudioError as err:
                results[i].error = str(err)
                continue
            results[i].duration = audio.shape[0] / SAMPLE_RATE
            audios.append(audio)
            keep.append(i)
        outcomes = self._run(
            audios,
            [instructions[i] for i in keep],
            names=[paths[i] for i in keep],
            long_audio=long_audio,
            options=self.decoding_options(num_beams, max_new_tokens, num_prompts, max_new_tokens_per_second),
            batch_size=batch_size,
            degeneracy_fallback=degeneracy_fallback,
        )
        for i, outcome in zip(keep, outcomes):
            if isinstance(outcome, Exception):
                results[i].error = str(outcome)
            else:
                results[i].text = outcome[0]
                results[i].degenerate = outcome[2].checks
                results[i].fallback = outcome[2].fallback
                if return_prompts:
                    results[i].prompt_indices = outcome[1]
        return results

    def transcribe_files(self, paths, **kwargs):
        """:meth:`process_files` with the ASR instruction, chunking long audio."""
        self._transcription_defaults(kwargs)
        return self.process_files(paths, self.hparams.asr_instruction, **kwargs)

    def caption_files(self, paths, **kwargs):
        """:meth:`process_files` with the captioning instruction."""
        return self.process_files(paths, self.hparams.caption_instruction, **kwargs)

    # --------------------------------------------------- multitask tasks
    def task_instruction(self, task):
        """The evaluation instruction of a task of the multitask recipe.

        Arguments
        ---------
        task : str
            ``asr``, ``captioning``, ``emotion``, ``sv`` or ``en2zh``.

        Returns
        -------
        str
            The model's own (``asr_instruction``, ``caption_instruction``,
            ``task_instructions``), else the paper's (docs/design.md section 2).
        """
        if task == "asr":
            return self.hparams.asr_instruction
        if task == "captioning":
            return self.hparams.caption_instruction
        own = getattr(self.hparams, "task_instructions", None) or {}
        return own[task] if task in own else evaluation_instruction(task)

    def verify_speakers(self, first, second, num_beams=None, max_new_tokens=None, num_prompts=None):
        """Whether two audio files hold the same speaker (the ``sv`` task).

        The pair is heard as one clip, the second file after
        ``PAIR_GAP_SECONDS`` of silence, as in training; it must fit the
        encoder window (a pair is heard whole or not at all).

        Arguments
        ---------
        first, second : str
            Audio files, any sample rate and channel count.
        num_beams, max_new_tokens, num_prompts : int, optional
            As in :meth:`generate`.

        Returns
        -------
        same : bool or None
            True for "yes", False for "no", None when the answer is neither.
        answer : str
            The model's answer.

        Raises
        ------
        AudioError
            Either file cannot be used, or the pair is longer than the window.
        """
        pair = join_pair(self.load_audio(first), self.load_audio(second))
        if pair.shape[0] > self.window_samples:
            raise LongAudioError(
                f"the pair {first} + {second} is {pair.shape[0] / SAMPLE_RATE:.1f} s long with "
                f"its {PAIR_GAP_SECONDS:g} s gap, more than the model's "
                f"{self.window_seconds:.1f} s window: shorten the clips"
            )
        answer = self._run(
            [pair],
            [self.task_instruction("sv")],
            names=[f"{first} + {second}"],
            long_audio="error",
            options=self.decoding_options(num_beams, max_new_tokens, num_prompts),
        )[0][0]
        parsed = verification_answers().parse(answer)
        return {"yes": True, "no": False}.get(parsed), answer

    def recognize_emotion_file(self, path, **kwargs):
        """The speaker's emotion in one file (the ``emotion`` task).

        Arguments
        ---------
        path : str
            Audio file.
        **kwargs : dict
            Options of :meth:`ask_file`.

        Returns
        -------
        label : str or None
            ``neutral``, ``happy``, ``angry`` or ``sad`` (synonyms mapped, as
            in scoring), None when the answer names none of them.
        answer : str
            The model's answer.
        """
        answer = self.ask_file(path, self.task_instruction("emotion"), **kwargs)
        parser = emotion_answers()
        parsed = parser.parse(answer)
        return (parsed if parsed in parser.classes else None), answer

    def translate_file(self, path, **kwargs):
        """Translates English speech into Chinese (the ``en2zh`` task).

        Arguments and returns as :meth:`ask_file`.
        """
        return self.ask_file(path, self.task_instruction("en2zh"), **kwargs)

    def forward(self, wavs, wav_lens=None):
        """Transcribes a batch (SpeechBrain convention for ``forward``)."""
        return self.transcribe_batch(wavs, wav_lens)

    def decoding_options(
        self, num_beams=None, max_new_tokens=None, num_prompts=None, max_new_tokens_per_second=None
    ):
        """Per-call decoding options with the model's defaults filled in.

        Arguments
        ---------
        num_beams, max_new_tokens, num_prompts : int, optional
            None takes the model's default.
        max_new_tokens_per_second : float, optional
            None: no per-duration limit.

        Returns
        -------
        dict
            ``num_beams``, ``max_new_tokens``, ``num_prompts``,
            ``max_new_tokens_per_second``.

        Raises
        ------
        ValueError
            A value out of range (e.g. more prompts than the pool holds).
        """
        options = {
            "num_beams": int(self.hparams.num_beams if num_beams is None else num_beams),
            "max_new_tokens": int(self.hparams.max_new_tokens if max_new_tokens is None else max_new_tokens),
            "num_prompts": num_prompts,
            "max_new_tokens_per_second": max_new_tokens_per_second,
        }
        if options["num_beams"] < 1 or options["max_new_tokens"] < 1:
            raise ValueError(f"num_beams and max_new_tokens must be >= 1, got {options}")
        if max_new_tokens_per_second is not None and not max_new_tokens_per_second > 0:
            raise ValueError(f"max_new_tokens_per_second must be > 0, got {max_new_tokens_per_second}")
        if num_prompts is not None:
            if self.prompt_provider is None:
                raise ValueError("num_prompts given, but this model has no prompt pool")
            # Raises a ValueError naming the pool size for an impossible N.
            self.prompt_provider.resolve_num_prompts(num_prompts)
        return options

    # -------------------------------------------------------------- internals
    def _transcription_defaults(self, kwargs):
        """Transcripts stitch long audio, keep the model's length limit and
        get the degeneracy fallback (unless the model's hparams turn it off)."""
        kwargs.setdefault("long_audio", "stitch")
        kwargs.setdefault("degeneracy_fallback", self.degeneracy_fallback)
        kwargs.setdefault(
            "max_new_tokens_per_second", getattr(self.hparams, "max_new_tokens_per_second", None)
        )

    @staticmethod
    def _per_item(value, count):
        """One instruction per item from a string or a list."""
        if isinstance(value, str):
            return [value] * count
        value = list(value)
        if len(value) != count:
            raise ValueError(f"{len(value)} instructions for {count} inputs")
        return value

    @staticmethod
    def _split_batch(wavs, wav_lens):
        """A padded batch as a list of unpadded 1-D waveforms."""
        wavs = torch.as_tensor(wavs)
        if wavs.dim() == 1:
            wavs = wavs.unsqueeze(0)
        if wavs.dim() != 2:
            raise ValueError(f"wavs must be [batch, samples], got shape {tuple(wavs.shape)}")
        if wav_lens is None:
            wav_lens = torch.ones(wavs.shape[0])
        samples = torch.round(torch.as_tensor(wav_lens).float().cpu() * wavs.shape[1]).long()
        out = []
        for i, (wav, length) in enumerate(zip(wavs, samples.tolist())):
            if length < 1:
                raise AudioError(f"input {i} is empty (0 samples)")
            out.append(wav[:length].float())
        return out

    def _run(
        self, waveforms, instructions, names, long_audio, options, batch_size=None, degeneracy_fallback=False
    ):
        """Decodes whole recordings: chunk, decode chunks in batches, merge.

        Returns
        -------
        list
            Per waveform ``(text, indices, FallbackOutcome)`` or the
            exception it raised (a :class:`LongAudioError`), so callers
            decide how to fail.
        """
        if long_audio not in LONG_AUDIO_MODES:
            raise ValueError(f"long_audio must be one of {LONG_AUDIO_MODES}, got {long_audio!r}")
        plans, segments, owners = [], [], []
        for i, wav in enumerate(waveforms):
            spans = plan_chunks(wav.shape[0], self.window_samples, self.overlap_samples)
            if len(spans) > 1 and long_audio == "error":
                plans.append(
                    LongAudioError(
                        f"{names[i]} is {wav.shape[0] / SAMPLE_RATE:.1f} s long, more "
                        f"than the model's {self.window_seconds:.1f} s window; use "
                        f"long_audio='stitch' (transcripts) or 'join' (one answer per chunk)"
                    )
                )
                continue
            plans.append(spans)
            for start, end in spans:
                segments.append(wav[start:end])
                owners.append(instructions[i])

        texts, indices, checked = self._decode_segments(
            segments, owners, options, batch_size, degeneracy_fallback
        )
        outcomes, cursor = [], 0
        for plan in plans:
            if isinstance(plan, Exception):
                outcomes.append(plan)
                continue
            chunk_texts = texts[cursor : cursor + len(plan)]
            chunk_indices = indices[cursor : cursor + len(plan)]
            chunk_outcomes = checked[cursor : cursor + len(plan)]
            cursor += len(plan)
            if len(plan) == 1:
                text = chunk_texts[0]
            elif long_audio == "stitch":
                text = stitch_transcripts(chunk_texts, plan)
            else:
                text = CHUNK_SEPARATOR.join(chunk_texts)
            stacked = None if chunk_indices[0] is None else torch.stack(chunk_indices)
            outcomes.append((text, stacked, _merge_outcomes(chunk_outcomes)))
        return outcomes

    def detector(self, instruction):
        """The :class:`DegeneracyDetector` of answers to ``instruction``."""
        if instruction not in self._detectors:
            self._detectors[instruction] = DegeneracyDetector.for_llm(self.llm, [instruction])
        return self._detectors[instruction]

    def _decode_segments(self, segments, instructions, options, batch_size=None, degeneracy_fallback=False):
        """Decodes window-sized waveforms, longest first, in batches.

        With ``degeneracy_fallback`` each degenerate transcript is decoded
        again (``fallback=True``: :data:`FALLBACK_OPTIONS`) and emptied if
        still degenerate, as in ``ListenBrain``'s test decode.

        Returns
        -------
        texts : list of str
        indices : list of torch.Tensor or None
            ``[N]`` selected prompt indices per segment.
        outcomes : list of FallbackOutcome
        """
        batch_size = int(batch_size or self.default_batch_size)
        order = sorted(range(len(segments)), key=lambda i: -segments[i].shape[0])
        texts, indices = [None] * len(segments), [None] * len(segments)
        for first in range(0, len(order), batch_size):
            batch = order[first : first + batch_size]
            out_texts, out_indices = self.decode_batch(
                [segments[i] for i in batch], [instructions[i] for i in batch], **options
            )
            for slot, i in enumerate(batch):
                texts[i] = out_texts[slot]
                indices[i] = None if out_indices is None else out_indices[slot]
        outcomes = [CLEAN] * len(segments)
        if degeneracy_fallback:
            reports = {i: self.detector(instructions[i])(text) for i, text in enumerate(texts)}
            redo = [i for i in order if reports[i].degenerate]
            for first in range(0, len(redo), batch_size):
                batch = redo[first : first + batch_size]
                again, _ = self.decode_batch(
                    [segments[i] for i in batch], [instructions[i] for i in batch], **options, fallback=True
                )
                for i, text in zip(batch, again):
                    emptied = self.detector(instructions[i])(text).degenerate
                    texts[i] = "" if emptied else text
                    outcomes[i] = FallbackOutcome(reports[i].checks, "emptied" if emptied else "decoded")
            self.degeneracy_counts.add(outcomes)
        return texts, indices, outcomes

    @torch.no_grad()
    def decode_batch(
        self,
        segments,
        instructions,
        num_beams,
        max_new_tokens,
        num_prompts=None,
        max_new_tokens_per_second=None,
        fallback=False,
    ):
        """One model pass over audio that fits the encoder window.

        The same steps as ``ListenBrain.compute_forward`` at test time.

        Arguments
        ---------
        segments : list of torch.Tensor
            ``[samples_i]`` waveforms, each at most one window long.
        instructions : list of str
            One instruction per segment.
        num_beams, max_new_tokens : int
            Decoding settings.
        num_prompts : int, optional
            N for the prompt pool.
        max_new_tokens_per_second : float, optional
            Per-segment limit from its duration (as the Brain's
            ``length_limits``).
        fallback : bool
            Decode with ``degeneracy.FALLBACK_OPTIONS`` (greedy, no repeated
            3-gram, repetition penalty) instead of ``num_beams``.

        Returns
        -------
        texts : list of str
        indices : torch.Tensor or None
            ``[batch, N]`` selected prompt indices (CPU).
        """
        lengths = torch.tensor([s.shape[0] for s in segments], dtype=torch.float)
        wavs = torch.nn.utils.rnn.pad_sequence(segments, batch_first=True).to(self.device)
        wav_lens = (lengths / lengths.max()).to(self.device)
        with self.inference_ctx:
            prompted = prompt_audio(
                self.mods.audio_encoder,
                self.mods.connector,
                self.prompt_provider,
                self.llm,
                wavs,
                wav_lens,
                instructions,
                num_prompts=num_prompts,
            )
            indices = None if prompted.indices is None else prompted.indices.cpu()
            limits = None
            if max_new_tokens_per_second is not None:
                limits = duration_length_limits((lengths / SAMPLE_RATE).tolist(), max_new_tokens_per_second)
            extra = dict(FALLBACK_OPTIONS) if fallback else {}
            num_beams = extra.pop("num_beams", num_beams)
            texts = self.llm.generate(
                self.llm.build_inputs(prompted.wrapped, prompted.prompts),
                num_beams=num_beams,
                max_new_tokens=max_new_tokens,
                example_limits=limits,
                **extra,
            )
        return texts, indices


def _merge_outcomes(outcomes):
    """One file's :class:`FallbackOutcome` from those of its chunks.

    Example
    -------
    >>> _merge_outcomes([FallbackOutcome(("chat",), "decoded"),
    ...     FallbackOutcome(("repetition", "chat"), "emptied"), CLEAN])
    FallbackOutcome(checks=('chat', 'repetition'), fallback='emptied')
    """
    checks = tuple(dict.fromkeys(check for outcome in outcomes for check in outcome.checks))
    statuses = {outcome.fallback for outcome in outcomes}
    fallback = next((status for status in ("emptied", "decoded") if status in statuses), None)
    return FallbackOutcome(checks, fallback)
