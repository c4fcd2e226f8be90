#!/usr/bin/env python3
"""LiSTEN multitask: one prompt pool, one model, every task at once.

The model of the single-task recipes (frozen Whisper (+ BEATs) encoders, a
window-level Q-Former, a frozen LLM adapted by a dynamic prompt pool, or by
one of the paper's baselines: ``adaptation`` in hparams,
``speechbrain_listen.prompts.adaptation``) trained in one stage on the mix of ASR,
audio captioning and, when their data folders are given, spoken question
answering, emotion recognition, speaker verification and En->Zh speech
translation. Each example carries its ``task``: its instruction (a random
paraphrase in training, the task's fixed instruction at test, the question
itself for SQA), its target and its metric follow from it. Validation and
test score every task separately (``speechbrain_listen.scoring.multitask``); the
test writes per-task files into ``<output_folder>/test/`` and every
example's prompt choices into ``test_prompt_choices.json`` for
``speechbrain_listen.analysis.selection_analysis``.

To run::

    python train.py hparams/listen.yaml --librispeech_folder=/data/LibriSpeech \\
        --clotho_folder=/data/clotho --voxceleb_folder=/data/VoxCeleb1

Authors
 * speechbrain-listen contributors 2026
"""

import os
import sys

import numpy
import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from speechbrain.utils.distributed import run_on_main

from speechbrain_listen.data.audio_loading import join_pair, load_audio_or_placeholder
from speechbrain_listen.data.pipelines import add_task_instruction_items, train_loader_options
from speechbrain_listen.tasks.manifest import manifest_path, read_manifest
from speechbrain_listen.tasks.sampling import task_sampler
from speechbrain_listen.training.brain import ListenBrain
from speechbrain_listen.training.config_checks import ConfigError, check_hparams, parse_recipe_arguments


def load_role(hparams, tasks, role):
    """The examples of every task for one role, as one dict."""
    data = {}
    for task in tasks:
        examples = read_manifest(manifest_path(hparams["save_folder"], task, role))
        limit = {
            "train": None,
            "valid": hparams["valid_examples_per_task"],
            "test": hparams["test_examples_per_task"],
        }[role]
        if limit is not None and len(examples) > limit:
            # A fixed, spread-out subset: validation stays affordable for
            # big test sets, and is the same in every epoch and every run.
            keep = numpy.linspace(0, len(examples) - 1, limit).round().astype(int)
            ids = sorted(examples)
            examples = {ids[i]: examples[ids[i]] for i in sorted(set(keep))}
        data.update(examples)
    return data


def dataio_prepare(hparams, tasks):
    """Builds the train, valid and test datasets of the given tasks.

    Returns
    -------
    train_data, valid_data, test_data : DynamicItemDataset
    """
    sample_rate = hparams["sample_rate"]
    max_samples = int(hparams["max_duration"] * sample_rate)

    def dataset(role):
        examples = load_role(hparams, tasks, role)
        if role == "train":
            # Training targets are drawn from the references (below).
            for example in examples.values():
                del example["target"]
        data = sb.dataio.dataset.DynamicItemDataset(examples)
        if role == "train":
            return data.filtered_sorted(key_min_value={"duration": hparams["min_duration"]})
        return data.filtered_sorted(sort_key="duration")

    train_data, valid_data, test_data = (dataset(role) for role in ("train", "valid", "test"))
    eval_sets = [valid_data, test_data]

    @sb.utils.data_pipeline.takes("wav", "wav2")
    @sb.utils.data_pipeline.provides("sig", "audio_ok")
    def audio_pipeline(wav, wav2):
        # Unreadable audio becomes silence marked not ok (training skips
        # the batch). A verification pair is heard as one clip: the second
        # after a short silence (audio_loading.join_pair), as in the paper.
        sig, ok = load_audio_or_placeholder(wav, sample_rate)
        if wav2:
            second, ok2 = load_audio_or_placeholder(wav2, sample_rate)
            sig, ok = join_pair(sig, second, sample_rate), ok and ok2
        yield sig[:max_samples]
        yield ok

    @sb.utils.data_pipeline.takes("references")
    @sb.utils.data_pipeline.provides("target")
    def train_target(references):
        # Several references (Clotho): a new draw at every visit.
        return references[int(torch.randint(len(references), ()).item())]

    sb.dataio.dataset.add_dynamic_item([train_data] + eval_sets, audio_pipeline)
    sb.dataio.dataset.add_dynamic_item([train_data], train_target)
    add_task_instruction_items(
        [train_data], eval_sets, hparams["train_instructions"], hparams["test_instructions"]
    )
    keys = ["id", "sig", "audio_ok", "target", "instruction", "task"]
    sb.dataio.dataset.set_output_keys([train_data], keys)
    sb.dataio.dataset.set_output_keys(eval_sets, keys + ["references"])
    return train_data, valid_data, test_data


# The optional tasks and their data folders: a null folder leaves the task
# out (ASR and captioning are always trained).
OPTIONAL_TASK_FOLDERS = {
    "sqa": "librisqa_folder",
    "emotion": "iemocap_folder",
    "sv": "voxceleb_folder",
    "en2zh": "covost_folder",
}


def active_tasks(hparams):
    """ASR and captioning, plus every task whose data folder is given."""
    tasks = ["asr", "captioning"]
    for task, folder_key in OPTIONAL_TASK_FOLDERS.items():
        if hparams[folder_key]:
            tasks.append(task)
    return tasks


def build(argv):
    """Parses the command line, prepares the data and builds the Brain.

    Returns
    -------
    brain : ListenBrain
    hparams : dict
    datasets : tuple
        ``(train_data, valid_data, test_data)``.
    """
    try:  # before any model is loaded
        hparams_file, run_opts, overrides = parse_recipe_arguments(argv)
        check_hparams(hparams_file, overrides, optional_folders=OPTIONAL_TASK_FOLDERS.values())
    except ConfigError as err:
        sys.exit(f"train.py: {err}")  # the program, not the hparams file: the message names it
    with open(hparams_file, encoding="utf-8") as fin:
        hparams = load_hyperpyyaml(fin, overrides)

    sb.utils.distributed.ddp_init_group(run_opts)
    sb.create_experiment_directory(
        experiment_directory=hparams["output_folder"],
        hyperparams_to_save=hparams_file,
        overrides=overrides,
    )

    from multitask_prepare import prepare_multitask

    run_on_main(
        prepare_multitask,
        kwargs={
            "save_folder": hparams["save_folder"],
            "librispeech_folder": hparams["librispeech_folder"],
            "clotho_folder": hparams["clotho_folder"],
            "librispeech_splits": hparams["librispeech_splits"],
            "librisqa_folder": hparams["librisqa_folder"],
            "iemocap_folder": hparams["iemocap_folder"],
            "voxceleb_folder": hparams["voxceleb_folder"],
            "covost_folder": hparams["covost_folder"],
            "voxceleb_options": hparams["voxceleb_options"],
            "skip_prep": hparams["skip_prep"],
            "on_bad_data": hparams["on_bad_data"],
            "check_audio_content": hparams["check_audio_content"],
        },
    )
    datasets = dataio_prepare(hparams, active_tasks(hparams))
    brain = ListenBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
    )
    return brain, hparams, datasets


def test(brain, hparams, test_data, folder):
    """Scores the test set into ``folder`` (one file set per task)."""
    brain.hparams.test_results_folder = folder
    if sb.utils.distributed.if_main_process():
        os.makedirs(folder, exist_ok=True)
    brain.evaluate(
        test_data,
        test_loader_kwargs=hparams["test_dataloader_opts"],
        **brain.checkpoint_selection(),
    )


def main(argv):
    """Prepares data, trains on the task mix, tests every task."""
    brain, hparams, (train_data, valid_data, test_data) = build(argv)
    with train_data.output_keys_as(["task"]):  # no audio loaded
        train_tasks = [example["task"] for example in train_data]
    sampler = task_sampler(
        train_tasks,
        hparams["task_sampling"],
        hparams["sampling_temperature"],
        seed=hparams["seed"],
    )
    brain.fit(
        brain.hparams.epoch_counter,
        train_data,
        valid_data,
        train_loader_kwargs=train_loader_options(hparams, train_data, sampler),
        valid_loader_kwargs=hparams["valid_dataloader_opts"],
    )
    test(brain, hparams, test_data, os.path.join(hparams["output_folder"], "test"))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1:])
