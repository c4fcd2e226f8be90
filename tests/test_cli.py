"""The ``listen`` command line without a model: inputs, manifests, output."""

import csv
import json
import re

import pytest

from speechbrain_listen.inference import cli


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_csv_manifest_ids_paths_and_instructions(tmp_path):
    manifest = tmp_path / "lists" / "test.csv"
    manifest.parent.mkdir()
    manifest.write_text(
        "ID,duration,wav,instruction\n"
        "u1,1.0,$data_root/a.flac,\n"
        "u2,2.0,rel/b.wav,Is it raining?\n"
        f"u3,1.5,{tmp_path / 'c.wav'},\n"
    )
    items = cli.read_manifest(manifest, data_root="/data")
    assert [i.id for i in items] == ["u1", "u2", "u3"]
    assert items[0].path == "/data/a.flac"
    # Relative paths are relative to the manifest, not to the cwd.
    assert items[1].path == str(tmp_path / "lists" / "rel" / "b.wav")
    assert items[2].path == str(tmp_path / "c.wav")
    assert [i.instruction for i in items] == [None, "Is it raining?", None]


def test_jsonl_json_and_txt_manifests(tmp_path):
    (tmp_path / "m.jsonl").write_text(
        json.dumps({"id": "x", "path": "a.wav"}) + "\n\n" + json.dumps({"audio": "b.wav"}) + "\n"
    )
    items = cli.read_manifest(tmp_path / "m.jsonl")
    assert [(i.id, i.path) for i in items] == [
        ("x", str(tmp_path / "a.wav")),
        ("b", str(tmp_path / "b.wav")),
    ]
    (tmp_path / "m.json").write_text(json.dumps({"utt7": {"wav": "/abs/c.wav", "duration": 1}}))
    items = cli.read_manifest(tmp_path / "m.json")
    assert [(i.id, i.path) for i in items] == [("utt7", "/abs/c.wav")]
    (tmp_path / "m.txt").write_text("d.wav\n\n/abs/e.flac\n")
    assert [i.path for i in cli.read_manifest(tmp_path / "m.txt")] == [
        str(tmp_path / "d.wav"),
        "/abs/e.flac",
    ]


def test_bad_manifests_name_the_file(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("ID,duration,spk\nu1,1.0,s\n")
    with pytest.raises(cli.ManifestError, match=r"m\.csv: row 1 has no audio path"):
        cli.read_manifest(manifest)
    assert cli.read_manifest(manifest, path_column="spk")[0].path.endswith("s")
    broken = tmp_path / "b.jsonl"
    broken.write_text("{not json\n")
    with pytest.raises(cli.ManifestError, match=r"b\.jsonl"):
        cli.read_manifest(broken)


def test_folders_files_and_manifests_expand_in_order(tmp_path):
    folder = tmp_path / "audio"
    touch(folder / "b" / "2.flac")
    touch(folder / "a" / "1.wav")
    touch(folder / "a" / "notes.txt")  # not audio: skipped inside folders
    (tmp_path / "list.txt").write_text("x.wav\n")
    inputs = [str(tmp_path / "single.ogg"), str(folder), str(tmp_path / "list.txt")]
    items = cli.collect_items(inputs)
    assert [i.path for i in items] == [
        str(tmp_path / "single.ogg"),  # missing: kept, it fails later with its name
        str(folder / "a" / "1.wav"),
        str(folder / "b" / "2.flac"),
        str(tmp_path / "x.wav"),
    ]
    assert [i.id for i in items] == ["single", "1", "2", "x"]


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_result_writer(tmp_path, suffix):
    path = tmp_path / "sub" / f"out.{suffix}"
    writer = cli.ResultWriter(path, with_prompts=True)
    writer.write({"id": "a", "path": "a.wav", "duration": 1.5, "text": "hi, there", "prompts": [[3, 1]]})
    writer.write({"id": "b", "path": "b.wav", "error": "audio file is empty: b.wav"})
    writer.close()
    if suffix == "csv":
        with open(path, newline="") as fin:
            rows = list(csv.DictReader(fin))
        assert rows[0]["text"] == "hi, there" and json.loads(rows[0]["prompts"]) == [[3, 1]]
        assert rows[1]["text"] == "" and rows[1]["error"].endswith("b.wav")
    else:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert rows[0]["prompts"] == [[3, 1]] and rows[1]["text"] is None
    assert list(rows[0]) == ["id", "path", "duration", "text", "error", "prompts"]


def test_usage_errors_stop_before_loading_a_model(tmp_path, capsys):
    no_model = str(tmp_path / "no_model")
    audio = str(touch(tmp_path / "a.wav"))
    assert cli.main(["ask", no_model, audio]) == 2
    assert "--instruction" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        cli.main(["transcribe", no_model, audio, "--beams", "0"])
    assert info.value.code == 2
    (tmp_path / "empty").mkdir()
    assert cli.main(["transcribe", no_model, str(tmp_path / "empty")]) == 1
    assert "no audio files" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["frobnicate"])


def test_verify_pairs_from_files_and_trial_lists(tmp_path, capsys):
    """Two files make one unlabelled pair; a trial list's clips are found in
    the VoxCeleb ``wav/`` folder around it or below ``--data-root``; bad
    lists and usage stop before a model is loaded."""
    assert cli.collect_pairs(["a/x.wav", "b/y.flac"]) == [("x+y", "a/x.wav", "b/y.flac", None)]
    (tmp_path / "wav").mkdir()
    (tmp_path / "meta").mkdir()
    trials = tmp_path / "meta" / "veri_test2.txt"
    trials.write_text("1 id1/v1/00001.wav id1/v2/00002.wav\n0 id1/v1/00001.wav id2/v9/00001.wav\n")
    pairs = cli.collect_pairs([], str(trials))
    assert [(uid, label) for uid, _, _, label in pairs] == [
        ("id1/v1/00001+id1/v2/00002", "yes"),
        ("id1/v1/00001+id2/v9/00001", "no"),
    ]
    assert pairs[1][2] == str(tmp_path / "wav" / "id2/v9/00001.wav")
    assert cli.collect_pairs([], str(trials), data_root="/data")[0][1] == "/data/id1/v1/00001.wav"

    no_model = str(tmp_path / "no_model")
    lone = tmp_path / "elsewhere" / "lists" / "trials.txt"  # no wav/ here or one up
    lone.parent.mkdir(parents=True)
    lone.write_text("1 a.wav b.wav\n")
    assert cli.main(["verify", no_model, "--trials", str(lone)]) == 1
    assert "--data-root" in capsys.readouterr().err
    lone.write_text("yes a.wav b.wav\n")
    assert cli.main(["verify", no_model, "--trials", str(lone), "--data-root", "/d"]) == 1
    assert "trials.txt, line 1" in capsys.readouterr().err
    for argv in (["a.wav"], ["a.wav", "b.wav", "c.wav"], ["a.wav", "--trials", str(trials)]):
        with pytest.raises(SystemExit) as info:
            cli.main(["verify", no_model, *argv])
        assert info.value.code == 2


def test_export_subcommand_reports_errors(tmp_path, capsys):
    assert cli.main(["export", str(tmp_path / "missing_run"), str(tmp_path / "out")]) == 1
    assert "no such folder" in capsys.readouterr().err


MODULE_TOOLS = [
    "listen_offline.model_pack.__main__",
    "listen_offline.real_speech",
    "listen_offline.synthetic.clotho",
    "listen_offline.synthetic.librispeech",
    "listen_offline.synthetic.voxceleb",
    "speechbrain_listen.analysis.learning_curve",
    "speechbrain_listen.analysis.selection_analysis",
    "speechbrain_listen.inference.export",
]


@pytest.mark.parametrize("module", MODULE_TOOLS)
def test_module_tool_help_shows_how_to_call_it(module, capsys):
    """Each ``python -m`` tool's ``--help`` runs and its usage line says
    ``python -m <package>``, not the file name."""
    import importlib

    tool = importlib.import_module(module)
    with pytest.raises(SystemExit) as info:
        tool.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    command = "python -m " + module.removesuffix(".__main__")
    assert re.match(rf"usage: {re.escape(command)}\s", out), out.splitlines()[0]


@pytest.mark.parametrize("command", ["transcribe", "caption", "ask", "verify", "export", None])
def test_listen_help_shows_listen_usage(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"] if command else ["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: listen" + (f" {command} " if command else " ")), out.splitlines()[0]
    if command in ("transcribe", "caption", "ask", "verify"):
        # One spelling for listen's own options: dashes.
        assert "--max-new-tokens-per-second" in out and "--max_new" not in out


def test_underscore_options_are_accepted_as_dashes():
    assert cli.dashed_options(["transcribe", "m", "a_b.wav", "--batch_size", "2", "--data_root=/x_y"]) == [
        "transcribe",
        "m",
        "a_b.wav",
        "--batch-size",
        "2",
        "--data-root=/x_y",
    ]
    args = cli.build_parser().parse_args(
        cli.dashed_options(["transcribe", "m", "a.wav", "--max_new_tokens_per_second", "2.5"])
    )
    assert args.max_new_tokens_per_second == 2.5
    overrides = cli.decoding_overrides(args)
    assert overrides["max_new_tokens_per_second"] == 2.5 and overrides["num_beams"] is None


def test_bad_per_second_limit_stops_before_loading_a_model(tmp_path):
    with pytest.raises(SystemExit) as info:
        cli.main(["transcribe", str(tmp_path / "no_model"), "a.wav", "--max-new-tokens-per-second", "0"])
    assert info.value.code == 2
