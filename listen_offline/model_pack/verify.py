"""Checks that a converted model folder actually works, run when it is built.

A conversion can produce a folder that loads and still computes nonsense (a
transposed or swapped projection, a wrong token id). Each check therefore
runs the model end to end on something with a known answer:

* **Whisper**: a sentence is spoken by ``espeak-ng`` (resampled to 16 kHz by
  ``sox``), transcribed through ``model.generate`` with the folder's own
  processor and generation config, and scored by WER against the sentence;
  the folder must also load in SpeechBrain's ``Whisper`` wrapper (encoder
  only, frozen), whose encoder output must match the Hugging Face model's.
* **Causal LM**: a short chat prompt through the folder's own chat template
  and ``generate`` must produce a non-empty answer containing a keyword.
* **Sentence encoder** (MiniLM): mean-pooled embeddings must put a
  paraphrase closer than an unrelated sentence.

Each returns a JSON-able dict with ``passed`` and the evidence (transcript,
WER, answer), which the build writes into the folder's marker.

Authors
 * speechbrain-listen contributors 2026
"""

import collections
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch
from speechbrain.utils.logger import get_logger

logger = get_logger(__name__)

SPEECH_SENTENCE = "Please call Stella and ask her to bring these things with her from the store."
MAX_WER = 0.5  # "shares most words" with the sentence
CHAT_PROMPT = "What is the capital of France? Answer in one short sentence."
CHAT_KEYWORD = "paris"
SAMPLE_RATE = 16000
APT_COMMAND = "apt-get update && apt-get install -y espeak-ng sox"


class ToolMissingError(RuntimeError):
    """A command-line program that a check needs is not installed."""


def synthesize_speech(text, wav_path, voice="en-us", words_per_minute=150):
    """Speaks ``text`` with espeak-ng into a 16 kHz mono 16-bit WAV file.

    Arguments
    ---------
    text : str
        What to say.
    wav_path : str or pathlib.Path
        Output file.
    voice : str
        espeak-ng voice, e.g. ``en-us``, ``en-gb+m3``.
    words_per_minute : int
        Speaking rate.

    Returns
    -------
    pathlib.Path
        ``wav_path``.
    """
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise ToolMissingError(f"'{tool}' is not installed; install it with: {APT_COMMAND}")
    wav_path = Path(wav_path)
    raw = wav_path.with_suffix(".espeak.wav")
    # espeak-ng writes 22.05 kHz; Whisper's features assume 16 kHz.
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(raw), text],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(wav_path)],
        check=True,
        capture_output=True,
    )
    raw.unlink()
    return wav_path


def word_error_rate(reference, hypothesis):
    """WER (a fraction) after the project's scoring normalisation.

    Arguments
    ---------
    reference : str
    hypothesis : str

    Returns
    -------
    float

    Example
    -------
    >>> round(word_error_rate("Hello, big world.", "hello world"), 4)
    0.3333
    """
    from speechbrain.utils.edit_distance import accumulatable_wer_stats

    from speechbrain_listen.scoring.text_normalization import words_for_scoring

    stats = accumulatable_wer_stats(
        [words_for_scoring(reference)], [words_for_scoring(hypothesis)], collections.Counter()
    )
    return stats["WER"] / 100.0


def transcribe(folder, waveform):
    """Greedy transcription with a Whisper folder's own processor and config.

    Arguments
    ---------
    folder : str or pathlib.Path
        Hugging Face Whisper folder.
    waveform : numpy.ndarray
        16 kHz mono samples.

    Returns
    -------
    text : str
    model : transformers.WhisperForConditionalGeneration
    features : torch.Tensor
        ``[1, mels, 3000]`` log-mel input the model saw.
    """
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    processor = WhisperProcessor.from_pretrained(folder)
    model = WhisperForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
    features = processor(waveform, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
    with torch.no_grad():
        tokens = model.generate(features, num_beams=1, do_sample=False)
    text = processor.batch_decode(tokens, skip_special_tokens=True)[0].strip()
    return text, model, features


def check_speechbrain_whisper(folder, model, features, waveform):
    """Loads the folder in SpeechBrain's Whisper wrapper and compares encoders.

    The wrapper computes its own log-mel features (in torch, not numpy), so
    the comparison uses a tolerance rather than equality.

    Returns
    -------
    dict
        ``loaded``, ``frames``, ``cosine`` (mean cosine similarity of the
        encoder frames) and ``passed``.
    """
    from speechbrain.integrations.huggingface.whisper import Whisper

    with tempfile.TemporaryDirectory() as save_path:
        wrapper = Whisper(source=str(folder), save_path=save_path, encoder_only=True, freeze=True)
        wrapper.eval()
        with torch.no_grad():
            ours = wrapper(torch.as_tensor(waveform, dtype=torch.float32).unsqueeze(0))
            reference = model.model.encoder(features).last_hidden_state
    cosine = torch.nn.functional.cosine_similarity(ours, reference, dim=-1).mean().item()
    return {
        "loaded": True,
        "frames": int(ours.shape[1]),
        "cosine": round(cosine, 5),
        "passed": ours.shape == reference.shape and cosine > 0.99,
    }


def verify_whisper(folder, sentence=SPEECH_SENTENCE, max_wer=MAX_WER):
    """Transcribes an espeak-ng sentence and loads SpeechBrain's wrapper.

    Arguments
    ---------
    folder : str or pathlib.Path
        Hugging Face Whisper folder.
    sentence : str
        What espeak-ng says.
    max_wer : float
        Highest WER that passes.

    Returns
    -------
    dict
        ``sentence``, ``transcript``, ``wer``, ``speechbrain_wrapper`` and
        ``passed``.
    """
    import soundfile

    with tempfile.TemporaryDirectory() as tmp:
        wav = synthesize_speech(sentence, Path(tmp) / "sentence.wav")
        waveform, rate = soundfile.read(str(wav), dtype="float32")
    if rate != SAMPLE_RATE:
        raise RuntimeError(f"sox wrote {rate} Hz instead of {SAMPLE_RATE} Hz")
    transcript, model, features = transcribe(folder, waveform)
    wer = word_error_rate(sentence, transcript)
    wrapper = check_speechbrain_whisper(folder, model, features, waveform)
    return {
        "sentence": sentence,
        "transcript": transcript,
        "wer": round(wer, 4),
        "max_wer": max_wer,
        "speechbrain_wrapper": wrapper,
        "passed": wer <= max_wer and wrapper["passed"],
    }


def chat(folder, prompt, max_new_tokens=32):
    """Greedy answer of a causal LM folder to one user turn, via its template.

    Arguments
    ---------
    folder : str or pathlib.Path
        Hugging Face causal LM folder with a chat template.
    prompt : str
        The user's message.
    max_new_tokens : int
        Length limit of the answer.

    Returns
    -------
    str
        The decoded answer, special tokens removed.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    with torch.no_grad():
        output = model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
        )
    answer = output[0, inputs["input_ids"].shape[1] :]
    return tokenizer.decode(answer, skip_special_tokens=True).strip()


def verify_causal_lm(folder, prompt=CHAT_PROMPT, keyword=CHAT_KEYWORD):
    """Asks the LLM a question whose answer has a known keyword.

    Arguments
    ---------
    folder : str or pathlib.Path
        Hugging Face causal LM folder.
    prompt : str
        The question.
    keyword : str or None
        Must appear (case-insensitive) in the answer; None: any non-empty
        answer passes.

    Returns
    -------
    dict
        ``prompt``, ``answer`` and ``passed``.
    """
    answer = chat(folder, prompt)
    passed = bool(answer) and (keyword is None or keyword in answer.lower())
    return {"prompt": prompt, "answer": answer, "keyword": keyword, "passed": passed}


def verify_sentence_encoder(folder):
    """Mean-pooled embeddings rank a paraphrase above an unrelated sentence.

    Arguments
    ---------
    folder : str or pathlib.Path
        Hugging Face encoder folder (BERT-like) with a tokenizer.

    Returns
    -------
    dict
        The two cosine similarities, ``hidden_size`` and ``passed``.
    """
    from transformers import AutoModel, AutoTokenizer

    sentences = [
        "A man is playing a guitar.",
        "Someone is playing an instrument.",
        "The stock market fell sharply today.",
    ]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder, dtype=torch.float32).eval()
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    related = torch.cosine_similarity(pooled[0], pooled[1], dim=0).item()
    unrelated = torch.cosine_similarity(pooled[0], pooled[2], dim=0).item()
    return {
        "related_cosine": round(related, 4),
        "unrelated_cosine": round(unrelated, 4),
        "hidden_size": int(hidden.shape[-1]),
        "passed": related > unrelated + 0.1,
    }
