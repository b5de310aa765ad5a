"""Page image latency (issue 13): cold renders (the child process: PDFium in isolation) against the same
render in this process, and cached images, over pages of the sample PDFs, in one run. Prints JSON.

    python bench/page_images.py [--width 1200] [--pages 12]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from _common import SHARED, add_texts, build_container, drain, make_settings, session_scope

from app.core.page_render import render_page
from app.db import models as m

PDFS = [
    "pdf/good/ja_gov_notice_mhlw-tsuchi.pdf",
    "pdf/good/en_gov_report_dmca-summary_18p.pdf",
    "pdf/bad/bad_scanned_image-only_en.pdf",
]


def ms(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values) * 1000, 2), "max": round(max(values) * 1000, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--pages", type=int, default=12, help="pages per kind of render")
    args = ap.parse_args()

    container = build_container(make_settings(Path(tempfile.mkdtemp(prefix="shiori-bench-"))))
    add_texts(container, "bench", [(Path(p).name, (SHARED / "corpus" / p).read_bytes()) for p in PDFS])
    drain(container)
    with session_scope(container.factory) as s:
        docs = list(s.query(m.Document).filter(m.Document.status == m.DocumentStatus.ready))
        pages = [(d.id, n) for d in docs for n in range(1, (d.pages or 0) + 1)][: args.pages]
        cold: list[float] = []
        cached: list[float] = []
        inproc: list[float] = []
        sizes: list[int] = []
        by_id = {d.id: d for d in docs}
        for doc_id, n in pages:
            doc = by_id[doc_id]
            t0 = time.perf_counter()
            image = container.page_images.get(s, doc, n, args.width, "png")
            cold.append(time.perf_counter() - t0)
            sizes.append(image.path.stat().st_size)
            t0 = time.perf_counter()
            container.page_images.get(s, doc, n, args.width, "png").path.read_bytes()  # what serving reads
            cached.append(time.perf_counter() - t0)
            source = container.settings.paths.uploads_dir / doc.storage_path
            t0 = time.perf_counter()
            render_page(source, doc.mime or "", n, args.width, "png")
            inproc.append(time.perf_counter() - t0)
    container.close()
    print(
        json.dumps(
            {
                "pages": len(pages),
                "width": args.width,
                "cold_isolated_ms": ms(cold),
                "same_render_in_process_ms": ms(inproc),
                "isolation_cost_ratio": round(statistics.median(cold) / statistics.median(inproc), 2),
                "cached_ms": ms(cached),  # the disk cache's lookup and the file's bytes
                "cold_vs_cached_ratio": round(statistics.median(cold) / statistics.median(cached), 1),
                "png_kb": {
                    "median": round(statistics.median(sizes) / 1024, 1),
                    "max": round(max(sizes) / 1024, 1),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
