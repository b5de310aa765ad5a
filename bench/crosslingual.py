"""Cross-lingual claim support: an answer's sentence in one language citing a source in the other.

bench/sets/crosslingual_claims.json holds hand-written claims, English about Japanese passages (the
seed documents) and Japanese about English ones (XQuAD contexts): faithful translations and
paraphrases that hold, and wrong numbers, invented facts on the passage's topic and unrelated claims
that don't. Each claim, cited as [1], goes through the shipped check (`check_citations` with the search
embedder's similarity, app.core.crosslingual) and, for comparison, through the lexical check alone.

Reports, per direction and overall: faithful claims verified, failing claims verified (by kind), the
ranking quality of the similarity (AUC, claims with a number the source lacks left out: the number
rule catches those), and what other similarity thresholds would give. Prints JSON.

    python bench/crosslingual.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, make_settings

from app.core import crosslingual
from app.core.citations import SUPPORT_THRESHOLD, SourceRef, check_citations
from app.core.crosslingual import EmbeddingSimilarity, unbacked
from app.core.embedding import create_embedder
from app.core.support import Passage

DATA = REPO / "bench/sets/crosslingual_claims.json"


def rates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    holds = [r for r in rows if r["holds"]]
    fails = [r for r in rows if not r["holds"]]
    out: dict[str, Any] = {
        "claims": len(rows),
        "holding_verified": round(sum(r["verified"] for r in holds) / len(holds), 3) if holds else None,
        "failing_verified": round(sum(r["verified"] for r in fails) / len(fails), 3) if fails else None,
        "holding_verified_lexical_only": (
            round(sum(r["lexical_verified"] for r in holds) / len(holds), 3) if holds else None
        ),
        "failing_verified_lexical_only": (
            round(sum(r["lexical_verified"] for r in fails) / len(fails), 3) if fails else None
        ),
        "failing_verified_by_kind": {
            kind: f"{sum(r['verified'] for r in fails if r['kind'] == kind)}/"
            f"{sum(1 for r in fails if r['kind'] == kind)}"
            for kind in sorted({r["kind"] for r in fails})
        },
    }
    # AUC of the similarity, on the claims the number rule leaves to it
    pos = [r["similarity"] for r in holds]
    neg = [r["similarity"] for r in fails if not r["missing"]]
    if pos and neg:
        out["auc"] = round(sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg)), 3)
    return out


def main() -> None:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    settings = make_settings(Path(tempfile.mkdtemp(prefix="shiori-bench-")))
    embedder = create_embedder(settings)
    rows = []
    t0 = time.perf_counter()
    for c in data["claims"]:
        source = [SourceRef(1, data["passages"][c["passage"]])]
        answer = f"{c['claim']}[1]" if crosslingual.writing(c["claim"]) == "ja" else f"{c['claim']} [1]"
        similar = EmbeddingSimilarity(embedder)
        shipped = check_citations(answer, source, similar=similar).citations[0]
        text = source[0].text
        similarity = max(similar(c["claim"], [text[a:b] for a, b in Passage(text).windows]))
        lexical = check_citations(answer, source).citations[0]
        rows.append(
            {
                "direction": f"{crosslingual.writing(c['claim'])} claim, {c['passage'][:2]} source",
                "holds": c["holds"],
                "kind": c["kind"],
                "verified": shipped.status == "verified",
                "lexical_verified": lexical.status == "verified",
                "similarity": round(similarity, 4),  # the best window's, whichever check decided
                "missing": list(unbacked(c["claim"], text)),
                "claim": c["claim"],
            }
        )
    ms = (time.perf_counter() - t0) * 1000 / len(rows)
    sweep = {}
    for t in (0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 0.90):
        ok = [r["similarity"] >= t and not r["missing"] for r in rows]
        holds = [v for v, r in zip(ok, rows, strict=True) if r["holds"]]
        fails = [v for v, r in zip(ok, rows, strict=True) if not r["holds"]]
        sweep[f"{t:.2f}"] = {
            "holding_verified": round(sum(holds) / len(holds), 3),
            "failing_verified": round(sum(fails) / len(fails), 3),
        }
    report = {
        "embedder": embedder.model_id,
        "threshold_similarity": crosslingual.THRESHOLD,
        "support_threshold": SUPPORT_THRESHOLD,
        "overall": rates(rows),
        "by_direction": {
            d: rates([r for r in rows if r["direction"] == d]) for d in sorted({r["direction"] for r in rows})
        },
        "threshold_sweep": sweep,
        "ms_per_claim": round(ms, 1),
        "rows": rows,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
