# Two entry points for a newcomer: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_LEDGER := $(CURDIR)/demo/demo.kontor
export QT_QPA_PLATFORM_TEST := offscreen

.PHONY: install demo test bench lint screenshot clean

$(BIN)/kontor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/kontor

install: $(BIN)/kontor

demo: install
	$(BIN)/kontor demo-run --ledger $(DEMO_LEDGER)

test: install
	$(BIN)/python $(CURDIR)/../shared/tools/check_pyside_none_refcount.py 2>/dev/null || \
		test ! -f $(CURDIR)/../shared/tools/check_pyside_none_refcount.py
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

screenshot: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/screenshot.py docs/main-window.png

clean:
	rm -rf $(VENV) demo .pytest_cache
