#!/usr/bin/env python3
"""LiSTEN on LibriSpeech ASR.

Frozen Whisper (+ BEATs) encoders, a window-level Q-Former, and a frozen LLM
adapted by a dynamic prompt pool (or a soft-prompt / LoRA baseline, chosen
in hparams). Trains on the training splits, validates on the dev splits and
tests on every test split, writing ``wer_<split>.txt`` per split.

To run::

    python train.py hparams/listen.yaml --data_folder=/path/to/LibriSpeech

Authors
 * speechbrain-listen contributors 2026
"""

import os
import sys

import speechbrain as sb
from hyperpyyaml import load_hyperpyyaml
from speechbrain.dataio.dataio import merge_csvs
from speechbrain.utils.distributed import run_on_main

from speechbrain_listen.data.audio_loading import load_audio_or_placeholder
from speechbrain_listen.data.pipelines import add_instruction_items, train_loader_options
from speechbrain_listen.training.brain import ListenBrain
from speechbrain_listen.training.config_checks import (
    ConfigError,
    check_hparams,
    librispeech_layout,
    parse_recipe_arguments,
)


def dataio_prepare(hparams):
    """Builds the train, valid and test datasets and their pipelines.

    Returns
    -------
    train_data, valid_data : DynamicItemDataset
    test_datasets : dict
        Test split name -> DynamicItemDataset.
    """
    save = hparams["save_folder"]

    def load(csv_file, sort=None):
        data = sb.dataio.dataset.DynamicItemDataset.from_csv(csv_file)
        return data.filtered_sorted(
            sort_key="duration" if sort else None,
            reverse=sort == "descending",
            key_min_value={"duration": hparams["min_duration"]},
            key_max_value={"duration": hparams["max_duration"]},
        )

    train_data = load(hparams["train_csv"], hparams["sorting"] if hparams["sorting"] != "random" else None)
    valid_data = load(os.path.join(save, hparams["dev_splits"][0] + ".csv"), "ascending")
    test_datasets = {
        split: load(os.path.join(save, split + ".csv"), "ascending") for split in hparams["test_splits"]
    }
    eval_sets = [valid_data] + list(test_datasets.values())

    @sb.utils.data_pipeline.takes("wav")
    @sb.utils.data_pipeline.provides("sig", "audio_ok")
    def audio_pipeline(wav):
        # A file that went bad after preparation becomes silence marked
        # not ok: training skips its batch, evaluation scores it as is.
        sig, ok = load_audio_or_placeholder(wav, hparams["sample_rate"])
        yield sig
        yield ok

    @sb.utils.data_pipeline.takes("wrd")
    @sb.utils.data_pipeline.provides("target")
    def text_pipeline(wrd):
        # LibriSpeech is upper case; the LLM reads and writes ordinary text.
        return wrd.lower()

    datasets = [train_data] + eval_sets
    sb.dataio.dataset.add_dynamic_item(datasets, audio_pipeline)
    sb.dataio.dataset.add_dynamic_item(datasets, text_pipeline)
    add_instruction_items([train_data], eval_sets, hparams["train_instructions"], hparams["test_instruction"])
    sb.dataio.dataset.set_output_keys(datasets, ["id", "sig", "audio_ok", "target", "instruction"])
    return train_data, valid_data, test_datasets


def main(argv):
    """Prepares data, trains, and tests on every test split."""
    try:  # before any model is loaded
        hparams_file, run_opts, overrides = parse_recipe_arguments(argv)
        check_hparams(hparams_file, overrides, data_layout=librispeech_layout)
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

    from librispeech_prepare import prepare_librispeech

    run_on_main(
        prepare_librispeech,
        kwargs={
            "data_folder": hparams["data_folder"],
            "save_folder": hparams["save_folder"],
            "tr_splits": hparams["train_splits"],
            "dev_splits": hparams["dev_splits"],
            "te_splits": hparams["test_splits"],
            "skip_prep": hparams["skip_prep"],
            "on_bad_data": hparams["on_bad_data"],
            "check_audio_content": hparams["check_audio_content"],
        },
    )
    run_on_main(
        merge_csvs,
        kwargs={
            "data_folder": hparams["save_folder"],
            "csv_lst": [split + ".csv" for split in hparams["train_splits"]],
            "merged_csv": os.path.basename(hparams["train_csv"]),
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
        brain.hparams.test_wer_file = os.path.join(hparams["output_folder"], f"wer_{split}.txt")
        brain.evaluate(
            test_data,
            min_key="WER",
            test_loader_kwargs=hparams["test_dataloader_opts"],
        )


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1:])
