# Shiori — `make run` sets up and serves; `make test` sets up and runs every test.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  ?= torch==2.13.0

.PHONY: setup models run serve test test-unit test-ui ui browser lint format bench clean

setup: $(STAMP) models

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

models: $(STAMP)
	$(BIN)/shiori models prepare

run: setup ui
	$(BIN)/shiori serve

serve:
	$(BIN)/shiori serve

# The browser UI: app/ui (TypeScript) built into app/ui/dist, which the API serves at /.
UI_DIR := app/ui
NPM_MISSING = echo "npm not found: $(1) (install Node.js 20+ with npm, then run 'make ui')"

ui:
	@if command -v npm >/dev/null 2>&1; then \
		cd $(UI_DIR) && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } \
		&& npm run build; \
	else $(call NPM_MISSING,skipping the browser UI build; the API works without it); fi

# The UI's formatting and type check (Prettier, tsc), then its component tests (Vitest + jsdom).
test-ui: ui
	@if command -v npm >/dev/null 2>&1; then cd $(UI_DIR) && npm run lint && npm test; \
	else $(call NPM_MISSING,skipping the UI component tests); fi

# Debian's Chromium (and a Japanese font) for the browser e2e tests; Playwright never downloads one.
# And docker-compose, to validate docker-compose.yml (Docker itself can't run containers here).
browser:
	@command -v chromium >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null) \
		|| echo "could not install chromium: the browser e2e tests will skip (fail with SHIORI_REQUIRE_BROWSER=1)"
	@command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null 2>&1) \
		|| echo "could not install docker-compose: the compose file validation will skip"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint ui test-ui browser
	$(BIN)/pytest

test-unit: $(STAMP)
	$(BIN)/pytest -m unit

bench: setup
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/search_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(UI_DIR)/dist $(UI_DIR)/node_modules
