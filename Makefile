# The two commands a new user needs (see README): `make demo` and `make test`.
# Each creates the virtual environment it needs on first use. A second `make demo` reuses every step whose
# output exists (delete data/ and models/, or run `make demo-clean`, to start over); each step writes
# atomically, so an interrupted run never leaves a half-written file behind.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_STAMP := $(VENV)/.demo-stamp
DEV_STAMP := $(VENV)/.dev-stamp
PL := $(BIN)/predictive-leads

WORLD := data/raw/demo
TRAIN_SET := data/processed/demo_train.parquet
MODEL := models/demo
CHAMPION := $(MODEL)/.champion
SCORES := data/scores/demo_scores.parquet
AS_OF := 2026-09-01

MIN_VENV := .venv-min
MIN_STAMP := $(MIN_VENV)/.min-stamp

.PHONY: demo test test-min lint demo-clean clean-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the demo installs the package and the learned scorecard's extra only; the tests install the dev extra
$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[scorecard]"
	touch $(DEMO_STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP) $(DEMO_STAMP)

demo: $(SCORES)
	@echo "== summary"
	$(PL) summary --model $(MODEL) --scores $(SCORES) --name lead-scoring --data $(WORLD) --as-of $(AS_OF)

$(WORLD)/manifest.json: | $(DEMO_STAMP)
	@echo "== 1/5 synthetic lead world (50k leads, seed 42)"
	$(PL) generate --n-leads 50000 --seed 42 --out $(WORLD)
	$(PL) validate --data $(WORLD)
	$(PL) describe --data $(WORLD)

$(TRAIN_SET): $(WORLD)/manifest.json
	@echo "== 2/5 point-in-time training set (monthly snapshots, 90-day horizon)"
	$(PL) build-dataset --data $(WORLD) --every month --from 2025-03-01 --to 2026-06-01 --horizon-days 90 \
		--out $(TRAIN_SET)

$(CHAMPION): $(TRAIN_SET)
	@echo "== 3/5 model, rule presets and learned scorecard, evaluated out of time; report; MLflow"
	$(PL) train --data $(TRAIN_SET) --out $(MODEL) --register lead-scoring
	@echo "== 4/5 promotion gate (the first model becomes @champion)"
	$(PL) promote --name lead-scoring --data $(TRAIN_SET)
	touch $(CHAMPION)

$(SCORES): $(CHAMPION)
	@echo "== 5/5 batch scores of the leads open on $(AS_OF), with reasons"
	$(PL) score --model models:/lead-scoring@champion --data $(WORLD) --as-of $(AS_OF) --output $(SCORES) \
		--scored-at $(AS_OF)

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# the declared dependency floors, tested: uv installs the lowest version each direct dependency allows, then the
# quick tests run on them (CI runs this after `make test`)
$(MIN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet uv
	$(MIN_VENV)/bin/uv pip install --quiet --python $(MIN_VENV)/bin/python --resolution lowest-direct -e ".[dev]"
	touch $(MIN_STAMP)

test-min: $(MIN_STAMP)
	$(MIN_VENV)/bin/python -m pytest -m "not slow" -q -p no:cacheprovider

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

demo-clean:
	rm -rf $(WORLD) $(TRAIN_SET) $(MODEL) models/mlflow data/scores

clean-data:
	rm -rf data/raw
