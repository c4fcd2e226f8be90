"""Train -> export -> load -> decode, end to end on tiny local models.

One tiny LiSTEN model is trained once per module with the real recipe
(``recipes/LibriSpeech/train.py`` on ``hparams/listen.yaml``, sizes cut
down), exported with ``python -m speechbrain_listen.inference.export``, and loaded
with ``ListenAudioLLM.from_hparams``. The recipe's own test decode writes
each utterance's hypothesis to ``wer_test-clean.txt`` and the prompt choices
to ``wer_test-clean_prompt_usage.json``; file, batch and command-line
inference must reproduce both.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
import torchaudio
from tiny_librispeech import make_tiny_librispeech

from speechbrain_listen.data.audio_loading import AudioError
from speechbrain_listen.inference import cli
from speechbrain_listen.inference.audio_llm import FileResult, ListenAudioLLM, LongAudioError
from speechbrain_listen.inference.chunking import stitch_transcripts
from speechbrain_listen.model.llm_lobe import LLMLobe, duration_length_limits
from speechbrain_listen.scoring.text_normalization import words_for_scoring

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "recipes" / "LibriSpeech"
NUM_PROMPTS = 8
POOL_SIZE = 20
MAX_NEW_TOKENS = 8


def run_ok(cmd, cwd):
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_whisper_dir, tiny_beats_ckpt, tiny_llm_dir):
    """A finished recipe run: output folder and the corpus it used."""
    root = tmp_path_factory.mktemp("listen_inference")
    data = make_tiny_librispeech(
        root / "LibriSpeech",
        splits={"train-clean-100": 4, "dev-clean": 1, "test-clean": 4},
    )
    output = root / "run"
    run_ok(
        [
            sys.executable,
            str(RECIPE / "train.py"),
            str(RECIPE / "hparams" / "listen.yaml"),
            f"--output_folder={output}",
            f"--data_folder={data}",
            f"--whisper_source={tiny_whisper_dir}",
            f"--beats_checkpoint={tiny_beats_ckpt}",
            f"--llm_source={tiny_llm_dir}",
            "--train_splits=[train-clean-100]",
            "--test_splits=[test-clean]",
            "--qformer_hidden_size=32",
            "--qformer_heads=2",
            "--qformer_intermediate_size=64",
            f"--max_new_tokens={MAX_NEW_TOKENS}",
            f"--pool_size={POOL_SIZE}",
            f"--num_prompts={NUM_PROMPTS}",
            "--num_workers=0",
            "--batch_size=2",
            "--number_of_epochs=1",
        ],
        cwd=root,
    )
    return output, data


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    """The run exported through the module's command line."""
    dest = tmp_path_factory.mktemp("exported") / "listen_asr"
    out = run_ok(
        [sys.executable, "-m", "speechbrain_listen.inference.export", str(trained[0]), str(dest)],
        cwd=REPO,
    )
    assert "exported" in out.stdout
    return dest


@pytest.fixture(scope="module")
def model(exported, tmp_path_factory):
    return ListenAudioLLM.from_hparams(source=str(exported), savedir=str(tmp_path_factory.mktemp("savedir")))


@pytest.fixture(scope="module")
def test_files(trained):
    return sorted((trained[1] / "test-clean").rglob("*.flac"))


def brain_hypotheses(wer_file):
    """Utterance id -> hypothesis words, parsed from ErrorRateStats' file."""
    hyps = {}
    for block in Path(wer_file).read_text().split("=" * 80):
        lines = block.strip("\n").splitlines()
        if len(lines) == 4 and re.match(r"^[\w-]+, %WER", lines[0]):
            words = [w.strip() for w in lines[3].split(";")]
            hyps[lines[0].split(",")[0]] = [w for w in words if w and w != "<eps>"]
    return hyps


@pytest.fixture(scope="module")
def brain_hyps(trained, test_files):
    hyps = brain_hypotheses(trained[0] / "wer_test-clean.txt")
    assert sorted(hyps) == sorted(p.stem for p in test_files)
    # Something to compare: the Brain produced words for the test set.
    assert any(hyps.values())
    return hyps


def write_wav(path, data, rate):
    soundfile.write(str(path), np.asarray(data, dtype=np.float32), rate)
    return path


# ------------------------------------------------------------------ export --
def test_export_folder_holds_trained_weights_only(trained, exported, tiny_llm_dir, tiny_whisper_dir):
    files = sorted(p.name for p in exported.iterdir())
    assert files == [
        "README.md",
        "audio_encoder.ckpt",
        "connector.ckpt",
        "export_info.json",
        "hyperparams.yaml",
        "llm.ckpt",
        "prompt_provider.ckpt",
    ]
    info = json.loads((exported / "export_info.json").read_text())
    ckpts = list((trained[0] / "save").glob("CKPT+*"))
    assert info["checkpoint"] == ckpts[0].name  # names only: the folder is portable
    # Frozen models are referenced, not copied: a few hundred kB in all.
    assert sum(info["files"].values()) < 300_000
    assert torch.load(exported / "llm.ckpt", weights_only=True) == {}  # no LoRA
    text = (exported / "hyperparams.yaml").read_text()
    assert tiny_llm_dir in text and tiny_whisper_dir in text
    for training_only in ("data_folder", "Checkpointer", "AdamW", "train_log", "seed_everything"):
        assert training_only not in text
    assert "cache_dir:" in text and "results/" not in text


def test_loaded_weights_are_the_checkpoint(model, trained):
    ckpt = next((trained[0] / "save").glob("CKPT+*"))
    for name in ("audio_encoder", "connector", "prompt_provider"):
        saved = torch.load(ckpt / f"{name}.ckpt", weights_only=True)
        assert saved, name
        state = model.mods[name].state_dict()
        for key, tensor in saved.items():
            assert torch.equal(state[key], tensor), f"{name}.{key}"
    assert not any(p.requires_grad for p in model.mods.parameters())


def test_a_mismatched_checkpoint_does_not_load(exported, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for path in exported.iterdir():
        (bad / path.name).write_bytes(path.read_bytes())
    state = torch.load(bad / "prompt_provider.ckpt", weights_only=True)
    state["keys"] = state["keys"][:-1]  # a pool of another size
    torch.save(state, bad / "prompt_provider.ckpt")
    with pytest.raises(RuntimeError, match="prompt_provider.ckpt"):
        ListenAudioLLM.from_hparams(source=str(bad), savedir=str(tmp_path / "s"))


# ------------------------------------------------- agreement with the Brain --
def test_file_batch_and_files_agree_with_the_brain(model, test_files, brain_hyps):
    singles = {p.stem: model.transcribe_file(p) for p in test_files}
    assert {uid: words_for_scoring(t) for uid, t in singles.items()} == brain_hyps

    audios = [model.load_audio(p) for p in test_files]
    wavs = torch.nn.utils.rnn.pad_sequence(audios, batch_first=True)
    lens = torch.tensor([a.shape[0] for a in audios]) / wavs.shape[1]
    words, tokens = model.transcribe_batch(wavs, lens)
    assert words == [singles[p.stem] for p in test_files]
    assert tokens == [model.answer_tokens(text) for text in words]

    results = model.transcribe_files(test_files, batch_size=3)
    assert [r.text for r in results] == [singles[p.stem] for p in test_files]
    assert all(r.ok and r.duration > 0.9 for r in results)


def test_prompt_choices_agree_with_the_brain(model, trained, test_files):
    usage = json.loads((trained[0] / "wer_test-clean_prompt_usage.json").read_text())
    counts = torch.zeros(POOL_SIZE, dtype=torch.long)
    for path in test_files:
        _, indices = model.transcribe_file(path, return_prompts=True)
        assert indices.shape == (1, NUM_PROMPTS)
        counts += torch.bincount(indices.flatten(), minlength=POOL_SIZE)
    assert usage["inputs"] == len(test_files)
    assert counts.tolist() == usage["counts"]


def test_cli_folder_and_manifest_agree_with_the_brain(model, trained, exported, brain_hyps, tmp_path, capsys):
    out_jsonl = tmp_path / "out.jsonl"
    folder = trained[1] / "test-clean"
    status = cli.main(["transcribe", str(exported), str(folder), "-o", str(out_jsonl), "--prompts"])
    assert status == 0
    rows = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    assert {r["id"]: words_for_scoring(r["text"]) for r in rows} == brain_hyps
    assert all(r["error"] is None and len(r["prompts"]) == 1 for r in rows)
    assert all(len(r["prompts"][0]) == NUM_PROMPTS for r in rows)
    err = capsys.readouterr().err
    assert "100%" in err and "4/4" in err  # the progress bar ran to the end

    # The recipe's own test manifest (SpeechBrain CSV: ID, duration, wav, ...).
    out_csv = tmp_path / "out.csv"
    manifest = trained[0] / "save" / "test-clean.csv"
    assert cli.main(["transcribe", str(exported), str(manifest), "-o", str(out_csv), "-q"]) == 0
    import csv

    with open(out_csv, newline="") as fin:
        rows = list(csv.DictReader(fin))
    # transcribe adds the degeneracy fallback's columns
    assert list(rows[0]) == ["id", "path", "duration", "text", "error", "degenerate", "fallback"]
    assert {r["id"]: words_for_scoring(r["text"]) for r in rows} == brain_hyps


def test_listen_command_prints_the_transcript(model, exported, test_files):
    path = test_files[-1]
    result = run_ok(
        [sys.executable, "-m", "speechbrain_listen.inference.cli", "transcribe", str(exported), str(path)],
        cwd=REPO,
    )
    assert result.stdout.rstrip("\n") == model.transcribe_file(path)


def test_transcribe_batch_returns_words_and_tokens_like_speechbrain_asr(model, test_files):
    """As EncoderDecoderASR: ``words, tokens = transcribe_batch(...)``; with
    two inputs the two transcripts must not unpack as (words, tokens)."""
    audios = [model.load_audio(p) for p in test_files[:2]]
    wavs = torch.nn.utils.rnn.pad_sequence(audios, batch_first=True)
    lens = torch.tensor([a.shape[0] for a in audios]) / wavs.shape[1]
    words, tokens = model.transcribe_batch(wavs, lens)
    assert len(words) == len(tokens) == 2 and all(isinstance(w, str) for w in words)
    assert all(isinstance(t, list) and all(isinstance(i, int) for i in t) for t in tokens)
    decoded = model.llm.tokenizer.batch_decode(tokens, skip_special_tokens=True)
    assert [text.strip() for text in decoded] == words
    captions, caption_tokens = model.caption_batch(wavs, lens)
    assert len(captions) == len(caption_tokens) == 2 and isinstance(caption_tokens[0], list)
    words_again, _, prompts = model.transcribe_batch(wavs, lens, return_prompts=True)
    assert words_again == words and prompts[0].shape == (1, NUM_PROMPTS)
    assert model(wavs, lens)[0] == words  # forward, as SpeechBrain's interfaces


def test_listen_transcribe_applies_the_exports_per_second_limit(
    model, exported, test_files, tmp_path, monkeypatch, capsys
):
    """``listen transcribe`` decodes with the model's DecodingOptions for
    transcripts: the export's max_new_tokens_per_second reaches the LLM, as
    in ``transcribe_file``; ``--max-new-tokens-per-second`` overrides it and
    other subcommands get no per-second limit."""
    limited = tmp_path / "limited"
    limited.mkdir()
    for path in exported.iterdir():
        (limited / path.name).write_bytes(path.read_bytes())
    yaml = (limited / "hyperparams.yaml").read_text()
    # listen.yaml has no per-second limit: give the export one.
    yaml = re.sub(r"(?m)^max_new_tokens_per_second:.*\n", "", yaml).rstrip("\n") + "\n"
    (limited / "hyperparams.yaml").write_text(yaml + "max_new_tokens_per_second: 3\n")
    limits = []
    original = LLMLobe.generate

    def spy(self, inputs, num_beams=4, max_new_tokens=150, example_limits=None, **kwargs):
        limits.append(example_limits)
        return original(self, inputs, num_beams, max_new_tokens, example_limits, **kwargs)

    monkeypatch.setattr(LLMLobe, "generate", spy)
    path = test_files[0]
    seconds = [model.load_audio(path).shape[0] / 16000]
    assert cli.main(["transcribe", str(limited), str(path), "-q"]) == 0
    assert limits == [duration_length_limits(seconds, 3)]
    limits.clear()
    assert cli.main(["transcribe", str(limited), str(path), "-q", "--max-new-tokens-per-second", "1.5"]) == 0
    assert limits == [duration_length_limits(seconds, 1.5)]
    limits.clear()
    # The underscore spelling of the python -m tools is accepted too.
    assert cli.main(["transcribe", str(limited), str(path), "-q", "--max_new_tokens_per_second=1.5"]) == 0
    assert limits == [duration_length_limits(seconds, 1.5)]
    limits.clear()
    assert cli.main(["caption", str(limited), str(path), "-q"]) == 0
    assert limits == [None]
    capsys.readouterr()


# ---------------------------------------------------------- per-call options --
def test_per_call_prompts_beams_and_length(model, test_files, monkeypatch):
    path = test_files[0]
    _, eight = model.transcribe_file(path, return_prompts=True)
    _, three = model.transcribe_file(path, num_prompts=3, return_prompts=True)
    # Similarity selection ranks the pool: the top 3 are the first 3 of the top 8.
    assert three.shape == (1, 3) and three.tolist()[0] == eight.tolist()[0][:3]
    with pytest.raises(ValueError, match="pool"):
        model.transcribe_file(path, num_prompts=POOL_SIZE + 1)

    seen, new_tokens = [], []
    hf_generate = model.llm.model.generate

    def count_tokens(*args, **kwargs):
        out = hf_generate(*args, **kwargs)
        new_tokens.append(out.shape[1])  # inputs_embeds only: new tokens only
        return out

    monkeypatch.setattr(model.llm.model, "generate", count_tokens)
    model.transcribe_file(path, max_new_tokens=1, num_beams=1)
    model.transcribe_file(path, max_new_tokens=5, num_beams=1)
    assert new_tokens[0] == 1 and new_tokens[1] <= 5  # (it may stop early at end of turn)

    original = model.llm.generate

    def spy(inputs, num_beams, max_new_tokens, example_limits):
        # listen.yaml sets no per-duration limit: none is applied.
        assert example_limits is None
        seen.append((num_beams, max_new_tokens, inputs.embeds.shape[1]))
        return original(inputs, num_beams=num_beams, max_new_tokens=max_new_tokens)

    monkeypatch.setattr(model.llm, "generate", spy)
    model.transcribe_file(path)
    model.transcribe_file(path, num_beams=2, max_new_tokens=3, num_prompts=2)
    # Defaults are the recipe's test decoding; N changes the LLM input length.
    assert seen[0][:2] == (4, MAX_NEW_TOKENS) and seen[1][:2] == (2, 3)
    assert seen[0][2] - seen[1][2] == NUM_PROMPTS - 2


def test_caption_and_ask_use_their_instructions(model, test_files, exported, instruction_spy):
    instructions = instruction_spy(model)
    caption = model.caption_file(test_files[0])
    answer = model.ask_file(test_files[0], "Is the speaker angry?")
    assert instructions == ["Please describe the audio.", "Is the speaker angry?"]
    assert isinstance(caption, str) and isinstance(answer, str)
    wav = model.load_audio(test_files[0])
    assert model.generate(wav, None, "Is the speaker angry?") == [answer]
    assert cli.main(["ask", str(exported), str(test_files[0])]) == 2  # no instruction


# ------------------------------------------------------------------- audio --
def test_8khz_stereo_is_resampled_and_downmixed(model, test_files, tmp_path):
    mono = torch.from_numpy(soundfile.read(str(test_files[0]), dtype="float32")[0])
    left = torchaudio.functional.resample(mono, 16000, 8000)
    right = 0.5 * left.roll(400)
    path = write_wav(tmp_path / "stereo8k.wav", torch.stack([left, right], 1).numpy(), 8000)

    loaded = model.load_audio(path)
    expected = torchaudio.functional.resample((left + right) / 2, 8000, 16000)
    assert loaded.shape == expected.shape and abs(loaded.shape[0] - mono.shape[0]) <= 2
    assert torch.allclose(loaded, expected, atol=1e-4)  # 16-bit file, not exact
    assert [model.transcribe_file(path)] == model.transcribe_batch(loaded)[0]


def test_70_second_file_is_chunked_and_stitched(model, test_files, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    pieces = [soundfile.read(str(p), dtype="float32")[0] for p in test_files]
    audio = np.concatenate(pieces * 20)[: 70 * 16000]
    audio = audio + 0.01 * rng.standard_normal(audio.shape[0]).astype(np.float32)
    assert audio.shape[0] == 70 * 16000
    path = write_wav(tmp_path / "long.wav", audio, 16000)

    chunks = []
    original = model.decode_batch

    def spy(segments, instructions, **options):
        texts, indices = original(segments, instructions, **options)
        chunks.extend(zip([s.shape[0] for s in segments], texts))
        return texts, indices

    monkeypatch.setattr(model, "decode_batch", spy)
    text, indices = model.transcribe_file(path, return_prompts=True, batch_size=1)
    # Three 30 s windows overlapping by 5 s: 0-30, 25-55, 50-70 (decoded
    # longest first), every sample heard, nothing cut at 30 s.
    assert [n for n, _ in chunks] == [30 * 16000, 30 * 16000, 20 * 16000]
    assert indices.shape == (3, NUM_PROMPTS)
    spans = [(0, 30 * 16000), (25 * 16000, 55 * 16000), (50 * 16000, 70 * 16000)]
    chunk_texts = [t for _, t in chunks]
    assert text == stitch_transcripts(chunk_texts, spans)
    assert text.split() and len(text.split()) >= len(chunk_texts[0].split())

    # Captioning cannot stitch: a clear error, or one answer per chunk.
    with pytest.raises(LongAudioError, match=r"long\.wav is 70\.0 s"):
        model.caption_file(path)
    chunks.clear()
    joined = model.caption_file(path, long_audio="join")
    assert joined.split("\n") == [t for _, t in chunks]  # one answer per chunk, in time order


def test_stitching_recovers_every_word_of_a_long_recording(model, monkeypatch):
    """With a decoder that reads its input exactly, chunk + stitch loses and
    repeats nothing: second k of the audio 'says' the word wk."""
    seconds = 95
    audio = torch.arange(seconds).repeat_interleave(16000).float() / 1000 + 0.001

    def oracle(segments, instructions, **options):
        texts = []
        for segment in segments:
            words = torch.unique_consecutive(torch.round((segment - 0.001) * 1000)).long()
            texts.append(" ".join(f"w{k}" for k in words.tolist()))
        return texts, torch.zeros(len(segments), 1, dtype=torch.long)

    monkeypatch.setattr(model, "decode_batch", oracle)
    assert model.transcribe_batch(audio)[0] == [" ".join(f"w{k}" for k in range(seconds))]
    with pytest.raises(LongAudioError, match="input 0 is 95.0 s"):
        model.generate(audio, None, "Describe.")


def test_bad_files_fail_alone_with_their_names(model, test_files, exported, tmp_path, capsys):
    empty = write_wav(tmp_path / "empty.wav", np.zeros(0), 16000)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(16000), 16000)
    text_file = tmp_path / "notes.wav"
    text_file.write_text("this is a text file, not audio\n")
    corrupt = tmp_path / "corrupt.flac"
    corrupt.write_bytes(test_files[0].read_bytes()[:200])
    missing = tmp_path / "missing.wav"
    for path, reason in [
        (empty, "empty"),
        (silent, "silent"),
        (text_file, "cannot read"),
        (corrupt, ""),
        (missing, "not found"),
    ]:
        with pytest.raises(AudioError, match=re.escape(str(path))) as info:
            model.transcribe_file(path)
        assert reason in str(info.value)

    good = [str(p) for p in test_files[:2]]
    paths = [good[0], str(empty), str(text_file), good[1], str(silent)]
    results = model.transcribe_files(paths)
    assert [r.ok for r in results] == [True, False, False, True, False]
    assert [r.text for r in results if r.ok] == [model.transcribe_file(p) for p in good]
    for result in results:
        assert isinstance(result, FileResult)
        assert result.ok or result.path in result.error

    out = tmp_path / "out.jsonl"
    assert cli.main(["transcribe", str(exported), *paths, "-o", str(out)]) == 1
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["error"] is None for r in rows] == [True, False, False, True, False]
    assert [r["text"] for r in rows] == [r.text for r in results]
    err = capsys.readouterr().err
    assert str(text_file) in err and str(empty) in err


# ------------------------------------------------------------ degeneracy --
CHAT_REPLY = "I'm sorry, but I'm not able to assist you with your speech."


@pytest.fixture
def chatty_llm(monkeypatch):
    """Every LLM (also those the command line loads) answers beam search with
    a chat reply and the fallback decode with ``state["fallback"]``."""
    state = {"fallback": "the birch canoe", "calls": []}

    def generate(self, inputs, num_beams=4, max_new_tokens=150, example_limits=None, **kwargs):
        state["calls"].append((inputs.embeds.shape[0], num_beams, kwargs))
        answer = state["fallback"] if kwargs else CHAT_REPLY
        return [answer] * inputs.embeds.shape[0]

    monkeypatch.setattr(LLMLobe, "generate", generate)
    return state


def test_the_brain_summary_counts_degenerate_transcripts(trained):
    summary = json.loads((trained[0] / "wer_test-clean_summary.json").read_text())
    assert summary["fallback decodes"] == summary["degenerate transcripts"] >= summary["emptied"] >= 0
    assert "degenerate transcripts" in (trained[0] / "train_log.txt").read_text()


def test_transcripts_fall_back_and_are_counted(model, test_files, chatty_llm):
    before = model.degeneracy_counts.stats()
    results = model.transcribe_files(test_files[:2], batch_size=1)
    assert [r.text for r in results] == ["the birch canoe"] * 2
    assert all(r.degenerate == ("chat",) and r.fallback == "decoded" for r in results)
    # One beam-search decode and one constrained greedy decode per file.
    assert [(n, beams, bool(kw)) for n, beams, kw in chatty_llm["calls"]] == [
        (1, 4, False),
        (1, 4, False),
    ] + [(1, 1, True)] * 2
    assert chatty_llm["calls"][-1][2]["no_repeat_ngram_size"] == 3

    chatty_llm["fallback"] = "You are a helpful AI assistant for solving speech related tasks."
    assert model.transcribe_file(test_files[0]) == ""
    [result] = model.transcribe_files(test_files[:1])
    assert result.text == "" and result.fallback == "emptied" and result.ok
    after = model.degeneracy_counts.stats()
    assert {k: after[k] - before[k] for k in after} == {
        "degenerate transcripts": 4,
        "fallback decodes": 4,
        "emptied": 2,
    }

    # Off on request, and never for other instructions.
    assert model.transcribe_file(test_files[0], degeneracy_fallback=False) == CHAT_REPLY
    [caption] = model.caption_files(test_files[:1])
    assert caption.text == CHAT_REPLY and caption.fallback is None and caption.degenerate == ()


def test_cli_transcribe_writes_the_fallback_columns(exported, test_files, chatty_llm, tmp_path, capsys):
    out_csv = tmp_path / "out.csv"
    assert (
        cli.main(["transcribe", str(exported), str(test_files[0]), str(test_files[1]), "-o", str(out_csv)])
        == 0
    )
    import csv

    with open(out_csv, newline="") as fin:
        rows = list(csv.DictReader(fin))
    assert [(r["text"], r["degenerate"], r["fallback"]) for r in rows] == [
        ("the birch canoe", "chat", "decoded")
    ] * 2
    assert "degenerate transcripts: 2, fallback decodes: 2, emptied: 0" in capsys.readouterr().err

    assert cli.main(["transcribe", str(exported), str(test_files[0]), "--no-degeneracy-fallback"]) == 0
    assert capsys.readouterr().out.strip() == CHAT_REPLY
    out_jsonl = tmp_path / "ask.jsonl"
    assert (
        cli.main(["ask", str(exported), str(test_files[0]), "--instruction", "Hi?", "-o", str(out_jsonl)])
        == 0
    )
    [row] = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    assert row["text"] == CHAT_REPLY and "fallback" not in row
