#!/usr/bin/env python3
"""LiSTEN on Clotho v2.1 audio captioning.

The same model as the LibriSpeech recipe (frozen Whisper (+ BEATs)
encoders, a window-level Q-Former, a frozen LLM adapted by a dynamic prompt
pool) and the library's ``ListenBrain``; only the data and the scoring
differ. Trains on ``development`` (a random one of each clip's five
captions at every visit, a random captioning instruction per example),
validates on ``validation`` and tests on ``evaluation`` with the fixed
instruction "Please describe the audio.", scoring every caption against
all five references (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, SPICE, SPIDEr via
pycocoevalcap). Per test split it writes ``captions_<split>.csv`` (one row
per clip: hypothesis, references, scores), ``captions_<split>.txt``,
``captions_<split>_summary.json`` and ``captions_<split>_prompt_usage.json``.

To run::

    python train.py hparams/listen.yaml --data_folder=/path/to/clotho

Authors
 * speechbrain-listen contributors 2026
"""

import os
import sys

import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from speechbrain.utils.distributed import run_on_main

from speechbrain_listen.data.audio_loading import load_audio_or_placeholder
from speechbrain_listen.data.pipelines import add_instruction_items, train_loader_options
from speechbrain_listen.training.brain import ListenBrain
from speechbrain_listen.training.config_checks import (
    ConfigError,
    check_hparams,
    clotho_layout,
    parse_recipe_arguments,
)


def dataio_prepare(hparams):
    """Builds the train, valid and test datasets and their pipelines.

    Training clips shorter than ``min_duration`` are left out; validation
    and test keep every clip (a test set is scored whole). Audio longer
    than ``max_duration`` (the Whisper window) is cut to it.

    Returns
    -------
    train_data, valid_data : DynamicItemDataset
    test_datasets : dict
        Test split name -> DynamicItemDataset.
    """
    from clotho_prepare import load_manifest

    save = hparams["save_folder"]

    def load(splits, train):
        data = {}
        for split in splits:
            data.update(load_manifest(os.path.join(save, split + ".csv")))
        dataset = sb.dataio.dataset.DynamicItemDataset(data)
        if train:
            sorting = hparams["sorting"]
            return dataset.filtered_sorted(
                sort_key="duration" if sorting != "random" else None,
                reverse=sorting == "descending",
                key_min_value={"duration": hparams["min_duration"]},
            )
        return dataset.filtered_sorted(sort_key="duration")

    train_data = load(hparams["train_splits"], train=True)
    valid_data = load(hparams["valid_splits"], train=False)
    test_datasets = {split: load([split], train=False) for split in hparams["test_splits"]}
    eval_sets = [valid_data] + list(test_datasets.values())

    sample_rate = hparams["sample_rate"]
    max_samples = int(hparams["max_duration"] * sample_rate)

    @sb.utils.data_pipeline.takes("wav")
    @sb.utils.data_pipeline.provides("sig", "audio_ok")
    def audio_pipeline(wav):
        # A file that went bad after preparation becomes silence marked
        # not ok: training skips its batch, evaluation scores it as is.
        sig, ok = load_audio_or_placeholder(wav, sample_rate)
        yield sig[:max_samples]
        yield ok

    @sb.utils.data_pipeline.takes("references")
    @sb.utils.data_pipeline.provides("target")
    def train_target_pipeline(references):
        # A new draw among the five captions at every visit of the clip.
        return references[int(torch.randint(len(references), ()).item())]

    @sb.utils.data_pipeline.takes("references")
    @sb.utils.data_pipeline.provides("target")
    def eval_target_pipeline(references):
        # A fixed caption, so the validation loss is comparable across
        # epochs; decoded captions are scored against all references.
        return references[0]

    datasets = [train_data] + eval_sets
    sb.dataio.dataset.add_dynamic_item(datasets, audio_pipeline)
    sb.dataio.dataset.add_dynamic_item([train_data], train_target_pipeline)
    sb.dataio.dataset.add_dynamic_item(eval_sets, eval_target_pipeline)
    add_instruction_items([train_data], eval_sets, hparams["train_instructions"], hparams["test_instruction"])
    sb.dataio.dataset.set_output_keys([train_data], ["id", "sig", "audio_ok", "target", "instruction"])
    sb.dataio.dataset.set_output_keys(
        eval_sets, ["id", "sig", "audio_ok", "target", "instruction", "references"]
    )
    return train_data, valid_data, test_datasets


def main(argv):
    """Prepares data, trains, and tests on every test split."""
    try:  # before any model is loaded
        hparams_file, run_opts, overrides = parse_recipe_arguments(argv)
        check_hparams(hparams_file, overrides, data_layout=clotho_layout)
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

    from clotho_prepare import prepare_clotho

    splits = hparams["train_splits"] + hparams["valid_splits"] + hparams["test_splits"]
    run_on_main(
        prepare_clotho,
        kwargs={
            "data_folder": hparams["data_folder"],
            "save_folder": hparams["save_folder"],
            "splits": splits,
            "skip_prep": hparams["skip_prep"],
            "on_bad_data": hparams["on_bad_data"],
            "check_audio_content": hparams["check_audio_content"],
        },
    )
    train_data, valid_data, test_datasets = dataio_prepare(hparams)

    brain = ListenBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
    )
    brain.fit(
        brain.hparams.epoch_counter,
        train_data,
        valid_data,
        train_loader_kwargs=train_loader_options(hparams, train_data),
        valid_loader_kwargs=hparams["valid_dataloader_opts"],
    )
    for split, test_data in test_datasets.items():
        brain.hparams.test_captions_file = os.path.join(hparams["output_folder"], f"captions_{split}.csv")
        brain.evaluate(
            test_data,
            test_loader_kwargs=hparams["test_dataloader_opts"],
            **brain.checkpoint_selection(),
        )


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1:])
