"""Cross-encoder reranker: any local sentence-transformers CrossEncoder folder (e.g. a bge-reranker
or ms-marco MiniLM copied onto the machine). Loaded in ``warm_up()`` or on first use, never at import
or construction, and never from a hub."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import ModelUnavailable

logger = logging.getLogger(__name__)


class CrossEncoderReranker:
    def __init__(
        self, path: Path, *, batch_size: int = 16, max_length: int = 512, device: str = "cpu"
    ) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"cross-encoder:{self.path.resolve().name}"

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if not (self.path / "config.json").is_file():
                raise ModelUnavailable(
                    f"Reranker model folder {self.path} is missing or has no config.json. Set "
                    "SHIORI_RERANK__MODEL_PATH to a local cross-encoder folder, or "
                    "SHIORI_RERANK__BACKEND=none."
                )
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder must never reach for a hub
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import CrossEncoder

            logger.info("loading reranker path=%s device=%s", self.path, self.device)
            self._model = CrossEncoder(
                str(self.path), device=self.device, max_length=self.max_length, local_files_only=True
            )

    def rerank(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, np.float32)
        if self._model is None:
            self.warm_up()
        scores = self._model.predict(
            [(query, p) for p in passages],
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        scores = np.asarray(scores, np.float32)
        # A two-label model (irrelevant, relevant) scores each pair twice: keep "relevant".
        return scores[:, -1] if scores.ndim == 2 else scores
