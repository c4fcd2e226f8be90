"""GGUF causal LM -> ordinary Hugging Face folder (float weights, tokenizer).

llama.cpp's GGUF files carry the weights (often quantised, e.g. Q4_1), the
hyper-parameters and the tokenizer (vocabulary, merges, special ids and the
chat template) in one file. transformers reads them with
``from_pretrained(folder, gguf_file=...)`` (it needs the ``gguf`` package and
``accelerate>=1``): it de-quantises every tensor to float and rebuilds the
tokenizer. A model loaded that way is flagged as GGUF-quantised and refuses
``save_pretrained``, and re-reading the GGUF costs seconds at every start, so
the float weights are moved into a plain model of the same configuration and
saved once as a normal folder. Everything downstream (``LLMLobe``, PEFT,
``AutoModelForCausalLM.from_pretrained(folder)``) then needs no GGUF support.

The weights are saved in float32: the de-quantised values are exact in
float32, and a float32 ``config.json`` keeps a plain ``from_pretrained`` on
CPU in float32.

Authors
 * speechbrain-listen contributors 2026
"""

from pathlib import Path

import torch
from speechbrain.utils.logger import get_logger

logger = get_logger(__name__)


def load_gguf_causal_lm(gguf_path):
    """Loads a GGUF file as a float causal LM and its tokenizer.

    Arguments
    ---------
    gguf_path : str or pathlib.Path
        The ``.gguf`` file.

    Returns
    -------
    model : transformers.PreTrainedModel
        De-quantised model, float32, eval mode (still flagged as GGUF).
    tokenizer : transformers.PreTrainedTokenizerBase
        Tokenizer rebuilt from the GGUF metadata, with its chat template.

    Raises
    ------
    ImportError
        If the optional ``gguf`` package (the ``offline`` extra) is missing.
    """
    import importlib.util

    from transformers import AutoModelForCausalLM, AutoTokenizer

    # transformers reads GGUF through the optional ``gguf`` package; say
    # which extra brings it rather than failing deep inside transformers.
    if importlib.util.find_spec("gguf") is None:
        raise ImportError(
            "reading GGUF weights needs the gguf package: pip install 'speechbrain-listen[offline]'"
        )

    gguf_path = Path(gguf_path)
    where = dict(pretrained_model_name_or_path=str(gguf_path.parent), gguf_file=gguf_path.name)
    tokenizer = AutoTokenizer.from_pretrained(**where)
    model = AutoModelForCausalLM.from_pretrained(**where, dtype=torch.float32)
    return model.eval(), tokenizer


def plain_copy(model):
    """The same weights in a model that is not flagged as quantised.

    Arguments
    ---------
    model : transformers.PreTrainedModel
        A model loaded from GGUF.

    Returns
    -------
    transformers.PreTrainedModel
        Same class and configuration minus ``quantization_config``, holding
        the same values (tied weights stay tied).
    """
    from transformers import AutoModelForCausalLM

    config = model.config.__class__.from_dict(model.config.to_dict())
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.float32
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    state = model.state_dict()
    missing, unexpected = plain.load_state_dict(state, strict=False)
    tied = set(getattr(plain, "_tied_weights_keys", None) or {})
    missing = [name for name in missing if name not in tied]
    if missing or unexpected:
        raise RuntimeError(
            f"GGUF weights do not fit {type(plain).__name__}: missing "
            f"{missing[:5]}, unexpected {unexpected[:5]}"
        )
    plain.generation_config = model.generation_config
    return plain.eval()


def convert_gguf_causal_lm(gguf_path, output_dir):
    """Writes a Hugging Face causal LM folder from a GGUF file.

    Arguments
    ---------
    gguf_path : str or pathlib.Path
        The ``.gguf`` file (any architecture transformers reads from GGUF,
        e.g. ``llama``).
    output_dir : str or pathlib.Path
        Folder to write (created): ``config.json``, ``model.safetensors``,
        ``generation_config.json``, the tokenizer files and the chat template.

    Returns
    -------
    pathlib.Path
        ``output_dir``.
    """
    from transformers import AutoTokenizer

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    quantized, tokenizer = load_gguf_causal_lm(gguf_path)
    model = plain_copy(quantized)
    del quantized
    model.save_pretrained(output_dir)
    # The GGUF states the context length; without it the saved tokenizer
    # says "no limit" (1e30) and never warns about over-long inputs.
    tokenizer.model_max_length = model.config.max_position_embeddings
    tokenizer.save_pretrained(output_dir)

    # transformers 5 tokenizers can be silently empty after a round trip:
    # check the reloaded one, not the one in memory.
    reloaded = AutoTokenizer.from_pretrained(output_dir)
    probe = "Hello, world! <|im_end|>"
    if len(reloaded) != len(tokenizer) or reloaded(probe).input_ids != tokenizer(probe).input_ids:
        raise RuntimeError(
            f"the saved tokenizer does not reload: {len(reloaded)} tokens, built with {len(tokenizer)}"
        )
    if tokenizer.chat_template and reloaded.chat_template != tokenizer.chat_template:
        raise RuntimeError("the chat template was lost when saving the tokenizer")
    return output_dir
