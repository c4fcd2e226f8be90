"""The LiSTEN ``Brain``, shared by every recipe.

One training step: frozen encoders -> window Q-Former -> wrapped chat
sequence -> selection query -> prompts -> frozen LLM cross-entropy, plus
``selection_loss_weight`` (lambda) times the prompt-selection loss. On VALID
and TEST the same inputs (without the target) are decoded with beam search
and scored by the task's scoring object (below): WER and CER for ASR,
captioning metrics against all references for audio captioning.

The recipes choose the prompt provider in hparams (``PromptPool``,
``SoftPrompt``, or none with LoRA inside the LLM lobe); this class does not
care which. Expected hparams: ``selection_loss_weight``, ``num_beams``, ``valid_num_beams``,
``max_new_tokens``, ``lr_scheduler``, ``train_logger``, optionally
``max_new_tokens_per_second`` (with ``sample_rate``),
``valid_search_interval``; modules ``audio_encoder``, ``connector``, ``llm``
and optionally ``prompt_provider`` and ``token_alignment`` (the auxiliary CTC
of ``token_alignment.py``, weighted by ``alignment_loss_weight``; with
``alignment_warmup_steps`` it trains alone, without the LLM, for that many
first steps).

Scoring is chosen by the recipe too: an hparams ``scoring`` object, a
``speechbrain_listen.scoring.base.TaskScoring`` (e.g.
``scoring.captioning.CaptioningScoring``, which scores captions against all
references of a clip), or, when there is none,
``scoring.transcription.TranscriptionScoring`` built from
``error_rate_computer`` and ``cer_computer`` (WER and CER, the ASR recipes).
Its ``selection_metric`` picks the best checkpoint; ``"loss"`` keeps the one
with the lowest validation loss (the multitask recipe: no single metric).

With an hparams ``augmentation`` (a SpeechBrain ``Augmenter``, e.g. from
``speechbrain_listen.data.augmentation.build_augmenter``), TRAIN waveforms
are corrupted before the encoder (lengths follow speed changes); an
augmented batch bypasses the frozen-feature cache (its features are
computed afresh), while VALID/TEST audio stays clean and cached.

Bad training batches are skipped and counted (``bad_batches``); at TEST the
prompts chosen for every example are written beside the scores
(``prompt_choices``).

With hparams ``degeneracy_fallback: True`` (the ASR recipes), every TEST
transcript (ASR examples only: ``batch.task == "asr"``, or all examples when
the scoring's task is ``asr``) that loops, echoes the prompt or reads like a
chat reply is decoded again with a constrained fallback and emptied if still
degenerate (``speechbrain_listen.inference.degeneracy``, the same policy as
the inference interface); the test log and summary say ``degenerate
transcripts: N, fallback decodes: M, emptied: K``.

Authors
 * speechbrain-listen contributors 2026
"""

import json
import os

import speechbrain as sb
import torch
import yaml
from speechbrain.utils.checkpoints import (
    mark_as_loader,
    mark_as_saver,
    register_checkpoint_hooks,
)
from speechbrain.utils.distributed import if_main_process
from speechbrain.utils.logger import get_logger

from speechbrain_listen.data.augmentation import augment_waveforms
from speechbrain_listen.inference.degeneracy import DegeneracyCounts, DegeneracyDetector, decode_with_fallback
from speechbrain_listen.model.audio_prompting import prompt_audio
from speechbrain_listen.model.llm_lobe import duration_length_limits
from speechbrain_listen.scoring.transcription import TranscriptionScoring
from speechbrain_listen.training.bad_batches import BadBatches, any_process, has_unreadable_audio
from speechbrain_listen.training.checkpointing import RandomState
from speechbrain_listen.training.parameter_report import (
    format_parameter_report,
    trainable_parameter_parts,
)
from speechbrain_listen.training.prompt_choices import PromptChoices

logger = get_logger(__name__)


def unwrap(module):
    """The module inside a DDP/DP wrapper (or the module itself)."""
    return getattr(module, "module", module)


@register_checkpoint_hooks
class ListenBrain(sb.Brain):
    """Trains and evaluates an audio LLM with a prompt pool (or a baseline).

    Resuming is exact: every checkpoint also holds the random generators
    (``checkpointing.RandomState``) and the running means of the loss parts,
    and the training loader draws its worker seed from a generator of its
    own, so a run killed mid-epoch and resumed continues the very same
    random streams as the uninterrupted run.

    Training survives bad batches (``bad_batches``): a batch holding audio
    that could not be read is skipped before the forward pass, and a batch
    whose loss or gradients are not finite is dropped before the optimizer
    sees it; both are counted in ``skipped_batches`` and in the train log.
    Every DDP process takes the same decision. Only ``nonfinite_patience``
    non-finite batches *in a row* (a diverged model, not one bad example)
    stop the run.
    """

    def __init__(self, modules=None, *args, **kwargs):
        # An hparams file serving several variants leaves absent parts as
        # None (e.g. ``prompt_provider`` of the LoRA run: speechbrain_listen.prompts.adaptation).
        modules = {name: m for name, m in (modules or {}).items() if m is not None}
        super().__init__(modules, *args, **kwargs)
        if self.token_alignment is not None and (
            getattr(self.hparams, "alignment_warmup_steps", 0) > 0
            or getattr(self.hparams, "alignment_tasks", None) is not None
        ):
            # Some steps leave parameters out of the loss: the prompts and
            # the LLM's adapters in the alignment warm-up, the alignment
            # head in a multitask batch without ASR. DDP must expect that.
            self.find_unused_parameters = True
        self.loss_parts = {}
        self.prompt_choices = PromptChoices()
        self.bad_batches = BadBatches()
        self.degeneracy_counts = DegeneracyCounts()
        if self.checkpointer is not None:
            # Optional: checkpoints written before it existed still load.
            self.checkpointer.add_recoverable("random_state", RandomState(), optional_load=True)

    def make_dataloader(self, dataset, stage, ckpt_prefix="dataloader-", **loader_kwargs):
        """``Brain.make_dataloader`` whose training loader has its own generator.

        Creating a DataLoader iterator draws a base seed from the global
        torch generator, unless the loader has a generator of its own. A
        resumed run creates its iterator *after* the random state is
        restored, the uninterrupted run before the epoch's first step; with
        its own generator that draw no longer shifts the global stream.
        """
        if stage == sb.Stage.TRAIN and "generator" not in loader_kwargs:
            loader_kwargs["generator"] = torch.Generator().manual_seed(getattr(self.hparams, "seed", 0))
        return super().make_dataloader(dataset, stage, ckpt_prefix, **loader_kwargs)

    @mark_as_saver
    def _save(self, path):
        super()._save(path)
        with open(path, "a", encoding="utf-8") as out:
            parts = {name: list(value) for name, value in self.loss_parts.items()}
            state = {"loss_parts": parts, "skipped_batches": self.bad_batches.state()}
            out.write(yaml.dump(state, sort_keys=False))

    @mark_as_loader
    def _recover(self, path, end_of_epoch):
        super()._recover(path, end_of_epoch)
        with open(path, encoding="utf-8") as fin:
            state = yaml.safe_load(fin)
        parts = state.get("loss_parts") or {}
        self.loss_parts = {name: tuple(value) for name, value in parts.items()}
        self.bad_batches.load_state(state.get("skipped_batches"))

    @property
    def skipped_batches(self):
        """The training batches skipped this epoch: reason -> count."""
        return self.bad_batches.counts

    def fit_batch(self, batch):
        """``Brain.fit_batch``, skipping bad batches (see the class docstring).

        Returns
        -------
        torch.Tensor
            The detached loss; NaN for a skipped batch.
        """
        if any_process(has_unreadable_audio(batch), self.device):
            return self.bad_batches.skip("unreadable audio", batch)

        should_step = (self.step % self.grad_accumulation_factor) == 0
        self.on_fit_batch_start(batch, should_step)
        with self.no_sync(not should_step):
            with self.training_ctx:
                outputs = self.compute_forward(batch, sb.Stage.TRAIN)
                loss = self.compute_objectives(outputs, batch, sb.Stage.TRAIN)
            # Backward even for a non-finite loss: DDP processes must all
            # take part in the gradient reduction; the result is discarded.
            self.scaler.scale(loss / self.grad_accumulation_factor).backward()
        if any_process(not torch.isfinite(loss.detach()).all(), self.device):
            self.optimizer.zero_grad(set_to_none=True)
            return self.bad_batches.nonfinite_loss(batch, self.nonfinite_patience)
        self.bad_batches.finite_loss()
        if should_step:
            self.optimizers_step()
        self.on_fit_batch_end(batch, outputs, loss, should_step)
        return loss.detach().cpu()

    @property
    def scoring(self):
        """The task's scoring object (hparams ``scoring``, default WER/CER)."""
        if getattr(self, "_scoring", None) is None:
            scoring = getattr(self.hparams, "scoring", None)
            if scoring is None:
                scoring = TranscriptionScoring(self.hparams.error_rate_computer, self.hparams.cer_computer)
            self._scoring = scoring
        return self._scoring

    def checkpoint_selection(self):
        """``{"min_key": ...}`` or ``{"max_key": ...}`` for ``evaluate``."""
        kind = "max_key" if self.scoring.higher_is_better else "min_key"
        return {kind: self.scoring.selection_metric}

    @property
    def prompt_provider(self):
        """The prompt provider module, or None (LoRA baseline)."""
        return self.modules["prompt_provider"] if "prompt_provider" in self.modules else None

    @property
    def token_alignment(self):
        """The auxiliary token-alignment module, or None (the paper's setting)."""
        return self.modules["token_alignment"] if "token_alignment" in self.modules else None

    @property
    def augmentation(self):
        """The training waveform ``Augmenter`` (hparams ``augmentation``), or None."""
        return getattr(self.hparams, "augmentation", None)

    @property
    def llm(self):
        """The LLM lobe, outside any DDP wrapper (for non-forward calls)."""
        return unwrap(self.modules.llm)

    def compute_forward(self, batch, stage):
        """Runs the model; decodes on VALID/TEST.

        Returns
        -------
        dict
            ``ce`` (None in the alignment warm-up) and ``selection_loss``
            scalars, ``alignment_loss`` (a
            scalar in training with ``token_alignment``, else None), ``hyps``
            (list of str or None) and ``indices`` (selected prompt indices or
            None).
        """
        batch = batch.to(self.device)
        wavs, wav_lens = batch.sig
        ids = batch.id
        if stage == sb.Stage.TRAIN and self.augmentation is not None:
            wavs, wav_lens, augmented = augment_waveforms(self.augmentation, wavs, wav_lens)
            if augmented:
                ids = None  # new audio: fresh features, never the clean clip's cache entry
        prompted = prompt_audio(
            self.modules.audio_encoder,
            self.modules.connector,
            self.prompt_provider,
            self.llm,
            wavs,
            wav_lens,
            batch.instruction,
            ids=ids,
        )
        wrapped, prompts = prompted.wrapped, prompted.prompts

        ce = None
        if not self.in_alignment_warmup(stage):
            inputs = self.llm.build_inputs(wrapped, prompts, batch.target)
            ce = self.modules.llm(inputs)

        alignment_loss = None
        if (
            stage == sb.Stage.TRAIN
            and self.token_alignment is not None
            and self.hparams.alignment_loss_weight > 0
        ):
            # Training only: valid loss stays CE + lambda * L_sel, comparable
            # across runs with and without the alignment loss.
            alignment_loss = self.alignment_loss(batch, prompted)

        hyps = None
        if stage != sb.Stage.TRAIN and self.should_decode(stage):
            beams = self.hparams.num_beams if stage == sb.Stage.TEST else self.hparams.valid_num_beams
            inputs = self.llm.build_inputs(wrapped, prompts)
            limits = self.length_limits(wavs, wav_lens)
            hyps = self.llm.generate(
                inputs,
                num_beams=beams,
                max_new_tokens=self.hparams.max_new_tokens,
                example_limits=limits,
            )
            rows = self.transcript_rows(batch) if stage == sb.Stage.TEST and self.degeneracy_fallback else []
            if rows:
                detector = DegeneracyDetector.for_llm(self.llm, [batch.instruction[i] for i in rows])
                hyps, outcomes = decode_with_fallback(
                    self.llm, inputs, hyps, rows, detector, self.hparams.max_new_tokens, limits
                )
                self.degeneracy_counts.add(outcomes)
        return {
            "ce": ce,
            "selection_loss": prompted.selection_loss,
            "alignment_loss": alignment_loss,
            "hyps": hyps,
            "indices": prompted.indices,
        }

    @property
    def degeneracy_fallback(self):
        """Hparams ``degeneracy_fallback`` (off when absent)."""
        return bool(getattr(self.hparams, "degeneracy_fallback", False))

    def transcript_rows(self, batch):
        """The examples of a batch whose answer is a transcript (ASR).

        With a ``task`` per example (the multitask recipe) those of task
        ``asr``; otherwise every example when the scoring's task is ``asr``.
        """
        tasks = getattr(batch, "task", None)
        if tasks is None:
            return list(range(len(batch.id))) if getattr(self.scoring, "task", None) == "asr" else []
        return [i for i, task in enumerate(tasks) if task == "asr"]

    def alignment_loss(self, batch, prompted):
        """The token-alignment CTC of the examples whose target is spoken.

        The CTC asks audio tokens to spell the target, which only makes
        sense when the target is the words spoken: with hparams
        ``alignment_tasks`` (e.g. ``[asr]``) and a ``task`` per example
        (the multitask recipe), only those examples take part; None when
        the batch has none of them.
        """
        rows = list(range(len(batch.id)))
        tasks = getattr(self.hparams, "alignment_tasks", None)
        if tasks is not None and hasattr(batch, "task"):
            rows = [i for i, task in enumerate(batch.task) if task in tasks]
            if not rows:
                return None
        index = torch.tensor(rows, device=prompted.audio_tokens.device)
        return self.modules.token_alignment(
            prompted.audio_tokens.index_select(0, index),
            prompted.audio_counts.index_select(0, index),
            self.llm.input_embeddings.weight,
            [self.llm.target_ids(batch.target[i])[:-1] for i in rows],
        )

    def length_limits(self, wavs, wav_lens):
        """Per-example answer limits from the audio durations, or None.

        With hparams ``max_new_tokens_per_second`` set (ASR: a little above
        the fastest speech's token rate), an answer may have at most that
        many tokens per second of its audio: a decoding loop then costs a
        bounded number of insertions (``llm_lobe.PerExampleLengthLimit``).
        """
        rate = getattr(self.hparams, "max_new_tokens_per_second", None)
        if rate is None:
            return None
        seconds = wav_lens.cpu() * wavs.shape[1] / self.hparams.sample_rate
        return duration_length_limits(seconds.tolist(), rate)

    def in_alignment_warmup(self, stage):
        """True for the first ``alignment_warmup_steps`` training steps.

        During them only the token-alignment loss trains the connector and
        the LLM is not run at all, so a step costs a fraction of a full one
        (an option of this project, 0 by default: the paper trains in one
        stage). The LLM then starts from audio tokens that already spell
        words, instead of first learning to ignore random ones.
        """
        return (
            stage == sb.Stage.TRAIN
            and self.token_alignment is not None
            and self.optimizer_step < getattr(self.hparams, "alignment_warmup_steps", 0)
        )

    def should_decode(self, stage):
        """Decode every test, and every ``valid_search_interval`` epochs."""
        if stage == sb.Stage.TEST:
            return True
        epoch = self.hparams.epoch_counter.current
        return epoch % self.hparams.valid_search_interval == 0

    def compute_objectives(self, predictions, batch, stage):
        """Cross-entropy + lambda * selection loss (+ the weighted alignment
        loss in training, if any); scores decoded text. In the alignment
        warm-up there is no cross-entropy (``ce`` is None)."""
        loss = self.hparams.selection_loss_weight * predictions["selection_loss"]
        if predictions["ce"] is not None:
            loss = loss + predictions["ce"]
            if stage == sb.Stage.TRAIN:
                self.track_loss_part("ce", predictions["ce"])
        if predictions["alignment_loss"] is not None:
            self.track_loss_part("alignment", predictions["alignment_loss"])
            loss = loss + self.hparams.alignment_loss_weight * predictions["alignment_loss"]
        if predictions["hyps"] is not None:
            self.scoring.append(batch.id, predictions["hyps"], batch)
        if stage == sb.Stage.TEST and predictions["indices"] is not None:
            default_task = getattr(self.scoring, "task", "default")
            self.prompt_choices.record(batch, predictions["indices"], default_task)
        return loss

    def track_loss_part(self, name, value):
        """Adds one batch's value of a loss part to the epoch's running mean.

        The train log then shows the parts (``train ce``, ``train
        alignment``) beside the total, so curves stay comparable across
        settings with different auxiliary losses.
        """
        total, batches = self.loss_parts.get(name, (0.0, 0))
        self.loss_parts[name] = (total + float(value.detach()), batches + 1)

    def on_stage_start(self, stage, epoch=None):
        """Fresh metrics for VALID/TEST; a fresh usage counter for TEST.

        The train loss parts are reset when the train stage *ends*: a run
        resumed mid-epoch starts the stage with the parts it recovered.
        """
        if stage != sb.Stage.TRAIN:
            self.scoring.start(stage)
        if stage == sb.Stage.TEST and self.prompt_provider is not None:
            self.prompt_choices.start(unwrap(self.prompt_provider))
        if stage == sb.Stage.TEST:
            self.degeneracy_counts = DegeneracyCounts()

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Logs, checkpoints on VALID, writes the per-utterance file on TEST."""
        stats = {"loss": stage_loss}
        if stage == sb.Stage.TRAIN:
            stats.update({name: total / n for name, (total, n) in self.loss_parts.items()})
            self.loss_parts = {}
            # In the log only when it happened, e.g. "skipped unreadable audio: 2".
            stats.update(self.bad_batches.epoch_stats())
            self.train_stats = stats
            return
        if self.scoring.has_scores():
            stats.update(self.scoring.summarize())

        if stage == sb.Stage.VALID:
            lr = self.optimizer.param_groups[0]["lr"]
            self.hparams.train_logger.log_stats(
                stats_meta={"epoch": epoch, "lr": lr, "steps": self.optimizer_step},
                train_stats=self.train_stats,
                valid_stats=stats,
            )
            key = self.scoring.selection_metric
            value = stage_loss if key == "loss" else self.scoring.selection_value()
            self.checkpointer.save_and_keep_only(
                meta={key: value, "loss": stage_loss},
                **{("max_keys" if self.scoring.higher_is_better else "min_keys"): [key]},
            )
        elif stage == sb.Stage.TEST:
            meta = {"Epoch loaded": self.hparams.epoch_counter.current}
            if self.prompt_provider is not None:
                # Which N decoded: a prompt-count sweep logs one test per N.
                meta["prompts N"] = unwrap(self.prompt_provider).num_prompts
            if self.degeneracy_fallback:
                stats.update(self.degeneracy_counts.stats())
                logger.info(self.degeneracy_counts.summary())
            self.hparams.train_logger.log_stats(stats_meta=meta, test_stats=stats)
            if if_main_process():
                self.write_test_outputs()

    def write_test_outputs(self):
        """Per-item scores and their summary, and the prompt choices.

        The output file is the hparam named by ``scoring.output_hparam``
        (``test_wer_file`` for ASR, ``test_captions_file`` for captioning),
        which the recipe sets before each test split.
        """
        output_file = getattr(self.hparams, self.scoring.output_hparam)
        info = {
            "epoch": self.hparams.epoch_counter.current,
            "num_beams": self.hparams.num_beams,
        }
        if self.degeneracy_fallback:
            info.update(self.degeneracy_counts.stats())
        self.scoring.write(output_file, info)
        if self.prompt_provider is not None:
            self.prompt_choices.write(output_file, unwrap(self.prompt_provider))

    def init_optimizers(self):
        """AdamW groups: weight decay on matrices, none on biases and norms."""
        decay, no_decay = [], []
        for param in self.modules.parameters():
            if param.requires_grad:
                (decay if param.ndim >= 2 else no_decay).append(param)
        self.optimizer = self.opt_class(
            [
                {"params": decay},
                {"params": no_decay, "weight_decay": 0.0},
            ]
        )
        self.optimizers_dict = {"opt_class": self.optimizer}
        if self.checkpointer is not None:
            self.checkpointer.add_recoverable("optimizer", self.optimizer)

    def optimizers_step(self):
        """One optimizer step, clipping the gradients of *all* groups.

        ``Brain.optimizers_step`` clips only ``param_groups[0]``; here the
        norm covers every trainable parameter.
        """
        self.scaler.unscale_(self.optimizer)
        trainable = [p for g in self.optimizer.param_groups for p in g["params"]]
        norm = torch.nn.utils.clip_grad_norm_(trainable, self.max_grad_norm)
        if not self.scaler.is_enabled() and not torch.isfinite(norm):
            # Reduced gradients are the same on every process: all skip.
            self.optimizer.zero_grad(set_to_none=True)
            self.bad_batches.nonfinite_gradients()
            return
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.optimizer_step += 1

    def on_fit_start(self):
        """Recovers, then puts the scheduled learning rate in place."""
        super().on_fit_start()
        self.hparams.lr_scheduler.set_lr(self.optimizer)

    def on_fit_batch_end(self, batch, outputs, loss, should_step):
        """Advances the per-step learning-rate schedule."""
        if should_step:
            self.hparams.lr_scheduler(self.optimizer)

    def print_trainable_parameters(self):
        """Trainable parameters per part and as a share of the LLM."""
        llm = unwrap(self.modules.llm)
        parts = trainable_parameter_parts(
            unwrap(self.modules.audio_encoder),
            unwrap(self.modules.connector),
            None if self.prompt_provider is None else unwrap(self.prompt_provider),
            llm,
            None if self.token_alignment is None else unwrap(self.token_alignment),
        )
        llm_size = sum(p.numel() for p in llm.parameters() if not p.requires_grad)
        logger.info(format_parameter_report(parts, llm_size))
        output_folder = getattr(self.hparams, "output_folder", None)
        if output_folder is not None and if_main_process():
            os.makedirs(output_folder, exist_ok=True)
            with open(os.path.join(output_folder, "trainable_parameters.json"), "w") as out:
                json.dump({**parts, "llm (frozen)": llm_size}, out, indent=2)
