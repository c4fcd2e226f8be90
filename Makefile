# speechbrain-listen: one command each to set up, test and run the demo.
#   make test   create .venv from nothing (pinned stack) and run the test suite
#   make venv   only create the environment

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv test clean system-deps

venv: $(STAMP)

# espeak-ng and sox synthesise the offline corpora (Debian packages).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@command -v espeak-ng >/dev/null && command -v sox >/dev/null || \
		( $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng sox >/dev/null )

# torch and torchaudio first, from PyPI, at the pinned versions: torchaudio
# 2.11 only loads beside torch 2.11 (DESIGN.md section 6).
$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.11.0 torchaudio==2.11.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

test: $(STAMP) system-deps
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) *.egg-info
