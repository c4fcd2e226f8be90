"""Training: the Brain and everything that keeps a run going.

* ``brain``: the ``sb.Brain`` shared by every recipe.
* ``bad_batches``: unreadable or non-finite training batches, skipped and counted.
* ``checkpointing``: atomic checkpoints and exact resume.
* ``prompt_choices``: the prompts a test run chose, per example and per prompt.
* ``lr_schedule``: warm-up + cosine-to-floor schedule.
* ``config_checks``: start-up checks of hparams, before any model loads.
* ``hparams_tree``: a recipe's hparams read as a YAML tree, nothing instantiated.
* ``parameter_report``: trainable parameters per part.
"""
