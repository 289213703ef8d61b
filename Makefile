# Two entry points for a newcomer: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_LEDGER := $(CURDIR)/demo/demo.kontor
PYSIDE_CHECK := $(CURDIR)/../shared/tools/check_pyside_none_refcount.py

.PHONY: install demo test bench lint screenshot clean

$(BIN)/kontor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/kontor

install: $(BIN)/kontor

demo: install
	$(BIN)/kontor --ledger $(DEMO_LEDGER) demo-run

test: install
	@# PySide6 6.12.0 on Python 3.11 aborts after a few thousand calls (PERFORMANCE.md §0).
	if [ -f $(PYSIDE_CHECK) ]; then $(BIN)/python $(PYSIDE_CHECK); fi
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@# one worker per core (pytest-xdist): every test has its own ledger, home folder and bank port
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n auto

bench: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

screenshot: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/screenshot.py docs/main-window.png

clean:
	rm -rf $(VENV) demo .pytest_cache
