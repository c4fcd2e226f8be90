#!/usr/bin/env python3
"""Results tables generated from committed JSON records.

Every number in a results table of this repository lives in a small JSON
*record*, one per measured row, at ``docs/results/<recipe>/<run>.json``
(``<recipe>`` is the recipe folder's name in lower case, or ``benchmarks``)::

    {
      "recipe": "LibriSpeech",
      "table": "offline-small",
      "row": "LiSTEN small",
      "command": "make demo",
      "commit": "81e299b",
      "date": "2026-12-02",
      "machine": {"device": "CPU", "model": "2-core x86-64 CPU", "threads": 2},
      "hparams": "recipes/LibriSpeech/hparams/listen_small.yaml",
      "overrides": [],
      "steps": 1500,
      "wall_time_minutes": 60.5,
      "metrics": {"WER %": 52.60, "CER %": 38.89},
      "notes": "optional, one sentence",
      "order": 1
    }

``recipe``, ``table``, ``row``, ``command``, ``commit``, ``date``,
``machine`` and ``metrics`` are required; ``hparams`` is null or a file
that exists in the tree; ``order`` (optional) sorts the rows of a table
before their labels do.

A markdown file shows a table between two markers; the marker names the
records' folder under ``docs/results`` and their ``table``::

    <!-- results-table: librispeech/offline-small -->
    (generated, do not edit)
    <!-- /results-table -->

The generated table has one row per record: the row label, one column per
metric (in the order the metrics first appear; ``-`` where a record lacks
one), then the hparams file, optimizer steps, wall time, machine, date and
commit. Numbers keep the decimals written in the record (two at most);
integers get thousands separators.

Run from the repository root::

    python tools/results_tables.py            # rewrite every marked block
    python tools/results_tables.py --check    # exit 1 if a block is stale

``--check`` lists the blocks that differ from their records, the markers
that name no record, the records that no markdown file shows, and the
records that do not validate. The markdown files searched are the ``*.md``
files at the repository root and under ``recipes/``, ``benchmarks/``,
``docs/`` and ``tools/``; name files on the command line to rewrite or
check only those.

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import datetime
import decimal
import difflib
import json
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path("docs") / "results"
MARKDOWN_DIRS = ("recipes", "benchmarks", "docs", "tools")
REQUIRED_FIELDS = ("recipe", "table", "row", "command", "commit", "date", "machine", "metrics")
# A JSON file under docs/results with none of these keys is a raw artefact
# (a log summary, an analysis), not a record.
RECORD_KEYS = ("recipe", "table", "row")
MAX_DECIMALS = 2
TRAILING_COLUMNS = ("hparams", "steps", "wall time", "machine", "date", "commit")

BLOCK = re.compile(
    r"<!-- results-table: (?P<name>[^\s>]+) -->\n(?P<body>.*?)<!-- /results-table -->",
    re.DOTALL,
)
OPENING = re.compile(r"<!-- results-table: (?P<name>[^\s>]+) -->")
COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


# ------------------------------------------------------------- formatting --


def format_number(value):
    """One table cell for a number: written decimals (two at most), separators.

    Arguments
    ---------
    value : int, float, decimal.Decimal or None
        The value as read from a record (records are read with
        ``decimal.Decimal`` floats, so ``52.60`` keeps its two decimals).

    Returns
    -------
    str
        ``-`` for None.

    Example
    -------
    >>> format_number(1500), format_number(6773633)
    ('1,500', '6,773,633')
    >>> format_number(decimal.Decimal("52.60")), format_number(52.6)
    ('52.60', '52.6')
    >>> format_number(decimal.Decimal("0.114")), format_number(None)
    ('0.11', '-')
    """
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        value = decimal.Decimal(repr(value))
    places = min(max(-value.as_tuple().exponent, 0), MAX_DECIMALS)
    rounded = value.quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    return f"{rounded:,.{places}f}"


def short_machine(machine):
    """The machine column: its short name or device, and the thread count.

    Arguments
    ---------
    machine : dict
        A record's ``machine``: ``device`` (required), optional ``short``
        (overrides the device in the table), ``model``, ``threads``.

    Returns
    -------
    str

    Example
    -------
    >>> short_machine({"device": "CPU", "model": "2-core x86-64 CPU", "threads": 2})
    'CPU, 2 threads'
    >>> short_machine({"device": "GPU", "short": "H100", "threads": 1})
    'H100, 1 thread'
    >>> short_machine({"device": "CPU"})
    'CPU'
    """
    name = machine.get("short") or machine["device"]
    threads = machine.get("threads")
    if threads:
        name += f", {threads} thread" + ("s" if threads != 1 else "")
    return name


def cell(text):
    """Markdown-safe table cell (a ``|`` in a label would split the row)."""
    return str(text).replace("|", "\\|")


def sort_key(record):
    """Rows sorted by the optional ``order``, then by label."""
    return (record.get("order", 0), record["row"])


def render_table(records):
    """The markdown table of one table's records.

    Arguments
    ---------
    records : list of dict
        Valid records of the same recipe and table, in any order.

    Returns
    -------
    str
        Header, separator and one line per record, each ending in a newline.

    Example
    -------
    >>> machine = {"device": "CPU", "threads": 2}
    >>> rows = [
    ...     {"row": "Whisper", "order": 2, "metrics": {"WER %": 42.31},
    ...      "hparams": None, "steps": None, "wall_time_minutes": 3.8,
    ...      "machine": machine, "date": "2026-12-02", "commit": "81e299b"},
    ...     {"row": "LiSTEN", "order": 1, "metrics": {"WER %": 52.6, "params": 6773633},
    ...      "hparams": "recipes/LibriSpeech/hparams/listen_small.yaml", "steps": 1500,
    ...      "wall_time_minutes": 60.5, "machine": machine, "date": "2026-12-02",
    ...      "commit": "81e299b"},
    ... ]
    >>> print(render_table(rows), end="")
    | run | WER % | params | hparams | steps | wall time | machine | date | commit |
    |---|---|---|---|---|---|---|---|---|
    | LiSTEN | 52.6 | 6,773,633 | `listen_small.yaml` | 1,500 | 60.5 min | CPU, 2 threads | 2026-12-02 | `81e299b` |
    | Whisper | 42.31 | - | - | - | 3.8 min | CPU, 2 threads | 2026-12-02 | `81e299b` |
    """
    ordered = sorted(records, key=sort_key)
    metrics = []
    for record in ordered:
        metrics += [key for key in record["metrics"] if key not in metrics]
    header = ["run", *metrics, *TRAILING_COLUMNS]
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    for record in ordered:
        hparams = record.get("hparams")
        wall = record.get("wall_time_minutes")
        cells = [
            record["row"],
            *(format_number(record["metrics"].get(key)) for key in metrics),
            f"`{Path(hparams).name}`" if hparams else "-",
            format_number(record.get("steps")),
            f"{format_number(wall)} min" if wall is not None else "-",
            short_machine(record["machine"]),
            record["date"],
            f"`{record['commit']}`",
        ]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------- validation --


def is_number(value):
    """True for int, float and Decimal, not for bool."""
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def record_problems(record, root=None, folder=None):
    """What is wrong with one record (an empty list if nothing).

    Arguments
    ---------
    record : dict
        The record as read from its JSON file.
    root : pathlib.Path, optional
        Repository root; where given, ``hparams`` must exist under it.
    folder : str, optional
        The record's folder under ``docs/results``; where given, it must be
        the recipe's name in lower case.

    Returns
    -------
    list of str

    Example
    -------
    >>> good = {"recipe": "Clotho", "table": "offline-small", "row": "LiSTEN",
    ...         "command": "python recipes/Clotho/train.py ...", "commit": "14ec3fa",
    ...         "date": "2026-12-02", "machine": {"device": "CPU"},
    ...         "metrics": {"CIDEr-D": 39.92}, "hparams": None}
    >>> record_problems(good, folder="clotho")
    []
    >>> bad = dict(good, date="2 Dec", metrics={"CIDEr-D": "high"}, steps=-1)
    >>> del bad["command"]
    >>> for problem in record_problems(bad, folder="librispeech"):
    ...     print(problem)
    missing field: command
    date is not YYYY-MM-DD: '2 Dec'
    metric CIDEr-D is not a number: 'high'
    steps is not a non-negative integer or null: -1
    in folder librispeech, but recipe Clotho belongs in clotho
    """
    problems = [f"missing field: {key}" for key in REQUIRED_FIELDS if key not in record]
    for key in ("recipe", "table", "row", "command"):
        if key in record and (not isinstance(record[key], str) or not record[key].strip()):
            problems.append(f"{key} is not a non-empty string: {record[key]!r}")
    if "commit" in record and not (isinstance(record["commit"], str) and COMMIT.match(record["commit"])):
        problems.append(f"commit is not a git hash: {record['commit']!r}")
    if "date" in record:
        try:
            datetime.date.fromisoformat(record["date"])
            if len(record["date"]) != 10:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"date is not YYYY-MM-DD: {record['date']!r}")
    if "machine" in record:
        machine = record["machine"]
        if not isinstance(machine, dict) or not isinstance(machine.get("device"), str):
            problems.append(f"machine has no device: {machine!r}")
        elif "threads" in machine and machine["threads"] is not None:
            if not isinstance(machine["threads"], int) or isinstance(machine["threads"], bool):
                problems.append(f"machine threads is not an integer: {machine['threads']!r}")
    if "metrics" in record:
        metrics = record["metrics"]
        if not isinstance(metrics, dict) or not metrics:
            problems.append(f"metrics is not a non-empty object: {metrics!r}")
        else:
            for key, value in metrics.items():
                if value is not None and not is_number(value):
                    problems.append(f"metric {key} is not a number: {value!r}")
    hparams = record.get("hparams")
    if hparams is not None:
        if not isinstance(hparams, str):
            problems.append(f"hparams is not a path or null: {hparams!r}")
        elif root is not None and not (Path(root) / hparams).is_file():
            problems.append(f"hparams file does not exist: {hparams}")
    overrides = record.get("overrides", [])
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        problems.append(f"overrides is not a list of strings: {overrides!r}")
    steps = record.get("steps")
    if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool) or steps < 0):
        problems.append(f"steps is not a non-negative integer or null: {steps!r}")
    wall = record.get("wall_time_minutes")
    if wall is not None and (not is_number(wall) or wall < 0):
        problems.append(f"wall_time_minutes is not a non-negative number or null: {wall!r}")
    order = record.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        problems.append(f"order is not an integer: {order!r}")
    if "notes" in record and not isinstance(record["notes"], str):
        problems.append(f"notes is not a string: {record['notes']!r}")
    recipe = record.get("recipe")
    if folder is not None and isinstance(recipe, str) and folder != recipe.lower():
        problems.append(f"in folder {folder}, but recipe {recipe} belongs in {recipe.lower()}")
    return problems


def table_name(folder, record):
    """The marker name of a record's table: ``<folder>/<table>``."""
    return f"{folder}/{record['table']}"


def read_records(root):
    """Every record under ``<root>/docs/results``, validated, grouped by table.

    A record is a JSON object in ``docs/results/<folder>/<name>.json``;
    deeper files, and JSON files with none of ``recipe``, ``table`` and
    ``row`` (raw artefacts kept beside the records), are not records.

    Arguments
    ---------
    root : pathlib.Path
        Repository root.

    Returns
    -------
    tables : dict
        Marker name (``<folder>/<table>``) -> list of valid records.
    problems : list of str
        One line per invalid record or duplicate row, naming its file.

    Example
    -------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> folder = root / "docs" / "results" / "clotho"
    >>> folder.mkdir(parents=True)
    >>> _ = (folder / "run.json").write_text(json.dumps({
    ...     "recipe": "Clotho", "table": "small", "row": "LiSTEN", "command": "make",
    ...     "commit": "14ec3fa", "date": "2026-12-02", "machine": {"device": "CPU"},
    ...     "metrics": {"CIDEr-D": 39.92}}))
    >>> _ = (folder / "artefact.json").write_text('{"clips": 100}')
    >>> tables, problems = read_records(root)
    >>> sorted(tables), problems
    (['clotho/small'], [])
    >>> tables["clotho/small"][0]["metrics"]["CIDEr-D"]
    Decimal('39.92')
    """
    tables, problems, seen = {}, [], {}
    results = Path(root) / RESULTS_DIR
    for path in sorted(results.glob("*/*.json")):
        where = path.relative_to(root).as_posix()
        try:
            record = json.loads(path.read_text(encoding="utf-8"), parse_float=decimal.Decimal)
        except ValueError as error:
            problems.append(f"{where}: not valid JSON ({error})")
            continue
        if not isinstance(record, dict) or not any(key in record for key in RECORD_KEYS):
            continue
        found = record_problems(record, root=root, folder=path.parent.name)
        problems += [f"{where}: {problem}" for problem in found]
        if found:
            continue
        name = table_name(path.parent.name, record)
        if (name, record["row"]) in seen:
            problems.append(
                f"{where}: row {record['row']!r} of {name} is also in {seen[name, record['row']]}"
            )
            continue
        seen[name, record["row"]] = where
        tables.setdefault(name, []).append(record)
    return tables, problems


# ------------------------------------------------------------ the markdown --


def markdown_files(root):
    """The markdown files that may show tables: at the root and in the usual folders."""
    root = Path(root)
    files = sorted(root.glob("*.md"))
    for name in MARKDOWN_DIRS:
        files += sorted((root / name).rglob("*.md"))
    return files


def find_blocks(text):
    """The marked blocks of a markdown text.

    Arguments
    ---------
    text : str

    Returns
    -------
    blocks : list of (name, body)
        In the order they appear; ``body`` is what lies between the markers.
    unclosed : list of str
        Names of opening markers without a closing one.

    Example
    -------
    >>> text = "a\\n<!-- results-table: x/y -->\\n| old |\\n<!-- /results-table -->\\nb\\n"
    >>> find_blocks(text)
    ([('x/y', '| old |\\n')], [])
    >>> find_blocks("<!-- results-table: x/z -->\\n| never closed |\\n")
    ([], ['x/z'])
    """
    blocks = [(m["name"], m["body"]) for m in BLOCK.finditer(text)]
    closed = {m.start() for m in BLOCK.finditer(text)}
    unclosed = [m["name"] for m in OPENING.finditer(text) if m.start() not in closed]
    return blocks, unclosed


def replace_blocks(text, rendered):
    """The text with every block whose name is in ``rendered`` regenerated.

    Arguments
    ---------
    text : str
        Markdown with marked blocks.
    rendered : dict
        Marker name -> table text (from ``render_table``). Blocks of other
        names are left as they are.

    Returns
    -------
    str

    Example
    -------
    >>> text = "<!-- results-table: x/y -->\\n| old |\\n<!-- /results-table -->\\n"
    >>> print(replace_blocks(text, {"x/y": "| new |\\n"}), end="")
    <!-- results-table: x/y -->
    | new |
    <!-- /results-table -->
    """

    def substitute(match):
        if match["name"] not in rendered:
            return match.group(0)
        return f"<!-- results-table: {match['name']} -->\n{rendered[match['name']]}<!-- /results-table -->"

    return BLOCK.sub(substitute, text)


def review(root, files=None, write=False):
    """Compares (or, with ``write``, regenerates) every marked block.

    Arguments
    ---------
    root : pathlib.Path
        Repository root.
    files : list of pathlib.Path, optional
        Markdown files to look at; by default ``markdown_files(root)``, and
        then the records that no file shows are reported too.
    write : bool
        Rewrite stale blocks in place (only if every record validates).

    Returns
    -------
    problems : list of str
        Invalid records, stale blocks (unless written), markers naming no
        record, unclosed markers, records no file shows.
    diffs : list of str
        A unified diff per stale block.
    """
    root = Path(root)
    tables, problems = read_records(root)
    can_write = write and not problems
    rendered = {name: render_table(records) for name, records in tables.items()}
    every_file = files is None
    files = markdown_files(root) if every_file else [Path(f) for f in files]
    shown, diffs = set(), []
    for path in files:
        where = display_path(path, root)
        text = path.read_text(encoding="utf-8")
        blocks, unclosed = find_blocks(text)
        problems += [f"{where}: results-table {name} has no closing marker" for name in unclosed]
        for name, body in blocks:
            shown.add(name)
            if name not in rendered:
                problems.append(f"{where}: results-table {name} names no record")
            elif body != rendered[name] and not can_write:
                problems.append(f"{where}: results-table {name} differs from its records")
                diffs.append(
                    "".join(
                        difflib.unified_diff(
                            body.splitlines(keepends=True),
                            rendered[name].splitlines(keepends=True),
                            f"{where} ({name}, now)",
                            f"{name} (from the records)",
                        )
                    )
                )
        if can_write:
            updated = replace_blocks(text, rendered)
            if updated != text:
                path.write_text(updated, encoding="utf-8")
                print(f"updated {where}")
    if every_file:
        for name in sorted(set(rendered) - shown):
            problems.append(f"records of {name} are shown by no markdown file")
    return problems, diffs


def display_path(path, root):
    """``path`` relative to ``root`` where it lies inside it, else as given."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def main(argv=None):
    """Rewrites (or with ``--check`` compares) the results tables; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="markdown files (default: all)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 on any difference")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")
    args = parser.parse_args(argv)
    problems, diffs = review(args.root, files=args.files or None, write=not args.check)
    for diff in diffs:
        print(diff)
    for problem in problems:
        print(problem)
    if problems and args.check:
        print("Regenerate the tables with: python tools/results_tables.py")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
