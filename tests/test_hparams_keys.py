"""Every top-level key of every recipe hparams file is used somewhere.

A key is used when another entry of the same file references it
(``<key>``), when a SpeechBrain run option reads it, or when the recipe's
Python code (its ``train.py`` or the shared library) reads it by name. A
forgotten key is a setting users would change without effect.
"""

import pathlib
import re

import pytest
from speechbrain.core import RunOptions

ROOT = pathlib.Path(__file__).resolve().parents[1]
HPARAMS = sorted(ROOT.glob("recipes/*/hparams/*.yaml"))
LIBRARY = "\n".join(p.read_text() for p in (ROOT / "speechbrain_listen").rglob("*.py"))
RUN_OPTIONS = set(RunOptions().as_dict())


def top_level_keys(text):
    return re.findall(r"^([A-Za-z_][\w]*)\s*:", text, flags=re.M)


def is_used(key, yaml_text, code):
    if key.startswith("__") or key in RUN_OPTIONS:
        return True
    if re.search(rf"<{re.escape(key)}(?:[.\[>])", yaml_text):
        return True
    return bool(re.search(rf"[\"']{re.escape(key)}[\"']|\.{re.escape(key)}\b", code))


@pytest.mark.parametrize("hparams", HPARAMS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_top_level_key_is_used(hparams):
    text = hparams.read_text()
    code = (hparams.parents[1] / "train.py").read_text() + LIBRARY
    unused = [k for k in top_level_keys(text) if not is_used(k, text, code)]
    assert not unused, f"unused keys in {hparams.name}: {unused}"


def test_the_check_finds_an_unused_key():
    text = "lr: 0.1\nforgotten: 3\nopt: !new:torch.optim.SGD\n    lr: !ref <lr>\n"
    unused = [k for k in top_level_keys(text) if not is_used(k, text, "hparams['opt']")]
    assert unused == ["forgotten"]
