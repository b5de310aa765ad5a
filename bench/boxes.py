"""What keeping character boxes costs (#13): ingestion time with boxes on and off in the same run, and
the bytes they add to the database. Prints JSON.

    python bench/boxes.py [--files PDF ...] [--repeat N] [--extract-only]

Two timings, each alternating on and off, best of `--repeat`:
- extraction: `load_document` alone (PDFium text and boxes, quality check, normalisation and its map),
  the part boxes touch, so the upper bound of their cost;
- ingestion: the real worker end to end (extract, chunk, embed with the bundled model, one write).
OCR is off: the sample PDFs have text layers, and on a scanned page Tesseract's seconds dwarf boxes.
Sizes come from the databases of the last two ingestion runs (SQLite files, boxes on and off).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import SHARED, add_texts, build_container, drain, make_settings, session_scope
from sqlalchemy import LargeBinary, cast, func, select

from app.db import models as m
from ingestion.loaders import load_document


def extract_s(files: list[Path], char_boxes: bool) -> float:
    t0 = time.perf_counter()
    for path in files:
        load_document(path, char_boxes=char_boxes)
    return time.perf_counter() - t0


def _utf8_bytes(column: Any) -> Any:
    return func.length(cast(column, LargeBinary))


def ingest(files: list[Path], char_boxes: bool, data_dir: Path) -> tuple[float, dict[str, Any]]:
    settings = make_settings(data_dir, ingest={"char_boxes": char_boxes}, ocr={"enabled": False})
    container = build_container(settings)
    try:
        add_texts(container, "bench", [(f.name, f.read_bytes()) for f in files])
        seconds = drain(container)
        with session_scope(container.factory) as s:
            boxes = [int(b) for b in s.scalars(select(func.length(m.Page.boxes))) if b is not None]
            sizes = {
                "pages": int(s.scalar(select(func.count(m.Page.id))) or 0),
                "not_ready": s.scalar(
                    select(func.count()).where(m.Document.status != m.DocumentStatus.ready)
                ),
                "page_text_bytes": int(s.scalar(select(func.sum(_utf8_bytes(m.Page.text)))) or 0),
                "chunk_text_bytes": int(s.scalar(select(func.sum(_utf8_bytes(m.Chunk.text)))) or 0),
                "embedding_bytes": int(s.scalar(select(func.sum(func.length(m.Chunk.embedding)))) or 0),
                "boxes": boxes,
            }
    finally:
        container.close()
    sizes["db_file_bytes"] = (data_dir / "shiori.db").stat().st_size
    return seconds, sizes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--files", nargs="*", type=Path, default=sorted((SHARED / "corpus/pdf/good").glob("*.pdf"))
    )
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--extract-only", action="store_true")
    args = ap.parse_args()

    extraction: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.repeat):
        for on in (True, False):
            extraction[on].append(extract_s(args.files, on))
    out: dict[str, Any] = {
        "files": [f.name for f in args.files],
        "extraction_s": {"on": round(min(extraction[True]), 2), "off": round(min(extraction[False]), 2)},
        "extraction_slowdown": round(min(extraction[True]) / min(extraction[False]) - 1, 3),
    }
    if not args.extract_only:
        runs: dict[bool, list[float]] = {True: [], False: []}
        sizes: dict[bool, dict[str, Any]] = {}
        for _ in range(args.repeat):
            for on in (True, False):
                data_dir = Path(tempfile.mkdtemp(prefix="shiori-bench-boxes-"))
                try:
                    seconds, sizes[on] = ingest(args.files, on, data_dir)
                finally:
                    shutil.rmtree(data_dir, ignore_errors=True)
                runs[on].append(seconds)
        boxes = sizes[True].pop("boxes")
        sizes[False].pop("boxes")
        on_db, off_db = sizes[True]["db_file_bytes"], sizes[False]["db_file_bytes"]
        out |= {
            "ingestion_s": {
                "on": [round(s, 1) for s in runs[True]],
                "off": [round(s, 1) for s in runs[False]],
            },
            "ingestion_slowdown": round(min(runs[True]) / min(runs[False]) - 1, 3),
            "target_slowdown": 0.10,
            "box_bytes_per_page": {
                "mean": round(statistics.mean(boxes)),
                "median": round(statistics.median(boxes)),
                "max": max(boxes),
                "pages_with_boxes": len(boxes),
            },
            "boxes_total_bytes": sum(boxes),
            "boxes_share_of_db_file": round(sum(boxes) / on_db, 3),
            "db_growth_from_boxes": round(on_db / off_db - 1, 3),
            "boxes_vs_page_text": round(sum(boxes) / sizes[True]["page_text_bytes"], 3),
            "db_on": sizes[True],
            "db_off": sizes[False],
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
