# Switchboard: `make run` serves the demo workspace, `make test` runs the whole suite.
# Both bootstrap what they need on a fresh machine: the virtual environment, the pinned
# packages and the database.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat requirements/dev.txt | cksum | cut -d' ' -f1)

.PHONY: install run test lint format requirements

$(STAMP): requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements/dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	@$(BIN)/python manage.py migrate --noinput
	@$(BIN)/python manage.py seed_demo
	@echo "Switchboard on http://127.0.0.1:$(PORT)/  (log in as admin, agent or viewer; password: demo)"
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
		trap 'kill $$(jobs -p) 2>/dev/null' EXIT INT TERM; \
		$(BIN)/celery -A config worker --loglevel=INFO --concurrency=2 & \
		$(BIN)/celery -A config beat --loglevel=INFO --schedule=$(VENV)/celerybeat-schedule & \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	else \
		exec $(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	fi

# The suite runs in parallel (pytest-xdist): each worker has its own test database and its own
# Redis keys (tests/conftest.py). PYTEST_WORKERS=0 runs it in this one process.
PYTEST_WORKERS ?= 2
PYTEST_DIST ?= load

test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin after editing pyproject.toml (needs uv: `pip install uv`). The output names no index.
requirements:
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
		-o requirements/base.txt
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		-o requirements/dev.txt
