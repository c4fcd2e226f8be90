"""speechbrain-listen: LiSTEN dynamic prompt pools for audio LLMs in SpeechBrain.

Subpackages, in the order audio flows through them:

* ``data``: audio I/O, corpus checks, preparation bookkeeping, pipelines.
* ``tasks``: instructions, the multitask manifest and task sampling.
* ``model``: frozen encoders, the window Q-Former connector, the frozen LLM.
* ``prompts``: the prompt providers (dynamic prompt pool, soft prompt) and
  the adaptation switch (prompt pool, soft prompt or LoRA).
* ``training``: the ``Brain``, checkpointing, schedule, start-up checks.
* ``scoring``: the metrics of every task.
* ``inference``: ``ListenAudioLLM`` (``from_hparams``), export, ``listen``.
* ``analysis``: prompt-selection analysis, results tables, learning curves.
"""

__version__ = "0.1.0"
