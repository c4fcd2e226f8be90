"""VoxCeleb speaker-verification trial lists and the ids of their pairs.

A trial list (VoxCeleb1-O's ``veri_test2.txt``) has one trial a line,
``<label> <clip> <clip>``, label 1 for one speaker and 0 for two, clips
relative to the corpus's ``wav/`` folder::

    1 id10270/x6uYqmx31kE/00001.wav id10270/8jEAjG6SegY/00008.wav

The Multitask recipe's VoxCeleb preparation reads it for its test pairs and
``listen verify --trials`` scores an exported model on it; both name a pair
by its two clips (:func:`pair_id`).

Authors
 * speechbrain-listen contributors 2026
"""

import os
from pathlib import Path

from speechbrain_listen.data.preparation_records import first_existing

TRIAL_LIST = "veri_test2.txt"


def find_trial_list(data_folder):
    """``<data_folder>/veri_test2.txt``, else ``<data_folder>/meta/veri_test2.txt``.

    Raises
    ------
    FileNotFoundError
        Neither exists; both places are named.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> (folder / "meta").mkdir()
    >>> _ = (folder / "meta" / "veri_test2.txt").write_text("")
    >>> find_trial_list(folder).relative_to(folder).as_posix()
    'meta/veri_test2.txt'
    """
    candidates = [Path(data_folder) / TRIAL_LIST, Path(data_folder) / "meta" / TRIAL_LIST]
    return first_existing(candidates, "VoxCeleb1 trial list")


def read_trials(trial_list):
    """The trials of a VoxCeleb trial list.

    Arguments
    ---------
    trial_list : str or os.PathLike
        ``veri_test2.txt`` or a file of the same format.

    Returns
    -------
    list of (int, str, str)
        ``(label, first clip, second clip)``, clips relative to ``wav/``.

    Raises
    ------
    ValueError
        A line that is not ``<0|1> <clip> <clip>`` (file and line named).

    Example
    -------
    >>> path = getfixture("tmp_path") / "veri_test2.txt"
    >>> _ = path.write_text("1 id1/v1/00001.wav id1/v2/00002.wav\\n\\n0 id1/v1/00001.wav id2/v9/00001.wav\\n")
    >>> read_trials(path)
    [(1, 'id1/v1/00001.wav', 'id1/v2/00002.wav'), (0, 'id1/v1/00001.wav', 'id2/v9/00001.wav')]
    """
    trials = []
    with open(trial_list, encoding="utf-8") as fin:
        for number, line in enumerate(fin, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3 or fields[0] not in ("0", "1"):
                raise ValueError(
                    f"{trial_list}, line {number}: expected '<1|0> <speaker/video/clip.wav> "
                    f"<speaker/video/clip.wav>', got {line.strip()!r}"
                )
            trials.append((int(fields[0]), fields[1], fields[2]))
    return trials


def clip_id(clip):
    """A clip's id: its path below ``wav/`` without the extension.

    Example
    -------
    >>> clip_id("id10270/x6uYqmx31kE/00001.wav")
    'id10270/x6uYqmx31kE/00001'
    """
    return os.path.splitext(clip)[0]


def pair_id(first, second):
    """A pair's id: its two clips' ids. ``+`` never occurs in YouTube video
    ids (which do use ``-`` and ``_``), so the id splits back unambiguously.

    Example
    -------
    >>> pair_id("id1/v-1/00001.wav", "id2/v_2/00003.wav")
    'id1/v-1/00001+id2/v_2/00003'
    """
    return f"{clip_id(first)}+{clip_id(second)}"


def default_wav_folder(trial_list):
    """Where a trial list's clips are in the VoxCeleb1 layout.

    ``wav/`` beside the list, else beside its folder (a list in ``meta/``).

    Arguments
    ---------
    trial_list : str or os.PathLike
        The trial list.

    Returns
    -------
    pathlib.Path or None
        None when neither folder exists.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> (folder / "wav").mkdir(); (folder / "meta").mkdir()
    >>> default_wav_folder(folder / "meta" / "veri_test2.txt").relative_to(folder).as_posix()
    'wav'
    """
    here = Path(os.path.abspath(trial_list)).parent
    for candidate in (here / "wav", here.parent / "wav"):
        if candidate.is_dir():
            return candidate
    return None
