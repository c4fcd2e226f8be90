"""speechbrain-listen: LiSTEN dynamic prompt pools for audio LLMs in SpeechBrain.

Modules, one concept each:

* ``prompt_pool``: the dynamic prompt pool (similarity, attention, residual).
* ``soft_prompt``: the soft-prompt baseline.
* ``prompt_selection``: the result type and usage counter they share.
* ``window_qformer``: the window-level Q-Former connector.
* ``audio_encoder``: frozen Whisper (+ BEATs) features.
* ``llm_lobe``: the frozen LLM, chat template, input assembly, decoding.
* ``brain``: the ``sb.Brain`` shared by the recipes.
* ``inference``: the ``Pretrained`` interface (``from_hparams``) for
  transcription, captioning and free instructions; ``chunking``: long audio.
* ``export``: a training run -> a small inference folder; ``cli``: ``listen``.
* ``feature_cache``: frozen encoder features computed once, keyed by encoder.
* ``model_pack``: offline small models from PyPI packages;
  ``synthetic``: corpora in the LibriSpeech layout.
* ``lr_schedule``, ``parameter_report``, ``trainable_state``,
  ``instructions``, ``text_normalization``, ``audio_loading``: the rest.
"""

__version__ = "0.1.0"
