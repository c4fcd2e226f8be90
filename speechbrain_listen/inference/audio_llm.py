"""Ready-to-use inference for exported LiSTEN models.

:class:`ListenAudioLLM` is a SpeechBrain ``Pretrained`` interface, loaded
from a folder written by ``speechbrain_listen.inference.export`` (or any folder with
the same layout)::

    from speechbrain_listen.inference.audio_llm import ListenAudioLLM

    model = ListenAudioLLM.from_hparams(source="exported/listen", savedir="tmp")
    model.transcribe_file("speech.flac")                   # 'the birch canoe ...'
    model.caption_file("street.wav")
    model.generate(wavs, wav_lens, "What is the speaker's emotion?")
    words, tokens = model.transcribe_batch(wavs, wav_lens)  # as EncoderDecoderASR
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
* **Per-call settings**: one :class:`DecodingOptions` (beam size, maximum
  new tokens, per-second limit, number of selected prompts N, batch size,
  long-audio mode, degeneracy fallback), built from the model's defaults
  for a task by ``model.decoding_options(task, **overrides)``; every method
  takes ``options=`` and/or the fields as keyword overrides. The selected
  prompt indices on request. A model
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
from speechbrain_listen.inference.decoding_options import LONG_AUDIO_MODES, DecodingOptions  # noqa: F401
from speechbrain_listen.inference.degeneracy import (
    CLEAN,
    FALLBACK_OPTIONS,
    DegeneracyCounts,
    DegeneracyDetector,
    FallbackOutcome,
    settle_fallback,
)
from speechbrain_listen.model.audio_prompting import prompt_audio
from speechbrain_listen.model.llm_lobe import duration_length_limits
from speechbrain_listen.model.trainable_state import TrainableStateModule
from speechbrain_listen.tasks.answers import emotion_answers, verification_answers
from speechbrain_listen.tasks.instructions import evaluation_instruction
from speechbrain_listen.tasks.manifest import PAIR_GAP_SECONDS

logger = get_logger(__name__)

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
    >>> words, tokens = model.transcribe_batch(wavs, torch.tensor([1.0, 0.5]))  # doctest: +SKIP
    >>> len(words), len(tokens)  # doctest: +SKIP
    (2, 2)
    >>> options = model.decoding_options("asr", num_beams=1)  # doctest: +SKIP
    >>> words, tokens, prompts = model.transcribe_batch(
    ...     wavs, num_prompts=4, return_prompts=True, options=options)  # doctest: +SKIP
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
        return_prompts=False,
        return_tokens=False,
        options=None,
        **overrides,
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
        return_prompts : bool
            Also return the selected prompt indices.
        return_tokens : bool
            Also return the token ids of each answer.
        options : DecodingOptions, optional
            The decoding settings (default: :meth:`decoding_options` of a
            generic instruction: the model's beams and token limit, no
            per-second limit, long audio raises, no degeneracy fallback).
        **overrides : dict
            Fields of :class:`DecodingOptions` to change for this call
            (``num_beams``, ``max_new_tokens``, ``max_new_tokens_per_second``,
            ``num_prompts``, ``batch_size``, ``long_audio``,
            ``degeneracy_fallback``); None keeps the default. With
            ``long_audio``: ``"error"`` raises :class:`LongAudioError` for
            audio longer than the encoder window, ``"stitch"`` decodes
            overlapping chunks and stitches the texts (transcription),
            ``"join"`` answers each chunk and joins the answers with newlines.

        Returns
        -------
        texts : list of str
            One answer per waveform.
        tokens : list of list of int
            Only with ``return_tokens``: the token ids of each answer (the
            LLM tokenizer's encoding of the answer text, without special
            tokens; for chunked audio, of the stitched or joined text).
        prompt_indices : list of torch.Tensor or None
            Only with ``return_prompts``: per waveform a ``[chunks, N]`` long
            tensor (``chunks`` = 1 unless the audio was chunked), or None
            per waveform for a model without prompts.
        """
        if instruction is None:
            raise ValueError("generate() needs an instruction")
        options = self.decoding_options(None, options=options, **overrides)
        waveforms = self._split_batch(wavs, wav_lens)
        instructions = self._per_item(instruction, len(waveforms))
        outcomes = self._run(
            waveforms, instructions, names=[f"input {i}" for i in range(len(waveforms))], options=options
        )
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
        out = [[text for text, _, _ in outcomes]]
        if return_tokens:
            out.append([self.answer_tokens(text) for text in out[0]])
        if return_prompts:
            out.append([indices for _, indices, _ in outcomes])
        return tuple(out) if len(out) > 1 else out[0]

    def answer_tokens(self, text):
        """The LLM token ids of an answer text (no special tokens).

        Arguments
        ---------
        text : str
            An answer.

        Returns
        -------
        list of int
        """
        return list(self.llm.tokenizer(text, add_special_tokens=False)["input_ids"])

    def transcribe_batch(self, wavs, wav_lens=None, return_prompts=False, options=None, **overrides):
        """Transcribes a batch; long audio is chunked and stitched.

        As SpeechBrain's ``EncoderDecoderASR.transcribe_batch``, returns the
        words and the tokens: ``words, tokens = model.transcribe_batch(wavs,
        wav_lens)``.

        Arguments
        ---------
        wavs : torch.Tensor
            ``[batch, samples]`` 16 kHz mono audio.
        wav_lens : torch.Tensor, optional
            ``[batch]`` relative lengths.
        return_prompts : bool
            Also return the selected prompt indices.
        options : DecodingOptions, optional
            Default: ``self.decoding_options("asr")`` (the model's
            per-second limit and degeneracy fallback, long audio stitched).
        **overrides : dict
            Fields of :class:`DecodingOptions` for this call.

        Returns
        -------
        predicted_words : list of str
            One transcript per waveform.
        predicted_tokens : list of list of int
            The token ids of each transcript.
        prompt_indices : list of torch.Tensor or None
            Only with ``return_prompts``, as in :meth:`generate`.
        """
        options = self.decoding_options("asr", options=options, **overrides)
        return self.generate(
            wavs,
            wav_lens,
            self.hparams.asr_instruction,
            return_prompts=return_prompts,
            return_tokens=True,
            options=options,
        )

    def caption_batch(self, wavs, wav_lens=None, return_prompts=False, options=None, **overrides):
        """Describes each waveform of a batch (the captioning instruction).

        Arguments and returns as :meth:`transcribe_batch` (``captions,
        tokens``); long audio raises :class:`LongAudioError` unless
        ``long_audio="join"``.
        """
        options = self.decoding_options("captioning", options=options, **overrides)
        return self.generate(
            wavs,
            wav_lens,
            self.hparams.caption_instruction,
            return_prompts=return_prompts,
            return_tokens=True,
            options=options,
        )

    def transcribe_file(self, path, return_prompts=False, options=None, **overrides):
        """Transcribes one audio file.

        Arguments
        ---------
        path : str
            Audio file, any sample rate and channel count.
        return_prompts : bool
            Also return the ``[chunks, N]`` selected prompt indices.
        options : DecodingOptions, optional
            Default: ``self.decoding_options("asr")``.
        **overrides : dict
            Fields of :class:`DecodingOptions` for this call.

        Returns
        -------
        str
            The transcript (with ``return_prompts=True``: the transcript and
            a ``[chunks, N]`` tensor of prompt indices).
        """
        options = self.decoding_options("asr", options=options, **overrides)
        return self.ask_file(path, self.hparams.asr_instruction, return_prompts, options=options)

    def caption_file(self, path, return_prompts=False, options=None, **overrides):
        """Describes one audio file (the captioning instruction).

        Arguments and returns as :meth:`transcribe_file`.
        """
        options = self.decoding_options("captioning", options=options, **overrides)
        return self.ask_file(path, self.hparams.caption_instruction, return_prompts, options=options)

    def ask_file(self, path, instruction, return_prompts=False, options=None, **overrides):
        """Answers ``instruction`` about one audio file.

        Arguments
        ---------
        path : str
            Audio file, any sample rate and channel count.
        instruction : str
            Any instruction or question.
        return_prompts : bool
            Also return the ``[chunks, N]`` selected prompt indices.
        options : DecodingOptions, optional
            As in :meth:`generate`.
        **overrides : dict
            Fields of :class:`DecodingOptions` for this call.

        Returns
        -------
        str
            The answer (and the prompt indices with ``return_prompts``).

        Raises
        ------
        AudioError
            The file cannot be used; the message names it.
        """
        options = self.decoding_options(None, options=options, **overrides)
        audio = self.load_audio(path)
        outcome = self._run([audio], [instruction], names=[str(path)], options=options)[0]
        if isinstance(outcome, Exception):
            raise outcome
        text, indices, _ = outcome
        return (text, indices) if return_prompts else text

    def process_files(self, paths, instruction, return_prompts=False, options=None, **overrides):
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
        return_prompts : bool
            Fill ``prompt_indices`` of the results.
        options : DecodingOptions, optional
            As in :meth:`generate`; with ``long_audio="error"`` a long file
            fails alone; with ``degeneracy_fallback`` the results'
            ``degenerate`` and ``fallback`` say what it did.
        **overrides : dict
            Fields of :class:`DecodingOptions` for this call.

        Returns
        -------
        list of FileResult
            One per path, in order; ``error`` names the file for files that
            could not be used.
        """
        options = self.decoding_options(None, options=options, **overrides)
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
            audios, [instructions[i] for i in keep], names=[paths[i] for i in keep], options=options
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

    def transcribe_files(self, paths, return_prompts=False, options=None, **overrides):
        """:meth:`process_files` with the ASR instruction, chunking long audio."""
        options = self.decoding_options("asr", options=options, **overrides)
        return self.process_files(paths, self.hparams.asr_instruction, return_prompts, options=options)

    def caption_files(self, paths, return_prompts=False, options=None, **overrides):
        """:meth:`process_files` with the captioning instruction."""
        options = self.decoding_options("captioning", options=options, **overrides)
        return self.process_files(paths, self.hparams.caption_instruction, return_prompts, options=options)

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

    def verify_speakers(self, first, second, options=None, **overrides):
        """Whether two audio files hold the same speaker (the ``sv`` task).

        The pair is heard as one clip, the second file after
        ``PAIR_GAP_SECONDS`` of silence, as in training; it must fit the
        encoder window (a pair is heard whole or not at all).

        Arguments
        ---------
        first, second : str
            Audio files, any sample rate and channel count.
        options : DecodingOptions, optional
            Default: ``self.decoding_options("sv")``; ``long_audio`` is
            always ``"error"``.
        **overrides : dict
            Fields of :class:`DecodingOptions` for this call.

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
        options = self.decoding_options("sv", options=options, **overrides).replace(long_audio="error")
        pair = join_pair(self.load_audio(first), self.load_audio(second))
        if pair.shape[0] > self.window_samples:
            raise LongAudioError(
                f"the pair {first} + {second} is {pair.shape[0] / SAMPLE_RATE:.1f} s long with "
                f"its {PAIR_GAP_SECONDS:g} s gap, more than the model's "
                f"{self.window_seconds:.1f} s window: shorten the clips"
            )
        answer = self._run(
            [pair], [self.task_instruction("sv")], names=[f"{first} + {second}"], options=options
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
        """Transcribes a batch (SpeechBrain convention for ``forward``):
        ``(predicted_words, predicted_tokens)``."""
        return self.transcribe_batch(wavs, wav_lens)

    def decoding_options(self, task=None, options=None, **overrides):
        """The decoding settings of a call: the model's defaults for
        ``task`` (or ``options``), with ``overrides`` applied.

        Arguments
        ---------
        task : str, optional
            ``"asr"`` (transcripts: the model's ``max_new_tokens_per_second``
            and ``degeneracy_fallback``, long audio stitched); anything else
            (``captioning``, ``sv``, ... or None): no per-second limit, no
            fallback, long audio raises.
        options : DecodingOptions, optional
            Start from these instead of the task's defaults.
        **overrides : dict
            Fields of :class:`DecodingOptions`; None keeps the default.

        Returns
        -------
        DecodingOptions

        Raises
        ------
        TypeError
            An unknown option.
        ValueError
            A value out of range (e.g. more prompts than the pool holds).
        """
        if options is None:
            transcript = task == "asr"
            rate = getattr(self.hparams, "max_new_tokens_per_second", None) if transcript else None
            options = DecodingOptions(
                num_beams=int(self.hparams.num_beams),
                max_new_tokens=int(self.hparams.max_new_tokens),
                max_new_tokens_per_second=None if rate is None else float(rate),
                batch_size=self.default_batch_size,
                long_audio="stitch" if transcript else "error",
                degeneracy_fallback=self.degeneracy_fallback if transcript else False,
            )
        elif not isinstance(options, DecodingOptions):
            raise TypeError(f"options must be a DecodingOptions, got {type(options).__name__}")
        options = options.replace(**overrides)
        if options.num_prompts is not None:
            if self.prompt_provider is None:
                raise ValueError("num_prompts given, but this model has no prompt pool")
            # Raises a ValueError naming the pool size for an impossible N.
            self.prompt_provider.resolve_num_prompts(options.num_prompts)
        return options

    # -------------------------------------------------------------- internals
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

    def _run(self, waveforms, instructions, names, options):
        """Decodes whole recordings: chunk, decode chunks in batches, merge.

        ``options`` (a :class:`DecodingOptions`) says how long audio is
        handled, the batch size, the decoding and the degeneracy fallback.

        Returns
        -------
        list
            Per waveform ``(text, indices, FallbackOutcome)`` or the
            exception it raised (a :class:`LongAudioError`), so callers
            decide how to fail.
        """
        long_audio = options.long_audio
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

        texts, indices, checked = self._decode_segments(segments, owners, options)
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

    def _decode_segments(self, segments, instructions, options):
        """Decodes window-sized waveforms, longest first, in batches.

        With ``options.degeneracy_fallback`` each degenerate transcript is decoded
        again (``fallback=True``: :data:`FALLBACK_OPTIONS`) and emptied if
        still degenerate, as in ``ListenBrain``'s test decode.

        Returns
        -------
        texts : list of str
        indices : list of torch.Tensor or None
            ``[N]`` selected prompt indices per segment.
        outcomes : list of FallbackOutcome
        """
        batch_size = options.batch_size
        decoding = options.generation_kwargs()
        order = sorted(range(len(segments)), key=lambda i: -segments[i].shape[0])
        texts, indices = [None] * len(segments), [None] * len(segments)
        for first in range(0, len(order), batch_size):
            batch = order[first : first + batch_size]
            out_texts, out_indices = self.decode_batch(
                [segments[i] for i in batch], [instructions[i] for i in batch], **decoding
            )
            for slot, i in enumerate(batch):
                texts[i] = out_texts[slot]
                indices[i] = None if out_indices is None else out_indices[slot]
        outcomes = [CLEAN] * len(segments)
        if options.degeneracy_fallback:
            reports = {i: self.detector(instructions[i])(text) for i, text in enumerate(texts)}
            redo = [i for i in order if reports[i].degenerate]
            for first in range(0, len(redo), batch_size):
                batch = redo[first : first + batch_size]
                again, _ = self.decode_batch(
                    [segments[i] for i in batch], [instructions[i] for i in batch], **decoding, fallback=True
                )
                for i, text in zip(batch, again):
                    texts[i], outcomes[i] = settle_fallback(reports[i], text, self.detector(instructions[i]))
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
