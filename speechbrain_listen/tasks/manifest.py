"""The one manifest format of the multitask recipe: every task, every split.

Each dataset's preparer (LibriSpeech, Clotho, LibriSQA, IEMOCAP, VoxCeleb1,
CoVoST 2) reads that corpus's own layout and writes the same SpeechBrain CSV,
``<save_folder>/<task>_<role>.csv`` with ``role`` in ``train``, ``valid``,
``test``, so that the recipe loads, mixes and scores tasks without knowing
where they came from. Columns:

==============  ==============================================================
``ID``          unique across tasks (the preparers prefix the task name); it
                also keys the feature cache, so one ID is always one audio
``duration``    seconds of audio the model hears (for a verification pair:
                first clip + ``PAIR_GAP_SECONDS`` + second clip)
``wav``         audio file
``wav2``        second audio file (speaker verification), else empty
``task``        one of :data:`TASKS`
``target``      the answer trained on (lower-case transcript, a caption, the
                emotion word, ``yes``/``no``, the answer, the translation)
``question``    SQA: the question, which *is* the instruction; else empty
``references``  JSON list of every reference answer (Clotho: five captions);
                empty means ``[target]``
==============  ==============================================================

Authors
 * speechbrain-listen contributors 2026
"""

import csv
import json
import os

TASKS = ("asr", "captioning", "sqa", "emotion", "sv", "en2zh")
ROLES = ("train", "valid", "test")
FIELDS = ("ID", "duration", "wav", "wav2", "task", "target", "question", "references")
# Speaker verification: the second clip follows the first after this silence.
PAIR_GAP_SECONDS = 0.1


def manifest_path(save_folder, task, role):
    """``<save_folder>/<task>_<role>.csv``.

    Example
    -------
    >>> manifest_path("save", "sv", "test")
    'save/sv_test.csv'
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}: expected one of {TASKS}")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: expected one of {ROLES}")
    return os.path.join(save_folder, f"{task}_{role}.csv")


def manifest_paths(save_folder, task):
    """The manifest of every role of a task: ``{role: path}``.

    Arguments
    ---------
    save_folder : str or os.PathLike
        Where the manifests are written.
    task : str
        One of :data:`TASKS`.

    Returns
    -------
    dict
        Role (``train``, ``valid``, ``test``) -> :func:`manifest_path` (str).

    Example
    -------
    >>> manifest_paths("save", "sv")["valid"]
    'save/sv_valid.csv'
    """
    return {role: manifest_path(str(save_folder), task, role) for role in ROLES}


def manifest_row(task, example_id, duration, wav, target, wav2="", question="", references=None):
    """One manifest row as a dict, checked and with the ID prefixed.

    Arguments
    ---------
    task : str
        One of :data:`TASKS`.
    example_id : str
        The corpus's own id; the row's ID is ``<task>-<example_id>``.
    duration : float
        Seconds heard by the model.
    wav, wav2 : str
        Audio file(s).
    target : str
        The training answer.
    question : str
        SQA question.
    references : list of str, optional
        All references; None means ``[target]``.

    Returns
    -------
    dict

    Example
    -------
    >>> row = manifest_row("sv", "p1", 4.2, "a.wav", "yes", wav2="b.wav")
    >>> row["ID"], row["references"]
    ('sv-p1', '')
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}: expected one of {TASKS}")
    return {
        "ID": f"{task}-{example_id}",
        "duration": f"{float(duration):.4f}",
        "wav": str(wav),
        "wav2": str(wav2 or ""),
        "task": task,
        "target": target,
        "question": question or "",
        "references": json.dumps(list(references), ensure_ascii=False) if references else "",
    }


def write_manifest(path, rows):
    """Writes rows (dicts of :data:`FIELDS`) atomically: a crash leaves no
    half-written manifest that a rerun would trust.

    Returns
    -------
    str
        ``path``.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    partial = path + ".partial"
    with open(partial, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({field: row.get(field, "") for field in FIELDS})
    os.replace(partial, path)
    return path


def read_manifest(path):
    """Reads a manifest into ``{ID: fields}`` (SpeechBrain's data-dict shape).

    ``duration`` becomes a float and ``references`` a list (``[target]``
    when empty).

    Example
    -------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "sv_test.csv")
    >>> _ = write_manifest(path, [manifest_row("sv", "p1", 4.2, "a.wav", "no", wav2="b.wav")])
    >>> data = read_manifest(path)
    >>> data["sv-p1"]["duration"], data["sv-p1"]["references"], data["sv-p1"]["wav2"]
    (4.2, ['no'], 'b.wav')
    """
    data = {}
    with open(path, newline="", encoding="utf-8") as fin:
        for row in csv.DictReader(fin):
            example_id = row.pop("ID")
            if example_id in data:
                raise ValueError(f"{path}: duplicate ID {example_id}")
            row["duration"] = float(row["duration"])
            row["references"] = json.loads(row["references"]) if row["references"] else [row["target"]]
            data[example_id] = row
    return data
