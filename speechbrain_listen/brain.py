"""The LiSTEN ``Brain``, shared by every recipe.

One training step: frozen encoders -> window Q-Former -> wrapped chat
sequence -> selection query -> prompts -> frozen LLM cross-entropy, plus
``selection_loss_weight`` (lambda) times the prompt-selection loss. On VALID
and TEST the same inputs (without the target) are decoded with beam search
and scored with SpeechBrain's ``ErrorRateStats`` (WER and CER) after
lower-casing and stripping punctuation.

The recipes choose the prompt provider in hparams (``PromptPool``,
``SoftPrompt``, or none with LoRA inside the LLM lobe); this class does not
care which. Expected hparams: ``selection_loss_weight``, ``num_beams``, ``valid_num_beams``,
``max_new_tokens``, ``error_rate_computer``, ``cer_computer``,
``lr_scheduler``, ``train_logger``, ``valid_search_interval``; modules
``audio_encoder``, ``connector``, ``llm`` and optionally ``prompt_adapter``.

Authors
 * speechbrain-listen contributors 2026
"""

import json
import math
import os

import torch
import speechbrain as sb
from speechbrain.utils.distributed import if_main_process
from speechbrain.utils.logger import get_logger

from speechbrain_listen.llm_lobe import masked_mean
from speechbrain_listen.parameter_report import (
    format_parameter_report,
    trainable_parameter_parts,
)
from speechbrain_listen.text_normalization import words_for_scoring

logger = get_logger(__name__)


def unwrap(module):
    """The module inside a DDP/DP wrapper (or the module itself)."""
    return getattr(module, "module", module)


class ListenBrain(sb.Brain):
    """Trains and evaluates an audio LLM with a prompt pool (or a baseline)."""

    @property
    def prompt_adapter(self):
        """The prompt provider module, or None (LoRA baseline)."""
        return self.modules["prompt_adapter"] if "prompt_adapter" in self.modules else None

    @property
    def llm(self):
        """The LLM lobe, outside any DDP wrapper (for non-forward calls)."""
        return unwrap(self.modules.llm)

    def compute_forward(self, batch, stage):
        """Runs the model; decodes on VALID/TEST.

        Returns
        -------
        dict
            ``ce`` and ``selection_loss`` scalars, ``hyps`` (list of str or
            None) and ``indices`` (selected prompt indices or None).
        """
        batch = batch.to(self.device)
        wavs, wav_lens = batch.sig
        feats, feat_lens = self.modules.audio_encoder(wavs, wav_lens, ids=batch.id)
        tokens, token_lens = self.modules.connector(feats, feat_lens)
        counts = (token_lens * tokens.shape[1]).round().long()
        wrapped = self.llm.wrap_audio(tokens, counts, batch.instruction)

        prompts, indices = None, None
        selection_loss = tokens.new_zeros(())
        if self.prompt_adapter is not None:
            selection = self.prompt_adapter(masked_mean(wrapped))
            prompts, indices = selection.prompts, selection.indices
            selection_loss = selection.selection_loss

        inputs = self.llm.build_inputs(wrapped, prompts, batch.target)
        ce = self.modules.llm(inputs)

        hyps = None
        if stage != sb.Stage.TRAIN and self.should_decode(stage):
            beams = (
                self.hparams.num_beams
                if stage == sb.Stage.TEST
                else self.hparams.valid_num_beams
            )
            hyps = self.llm.generate(
                self.llm.build_inputs(wrapped, prompts),
                num_beams=beams,
                max_new_tokens=self.hparams.max_new_tokens,
            )
        return {
            "ce": ce,
            "selection_loss": selection_loss,
            "hyps": hyps,
            "indices": indices,
        }

    def should_decode(self, stage):
        """Decode every test, and every ``valid_search_interval`` epochs."""
        if stage == sb.Stage.TEST:
            return True
        epoch = self.hparams.epoch_counter.current
        return epoch % self.hparams.valid_search_interval == 0

    def compute_objectives(self, predictions, batch, stage):
        """Cross-entropy + lambda * selection loss; scores decoded text."""
        loss = (
            predictions["ce"]
            + self.hparams.selection_loss_weight * predictions["selection_loss"]
        )
        if predictions["hyps"] is not None:
            hyp_words = [words_for_scoring(h) for h in predictions["hyps"]]
            ref_words = [words_for_scoring(r) for r in batch.target]
            self.wer_metric.append(batch.id, hyp_words, ref_words)
            self.cer_metric.append(batch.id, hyp_words, ref_words)
        return loss

    def on_stage_start(self, stage, epoch=None):
        """Fresh metrics for VALID/TEST; a fresh usage counter for TEST."""
        if stage != sb.Stage.TRAIN:
            self.wer_metric = self.hparams.error_rate_computer()
            self.cer_metric = self.hparams.cer_computer()
        if stage == sb.Stage.TEST and self.prompt_adapter is not None:
            unwrap(self.prompt_adapter).reset_usage()

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Logs, checkpoints on VALID, writes the per-utterance file on TEST."""
        stats = {"loss": stage_loss}
        if stage == sb.Stage.TRAIN:
            self.train_stats = stats
            return
        if len(self.wer_metric.scores) > 0:
            stats["WER"] = self.wer_metric.summarize("error_rate")
            stats["CER"] = self.cer_metric.summarize("error_rate")

        if stage == sb.Stage.VALID:
            lr = self.optimizer.param_groups[0]["lr"]
            self.hparams.train_logger.log_stats(
                stats_meta={"epoch": epoch, "lr": lr, "steps": self.optimizer_step},
                train_stats=self.train_stats,
                valid_stats=stats,
            )
            self.checkpointer.save_and_keep_only(
                meta={"WER": stats.get("WER", math.inf), "loss": stage_loss},
                min_keys=["WER"],
            )
        elif stage == sb.Stage.TEST:
            self.hparams.train_logger.log_stats(
                stats_meta={"Epoch loaded": self.hparams.epoch_counter.current},
                test_stats=stats,
            )
            if if_main_process():
                self.write_test_outputs()

    def write_test_outputs(self):
        """Per-utterance WER file and prompt usage of the finished test set."""
        with open(self.hparams.test_wer_file, "w", encoding="utf-8") as out:
            self.wer_metric.write_stats(out)
        summary_file = os.path.splitext(self.hparams.test_wer_file)[0] + "_summary.json"
        with open(summary_file, "w", encoding="utf-8") as out:
            json.dump(
                {
                    "WER": self.wer_metric.summarize("error_rate"),
                    "CER": self.cer_metric.summarize("error_rate"),
                    "utterances": len(self.wer_metric.scores),
                    "epoch": self.hparams.epoch_counter.current,
                    "num_beams": self.hparams.num_beams,
                },
                out,
                indent=2,
            )
        if self.prompt_adapter is not None:
            adapter = unwrap(self.prompt_adapter)
            usage_file = os.path.splitext(self.hparams.test_wer_file)[0] + "_prompt_usage.json"
            with open(usage_file, "w", encoding="utf-8") as out:
                json.dump(
                    {
                        "inputs": int(adapter.usage_inputs),
                        "num_prompts": adapter.num_prompts,
                        "counts": adapter.usage_counts.tolist(),
                    },
                    out,
                )

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
        torch.nn.utils.clip_grad_norm_(trainable, self.max_grad_norm)
        if not self.scaler.is_enabled() and self.skip_nonfinite_grads:
            self.check_gradients()
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
            None if self.prompt_adapter is None else unwrap(self.prompt_adapter),
            llm,
        )
        llm_size = sum(p.numel() for p in llm.parameters() if not p.requires_grad)
        logger.info(format_parameter_report(parts, llm_size))
        output_folder = getattr(self.hparams, "output_folder", None)
        if output_folder is not None and if_main_process():
            os.makedirs(output_folder, exist_ok=True)
            with open(os.path.join(output_folder, "trainable_parameters.json"), "w") as out:
                json.dump({**parts, "llm (frozen)": llm_size}, out, indent=2)
