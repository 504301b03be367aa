# The two commands a new user needs (see README): `make demo` and `make test`.
# Each creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint clean-data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/predictive-leads generate --n-leads 50000 --seed 42 --out data/raw/demo
	$(BIN)/predictive-leads validate --data data/raw/demo
	$(BIN)/predictive-leads describe --data data/raw/demo
	$(BIN)/predictive-leads build-dataset --data data/raw/demo --every month --from 2025-03-01 --to 2026-06-01 \
		--horizon-days 90 --out data/processed/demo_train.parquet
	$(BIN)/predictive-leads train --data data/processed/demo_train.parquet --out models/demo --register lead-scoring
	$(BIN)/predictive-leads promote --name lead-scoring --data data/processed/demo_train.parquet
	$(BIN)/predictive-leads score --model models:/lead-scoring@champion --data data/raw/demo --as-of 2026-09-01 \
		--output data/scores/demo_scores.parquet --scored-at 2026-09-01

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-data:
	rm -rf data/raw
