# Huitou — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/huitou/static/vendor
HUITOU := $(BIN)/huitou

.PHONY: run test install assets messages po lint format bench lock browser dovecot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

$(VENDOR)/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	touch $(VENDOR)/.built

install: $(STAMP) assets messages

assets: $(VENDOR)/.built

# From the top folder, so settings put var/ here and nowhere inside the package.
messages: $(STAMP)
	$(HUITOU) compilemessages -v 0 --ignore=.venv --ignore=node_modules --ignore=var

# Re-extract the English catalogue after changing UI strings.
po: $(STAMP)
	cd src/huitou && HUITOU_VAR_DIR=$(CURDIR)/var ../../$(HUITOU) makemessages -l en --no-obsolete

run: install
	mkdir -p var
	$(HUITOU) migrate --noinput -v 0
	$(HUITOU) demo --if-empty
	$(HUITOU) serve --addr 127.0.0.1:8000

# Runs the whole suite on SQLite, then again on PostgreSQL when TEST_POSTGRES_URL is set.
test: install browser dovecot
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(HUITOU) makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/pytest
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_POSTGRES_URL)"; \
		DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/pytest; \
	fi

# Browser tests drive Debian's Chromium; install it when we may (root + apt), else they skip and say so.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "== installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
		|| echo "chromium could not be installed; browser tests will be skipped"; \
	fi

# The IMAP tests run Debian's dovecot on their own loopback ports (src/huitou/mail/tests/dovecot.py);
# install it when we may, and stop the system service the package may start: it is not needed.
dovecot:
	@if [ ! -x /usr/sbin/dovecot ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "== installing Debian's dovecot-imapd for the IMAP tests"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null \
				&& { systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true; }) \
			|| echo "dovecot-imapd could not be installed; the IMAP tests will be skipped"; \
		else \
			echo "dovecot is missing (apt-get install dovecot-imapd, as root); the IMAP tests will be skipped"; \
		fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python -m bench && $(BIN)/python -m bench.archive && $(BIN)/python -m bench.sla && $(BIN)/python -m bench.kb \
		&& $(BIN)/python -m bench.mail && $(BIN)/python -m bench.mail_ingest && $(BIN)/python -m bench.chat_load

lock:
	uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 --no-header

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
