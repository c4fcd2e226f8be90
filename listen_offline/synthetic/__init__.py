"""Synthetic stand-ins for corpora that cannot be downloaded here.

:mod:`~listen_offline.synthetic.librispeech` writes a LibriSpeech-format
corpus of real English sentences (:mod:`~listen_offline.synthetic.text`)
read by espeak-ng voices, for the LibriSpeech recipes to train and test on;
:mod:`~listen_offline.synthetic.clotho` writes a Clotho-format corpus of
procedural sound scenes (:mod:`~listen_offline.synthetic.sound_scenes`)
with five captions each, for the Clotho recipe::

    python -m listen_offline.synthetic.librispeech data/synthetic
    python -m listen_offline.synthetic.clotho data/synthetic

The main names are importable from this package directly; they are loaded
on first use (PEP 562), so that ``python -m
listen_offline.synthetic.librispeech`` does not import the module twice.

Authors
 * speechbrain-listen contributors 2026
"""

import importlib

_EXPORTS = {
    "generate_clotho": "clotho",
    "plan_clotho": "clotho",
    "SoundEvent": "sound_scenes",
    "SoundScene": "sound_scenes",
    "caption_scene": "sound_scenes",
    "plan_scene": "sound_scenes",
    "render_scene": "sound_scenes",
    "DEFAULT_SPLITS": "librispeech",
    "EspeakVoice": "librispeech",
    "PlannedUtterance": "librispeech",
    "SplitSpec": "librispeech",
    "corpus_info": "librispeech",
    "generate_librispeech": "librispeech",
    "plan_librispeech": "librispeech",
    "Sentence": "text",
    "normalize_transcript": "text",
    "python_docs_sentences": "text",
    "generate_voxceleb": "voxceleb",
    "plan_voxceleb": "voxceleb",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    """Loads an exported name from its submodule on first access."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
    return getattr(module, name)
