"""OCR accuracy and speed on generated page images. Prints JSON.

Real sentences (Japanese: JSQuAD contexts from ../shared/eval/jsquad; English: the English paragraphs
of ../shared/corpus/seeds) typeset on A4 pages with IPA Gothic, horizontal and vertical Japanese and
English, clean and "scanned" (speckle, blur, 1 degree skew), rendered at 150/200/300 dpi and read with
the engine the worker uses (ingestion.ocr.TesseractEngine: page despeckled and deskewed, direction
chosen per page). The character error rate is measured on the text as indexed (after ingestion's
normaliser), whitespace ignored. `--preprocess both` reads every page with and without preprocessing
(the OCR setting `preprocess`), one grid row each, for a before/after in one run.

    python bench/ocr.py [--quick] [--pages N] [--dpi 150 200 300] [--preprocess on|off|both]

Targets (issue 12): CER <= 3% horizontal Japanese at 300 dpi, <= 6% vertical, <= 2% English.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import unicodedata
from typing import Any

import numpy as np
from _common import SHARED
from PIL import Image, ImageFilter

from app.core.settings import OcrSettings
from ingestion.normalize import normalize_pages
from ingestion.ocr import OcrPage, TesseractEngine
from ingestion.ocr.engine import looks_vertical
from ingestion.ocr.preprocess import prepare
from tests.support.page_images import cer, typeset

KINDS = {"ja-horizontal": ("ja", False), "ja-vertical": ("ja", True), "en": ("en", False)}
CONDITIONS = {"clean": {}, "scanned": {"noise": 0.01, "skew_deg": 1.0}}
_PAGE_CHARS = {"ja": 700, "en": 1400}


def japanese_texts() -> list[str]:
    data = json.loads((SHARED / "eval/jsquad/valid-v1.3.json").read_text(encoding="utf-8"))
    out = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            context = para["context"].split("[SEP]", 1)[-1].strip()
            if len(context) >= 200:
                out.append(context)
    return out


def english_texts() -> list[str]:
    out = []
    for path in sorted((SHARED / "corpus/seeds").glob("*.txt")):
        for para in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            para = " ".join(para.split())
            letters = [c for c in para if c.isalpha()]
            prose = "$" not in para and "\\" not in para  # not the seeds' LaTeX formulas
            if (
                prose
                and len(para) >= 120
                and letters
                and sum(c.isascii() for c in letters) / len(letters) > 0.98
            ):
                out.append(para)
    return list(dict.fromkeys(out))


def page_texts(texts: list[str], n: int, size: int, start: int) -> list[str]:
    """n page texts of about `size` characters, consecutive paragraphs from `start`."""
    pages, i = [], start
    for _ in range(n):
        page = ""
        while len(page) < size:
            page += ("\n" if page else "") + texts[i % len(texts)]
            i += 1
        pages.append(page[: size + 200])
    return pages


class CountingEngine(TesseractEngine):
    """The worker's engine, counting Tesseract runs (a page read in both directions costs two)."""

    runs = 0

    def _run(self, image: Image.Image, vertical: bool, dpi: int | None, timeout_s: float) -> OcrPage:
        self.runs += 1
        return super()._run(image, vertical, dpi, timeout_s)


def confidence_calibration(engine: TesseractEngine, text: str) -> dict[str, dict[str, float]]:
    """What pages that must not be indexed score, against the min_confidence setting: blank, noise,
    a photo-like blur of shapes, and text blurred past reading (at 200 dpi)."""
    rng = np.random.default_rng(0)
    page, typed = typeset(text, dpi=200)
    width, height = page.size
    coarse = rng.integers(0, 256, (height // 8, width // 8), dtype=np.uint8)
    cases = {
        "blank": Image.new("L", page.size, 255),
        "noise": Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8)),
        "smooth_noise": Image.fromarray(coarse).resize(page.size),
        "text_blur3": page.filter(ImageFilter.GaussianBlur(3)),
        "text_blur5": page.filter(ImageFilter.GaussianBlur(5)),
    }
    out = {}
    for name, image in cases.items():
        read = engine.read(image, dpi=200, timeout_s=300)
        out[name] = {
            "confidence": round(read.confidence, 1),
            "chars": read.chars,
            "cer": round(cer(typed, normalize_pages([read.text])[0]), 3),
        }
    return out


def read_cell(
    engine: TesseractEngine, images: list[tuple[Image.Image, str]], dpi: int, vertical: bool
) -> dict[str, Any]:
    """One grid cell: its pages read by `engine`, CER and confidence, time (preprocessing's apart)."""
    cers, confs, secs, prep_ms, right_way, hint_right, runs = [], [], [], [], 0, 0, engine.runs
    for image, typed in images:
        hint_right += looks_vertical(image, dpi) == vertical
        if engine.preprocess:  # timed alone: prepare() again inside read() costs the same
            started = time.perf_counter()
            prepare(image, dpi)
            prep_ms.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        page = engine.read(image, dpi=dpi, timeout_s=300)
        secs.append(time.perf_counter() - started)
        got = normalize_pages([page.text])[0]
        cers.append(cer(unicodedata.normalize("NFKC", typed), got))
        confs.append(page.confidence)
        right_way += page.vertical == vertical
    return {
        "pages": len(images),
        "cer": round(statistics.mean(cers), 4),
        "cer_max": round(max(cers), 4),
        "confidence": round(statistics.mean(confs), 1),
        "confidence_min": round(min(confs), 1),
        "direction_right": f"{right_way}/{len(images)}",
        "profile_hint_right": f"{hint_right}/{len(images)}",
        "tesseract_runs": engine.runs - runs,
        "s_per_page": round(statistics.mean(secs), 2),
        "preprocess_ms": round(statistics.mean(prep_ms)) if prep_ms else 0,
        "seconds": sum(secs),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one page per cell (about 3 minutes on 2 cores)")
    ap.add_argument("--pages", type=int, default=3, help="pages per cell")
    ap.add_argument("--dpi", type=int, nargs="*", default=[150, 200, 300])
    ap.add_argument(
        "--preprocess", choices=["on", "off", "both"], default="on", help="despeckle and deskew first"
    )
    args = ap.parse_args()
    per_cell = 1 if args.quick else args.pages
    modes = {"on": [True], "off": [False], "both": [False, True]}[args.preprocess]
    engines = {on: CountingEngine(OcrSettings(preprocess=on)) for on in modes}
    sources = {"ja": japanese_texts(), "en": english_texts()}
    grid: list[dict[str, Any]] = []
    totals = {on: [0, 0.0] for on in modes}  # pages, seconds of OCR (preprocessing included)
    for kind, (lang, vertical) in KINDS.items():
        texts = page_texts(sources[lang], per_cell, _PAGE_CHARS[lang], start=7 if vertical else 0)
        for condition, damage in CONDITIONS.items():
            for dpi in args.dpi:
                images = [
                    typeset(text, dpi=dpi, vertical=vertical, seed=i, **damage)  # type: ignore[arg-type]
                    for i, text in enumerate(texts)
                ]
                for on, engine in engines.items():
                    cell = read_cell(engine, images, dpi, vertical)
                    totals[on][0] += len(images)
                    totals[on][1] += cell.pop("seconds")
                    grid.append({"kind": kind, "condition": condition, "dpi": dpi, "preprocess": on, **cell})
                    print(json.dumps(grid[-1], ensure_ascii=False), flush=True)
    engine = engines[modes[-1]]
    calibration = confidence_calibration(engine, sources["ja"][0] + sources["ja"][1])
    print(
        json.dumps(
            {
                "grid": grid,
                "calibration": calibration,
                "min_confidence": OcrSettings().min_confidence,
                "pages": totals[modes[-1]][0],
                "pages_per_minute_one_stream": {
                    "preprocess" if on else "no_preprocess": round(60 * pages / seconds, 1)
                    for on, (pages, seconds) in totals.items()
                },
                "note": "one Tesseract process at a time, OMP_THREAD_LIMIT=1, as the worker runs it",
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
