"""Data: audio I/O, corpus checks, preparation bookkeeping, pipelines.

* ``audio_loading``: audio files -> 16 kHz mono tensors, errors naming the file.
* ``checks``: per-example checks of audio and text at preparation time.
* ``preparation_records``: the idempotence record every preparer shares.
* ``pipelines``: data-pipeline pieces shared by the recipes.
* ``speaker_trials``: VoxCeleb trial lists.
* ``augmentation``: training-time waveform corruption (generated noise and
  babble, simulated reverberation, telephone, codec, speed) on SpeechBrain's
  ``Augmenter``; ``ListenBrain`` applies it to TRAIN batches only.
"""
