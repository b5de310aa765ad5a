# Shiori — `make run` sets up and serves; `make test` sets up and runs every test.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  ?= torch==2.13.0

.PHONY: setup models run serve test test-unit test-ui ui browser lint format bench clean lock doctor api-types

setup: $(STAMP) models

# Every Python dependency comes from a lock file with hashes (requirements/*.lock, `make lock`).
# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build. llama-cpp-python is compiled
# from its hashed source archive with explicit flags (requirements/llama-cmake-args), never -march=native,
# so the same build runs on every x86-64 CPU with AVX2 (the AMX kernels that crashed are not built).
LLAMA_CMAKE_ARGS ?= $(shell cat requirements/llama-cmake-args)
LLAMA_STAMP := $(VENV)/.llama-built
PIP_VERSION ?= pip==26.3
LLAMA_VERSION := $(shell grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml | head -1 | cut -d= -f3)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(PIP_VERSION)

$(LLAMA_STAMP): requirements/llama.lock requirements/llama-cmake-args | $(VENV)/bin/python
	@echo "compiling llama-cpp-python (a few minutes, once) with: $(LLAMA_CMAKE_ARGS)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(BIN)/pip install -q --no-cache-dir --force-reinstall --no-deps --require-hashes -r requirements/llama.lock
	touch $(LLAMA_STAMP)

$(STAMP): pyproject.toml requirements/dev.lock $(LLAMA_STAMP)
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements/dev.lock
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

# Regenerate the lock files after changing a dependency in pyproject.toml (README: "Upgrading").
LOCK_ARGS := --generate-hashes --no-emit-index-url --no-emit-find-links --strip-extras \
	--unsafe-package torch --unsafe-package llama-cpp-python -c requirements/constraints.in
lock: $(VENV)/bin/python
	$(BIN)/pip install -q $(TORCH) 'pip-tools>=7.4'
	$(BIN)/pip-compile -q $(LOCK_ARGS) --extra dev -o requirements/dev.lock pyproject.toml
	$(BIN)/pip-compile -q $(LOCK_ARGS) -c requirements/dev.lock -o requirements/runtime.lock pyproject.toml
	rm -rf $(VENV)/llama-src
	$(BIN)/pip download -q --no-deps --no-binary :all: -d $(VENV)/llama-src "llama-cpp-python==$(LLAMA_VERSION)"
	{ head -2 requirements/llama.lock; echo "llama-cpp-python==$(LLAMA_VERSION) \\"; \
	  echo "    --hash=sha256:$$(sha256sum $(VENV)/llama-src/*.tar.gz | cut -d' ' -f1)"; } > requirements/llama.lock.new
	mv requirements/llama.lock.new requirements/llama.lock

models: $(STAMP)
	$(BIN)/shiori models prepare

run: setup ui
	$(BIN)/shiori serve

serve:
	$(BIN)/shiori serve

# CPU features, the llama.cpp build, the model files, measured prompt and decode speed.
doctor: setup
	$(BIN)/shiori doctor

# The browser UI: app/ui (TypeScript) built into app/ui/dist, which the API serves at /.
UI_DIR := app/ui
NPM_MISSING = echo "npm not found: $(1) (install Node.js 20+ with npm, then run 'make ui')"

ui:
	@if command -v npm >/dev/null 2>&1; then \
		cd $(UI_DIR) && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } \
		&& npm run build; \
	else $(call NPM_MISSING,skipping the browser UI build; the API works without it); fi

# The UI's API types: the server's OpenAPI schema into app/ui/openapi.json, then TypeScript from it
# (openapi-typescript). Run after changing a payload; tests fail while either file is out of date.
api-types: $(STAMP)
	$(BIN)/python -m app.api.openapi > $(UI_DIR)/openapi.json
	cd $(UI_DIR) && npm run api:types

# The UI's formatting and type check (Prettier, tsc), then its component tests (Vitest + jsdom).
test-ui: ui
	@if command -v npm >/dev/null 2>&1; then cd $(UI_DIR) && npm run lint && npm test; \
	else $(call NPM_MISSING,skipping the UI component tests); fi

# Debian's Chromium (and a Japanese font) for the browser e2e tests; Playwright never downloads one.
# Tesseract with its Japanese (horizontal and vertical) and English data for OCR and its tests.
# Poppler's pdftotext, the outside reference the character-box tests compare Shiori's boxes with.
# And docker-compose, to validate docker-compose.yml (Docker itself can't run containers here).
OCR_PACKAGES := tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert tesseract-ocr-eng
browser:
	@command -v chromium >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null) \
		|| echo "could not install chromium: the browser e2e tests will skip (fail with SHIORI_REQUIRE_BROWSER=1)"
	@(command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx jpn_vert) \
		|| (apt-get update -qq && apt-get install -y -qq $(OCR_PACKAGES) fonts-ipafont-gothic >/dev/null) \
		|| echo "could not install Tesseract: the OCR tests will skip (fail under CI)"
	@command -v pdftotext >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null) \
		|| echo "could not install poppler-utils: the character-box reference tests will skip (fail under CI)"
	@command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null 2>&1) \
		|| echo "could not install docker-compose: the compose file validation will skip (fail under CI)"

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
