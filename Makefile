# The two commands a newcomer needs:  `make chat`  and  `make test`  (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: chat test check lint install index eval bench bench-quick clean

chat: install index                        ## install, build the index if missing or stale, serve the chat
	$(BIN)/dystonia chat

test: install lint                         ## lint, types, then the whole suite: unit, integration, browser, eval gate
	$(BIN)/python -m pytest

check: install lint                        ## the quick edit loop: lint, types and the fast tests (seconds, not minutes)
	DYSTONIA_FUZZ_SCALE=0.1 $(BIN)/python -m pytest -m "not slow" -q

lint: install                              ## ruff (style, imports, bugbears) and mypy (types)
	$(BIN)/ruff check .
	$(BIN)/mypy

install: $(STAMP)

# torch first, pinned to the local CPU wheel: a resolver left to pick torch pulls CUDA builds.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

index: install                             ## rebuild only what changed in corpus/
	$(BIN)/dystonia index

eval: install index                        ## answer-quality report in evals/runs/latest
	$(BIN)/dystonia eval

bench: install                             ## full benchmark against the LangChain peer (about an hour)
	$(BIN)/pip install --quiet -e '.[peer]'
	$(BIN)/python -m benchmarks.run

bench-quick: install                       ## the same, on a small sample (a few minutes)
	$(BIN)/pip install --quiet -e '.[peer]'
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf var evals/runs test-artifacts benchmarks/work
