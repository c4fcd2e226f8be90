"""End-to-end: the multitask recipe's whole comparison grid on tiny models.

``tools/run_grid.py`` trains and tests every method of the
paper's grid (``speechbrain_listen.prompts.adaptation.GRID``) with the recipe's own
offline hparams file, tiny random models and a tiny ASR + captioning +
speaker-verification world in the real corpus layouts; the prompt-count
sweep runs on a deterministic and a stochastic pool; the selection analysis
reads the test's prompt choices. Each run is one epoch: the point is that
every strategy trains, tests every task and writes what the README's tables
and plots are made from.
"""

import csv
import json
import pathlib
import subprocess
import sys

import numpy
import pytest
import soundfile
from tiny_librispeech import make_tiny_librispeech

from listen_offline.synthetic.clotho import generate_clotho
from speechbrain_listen.prompts.adaptation import GRID

ROOT = pathlib.Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "Multitask"
SMALL_YAML = RECIPE / "hparams" / "listen_small.yaml"
POOL, N = 12, 4
TASKS = {"asr", "captioning", "sv"}
EVAL_EXAMPLES = 2  # per task


def make_tiny_voxceleb(root, speakers=6, videos=2, utterances=2, seed=0):
    """VoxCeleb1's layout (wav/<speaker>/<video>/<utt>.wav + veri_test2.txt)
    with tones; the last two speakers are the test speakers."""
    rng = numpy.random.default_rng(seed)
    root = pathlib.Path(root)
    files = {}
    for s in range(speakers):
        speaker = f"id{10001 + s}"
        for v in range(videos):
            for u in range(utterances):
                path = root / "wav" / speaker / f"video{v:07d}" / f"{u + 1:05d}.wav"
                path.parent.mkdir(parents=True, exist_ok=True)
                seconds = rng.uniform(0.6, 1.0)
                t = numpy.arange(int(16000 * seconds)) / 16000
                soundfile.write(path, 0.1 * numpy.sin(2 * numpy.pi * (200 + 50 * s) * t), 16000)
                files.setdefault(speaker, []).append(path.relative_to(root / "wav").as_posix())
    test_a, test_b = sorted(files)[-2:]
    trials = [
        (1, files[test_a][0], files[test_a][-1]),
        (0, files[test_a][1], files[test_b][0]),
        (1, files[test_b][0], files[test_b][-1]),
        (0, files[test_b][1], files[test_a][2]),
    ]
    (root / "veri_test2.txt").write_text("".join(f"{label} {a} {b}\n" for label, a, b in trials))
    return root


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("multitask_world")
    librispeech = make_tiny_librispeech(
        root / "LibriSpeech", {"train-clean-100": 6, "dev-clean": 2, "test-clean": 2}
    )
    clotho = generate_clotho(
        root,
        seed=1,
        sizes={"development": 4, "validation": 2, "evaluation": 2},
        min_seconds=2.0,
        max_seconds=2.5,
        with_voices=False,
    )
    voxceleb = make_tiny_voxceleb(root / "VoxCeleb1")
    return {"librispeech": librispeech, "clotho": clotho, "voxceleb": voxceleb}


@pytest.fixture(scope="module")
def grid(tiny_world, tiny_whisper_dir, tiny_llm_dir, tmp_path_factory):
    """Runs the whole grid once for the module; returns its folder."""
    folder = tmp_path_factory.mktemp("grid")
    overrides = [
        f"--librispeech_folder={tiny_world['librispeech']}",
        f"--clotho_folder={tiny_world['clotho']}",
        f"--voxceleb_folder={tiny_world['voxceleb']}",
        f"--whisper_source={tiny_whisper_dir}",
        f"--llm_source={tiny_llm_dir}",
        f"--feature_cache_dir={folder / 'cache'}",
        "--whisper_seconds=3",
        "--qformer_hidden_size=32",
        "--qformer_heads=2",
        "--qformer_intermediate_size=64",
        f"--pool_size={POOL}",
        f"--num_prompts={N}",
        "--max_new_tokens=4",
        "--number_of_epochs=1",
        "--batch_size=4",
        "--test_batch_size=4",
        f"--valid_examples_per_task={EVAL_EXAMPLES}",
        f"--test_examples_per_task={EVAL_EXAMPLES}",
        "--voxceleb_options={train_pairs: 4, valid_pairs: 2, max_test_pairs: 2, max_pair_seconds: 3}",
        "--captioning_test_metrics=[BLEU, ROUGE_L, CIDEr-D]",  # no Java needed
        "--precision=fp32",
        "--valid_search_interval=1",
    ]
    command = [
        sys.executable,
        str(ROOT / "tools" / "run_grid.py"),
        str(SMALL_YAML),
        f"--grid_folder={folder}",
        "--sweep",
        "dps_similarity",
        "dps_similarity_stochastic",
        f"--keep_results={folder / 'kept'}",
        *overrides,
    ]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return folder


def read_json(path):
    return json.loads(pathlib.Path(path).read_text())


@pytest.mark.parametrize("run", list(GRID))
def test_every_grid_run_scores_every_task(grid, run):
    test = grid / run / "test"
    summary = read_json(test / "summary.json")["tasks"]
    assert TASKS <= set(summary)
    assert 0 <= summary["asr"]["WER"] and 0 <= summary["sv"]["accuracy"] <= 100
    assert "CIDEr-D" in summary["captioning"]
    assert (test / "asr_wer.txt").exists()
    assert (test / "captioning_captions.csv").exists()
    assert (test / "sv_predictions.csv").exists()
    # The log has one line per epoch with every task's validation metrics.
    log = (grid / run / "train_log.txt").read_text()
    assert "epoch: 1" in log and "asr WER" in log and "sv accuracy" in log


@pytest.mark.parametrize("run", list(GRID))
def test_prompt_choices_and_checkpoint_follow_the_method(grid, run):
    choices_file = grid / run / "test_prompt_choices.json"
    checkpoints = list((grid / run / "save").glob("CKPT+*"))
    assert len(checkpoints) == 1
    saved = {p.name for p in checkpoints[0].iterdir()}
    if GRID[run]["adaptation"] == "lora":
        assert not choices_file.exists()
        assert "prompt_provider.ckpt" not in saved
        return
    assert "prompt_provider.ckpt" in saved
    choices = read_json(choices_file)
    assert choices["num_prompts"] == N
    assert len(choices["choices"]) == EVAL_EXAMPLES * len(TASKS)
    assert {c["task"] for c in choices["choices"]} == TASKS
    for choice in choices["choices"]:
        assert len(choice["indices"]) == N
        if GRID[run]["adaptation"] == "soft_prompt":
            assert choice["indices"] == list(range(N))  # a prefix of the soft prompt
        else:
            assert len(set(choice["indices"])) == N or GRID[run]["selection_strategy"] == "residual"
            assert all(0 <= i < POOL for i in choice["indices"])


def test_grid_table_has_one_row_per_run(grid):
    table = (grid / "grid.md").read_text().splitlines()
    assert table[0].startswith("| run | ASR WER % | SV acc % |")
    assert [line.split(" | ")[0].lstrip("| ") for line in table[2:]] == list(GRID)
    assert set(read_json(grid / "grid.json")) == set(GRID)


@pytest.mark.parametrize("run", ["dps_similarity", "dps_similarity_stochastic"])
def test_prompt_count_sweep(grid, run):
    sweep = grid / run / "prompt_count_sweep"
    results = read_json(sweep / "prompt_count_sweep.json")
    counts = [int(n) for n in results["results"]]
    assert counts == [1, 2, 3, 4, 5, 9, 12]  # the paper's N scaled from M = 400 to 12, and N = 4
    table = (sweep / "prompt_count_sweep.md").read_text()
    assert "| N = 4 (default) |" in table and "| N = 1 |" in table
    for count in counts:
        assert TASKS <= set(read_json(sweep / f"N{count}" / "summary.json")["tasks"])
        chosen = read_json(sweep / f"N{count}_prompt_choices.json")["choices"]
        assert {len(c["indices"]) for c in chosen} == {count}


def test_kept_results_complete_a_grid_without_its_checkpoints(grid, tmp_path):
    kept = grid / "kept"
    for run in GRID:
        assert (kept / run / "test" / "summary.json").exists()
        assert not (kept / run / "save").exists()  # results only, never checkpoints
    assert (kept / "dps_similarity" / "prompt_count_sweep" / "prompt_count_sweep.json").exists()
    # A fresh machine: no run folders, only the kept results. Nothing is
    # trained again (the tiny models are not even given) and the table is whole.
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "run_grid.py"),
            str(SMALL_YAML),
            f"--grid_folder={tmp_path}",
            f"--keep_results={kept}",
            "--sweep",
            "dps_similarity",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "train.py" not in result.stdout
    assert (tmp_path / "grid.md").read_text() == (grid / "grid.md").read_text()


def test_compare_sweeps_of_the_grid(grid, tmp_path):
    sweeps = [
        grid / run / "prompt_count_sweep" / "prompt_count_sweep.json"
        for run in ("dps_similarity", "dps_similarity_stochastic")
    ]
    assert read_json(sweeps[0])["trained_num_prompts"] == N
    output = tmp_path / "comparison"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "compare_sweeps.py"), *map(str, sweeps), f"--output={output}"],
        check=True,
        cwd=ROOT,
    )
    comparison = read_json(output.with_suffix(".json"))
    assert comparison["reference_n"] == N
    assert set(comparison["divergence"]) >= {"ASR WER %", "SV acc %"}
    table = output.with_suffix(".md").read_text()
    assert "| inference N | ASR WER % (deterministic) | ASR WER % (stochastic) |" in table
    assert f"| N = {N} (default) |" in table


def test_selection_analysis_of_a_grid_run(grid, tmp_path):
    from speechbrain_listen.analysis.selection_analysis import write_analysis

    analysis = write_analysis(
        [grid / "dps_similarity_stochastic" / "test_prompt_choices.json"], tmp_path, n=N
    )
    assert set(json.loads((tmp_path / "selection_analysis.json").read_text())) == set(analysis)
    for plot in ("usage_heatmap.png", "usage_histograms.png", "jaccard.png"):
        assert (tmp_path / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def exported_model(grid, tmp_path_factory):
    """The ``dps_similarity`` grid run exported (best valid loss)."""
    from speechbrain_listen.inference.export import export_model

    dest = tmp_path_factory.mktemp("exported") / "model"
    export_model(grid / "dps_similarity", dest, min_key="loss", base_dir=grid)
    return dest


def read_sv_predictions(grid):
    """The recipe test's speaker-verification rows of ``dps_similarity``."""
    with open(grid / "dps_similarity" / "test" / "sv_predictions.csv", newline="") as fin:
        rows = list(csv.DictReader(fin))
    assert len(rows) == EVAL_EXAMPLES
    return rows


def test_exported_multitask_model_answers_like_its_test(
    grid, exported_model, tiny_world, tmp_path, instruction_spy
):
    """A grid run exported and loaded with ``ListenAudioLLM``: speaker
    verification of the test pairs gives the recipe test's answers, and
    each task's helper uses the recipe's test instruction."""
    from speechbrain_listen.data.audio_loading import AudioError
    from speechbrain_listen.inference.audio_llm import ListenAudioLLM, LongAudioError
    from speechbrain_listen.tasks.instructions import TEST_INSTRUCTIONS

    model = ListenAudioLLM.from_hparams(source=str(exported_model), savedir=str(tmp_path / "savedir"))
    assert model.task_instruction("sv") == TEST_INSTRUCTIONS["sv"]

    wav = tiny_world["voxceleb"] / "wav"
    rows = read_sv_predictions(grid)
    for row in rows:
        first, second = row["ID"].removeprefix("sv-").split("+")
        same, answer = model.verify_speakers(wav / f"{first}.wav", wav / f"{second}.wav")
        assert answer == row["hypothesis"]
        assert same == {"yes": True, "no": False}.get(row["parsed"])

    instructions = instruction_spy(model)
    clip = next(wav.rglob("*.wav"))
    label, answer = model.recognize_emotion_file(clip)
    assert label in (None, "neutral", "happy", "angry", "sad") and isinstance(answer, str)
    assert isinstance(model.translate_file(clip), str)
    assert instructions == [TEST_INSTRUCTIONS["emotion"], TEST_INSTRUCTIONS["en2zh"]]

    # A pair longer than the 3 s window is refused whole, with both files named.
    long_clip = tmp_path / "long.wav"
    soundfile.write(long_clip, 0.1 * numpy.ones(int(16000 * 2.5)), 16000)
    with pytest.raises(LongAudioError, match="long.wav"):
        model.verify_speakers(long_clip, clip)
    with pytest.raises(AudioError, match="missing.wav"):
        model.verify_speakers(clip, tmp_path / "missing.wav")


def test_listen_verify_scores_a_trial_list(grid, exported_model, tiny_world, tmp_path, capsys):
    """``listen verify --trials``: the corpus's own trial list, its clips
    found in the ``wav/`` folder beside it; the recipe test's answers for
    its pairs, the accuracy of the written rows; a missing clip fails its
    pair only, with the file named; two files print the parsed answer."""
    from speechbrain_listen.inference import cli

    voxceleb = tiny_world["voxceleb"]
    output = tmp_path / "trials.csv"
    status = cli.main(
        [
            "verify",
            str(exported_model),
            "--trials",
            str(voxceleb / "veri_test2.txt"),
            "-o",
            str(output),
            "--device",
            "cpu",
        ]
    )
    assert status == 0
    with open(output, newline="") as fin:
        written = {row["id"]: row for row in csv.DictReader(fin)}
    trial_lines = (voxceleb / "veri_test2.txt").read_text().split("\n")
    assert len(written) == len([line for line in trial_lines if line.strip()]) == 4
    for row in read_sv_predictions(grid):
        pair = written[row["ID"].removeprefix("sv-")]
        assert (pair["answer"], pair["parsed"], pair["label"]) == (
            row["hypothesis"],
            row["parsed"],
            row["reference"],
        )
        assert pair["error"] == ""
    correct = sum(row["parsed"] == row["label"] for row in written.values())
    assert f"accuracy {100 * correct / 4:.2f} %" in capsys.readouterr().err

    clips = [(voxceleb / "wav" / clip) for clip in trial_lines[0].split()[1:]]
    trials = tmp_path / "with_missing.txt"
    trials.write_text(trial_lines[0] + "\n1 " + trial_lines[0].split()[1] + " id1/v/missing.wav\n")
    output = tmp_path / "with_missing.jsonl"
    status = cli.main(
        [
            "verify",
            str(exported_model),
            "--trials",
            str(trials),
            "--data-root",
            str(voxceleb / "wav"),
            "-o",
            str(output),
            "-q",
            "--device",
            "cpu",
        ]
    )
    assert status == 1
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert rows[0]["error"] is None and rows[0]["answer"] == written[rows[0]["id"]]["answer"]
    assert "missing.wav" in rows[1]["error"] and rows[1]["answer"] is None

    capsys.readouterr()
    assert cli.main(["verify", str(exported_model), *map(str, clips), "--device", "cpu"]) == 0
    first = written[rows[0]["id"]]
    assert capsys.readouterr().out == f"{first['parsed']}\t{first['answer']}\n"
