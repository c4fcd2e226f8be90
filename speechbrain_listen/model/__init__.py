"""The audio LLM around the prompts: encoders, connector, LLM.

* ``audio_encoder``: frozen Whisper (+ BEATs) features, LayerNorms, lengths.
* ``feature_cache``: frozen encoder features computed once per clip.
* ``window_qformer``: the window-level Q-Former connector (audio tokens).
* ``llm_lobe``: the frozen LLM: chat template, input assembly, decoding.
* ``audio_prompting``: waveforms -> prompt-ready LLM sequences (one pass).
* ``token_alignment``: the optional CTC tying audio tokens to spoken words.
* ``trainable_state``: checkpoints that hold trainable parameters only.
"""
