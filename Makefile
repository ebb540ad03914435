# treffpunkt: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# test processes per database run (pytest-xdist, one per core); JOBS=0 runs in one process
JOBS   ?= auto
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CODE   := $(wildcard src tests bench)
export PICCOLO_CONF := treffpunkt.piccolo_conf

.PHONY: run test test-sqlite test-postgres lint format install messages clean

# The pages' CSS (Pico) comes from npm into node_modules/, exactly as package-lock.json says.
$(VENV)/.installed: pyproject.toml package.json package-lock.json
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "treffpunkt needs Python 3.11 or newer"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	npm ci --no-audit --no-fund --silent
	@# Posters (WeasyPrint) need Pango and a font with Arabic letters: on Debian, apt-get.
	@$(PYTHON) -c 'import ctypes.util as u, sys; sys.exit(not u.find_library("pango-1.0"))' || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends \
		libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; }
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed tests/js/package.json
	$(BIN)/python -m pip install --quiet -e '.[test]'
	npm install --prefix tests/js --no-audit --no-fund --silent
	command -v chromium >/dev/null || { $(SUDO) apt-get update -q && \
		$(SUDO) apt-get install -y -q --no-install-recommends chromium; }
	touch $@

install: $(VENV)/.installed

## run: install, migrate the embedded SQLite database, load demo data once, serve on :$(PORT)
run: export TREFFPUNKT_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed
	$(BIN)/treffpunkt migrate
	$(BIN)/treffpunkt demo
	@echo "treffpunkt serves on http://127.0.0.1:$(PORT)  (API docs: /schema; mail lands in var/mail/new/)"
	$(BIN)/treffpunkt serve --port $(PORT)

## test: lint, then the whole suite on SQLite and on PostgreSQL (side by side)
test: lint
	@# Both databases at once: much of the suite waits on served processes, browsers and
	@# SMTP, so the two runs share the cores well; each run's output is printed whole.
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: $(VENV)/.installed-test
	$(BIN)/pytest --db=sqlite -n $(JOBS) --dist loadfile $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-test
	$(BIN)/pytest --db=postgres -n $(JOBS) --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

## messages: collect new translatable strings into every catalogue (docs/web.md)
messages: $(VENV)/.installed
	mkdir -p var
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --add-location=file --sort-by-file \
		--project=treffpunkt --omit-header -o var/messages.pot .
	$(BIN)/pybabel -q update -i var/messages.pot -d src/treffpunkt/locales --ignore-obsolete
	@# No extraction date in the catalogues: parallel branches would conflict on it.
	$(BIN)/python -c 'import pathlib, re; [p.write_text(re.sub(r"^\"POT-Creation-Date: .*\n", "", \
		p.read_text("utf-8"), flags=re.M), "utf-8") for p in pathlib.Path("src/treffpunkt/locales").glob("*/*/messages.po")]'

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix $(CODE)
	$(BIN)/ruff format $(CODE)

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .ruff_cache .mypy_cache
