"""Inference: exported models, the ``listen`` command, long audio.

* ``audio_llm``: ``ListenAudioLLM``, the SpeechBrain ``Pretrained`` interface.
* ``export``: a training run -> a small inference folder.
* ``chunking``: long audio in overlapping chunks.
* ``cli``: the ``listen`` command.

Example
-------
>>> from speechbrain_listen.inference import ListenAudioLLM
>>> ListenAudioLLM.__name__
'ListenAudioLLM'
"""

from speechbrain_listen.inference.audio_llm import ListenAudioLLM

__all__ = ["ListenAudioLLM"]
