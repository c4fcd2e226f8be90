"""Training: the Brain and everything that keeps a run going.

* ``brain``: the ``sb.Brain`` shared by every recipe.
* ``checkpointing``: atomic checkpoints and exact resume.
* ``lr_schedule``: warm-up + cosine-to-floor schedule.
* ``config_checks``: start-up checks of hparams, before any model loads.
* ``parameter_report``: trainable parameters per part.
"""
