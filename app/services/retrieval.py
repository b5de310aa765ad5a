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
from app.core.fusion import fuse, signal_weights
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
            index = self.registry.collection(coll_id)
            vecs, _ = index.vectors(np.array([p.chunk_id for p in passages], np.int64))
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
        registry, cfg = self.registry, self.settings
        index = registry.collection(coll_id)
        n = max(want, cfg.candidates) if mode == "hybrid" else want
        qvec = None
        d_ids, d_scores = np.zeros(0, np.int64), np.zeros(0, np.float32)
        if mode != "keyword":
            t = time.perf_counter()
            qvec = self.embedder.embed_query(query)
            timings["embed_ms"] = _ms(t)
            t = time.perf_counter()
            d_ids, d_scores = index.search(qvec, n, allowed=allowed)
            timings["dense_ms"] = _ms(t)
            if mode == "dense":
                return _Candidates(d_ids, d_scores, dense=d_scores)

        # Keyword and hybrid: every candidate gets its exact score in every signal, then they are fused.
        t = time.perf_counter()
        hits = index.keyword_search(
            registry.query_terms(query), max(want, cfg.candidates), allowed=allowed, also=d_ids
        )
        timings["keyword_ms"] = _ms(t)
        t = time.perf_counter()
        fields = list(hits.scores.values())
        keyword = np.sum(fields, axis=0) if fields else np.zeros(len(hits.ids))
        if qvec is None:
            weights = signal_weights(len(fields), cfg.keyword_weight, dense=False)
            fused = fuse(fields, weights, method=cfg.fusion, rrf_k=cfg.rrf_k)
            keep = np.isin(hits.ids, hits.found)  # in keyword mode the pool is what BM25 found
            timings["fuse_ms"] = _ms(t)
            return _Candidates(hits.ids[keep], fused[keep], keyword=keyword[keep])
        dense = np.zeros(len(hits.ids), np.float64)
        in_dense = np.isin(hits.ids, d_ids)
        dense[in_dense] = _lookup(d_ids, d_scores, hits.ids[in_dense])
        if (~in_dense).any():
            dense[~in_dense] = index.dense_scores(qvec, hits.ids[~in_dense])
        weights = signal_weights(len(fields), cfg.keyword_weight, dense=True)
        # BM25 can't match a Japanese query against a passage with no Japanese in it: for those
        # passages the keyword signals abstain and the dense model, which crosses languages, decides.
        blind = [None, *([hits.other_script] * len(fields))]
        fused = fuse([dense, *fields], weights, method=cfg.fusion, rrf_k=cfg.rrf_k, blind=blind)
        in_keyword = np.isin(hits.ids, hits.found)
        found_by = [
            "dense+keyword" if d and k else "dense" if d else "keyword"
            for d, k in zip(in_dense, in_keyword, strict=True)
        ]
        timings["fuse_ms"] = _ms(t)
        return _Candidates(hits.ids, fused, dense=dense, keyword=keyword, found_by=found_by)


def _lookup(ids: np.ndarray, scores: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Scores of ``wanted`` (all present in ``ids``)."""
    order = np.argsort(ids)
    return np.asarray(scores[order[np.searchsorted(ids, wanted, sorter=order)]], np.float64)


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
