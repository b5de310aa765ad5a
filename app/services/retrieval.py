"""Search: dense (embedding + FAISS), keyword (BM25) or hybrid (both, fused), then optional reranking,
then hydration from the database.

Hydration is what keeps the indexes honest: ids whose chunk or document is gone, or whose document is
not `ready`, are dropped, so a stale index can never surface a deleted or half-ingested document.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from app.core.embedding import Embedder
from app.core.errors import InvalidInput
from app.core.fusion import fuse
from app.core.rerank import Reranker, create_reranker
from app.core.rerank.mmr import mmr_order
from app.core.settings import SearchSettings, Settings
from app.db.session import SessionFactory, session_scope
from app.services.documents import get_collection
from app.services.indexing import IndexRegistry
from app.services.passages import Passage, allowed_chunk_ids, hydrate

logger = logging.getLogger(__name__)

SearchMode = Literal["dense", "keyword", "hybrid"]
OVERFETCH = 2  # fetch extra ids so hits dropped at hydration don't leave the page short


@dataclass(frozen=True)
class SearchResult:
    query: str
    collection: str
    passages: list[Passage]
    timings_ms: dict[str, float]
    mode: SearchMode = "dense"
    reranked: bool = False


@dataclass
class _Candidates:
    ids: np.ndarray
    scores: np.ndarray  # what ranks them (fused, dense or BM25 score)
    dense: np.ndarray | None = None  # exact cosine similarity per id
    keyword: np.ndarray | None = None  # exact BM25 score per id
    found_by: list[str] | None = None


class Retriever:
    def __init__(
        self,
        factory: SessionFactory,
        embedder: Embedder,
        registry: IndexRegistry,
        *,
        settings: SearchSettings | None = None,
        reranker: Reranker | None = None,
        rerank_top_n: int = 20,
    ) -> None:
        self.factory = factory
        self.embedder = embedder
        self.registry = registry
        self.settings = settings or SearchSettings()
        self.reranker = reranker
        self.rerank_top_n = rerank_top_n

    def search(
        self,
        query: str,
        collection: str,
        k: int = 5,
        *,
        mode: SearchMode | None = None,
        document_ids: Sequence[int] | None = None,
        pages: Sequence[int] | None = None,
        rerank: bool | None = None,
    ) -> SearchResult:
        """Best ``k`` passages. ``mode`` defaults to the settings' (hybrid); ``document_ids`` and
        ``pages`` restrict the search (a passage matches a page it starts, ends or runs through);
        ``rerank`` defaults to on when a reranker is configured."""
        query = query.strip()
        if not query:
            raise InvalidInput("The query is empty.", code="empty_query")
        if k < 1:
            raise InvalidInput("k must be at least 1.", code="invalid_k")
        mode = mode or self.settings.mode
        if mode != "dense" and not self.registry.has_keyword:
            if mode == "keyword":
                raise InvalidInput("Keyword search is turned off on this server.", code="keyword_disabled")
            mode = "dense"  # hybrid without a keyword index is dense search
        use_reranker = self.reranker is not None and (rerank is None or rerank)
        if rerank and self.reranker is None:
            raise InvalidInput("No reranker is configured on this server.", code="rerank_unavailable")

        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        with session_scope(self.factory) as session:
            coll_id = get_collection(session, collection).id
            allowed = None
            if document_ids is not None or pages is not None:
                allowed = allowed_chunk_ids(session, coll_id, document_ids, pages)
        if allowed is not None and not len(allowed):
            return SearchResult(query, collection, [], {"total_ms": _ms(t0)}, mode)

        want = k * OVERFETCH + 8
        if use_reranker:
            want = max(want, self.rerank_top_n)
        cands = self._candidates(query, coll_id, mode, want, allowed, timings)

        t1 = time.perf_counter()
        order = np.argsort(-cands.scores, kind="stable")[:want]
        passages = hydrate(self.factory, coll_id, [int(i) for i in cands.ids[order]])
        by_id = {int(i): j for j, i in enumerate(cands.ids)}
        passages = [_annotate(p, cands, by_id[p.chunk_id], mode) for p in passages]
        timings["hydrate_ms"] = _ms(t1)

        if use_reranker and passages:
            t2 = time.perf_counter()
            assert self.reranker is not None
            head = passages[: self.rerank_top_n]
            scores = self.reranker.rerank(query, [p.text for p in head])
            reranked = [
                replace(p, score=float(s), rerank_score=float(s))
                for p, s in sorted(zip(head, scores, strict=True), key=lambda ps: -float(ps[1]))
            ]
            passages = reranked + passages[self.rerank_top_n :]
            timings["rerank_ms"] = _ms(t2)
        if self.settings.mmr_lambda < 1.0 and len(passages) > 1:
            vecs, _ = self.registry.vectors(coll_id, np.array([p.chunk_id for p in passages], np.int64))
            relevance = np.array([p.score for p in passages])
            passages = [passages[i] for i in mmr_order(relevance, vecs @ vecs.T, self.settings.mmr_lambda, k)]
        timings["total_ms"] = _ms(t0)
        return SearchResult(query, collection, passages[:k], timings, mode, reranked=use_reranker)

    def _candidates(
        self,
        query: str,
        coll_id: int,
        mode: SearchMode,
        want: int,
        allowed: np.ndarray | None,
        timings: dict[str, float],
    ) -> _Candidates:
        registry = self.registry
        n = max(want, self.settings.candidates) if mode == "hybrid" else want
        qvec = None
        if mode != "keyword":
            t = time.perf_counter()
            qvec = self.embedder.embed_query(query)
            timings["embed_ms"] = _ms(t)
            t = time.perf_counter()
            d_ids, d_scores = registry.search(coll_id, qvec, n, allowed=allowed)
            timings["dense_ms"] = _ms(t)
            if mode == "dense":
                return _Candidates(d_ids, d_scores, dense=d_scores)
        t = time.perf_counter()
        terms = registry.query_terms(query)
        k_ids, k_scores = registry.keyword_search(coll_id, terms, n, allowed=allowed)
        timings["keyword_ms"] = _ms(t)
        if mode == "keyword" or qvec is None:
            return _Candidates(k_ids, k_scores, keyword=k_scores)

        # Hybrid: every candidate gets its exact score from both retrievers, then the scores are fused.
        t = time.perf_counter()
        pool = np.union1d(d_ids, k_ids)
        dense = _scores_for(pool, d_ids, d_scores)
        keyword = _scores_for(pool, k_ids, k_scores)
        missing_d, missing_k = ~np.isin(pool, d_ids), ~np.isin(pool, k_ids)
        if missing_d.any():
            dense[missing_d] = registry.dense_scores(coll_id, qvec, pool[missing_d])
        if missing_k.any():
            keyword[missing_k] = registry.keyword_scores(coll_id, terms, pool[missing_k])
        cfg = self.settings
        fused = fuse(dense, keyword, method=cfg.fusion, keyword_weight=cfg.keyword_weight, rrf_k=cfg.rrf_k)
        found_by = [
            "dense+keyword" if not md and not mk else "dense" if not md else "keyword"
            for md, mk in zip(missing_d, missing_k, strict=True)
        ]
        timings["fuse_ms"] = _ms(t)
        return _Candidates(pool, fused, dense=dense, keyword=keyword, found_by=found_by)


def create_retriever(
    settings: Settings, factory: SessionFactory, embedder: Embedder, registry: IndexRegistry
) -> Retriever:
    """The retriever the settings describe (search mode and fusion, optional reranker)."""
    return Retriever(
        factory,
        embedder,
        registry,
        settings=settings.search,
        reranker=create_reranker(settings.rerank),
        rerank_top_n=settings.rerank.top_n,
    )


def _scores_for(pool: np.ndarray, ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
    out = np.zeros(len(pool), np.float64)
    if len(ids):
        out[np.searchsorted(pool, ids)] = scores  # pool is sorted and holds every id
    return out


def _annotate(p: Passage, c: _Candidates, j: int, mode: SearchMode) -> Passage:
    return replace(
        p,
        score=float(c.scores[j]),
        retriever=c.found_by[j] if c.found_by is not None else mode,
        dense_score=float(c.dense[j]) if c.dense is not None else None,
        keyword_score=float(c.keyword[j]) if c.keyword is not None else None,
    )


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


__all__ = ["Passage", "Retriever", "SearchMode", "SearchResult", "create_retriever"]
