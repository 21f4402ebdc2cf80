# The two commands: `make book` and `make test`. Each first runs the set-up (tools/bootstrap.py), so
# either works alone on a fresh clone: it checks every part the target needs and obtains what is
# missing (.venv with the locked packages and scratchnet; the data; for the tests a browser), or
# stops before anything is built with one line per missing part saying how to get it.
SHELL := /bin/bash
PYTHON ?= python3
BIN := .venv/bin
SETUP := $(PYTHON) tools/bootstrap.py
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup book book-student pdf pdf-student test test-fast bench targets targets-build lock clean

# Everything the book and the tests need.
setup:
	$(SETUP) book test

book:
	$(SETUP) book
	jupyter-book build book/

# The student edition: every exercise, no solution (scratchnet_book.editions), in _build/student/html/.
book-student:
	$(SETUP) book
	$(BIN)/python -m scratchnet_book.editions

# The whole book as one PDF, printed by Chromium from the single-page build (scratchnet_book.pdf):
# _build/pdf/scratchnet.pdf; pdf-student: the student edition's, _build/pdf/scratchnet-student.pdf.
pdf:
	$(SETUP) book test
	$(BIN)/python -m scratchnet_book.pdf

pdf-student:
	$(SETUP) book test
	$(BIN)/python -m scratchnet_book.pdf --student

# ruff first (the rules in pyproject.toml), then every test.
test:
	$(SETUP) book test
	$(BIN)/ruff check .
	pytest

# Quick feedback while editing: everything but the tests that need the built book (marker `book`)
# and those that start processes or train on real digits (marker `slow`); `make test` runs them all.
test-fast:
	$(SETUP) book test
	$(BIN)/ruff check .
	pytest -m "not book and not slow"

bench:
	$(SETUP) book
	$(BIN)/python -m pip install --quiet -r requirements-bench.lock
	$(BIN)/python benchmarks/bench_torch.py

# The accuracy, time and matmul-bound targets (scratchnet.targets), checked with `scratchnet train`'s
# defaults between matmul-peak measurements (about 3 minutes on a quiet machine).
targets:
	$(SETUP) book
	$(BIN)/python benchmarks/check_targets.py

# The build-time targets: the set-up and a cold `jupyter-book build book/` with new caches (a
# temporary folder; the repository's and the user's are left alone), then a warm rebuild.
targets-build:
	$(SETUP) book
	$(BIN)/python benchmarks/check_build.py

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
