# Two entry points for a newcomer: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_LEDGER := $(CURDIR)/demo/demo.kontor
PYSIDE_CHECK := $(CURDIR)/../shared/tools/check_pyside_none_refcount.py

VERSION = $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' app/__init__.py)

.PHONY: install demo demo-server demo-server-stop test bench lint screenshot bundle clean

$(BIN)/kontor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/kontor

install: $(BIN)/kontor

demo: install
	$(BIN)/kontor --ledger $(DEMO_LEDGER) demo-run

# The demo on a local PostgreSQL (README, "More than one workstation"): a cluster kept in demo/pg on port 55433,
# the demo ledger built as a file and copied to it with `kontor migrate-to-server`; stop it with demo-server-stop.
DEMO_SERVER_PORT ?= 55433
DEMO_SERVER := $(BIN)/python tests/services/pg_cluster.py
demo-server: install
	@url=$$($(DEMO_SERVER) demo $(CURDIR)/demo/pg $(DEMO_SERVER_PORT) kontor_demo) && \
	export PGPASSFILE=$(CURDIR)/demo/pg/pgpass KONTOR_PASSPHRASE=demo && \
	if [ ! -f $(CURDIR)/demo/server-demo.kontor ]; then \
	  $(BIN)/kontor --ledger $(CURDIR)/demo/server-demo.kontor demo && \
	  $(BIN)/kontor --ledger $(CURDIR)/demo/server-demo.kontor migrate-to-server "$$url"; fi && \
	echo && echo "The demo ledger is on $$url. Start as many workstations as you like:" && \
	echo "  PGPASSFILE=$(CURDIR)/demo/pg/pgpass $(BIN)/kontor --ledger '$$url'"

demo-server-stop:
	$(DEMO_SERVER) stop $(CURDIR)/demo/pg $(DEMO_SERVER_PORT)

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
	@# every page and dialog of the demo, in German and English (docs/screens/de, docs/screens/en)
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/screenshots.py docs/screens

bundle: install
	@# one-folder PyInstaller bundle, its icons, the tarball, then the smoke test from outside the repository
	$(BIN)/pip install --quiet -e '.[bundle]'
	rm -rf dist/Kontor build/pyinstaller
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/kontor.spec
	$(BIN)/python packaging/render_icons.py dist/Kontor/share/icons
	tar -C dist -czf dist/kontor-$(VERSION)-linux-x86_64.tar.gz Kontor
	@# the smoke test runs the unpacked tarball, far from the repository and its virtual environment
	unpacked=$$(mktemp -d) && tar -xzf dist/kontor-$(VERSION)-linux-x86_64.tar.gz -C $$unpacked && \
	  cd $$unpacked && env -i PATH=/usr/bin:/bin python3 $(CURDIR)/packaging/smoke_bundle.py $$unpacked/Kontor/kontor; \
	  status=$$?; rm -rf $$unpacked; exit $$status
	@du -sh dist/Kontor dist/kontor-$(VERSION)-linux-x86_64.tar.gz

clean:
	rm -rf $(VENV) demo .pytest_cache
