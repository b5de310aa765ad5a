"""sentence-transformers backend: any local sentence-transformers folder (default: converted e5-small)."""

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


class SentenceTransformerEmbedder:
    """Loads the model in ``warm_up()`` (or on first use), never in the constructor."""

    def __init__(
        self,
        path: Path,
        *,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        batch_size: int = 32,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.device = device
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if not self.path.is_dir():
                raise ModelUnavailable(
                    f"Embedding model folder {self.path} does not exist. Run `shiori models prepare` "
                    "to build the bundled one, or set SHIORI_EMBEDDING__MODEL_PATH to a local "
                    "sentence-transformers folder."
                )
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder must never reach for a hub
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging_module

            hf_logging: Any = hf_logging_module

            hf_logging.disable_progress_bar()  # no "Loading weights" bars in server logs
            if self.threads:
                torch.set_num_threads(self.threads)
            logger.info("loading embedding model path=%s device=%s", self.path, self.device)
            self._model = SentenceTransformer(str(self.path), device=self.device, local_files_only=True)

    @property
    def model(self) -> Any:
        if self._model is None:
            self.warm_up()
        return self._model

    @property
    def dim(self) -> int:
        model = self.model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def model_id(self) -> str:
        return f"sbert:{self.path.resolve().name}:{self.dim}"

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._encode([self.query_prefix + text])[0]
        return vector

    def count_tokens(self, text: str) -> int:
        # verbose=False: counting a long text is fine, it is not fed to the model as is.
        return len(self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])
