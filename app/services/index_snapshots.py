"""On-disk snapshots of a collection's derived indexes (vectors + keyword), one file per collection.

Both indexes of a collection go into one ``.npz`` written atomically, so they can never disagree about
which documents they hold. A snapshot records the embedding model and the keyword analyzer it was
built with; one that doesn't match the running service, or can't be read, is ignored (the caller
rebuilds from the database). Re-reading vectors from the database is cheap, re-tokenising every
chunk is not: that is what the keyword half of the snapshot saves at start-up.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.index import index_from_bytes
from app.core.keyword import BM25Index
from app.services.collection_index import CollectionIndex, FrozenCollection

logger = logging.getLogger(__name__)

SNAPSHOT_VERSION = 2  # 2: keyword index added


@dataclass(frozen=True)
class SnapshotMeta:
    model_id: str
    dim: int
    analyzer_id: str | None

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": SNAPSHOT_VERSION,
                "model_id": self.model_id,
                "dim": self.dim,
                "analyzer_id": self.analyzer_id,
            }
        )


def serialize(frozen: FrozenCollection, meta: SnapshotMeta) -> bytes:
    doc_chunks = frozen.doc_chunks
    doc_ids = np.array(sorted(doc_chunks), dtype=np.int64)
    counts = np.array([len(doc_chunks[d]) for d in doc_ids], dtype=np.int64)
    chunk_ids = np.concatenate([doc_chunks[d] for d in doc_ids]) if len(doc_ids) else np.zeros(0, np.int64)
    arrays: dict[str, np.ndarray] = {
        "meta": np.array(meta.to_json()),
        "index": frozen.vectors,
        "doc_ids": doc_ids,
        "counts": counts,
        "chunk_ids": chunk_ids,
    }
    for field_name, index in (frozen.keyword or {}).items():
        arrays.update({f"kw.{field_name}.{k}": v for k, v in index.to_arrays().items()})
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def deserialize(path: Path, expected: SnapshotMeta) -> CollectionIndex | None:
    """The snapshot at ``path``, or None when it was built for another model or analyzer.
    Raises on a damaged file (the caller logs and ignores it)."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if (
            meta.get("version") != SNAPSHOT_VERSION
            or meta.get("model_id") != expected.model_id
            or meta.get("analyzer_id") != expected.analyzer_id
        ):
            logger.info("index snapshot is for another model or analyzer; rebuilding path=%s", path)
            return None
        index = index_from_bytes(data["index"])
        if index.dim != expected.dim:
            return None
        doc_ids, counts, chunk_ids = data["doc_ids"], data["counts"], data["chunk_ids"]
        keyword = None
        if expected.analyzer_id is not None:
            fields: dict[str, dict[str, np.ndarray]] = {}
            for key in data.files:
                if key.startswith("kw."):
                    _, field_name, name = key.split(".", 2)
                    fields.setdefault(field_name, {})[name] = data[key]
            keyword = {f: BM25Index.from_arrays(arrays) for f, arrays in fields.items()}
    if len(index) != len(chunk_ids) or int(counts.sum()) != len(chunk_ids):
        raise ValueError("snapshot is inconsistent")
    if keyword is not None and any(len(index) != len(chunk_ids) for index in keyword.values()):
        raise ValueError("keyword snapshot does not match the vector snapshot")
    splits = np.split(chunk_ids, np.cumsum(counts)[:-1]) if len(counts) else []
    return CollectionIndex(index, keyword, {int(d): s for d, s in zip(doc_ids, splits, strict=True)})


def atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
