# lecturenn: the two commands of the README are `make book` and `make test`.
# Both create a local virtual environment on first use (.venv) and install what they need.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
EXTRAS ?= book,test,torch

.PHONY: help install book book-clean book-committed portability test unit nbval notebooks lint bench browser-check verify ledger-page clean

help:
	@echo "make book   build the HTML book into _build/html (installs into $(VENV) on first run)"
	@echo "make test   unit tests, nbval over every notebook, a warning-free clean book build, browser check"
	@echo "make bench  speed comparison with PyTorch; tables on screen, JSON in _build/bench/"
	@echo "make lint   ruff"
	@echo "make portability  nbval and unit tests under other CPU kernels and thread counts"
	@echo "make verify run every check of the verification ledger (lecturenn/ledger.toml), print the table"
	@echo "make notebooks  re-execute the chapter notebooks in place (commit them with their outputs)"

# The stamp is rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $@

install: $(STAMP)

# Executes the notebooks (with the jupyter-cache: an unchanged rebuild takes seconds).
book: $(STAMP)
	$(BIN)/jupyter-book build . --keep-going
	@echo ""
	@echo "The book is in _build/html. Open: file://$(CURDIR)/_build/html/index.html"

# A warning-free build from a clean _build, as the tests do it.
book-clean: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute _build/.jupyter_cache
	$(BIN)/jupyter-book build . -n -W --keep-going

# The same, from the notebooks' committed outputs (what `make test` builds after nbval).
book-committed: $(STAMP)
	$(BIN)/python tools/book_from_committed.py

# The suite under other CPU kernels and thread counts (tools/check_portability.py).
portability: $(STAMP)
	$(BIN)/python tools/check_portability.py --unit

test:
	@bash tools/test.sh

unit: $(STAMP)
	$(BIN)/python -m pytest -o addopts="-p no:cacheprovider" tests

nbval: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile book

# Re-execute every chapter notebook in place, without Jupyter's per-cell timestamps.
notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py

lint: $(STAMP)
	$(BIN)/ruff check lecturenn tests benchmarks tools book

browser-check: $(STAMP)
	$(BIN)/python tools/check_pages.py _build/html

# Every check the verification ledger names, with a table of results (issue 9).
verify: $(STAMP)
	$(BIN)/python -m lecturenn.verify

# Regenerate the book's ledger page after editing lecturenn/ledger.toml.
ledger-page: $(STAMP)
	$(BIN)/python -m lecturenn.verify --write-page book/ledger.md

# pykan, the KAN benchmark's reference, is installed for the benchmarks only (extra "bench").
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS),bench]"
	@touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build .pytest_cache .ruff_cache
