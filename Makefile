# Two commands for a newcomer: `make run` and `make test`. Both build .venv on a bare machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench demo migrate lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
	$(BIN)/python bot.py migrate
	$(BIN)/python bot.py run

demo: $(VENV)/.runtime
	$(BIN)/python bot.py demo

migrate: $(VENV)/.runtime
	$(BIN)/python bot.py migrate

test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 4 --dist worksteal

bench: $(VENV)/.dev
	$(BIN)/python -m pytest -m slow
	$(BIN)/python -m bench.report

lint: $(VENV)/.dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
