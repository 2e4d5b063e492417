# Bayesian Inference and Generative Models: the two commands are `make book` and `make test`.
# Everything runs in .venv, created from the pinned requirements.lock on first use.

PYTHON  ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.bayesbook-env
CHAPTER ?=

.DEFAULT_GOAL := help
.PHONY: help env book pdf test test-fast sync lab lab-source bench student grade chapter lock lint clean clean-cache a11y-deps

help:
	@echo "make book       set up .venv (if needed) and build the executed book into _build/html"
	@echo "make pdf        the book as a PDF (after make book): _build/pdf/book.pdf"
	@echo "make test       set up, build the book and its PDF and run every test (what CI runs)"
	@echo "make lab        read the chapters in JupyterLab as students do (the notebook edition)"
	@echo "make lab-source write the chapters in JupyterLab (book/*.md open as notebooks)"
	@echo "make sync       regenerate notebooks/*.ipynb from book/*.md"
	@echo "make chapter CHAPTER=book/03_markov_chains.md   execute one chapter, report time and memory"
	@echo "make bench      time every chapter and the build; writes _build/bench.md"
	@echo "make student    the student notebooks (_build/student, a zip) and web book (_build/student/html)"
	@echo "make grade SUBMISSIONS=DIR   grade DIR/<student>/<chapter>.ipynb into DIR/gradebook.csv"
	@echo "make test-fast  library and notebook tests only (no book build, no browser)"
	@echo "make lock       re-resolve requirements.in into requirements.lock (and binder/)"
	@echo "make lint       ruff"

# ---------------------------------------------------------------- environment
$(STAMP): requirements.lock pyproject.toml tools/system_deps.sh tools/jupyterlab_settings.py
	bash tools/system_deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep -E '^pip==' requirements.lock)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python tools/jupyterlab_settings.py $(VENV)
	$(BIN)/python tools/check_env.py
	touch $(STAMP)

env: $(STAMP)

# ---------------------------------------------------------------- the book
book: $(STAMP)
	$(BIN)/python tools/build_book.py
	@echo "The book is in _build/html: open _build/html/index.html, or serve it with"
	@echo "  $(BIN)/python -m http.server --directory _build/html 8000   (then http://localhost:8000)"

pdf: $(STAMP)
	bash tools/system_deps.sh --pdf
	$(BIN)/python tools/build_book.py
	$(BIN)/python tools/build_pdf.py

# axe-core for the accessibility tests, pinned in tools/a11y/package-lock.json.
A11Y := tools/a11y/node_modules/axe-core/axe.min.js
$(A11Y): tools/a11y/package.json tools/a11y/package-lock.json
	npm ci --prefix tools/a11y --no-audit --no-fund --loglevel=error
	touch $(A11Y)

a11y-deps: $(A11Y)

test: $(STAMP) $(A11Y)
	bash tools/system_deps.sh --browser --pdf
	$(BIN)/python tools/build_book.py
	$(BIN)/python tools/build_pdf.py
	$(BIN)/python -m pytest --cov --cov-report=term

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not book" --cov --cov-report=term

sync: $(STAMP)
	$(BIN)/python tools/sync_notebooks.py

# The notebook edition (what Binder, Colab and a hub open) is written by make book.
lab: $(STAMP)
	test -d _build/edition/notebooks || $(BIN)/python tools/build_book.py
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR)/_build/edition

lab-source: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR)

chapter: $(STAMP)
	@test -n "$(CHAPTER)" || { echo "usage: make chapter CHAPTER=book/<name>.md"; exit 2; }
	$(BIN)/python tools/run_chapter.py $(CHAPTER)

bench: $(STAMP)
	$(BIN)/python tools/bench.py

student: $(STAMP)
	$(BIN)/python tools/build_book.py
	$(BIN)/python tools/student_edition.py
	$(BIN)/python tools/student_site.py

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=DIR [TIMEOUT=600]"; exit 2; }
	$(BIN)/python tools/grade.py $(SUBMISSIONS) $(if $(TIMEOUT),--timeout $(TIMEOUT))

lint: $(STAMP)
	$(BIN)/ruff check src tests tools

lock:
	test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-find-links \
	  --no-emit-index-url --no-emit-trusted-host --output-file requirements.lock requirements.in
	cp requirements.lock binder/requirements.txt

clean:
	rm -rf _build

clean-cache:
	rm -rf _build/.jupyter_cache
