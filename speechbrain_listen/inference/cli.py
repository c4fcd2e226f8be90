"""The ``listen`` command: transcribe, caption, ask, verify, export.

::

    listen transcribe MODEL_DIR AUDIO... [-o results.csv|results.jsonl]
    listen caption    MODEL_DIR AUDIO... [-o ...]
    listen ask        MODEL_DIR AUDIO... --instruction "Is the speaker angry?"
    listen verify     MODEL_DIR FIRST SECOND       # same speaker? (multitask models)
    listen verify     MODEL_DIR --trials veri_test2.txt [-o trials.csv]
    listen export     RUN_DIR MODEL_DIR            # see speechbrain_listen.inference.export

``MODEL_DIR`` is a folder written by ``listen export``. Each ``AUDIO`` is an
audio file, a folder (every audio file below it, sorted), or a manifest:

* ``.csv``: SpeechBrain style, one row per file; the path is read from the
  first of the columns ``wav``, ``path``, ``audio``, ``file`` (or
  ``--path-column``), the id from ``ID``/``id``, and an ``instruction``
  column, if present, overrides ``--instruction`` for that row (so one
  manifest can ask different questions); ``$data_root`` is replaced by
  ``--data-root``;
* ``.jsonl``: one JSON object per line, same fields;
* ``.json``: SpeechBrain's ``{id: {"wav": ...}}`` mapping;
* ``.txt`` / ``.lst``: one path per line.

Relative paths in a manifest are relative to the manifest's folder.

Decoding: every subcommand builds one
:class:`~speechbrain_listen.inference.decoding_options.DecodingOptions` from
the model's defaults for its task (``transcribe``: the export's
``max_new_tokens_per_second`` and ``degeneracy_fallback``, long audio
stitched) and the options given (``--beams``, ``--max-new-tokens``,
``--max-new-tokens-per-second``, ``--num-prompts``, ``--batch-size``,
``--long-audio``), and decodes every file with it. Options are spelled with
dashes; the underscore spelling of the ``python -m`` tools
(``--max_new_tokens``) is accepted too.

Without ``--output`` the answers are printed: the bare answer for a single
file, ``path<TAB>answer`` lines otherwise. With ``--output FILE.csv`` or
``FILE.jsonl`` one row per file is written (``id, path, duration, text,
error``, plus ``prompts`` with ``--prompts``) and a progress bar runs on
stderr.

``transcribe`` never returns a chat reply: a degenerate transcript (a loop,
the prompt echoed, "I'm sorry, but I can't assist ...":
:mod:`speechbrain_listen.inference.degeneracy`) is decoded again with a
constrained fallback and emptied if still degenerate, unless the model's
``degeneracy_fallback`` is off or ``--no-degeneracy-fallback`` is given.
Its output files then have two more columns: ``degenerate`` (the checks
that fired on the first transcript, ``;``-separated) and ``fallback``
(``decoded`` or ``emptied``), and the counts are printed at the end. A file that cannot be used (empty, silent, corrupt, not audio) gets
an ``error`` naming it, the other files are still processed, and the exit
status is 1.

``verify`` asks a model trained on the multitask recipe's speaker
verification whether two clips hold one speaker (the pair heard as one
clip, as in training). It takes two files, or a VoxCeleb trial list
(``<1|0> <clip> <clip>`` lines, :mod:`speechbrain_listen.data.speaker_trials`)
whose clips are found below ``--data-root`` (default: the ``wav/`` folder
of the VoxCeleb1 layout around the list). It prints ``yes``/``no``/
``unparsed`` and the answer per pair; ``--output`` writes ``id, first,
second, label, parsed, answer, error`` rows; with a trial list the
accuracy and UAR against its labels are printed at the end.

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import csv
import json
import os
import pathlib
import sys

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".aif", ".au", ".w64")
MANIFEST_SUFFIXES = (".csv", ".jsonl", ".json", ".txt", ".lst")
PATH_COLUMNS = ("wav", "path", "audio", "file", "filepath")
ID_COLUMNS = ("ID", "id", "utt_id", "key")
OUTPUT_FIELDS = ("id", "path", "duration", "text", "error")
FALLBACK_FIELDS = ("degenerate", "fallback")
VERIFY_FIELDS = ("id", "first", "second", "label", "parsed", "answer", "error")


class ManifestError(ValueError):
    """A manifest that cannot be read, with the file named."""


class Item:
    """One audio file to process: id, path, and an optional instruction."""

    __slots__ = ("id", "path", "instruction")

    def __init__(self, uid, path, instruction=None):
        self.id = uid
        self.path = path
        self.instruction = instruction


def _resolve(path, base):
    """A manifest path, relative to the manifest's folder when relative."""
    path = os.path.expanduser(path)
    if os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base, path))


def _row_item(row, base, manifest, number, path_column=None, data_root=None):
    """An :class:`Item` from one manifest row (a dict)."""
    columns = (path_column,) if path_column else PATH_COLUMNS
    column = next((c for c in columns if c in row and row[c]), None)
    if column is None:
        raise ManifestError(f"{manifest}: row {number} has no audio path column ({', '.join(columns)})")
    path = str(row[column])
    if data_root is not None:
        path = path.replace("$data_root", data_root)
    uid = next((str(row[c]) for c in ID_COLUMNS if c in row and row[c] not in (None, "")), None)
    path = _resolve(path, base)
    return Item(uid or pathlib.Path(path).stem, path, row.get("instruction") or None)


def read_manifest(manifest, path_column=None, data_root=None):
    """Reads the files listed in a manifest.

    Arguments
    ---------
    manifest : str
        ``.csv``, ``.jsonl``, ``.json``, ``.txt`` or ``.lst`` file.
    path_column : str, optional
        Column that holds the audio path (default: the first of
        ``wav, path, audio, file, filepath`` present).
    data_root : str, optional
        Replaces ``$data_root`` in paths (SpeechBrain CSVs).

    Returns
    -------
    list of Item

    Example
    -------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "m.csv"), "w") as f:
    ...     _ = f.write("ID,duration,wav\\nutt1,1.0,a.wav\\n")
    >>> [(i.id, os.path.basename(i.path)) for i in read_manifest(os.path.join(folder, "m.csv"))]
    [('utt1', 'a.wav')]
    """
    manifest = str(manifest)
    base = os.path.dirname(os.path.abspath(manifest))
    suffix = pathlib.Path(manifest).suffix.lower()
    items = []
    try:
        with open(manifest, encoding="utf-8", newline="") as fin:
            if suffix == ".csv":
                rows = list(csv.DictReader(fin))
            elif suffix == ".jsonl":
                rows = [json.loads(line) for line in fin if line.strip()]
            elif suffix == ".json":
                data = json.load(fin)
                if isinstance(data, dict):
                    rows = [{"ID": key, **value} for key, value in data.items()]
                else:
                    rows = list(data)
            else:
                rows = [{"path": line.strip()} for line in fin if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as err:
        raise ManifestError(f"cannot read manifest {manifest}: {err}") from err
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ManifestError(f"{manifest}: entry {number} is not an object")
        items.append(_row_item(row, base, manifest, number, path_column, data_root))
    return items


def collect_items(inputs, path_column=None, data_root=None):
    """Expands files, folders and manifests into the files to process.

    Arguments
    ---------
    inputs : list of str
        Audio files, folders (searched recursively for audio suffixes) and
        manifests (by suffix).
    path_column, data_root : str, optional
        See :func:`read_manifest`.

    Returns
    -------
    list of Item
        In the order given; a folder's files sorted by path. A missing
        file is kept (it fails later with an error naming it).
    """
    items = []
    for entry in inputs:
        path = pathlib.Path(entry)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
            items += [Item(p.stem, str(p)) for p in files]
        elif path.suffix.lower() in MANIFEST_SUFFIXES and path.is_file():
            items += read_manifest(path, path_column, data_root)
        else:
            items.append(Item(path.stem, str(path)))
    return items


class ResultWriter:
    """Writes one row per file (or pair) as CSV or JSONL, flushed as it goes."""

    def __init__(self, path, fmt=None, with_prompts=False, fields=OUTPUT_FIELDS, with_fallback=False):
        self.path = path
        self.fmt = fmt or ("jsonl" if str(path).lower().endswith((".jsonl", ".json")) else "csv")
        self.fields = (
            list(fields)
            + (list(FALLBACK_FIELDS) if with_fallback else [])
            + (["prompts"] if with_prompts else [])
        )
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.file = open(path, "w", encoding="utf-8", newline="")
        self.csv = None
        if self.fmt == "csv":
            self.csv = csv.DictWriter(self.file, fieldnames=self.fields)
            self.csv.writeheader()

    def write(self, row):
        """Writes one result row (a dict with the writer's fields)."""
        row = {key: row.get(key) for key in self.fields}
        if self.csv is not None:
            if row.get("prompts") is not None:
                row["prompts"] = json.dumps(row["prompts"])
            self.csv.writerow({k: "" if v is None else v for k, v in row.items()})
        else:
            self.file.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.file.flush()

    def close(self):
        """Closes the file."""
        self.file.close()


def _batches(items, size):
    for first in range(0, len(items), size):
        yield items[first : first + size]


COMMAND_TASKS = {"transcribe": "asr", "caption": "captioning", "ask": None, "verify": "sv"}


def decoding_overrides(args):
    """The :class:`DecodingOptions` fields given on the command line.

    Options not given are None (the model's default for the task).

    Arguments
    ---------
    args : argparse.Namespace
        Parsed arguments of a decoding subcommand.

    Returns
    -------
    dict
    """
    no_fallback = getattr(args, "no_degeneracy_fallback", False)
    return {
        "num_beams": args.beams,
        "max_new_tokens": args.max_new_tokens,
        "max_new_tokens_per_second": args.max_new_tokens_per_second,
        "num_prompts": args.num_prompts,
        "batch_size": getattr(args, "batch_size", None),
        "long_audio": getattr(args, "long_audio", None),
        "degeneracy_fallback": False if no_fallback else None,
    }


def load_model(args):
    """The exported model of ``args.model_dir`` and the subcommand's options.

    The :class:`DecodingOptions` are built once, from the model's defaults
    for the subcommand's task (``COMMAND_TASKS``: ``transcribe`` keeps the
    export's ``max_new_tokens_per_second`` and ``degeneracy_fallback``) and
    the options given on the command line, and used for every file.

    Returns
    -------
    model : ListenAudioLLM or None
        None (with the error printed) for decoding options the model refuses.
    options : DecodingOptions or None
    """
    from speechbrain_listen.inference.audio_llm import ListenAudioLLM

    run_opts = {"device": args.device} if args.device else None
    model = ListenAudioLLM.from_hparams(
        source=os.path.abspath(args.model_dir), savedir=args.savedir, run_opts=run_opts
    )
    try:
        options = model.decoding_options(COMMAND_TASKS[args.command], **decoding_overrides(args))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return None, None
    return model, options


def run_inference(args):
    """Runs ``transcribe``, ``caption`` or ``ask``; returns the exit status."""
    from tqdm import tqdm

    try:
        items = collect_items(args.audio, args.path_column, args.data_root)
    except ManifestError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not items:
        print("error: no audio files found in " + " ".join(args.audio), file=sys.stderr)
        return 1
    if args.command == "ask" and not args.instruction and any(not i.instruction for i in items):
        print("error: 'ask' needs --instruction (or an instruction column)", file=sys.stderr)
        return 2
    model, options = load_model(args)
    if model is None:
        return 2
    default_instruction = args.instruction or {
        "transcribe": model.hparams.asr_instruction,
        "caption": model.hparams.caption_instruction,
    }.get(args.command)
    fallback = options.degeneracy_fallback

    writer = (
        ResultWriter(args.output, args.format, args.prompts, with_fallback=fallback) if args.output else None
    )
    show_bar = writer is not None and not args.quiet
    bar = tqdm(total=len(items), unit="file", disable=not show_bar, file=sys.stderr)
    failed, printed = 0, []
    try:
        for group in _batches(items, options.batch_size):
            results = model.process_files(
                [item.path for item in group],
                [item.instruction or default_instruction for item in group],
                return_prompts=args.prompts,
                options=options,
            )
            for item, result in zip(group, results):
                row = {
                    "id": item.id,
                    "path": item.path,
                    "duration": None if result.duration is None else round(result.duration, 3),
                    "text": result.text,
                    "error": result.error,
                    "prompts": None if result.prompt_indices is None else result.prompt_indices.tolist(),
                    "degenerate": ";".join(result.degenerate) or None,
                    "fallback": result.fallback,
                }
                if not result.ok:
                    failed += 1
                    bar.write(f"error: {result.error}", file=sys.stderr)
                if writer is not None:
                    writer.write(row)
                else:
                    printed.append(row)
            bar.update(len(group))
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    for row in printed:
        if row["error"] is not None:
            continue
        extra = f"\t{json.dumps(row['prompts'])}" if args.prompts else ""
        if len(items) == 1:
            print(row["text"] + extra)
        else:
            print(f"{row['path']}\t{row['text']}{extra}")
    if writer is not None and not args.quiet:
        print(
            f"wrote {len(items)} results ({failed} failed) to {args.output}",
            file=sys.stderr,
        )
    if fallback and not args.quiet:
        print(model.degeneracy_counts.summary(), file=sys.stderr)
    return 1 if failed else 0


def collect_pairs(audio, trials=None, data_root=None):
    """The pairs ``verify`` decides: two files, or every trial of a list.

    Arguments
    ---------
    audio : list of str
        Two audio files (without ``trials``; ``main`` has checked the
        count), else empty.
    trials : str, optional
        A VoxCeleb trial list.
    data_root : str, optional
        The folder the trial list's clips are relative to (default: see
        :func:`speechbrain_listen.data.speaker_trials.default_wav_folder`).

    Returns
    -------
    list of (str, str, str, str or None)
        ``(id, first path, second path, "yes"/"no" or None)``.

    Raises
    ------
    ManifestError
        A malformed trial list, or no folder to find its clips in.
    """
    from speechbrain_listen.data.speaker_trials import default_wav_folder, pair_id, read_trials

    if trials is None:
        first, second = audio
        return [(pair_id(os.path.basename(first), os.path.basename(second)), first, second, None)]
    try:
        rows = read_trials(trials)
    except (OSError, ValueError) as err:
        raise ManifestError(str(err)) from err
    root = data_root or default_wav_folder(trials)
    if root is None:
        raise ManifestError(
            f"no wav/ folder beside {trials} or its folder: give --data-root, the folder "
            "its clip paths are relative to"
        )
    return [
        (
            pair_id(first, second),
            os.path.join(root, first),
            os.path.join(root, second),
            "yes" if label else "no",
        )
        for label, first, second in rows
    ]


def run_verification(args):
    """Runs ``verify``; returns the exit status."""
    from tqdm import tqdm

    from speechbrain_listen.data.audio_loading import AudioError
    from speechbrain_listen.scoring.classification import ParsedAnswerStats
    from speechbrain_listen.tasks.answers import verification_answers

    try:
        pairs = collect_pairs(args.audio, args.trials, args.data_root)
    except ManifestError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    model, options = load_model(args)
    if model is None:
        return 2
    parser = verification_answers()
    # Labelled trials are scored as in training (accuracy, UAR, unparsed).
    stats = ParsedAnswerStats(parser)
    writer = ResultWriter(args.output, args.format, fields=VERIFY_FIELDS) if args.output else None
    bar = tqdm(total=len(pairs), unit="pair", disable=writer is None or args.quiet, file=sys.stderr)
    failed = 0
    try:
        for uid, first, second, label in pairs:
            row = {"id": uid, "first": first, "second": second, "label": label}
            try:
                _, answer = model.verify_speakers(first, second, options=options)
            except AudioError as err:  # this pair only; the others still run
                failed += 1
                row["error"] = str(err)
                bar.write(f"error: {err}", file=sys.stderr)
            else:
                row["answer"], row["parsed"] = answer, parser.parse(answer)
                if label is not None:
                    stats.append([uid], [answer], [label])
            if writer is not None:
                writer.write(row)
            elif "error" not in row:
                answer = row["answer"].replace("\n", " ")
                print(
                    f"{row['parsed']}\t{answer}"
                    if len(pairs) == 1
                    else f"{first}\t{second}\t{row['parsed']}\t{answer}"
                )
            bar.update(1)
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    if stats.scores and not args.quiet:
        summary = stats.summarize()
        print(
            f"accuracy {summary['accuracy']:.2f} %, UAR {summary['UAR']:.2f} % on "
            f"{summary['examples']} trials ({summary['unparsed']} answers neither yes nor no, "
            f"{failed} failed)",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _add_decoding_arguments(parser):
    parser.add_argument("--beams", type=int, help="beam size (default: the model's)")
    parser.add_argument("--max-new-tokens", type=int, help="longest answer in tokens (default: the model's)")
    parser.add_argument(
        "--max-new-tokens-per-second",
        type=float,
        help="also limit each answer to this many tokens per second of audio "
        "(default: the model's for transcribe, none otherwise)",
    )
    parser.add_argument(
        "--num-prompts", type=int, help="prompts selected per input, N (default: the model's)"
    )


def _add_loading_arguments(parser):
    parser.add_argument("--device", help="e.g. cpu, cuda:0 (default: SpeechBrain's choice)")
    parser.add_argument("--savedir", help="folder for the collected model files (default: none)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")


def _add_verify_parser(subparsers):
    help_text = "Same speaker or not (a model trained with speaker verification)."
    parser = subparsers.add_parser("verify", help=help_text, description=help_text)
    parser.add_argument("model_dir", help="folder written by 'listen export'")
    parser.add_argument("audio", nargs="*", help="two audio files (or none, with --trials)")
    parser.add_argument("--trials", help="VoxCeleb trial list: '<1|0> <clip> <clip>' lines")
    parser.add_argument("--data-root", help="folder the trial list's clip paths are relative to")
    parser.add_argument("-o", "--output", help="write one row per pair to FILE.csv or FILE.jsonl")
    parser.add_argument("--format", choices=("csv", "jsonl"), help="output format (default: from the suffix)")
    _add_decoding_arguments(parser)
    _add_loading_arguments(parser)
    return parser


def _add_inference_parser(subparsers, name, help_text):
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("model_dir", help="folder written by 'listen export'")
    parser.add_argument(
        "audio", nargs="+", help="audio files, folders, or manifests (.csv/.jsonl/.json/.txt)"
    )
    parser.add_argument(
        "--instruction",
        required=False,
        help="the instruction or question" + (" (required)" if name == "ask" else " (overrides the default)"),
    )
    parser.add_argument(
        "-o", "--output", help="write results to FILE.csv or FILE.jsonl (with a progress bar)"
    )
    parser.add_argument("--format", choices=("csv", "jsonl"), help="output format (default: from the suffix)")
    _add_decoding_arguments(parser)
    parser.add_argument("--prompts", action="store_true", help="also output the selected prompt indices")
    parser.add_argument("--batch-size", type=int, help="files decoded together (default: the model's)")
    parser.add_argument(
        "--long-audio",
        choices=("stitch", "join", "error"),
        help="audio longer than the encoder window: stitch chunk transcripts "
        "(default for transcribe), join chunk answers, or fail (default otherwise)",
    )
    if name == "transcribe":
        parser.add_argument(
            "--no-degeneracy-fallback",
            action="store_true",
            help="keep degenerate transcripts (loops, chat replies) as decoded "
            "instead of decoding them again or emptying them",
        )
    parser.add_argument("--path-column", help="manifest column with the audio path")
    parser.add_argument("--data-root", help="replaces $data_root in manifest paths")
    _add_loading_arguments(parser)
    return parser


def build_parser():
    """The ``listen`` argument parser."""
    from speechbrain_listen.inference import export

    parser = argparse.ArgumentParser(
        prog="listen",
        description="LiSTEN audio LLM: transcribe, caption, ask, verify, export. "
        "Also: python -m speechbrain_listen.inference.cli. Options are spelled "
        "with dashes (--max-new-tokens); --max_new_tokens is accepted too.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    _add_inference_parser(subparsers, "transcribe", "Transcribe speech.")
    _add_inference_parser(subparsers, "caption", "Describe the audio.")
    _add_inference_parser(subparsers, "ask", "Answer an instruction about the audio.")
    _add_verify_parser(subparsers)
    export.build_parser(
        subparsers.add_parser(
            "export",
            help="Export a trained run as an inference folder.",
            description="Export a trained LiSTEN run (output folder or CKPT folder) "
            "as hyperparams.yaml + trainable weights.",
        )
    )
    return parser


def dashed_options(argv):
    """Command-line words with ``--long_option`` spelled ``--long-option``.

    ``listen`` options are spelled with dashes; the underscore spelling of
    SpeechBrain recipes and the ``python -m`` tools (``--max_new_tokens``)
    is accepted too. Values and anything after ``--`` are left alone.

    Example
    -------
    >>> dashed_options(["transcribe", "--max_new_tokens=5", "a_b.wav", "--", "--x_y"])
    ['transcribe', '--max-new-tokens=5', 'a_b.wav', '--', '--x_y']
    """
    out = []
    for position, word in enumerate(argv):
        if word == "--":
            return out + list(argv[position:])
        if word.startswith("--"):
            name, sep, value = word.partition("=")
            word = name.replace("_", "-") + sep + value
        out.append(word)
    return out


def main(argv=None):
    """Entry point of ``listen`` and ``python -m speechbrain_listen.inference.cli``."""
    parser = build_parser()
    args = parser.parse_args(dashed_options(sys.argv[1:] if argv is None else argv))
    if args.command == "export":
        from speechbrain_listen.inference import export

        return export.run(args)
    for option in ("beams", "max_new_tokens", "num_prompts", "batch_size"):
        value = getattr(args, option, None)
        if value is not None and value < 1:
            parser.error(f"--{option.replace('_', '-')} must be >= 1")
    rate = getattr(args, "max_new_tokens_per_second", None)
    if rate is not None and not rate > 0:
        parser.error("--max-new-tokens-per-second must be > 0")
    if args.command == "verify" and (len(args.audio) != 2 if args.trials is None else args.audio):
        parser.error("verify takes two audio files, or --trials and no files")
    return run_verification(args) if args.command == "verify" else run_inference(args)


if __name__ == "__main__":
    sys.exit(main())
