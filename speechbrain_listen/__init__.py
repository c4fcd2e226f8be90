"""speechbrain-listen: LiSTEN dynamic prompt pools for audio LLMs in SpeechBrain.

Modules, one concept each:

* ``prompt_pool``: the dynamic prompt pool (similarity, attention, residual).
* ``soft_prompt``: the soft-prompt baseline.
* ``prompt_selection``: the result type and usage counter they share.
* ``window_qformer``: the window-level Q-Former connector.
* ``audio_encoder``: frozen Whisper (+ BEATs) features.
* ``llm_lobe``: the frozen LLM, chat template, input assembly, decoding.
* ``brain``: the ``sb.Brain`` shared by the recipes.
* ``lr_schedule``, ``parameter_report``, ``trainable_state``,
  ``instructions``, ``text_normalization``, ``audio_loading``: the rest.
"""

__version__ = "0.1.0"
