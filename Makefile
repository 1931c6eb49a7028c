# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run api test bench lint format clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

PORT ?= 8501
ADDRESS ?= 127.0.0.1

run: $(STAMP)  ## serve the dashboard on http://$(ADDRESS):$(PORT) (paper mode by default): make run PORT=8502
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS)

api: $(STAMP)  ## serve the HTTP API on http://127.0.0.1:8002/api/broker (create a token first: see README)
	$(BIN)/python -m crbot api serve

test: $(STAMP)  ## lint, then the whole suite (unit, AppTest, local exchange, browser)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

bench: $(STAMP)  ## print performance figures (recorded in docs/BENCHMARKS.md)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
