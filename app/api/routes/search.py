from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from app.api.deps import MetricsDep, RetrieverDep, SettingsDep
from app.api.schemas import ErrorOut, PassageOut, SearchIn, SearchOut
from app.api.security import ReaderDep, check_collection
from app.core.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["search"])


@router.post(
    "/search", response_model=SearchOut, responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
)
def search(
    body: SearchIn, principal: ReaderDep, retriever: RetrieverDep, settings: SettingsDep, metrics: MetricsDep
) -> SearchOut:
    """Passages that best match the query, with document, page, character offsets, and which retriever
    found each one with what score. Hybrid search (the default) fuses dense and BM25 scores."""
    if body.k > settings.limits.max_k:
        raise InvalidInput(f"k must be at most {settings.limits.max_k}.", code="k_too_large")
    if len(body.query) > settings.limits.max_query_chars:
        raise InvalidInput(
            f"The query is longer than {settings.limits.max_query_chars} characters.", code="query_too_long"
        )
    check_collection(principal, body.collection)
    result = retriever.search(
        body.query,
        body.collection,
        body.k,
        mode=body.mode,
        document_ids=body.document_ids,
        pages=body.pages,
        rerank=body.rerank,
    )
    metrics.observe_retrieval(result.timings_ms.get("total_ms", 0.0) / 1000, "search")
    return SearchOut(
        query=result.query,
        collection=result.collection,
        mode=result.mode,
        reranked=result.reranked,
        passages=[PassageOut(**asdict(p)) for p in result.passages],
        timings_ms=result.timings_ms,
    )
