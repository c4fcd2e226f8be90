"""Data preparation of the multitask recipe: one manifest per task and role.

ASR (LibriSpeech) and audio captioning (Clotho) are always prepared; the
other tasks when their data folder is given (docs/design.md section 2):

==========  ===================  =========================================
task        corpus (its layout)  preparer
==========  ===================  =========================================
asr         LibriSpeech          ``librispeech_prepare.py`` (symlink)
captioning  Clotho v2.1          ``clotho_prepare.py`` (symlink)
sqa         LibriSQA part I      ``librisqa_prepare.py`` (+ LibriSpeech)
emotion     IEMOCAP, 4 classes   ``iemocap_prepare.py``
sv          VoxCeleb1 pairs      ``voxceleb_prepare.py``
en2zh       CoVoST 2 En->Zh      ``covost_prepare.py``
==========  ===================  =========================================

Every task ends up in the common format of
``speechbrain_listen.tasks.manifest``: ``<save_folder>/<task>_<role>.csv``
for ``train``, ``valid`` and ``test``. LibriSpeech and Clotho keep their own
recipes' preparation (and its bad-data checks and idempotence, in
``<save_folder>/librispeech/`` and ``<save_folder>/clotho/``); their manifests
are converted here: the ASR target is the lower-cased transcript, the
captioning target a caption with all five as references. As in SpeechBrain's
recipes, the two preparers are symlinks in this folder
(``librispeech_prepare.py -> ../LibriSpeech/librispeech_prepare.py``,
``clotho_prepare.py -> ../Clotho/clotho_prepare.py``), imported as sibling
modules.

Authors
 * speechbrain-listen contributors 2026
"""

import csv
import os

from speechbrain.utils.logger import get_logger

from speechbrain_listen.tasks.manifest import (
    manifest_path,
    manifest_row,
    read_manifest,
    write_manifest,
)

logger = get_logger(__name__)

CLOTHO_ROLES = {"train": "development", "valid": "validation", "test": "evaluation"}


def prepare_multitask(
    save_folder,
    librispeech_folder,
    clotho_folder,
    librispeech_splits,
    librisqa_folder=None,
    iemocap_folder=None,
    voxceleb_folder=None,
    covost_folder=None,
    voxceleb_options=None,
    skip_prep=False,
    on_bad_data="skip",
    check_audio_content=False,
):
    """Prepares every task whose data is given.

    Arguments
    ---------
    save_folder : str
        Where the manifests go.
    librispeech_folder : str
        The LibriSpeech folder (holding ``train-clean-100/`` ...).
    clotho_folder : str
        The Clotho v2.1 folder.
    librispeech_splits : dict
        Role -> list of LibriSpeech split names, e.g. ``{"train":
        ["train-clean-100"], "valid": ["dev-clean"], "test": ["test-clean"]}``.
    librisqa_folder, iemocap_folder, voxceleb_folder, covost_folder : str, optional
        The other corpora; None leaves the task out.
    voxceleb_options : dict, optional
        Keyword arguments of ``prepare_voxceleb_pairs`` (pair counts,
        ``max_pair_seconds``).
    skip_prep : bool
        Do nothing (the manifests exist).
    on_bad_data, check_audio_content
        As in every preparer of this project (``speechbrain_listen.data.checks``).

    Returns
    -------
    dict
        Task -> role -> manifest path, for the tasks prepared.
    """
    checks = {"on_bad_data": on_bad_data, "check_audio_content": check_audio_content}
    if skip_prep:
        return {}
    os.makedirs(save_folder, exist_ok=True)
    manifests = {
        "asr": prepare_asr(save_folder, librispeech_folder, librispeech_splits, checks),
        "captioning": prepare_captioning(save_folder, clotho_folder, checks),
    }
    if librisqa_folder:
        from librisqa_prepare import prepare_librisqa

        manifests["sqa"] = prepare_librisqa(librisqa_folder, librispeech_folder, save_folder, **checks)
    if iemocap_folder:
        from iemocap_prepare import prepare_iemocap

        manifests["emotion"] = prepare_iemocap(iemocap_folder, save_folder, **checks)
    if voxceleb_folder:
        from voxceleb_prepare import prepare_voxceleb_pairs

        manifests["sv"] = prepare_voxceleb_pairs(
            voxceleb_folder, save_folder, **(voxceleb_options or {}), **checks
        )
    if covost_folder:
        from covost_prepare import prepare_covost

        manifests["en2zh"] = prepare_covost(covost_folder, save_folder=save_folder, **checks)
    for task, roles in manifests.items():
        sizes = ", ".join(f"{role} {len(read_manifest(path))}" for role, path in roles.items())
        logger.info(f"multitask data: {task}: {sizes}")
    return manifests


def prepare_asr(save_folder, librispeech_folder, splits, checks):
    """LibriSpeech through its own preparer, then the ASR manifests."""
    from librispeech_prepare import prepare_librispeech

    folder = os.path.join(save_folder, "librispeech")
    csv_files = prepare_librispeech(
        librispeech_folder,
        folder,
        tr_splits=splits["train"],
        dev_splits=splits["valid"],
        te_splits=splits["test"],
        **checks,
    )
    manifests = {}
    for role in ("train", "valid", "test"):
        rows = []
        for split in splits[role]:
            data = read_librispeech_csv(csv_files[split])
            rows += [
                manifest_row("asr", uid, ex["duration"], ex["wav"], ex["wrd"].lower())
                for uid, ex in data.items()
            ]
        manifests[role] = write_manifest(manifest_path(save_folder, "asr", role), rows)
    return manifests


def read_librispeech_csv(path):
    """``{ID: row}`` of a LibriSpeech manifest (``ID,duration,wav,spk_id,wrd``)."""
    with open(path, newline="", encoding="utf-8") as fin:
        return {row.pop("ID"): row for row in csv.DictReader(fin)}


def prepare_captioning(save_folder, clotho_folder, checks):
    """Clotho through its own preparer, then the captioning manifests."""
    from clotho_prepare import load_manifest, prepare_clotho

    folder = os.path.join(save_folder, "clotho")
    csv_files = prepare_clotho(clotho_folder, folder, splits=list(CLOTHO_ROLES.values()), **checks)
    manifests = {}
    for role, split in CLOTHO_ROLES.items():
        rows = [
            manifest_row(
                "captioning",
                uid,
                clip["duration"],
                clip["wav"],
                clip["references"][0],
                references=clip["references"],
            )
            for uid, clip in load_manifest(csv_files[split]).items()
        ]
        manifests[role] = write_manifest(manifest_path(save_folder, "captioning", role), rows)
    return manifests
