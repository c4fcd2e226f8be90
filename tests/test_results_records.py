"""Results records and the tables generated from them (tools/results_tables.py).

1. Every record under ``docs/results`` validates.
2. Every marked table in the repository's markdown equals what the tool
   renders from the records (the table test), and every record is shown.
3. The tool's behaviour on a crafted record set in a temporary folder.
"""

import decimal
import doctest
import json
import subprocess
from pathlib import Path

import pytest
import results_tables

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"


def record_files():
    """Every JSON file that the tool treats as a record."""
    files = []
    for path in sorted(RESULTS.glob("*/*.json")):
        content = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(content, dict) and any(key in content for key in results_tables.RECORD_KEYS):
            files.append(path)
    return files


def marked_blocks():
    """``(file, name, body)`` for every marked block in the markdown files."""
    blocks = []
    for path in results_tables.markdown_files(ROOT):
        found, _ = results_tables.find_blocks(path.read_text(encoding="utf-8"))
        blocks += [(path.relative_to(ROOT).as_posix(), name, body) for name, body in found]
    return blocks


# ------------------------------------------------------ 1. records validate --


def test_the_recipes_have_records():
    folders = {path.parent.name for path in record_files()}
    assert {"librispeech", "clotho", "benchmarks"} <= folders


@pytest.mark.parametrize("path", record_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_record_validates(path):
    record = json.loads(path.read_text(encoding="utf-8"), parse_float=decimal.Decimal)
    assert results_tables.record_problems(record, root=ROOT, folder=path.parent.name) == []


def test_records_read_without_problems():
    _, problems = results_tables.read_records(ROOT)
    assert problems == []


def full_history():
    """True where this checkout's git history is complete (not shallow)."""
    try:
        shallow = subprocess.run(
            ["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return False
    return shallow.returncode == 0 and shallow.stdout.strip() == "false"


@pytest.mark.skipif(not full_history(), reason="needs the full git history")
@pytest.mark.parametrize("path", record_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_record_commit_exists(path):
    commit = json.loads(path.read_text(encoding="utf-8"))["commit"]
    found = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True)
    assert found.returncode == 0, f"{path.name}: commit {commit} is not in this repository's history"


# ---------------------------------------------------------- 2. table test --


def test_the_recipe_readmes_show_tables():
    names = {name for _, name, _ in marked_blocks()}
    assert {
        "librispeech/offline-small",
        "clotho/offline-small",
        "benchmarks/training",
        "benchmarks/decoding",
    } <= names


@pytest.mark.parametrize("where, name, body", marked_blocks(), ids=lambda v: str(v)[:60])
def test_readme_table_equals_its_records(where, name, body):
    tables, _ = results_tables.read_records(ROOT)
    assert name in tables, f"{where}: results-table {name} names no record"
    assert body == results_tables.render_table(tables[name]), (
        f"{where}: {name} differs from its records; run python tools/results_tables.py"
    )


def test_every_record_is_shown():
    tables, _ = results_tables.read_records(ROOT)
    shown = {name for _, name, _ in marked_blocks()}
    assert sorted(set(tables) - shown) == []


def test_check_passes_on_the_repository():
    problems, _ = results_tables.review(ROOT)
    assert problems == []


# ---------------------------------------------- 3. the tool on crafted data --


def write_record(root, name, **fields):
    """Writes one record (defaults: a valid LibriSpeech row) and returns its path."""
    record = {
        "recipe": "LibriSpeech",
        "table": "small",
        "row": "LiSTEN",
        "command": "make demo",
        "commit": "81e299b",
        "date": "2026-12-02",
        "machine": {"device": "CPU", "threads": 2},
        "hparams": "hparams/small.yaml",
        "overrides": [],
        "steps": 1500,
        "wall_time_minutes": 60.5,
        "metrics": {"WER %": 52.6, "params": 6773633},
    }
    record.update(fields)
    folder = root / "docs" / "results" / record["recipe"].lower()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    text = json.dumps(record, indent=2)
    path.write_text(text.replace('"WER %": 52.6,', '"WER %": 52.60,'), encoding="utf-8")
    return path


@pytest.fixture
def crafted(tmp_path):
    """A repository with two LibriSpeech records and a README showing them."""
    (tmp_path / "hparams").mkdir()
    (tmp_path / "hparams" / "small.yaml").write_text("seed: 0\n")
    write_record(tmp_path, "listen")
    write_record(
        tmp_path,
        "whisper",
        row="Whisper",
        order=2,
        hparams=None,
        steps=None,
        metrics={"WER %": 42.31},
        machine={"device": "CPU", "short": "2-core CPU", "threads": 1},
    )
    readme = tmp_path / "recipes" / "LibriSpeech" / "README.md"
    readme.parent.mkdir(parents=True)
    readme.write_text(
        "# Recipe\n\n<!-- results-table: librispeech/small -->\n| stale |\n<!-- /results-table -->\n\nEnd.\n",
        encoding="utf-8",
    )
    return tmp_path, readme


def run_tool(root, *args, capsys):
    status = results_tables.main(["--root", str(root), *args])
    return status, capsys.readouterr().out


def test_rewrite_then_check(crafted, capsys):
    root, readme = crafted
    status, out = run_tool(root, "--check", capsys=capsys)
    assert status == 1
    assert "recipes/LibriSpeech/README.md: results-table librispeech/small differs from its records" in out
    assert "| stale |" in readme.read_text()  # --check changes nothing

    status, out = run_tool(root, capsys=capsys)
    assert status == 0 and "updated recipes/LibriSpeech/README.md" in out
    text = readme.read_text()
    assert text.startswith("# Recipe\n\n<!-- results-table: librispeech/small -->\n| run | WER % | params |")
    assert text.endswith("<!-- /results-table -->\n\nEnd.\n")
    lines = text.splitlines()
    assert lines[5] == (
        "| LiSTEN | 52.60 | 6,773,633 | `small.yaml` | 1,500 | 60.5 min | CPU, 2 threads | 2026-12-02 | `81e299b` |"
    )
    assert (
        lines[6]
        == "| Whisper | 42.31 | - | - | - | 60.5 min | 2-core CPU, 1 thread | 2026-12-02 | `81e299b` |"
    )
    assert run_tool(root, "--check", capsys=capsys)[0] == 0


def test_changed_metric_fails_the_check(crafted, capsys):
    root, _ = crafted
    assert run_tool(root, capsys=capsys)[0] == 0
    write_record(root, "listen", metrics={"WER %": 48.1, "params": 6773633})
    status, out = run_tool(root, "--check", capsys=capsys)
    assert status == 1
    assert "librispeech/small differs from its records" in out
    assert "+| LiSTEN | 48.1 |" in out and "-| LiSTEN | 52.60 |" in out


def test_missing_record_and_unshown_records_are_reported(crafted, capsys):
    root, readme = crafted
    assert run_tool(root, capsys=capsys)[0] == 0
    readme.write_text(
        readme.read_text() + "\n<!-- results-table: librispeech/gone -->\n| old |\n<!-- /results-table -->\n"
    )
    write_record(root, "extra", table="large", row="LiSTEN large")
    status, out = run_tool(root, "--check", capsys=capsys)
    assert status == 1
    assert "recipes/LibriSpeech/README.md: results-table librispeech/gone names no record" in out
    assert "records of librispeech/large are shown by no markdown file" in out


def test_removed_record_leaves_its_marker_naming_no_record(crafted, capsys):
    root, _ = crafted
    assert run_tool(root, capsys=capsys)[0] == 0
    for path in (root / "docs" / "results" / "librispeech").glob("*.json"):
        path.unlink()
    status, out = run_tool(root, "--check", capsys=capsys)
    assert status == 1 and "librispeech/small names no record" in out


def test_invalid_records_are_reported_and_block_the_rewrite(crafted, capsys):
    root, readme = crafted
    write_record(root, "broken", row="broken", hparams="hparams/missing.yaml", date="yesterday")
    status, out = run_tool(root, capsys=capsys)
    assert status == 1
    assert "docs/results/librispeech/broken.json: hparams file does not exist: hparams/missing.yaml" in out
    assert "docs/results/librispeech/broken.json: date is not YYYY-MM-DD: 'yesterday'" in out
    assert "| stale |" in readme.read_text()


def test_duplicate_rows_and_wrong_folders_are_reported(crafted):
    root, _ = crafted
    write_record(root, "again")  # same recipe, table and row as listen.json
    misplaced = write_record(root, "clotho_run", recipe="Clotho")
    misplaced.rename(root / "docs" / "results" / "librispeech" / misplaced.name)
    _, problems = results_tables.read_records(root)
    assert any("row 'LiSTEN' of librispeech/small is also in" in p for p in problems)
    assert any(
        "clotho_run.json: in folder librispeech, but recipe Clotho belongs in clotho" in p for p in problems
    )


def test_artefacts_beside_records_are_not_records(crafted):
    root, _ = crafted
    folder = root / "docs" / "results" / "librispeech"
    (folder / "summary.json").write_text('{"WER": 52.6}')
    (folder / "run").mkdir()
    (folder / "run" / "deep.json").write_text('{"recipe": "LibriSpeech"}')
    tables, problems = results_tables.read_records(root)
    assert problems == []
    assert sorted(r["row"] for r in tables["librispeech/small"]) == ["LiSTEN", "Whisper"]


def test_unclosed_marker_is_reported(crafted, capsys):
    root, readme = crafted
    assert run_tool(root, capsys=capsys)[0] == 0
    readme.write_text(readme.read_text() + "\n<!-- results-table: librispeech/small -->\n| open |\n")
    status, out = run_tool(root, "--check", capsys=capsys)
    assert status == 1 and "librispeech/small has no closing marker" in out


def test_doctests():
    result = doctest.testmod(results_tables)
    assert result.attempted > 10 and result.failed == 0
