"""An in-memory BM25 index over id-addressed token lists, built from numpy arrays.

Layout (Lucene's, shrunk): postings live in immutable *segments* (term-sorted arrays of rows and term
frequencies). Adding a batch writes a new segment; removing ids flips an ``alive`` bit and subtracts
their statistics at once, so scores never depend on how the index happens to be segmented. Small
segments are merged into bigger ones (dead rows dropped) so a query touches only a few arrays, and a
snapshot is one compacted segment, so a restart never re-tokenises the chunks.

Query cost is proportional to the postings of the query's terms; the scoring loop is vectorised.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

logger = logging.getLogger(__name__)

MERGE_FACTOR = 4  # merge the newest segment into the one before while that one is < 4x its size
MAX_TF = 65_535  # term frequencies are stored as uint16


@dataclass
class _Segment:
    ids: np.ndarray  # int64[n] chunk ids
    lengths: np.ndarray  # int32[n] tokens per row
    alive: np.ndarray  # bool[n]
    terms: np.ndarray  # int64[t] sorted term ids present in this segment
    indptr: np.ndarray  # int64[t + 1] postings of terms[i] are rows[indptr[i]:indptr[i + 1]]
    rows: np.ndarray  # int32[p]
    tfs: np.ndarray  # uint16[p]

    @property
    def size(self) -> int:
        return len(self.ids)

    @cached_property
    def id_order(self) -> np.ndarray:
        """Rows sorted by chunk id, for looking rows up by id (a segment's ids never change)."""
        return np.argsort(self.ids)

    def postings(self, term_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, tfs, which query term) of the given terms, concatenated."""
        pos = np.searchsorted(self.terms, term_ids)
        pos = np.minimum(pos, len(self.terms) - 1) if len(self.terms) else pos
        found = (self.terms[pos] == term_ids) if len(self.terms) else np.zeros(len(term_ids), bool)
        starts, ends = self.indptr[pos[found]], self.indptr[pos[found] + 1]
        which = np.flatnonzero(found)
        if not len(starts):
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        counts = ends - starts
        # Gather many slices at once: offsets within each slice added to its start.
        idx = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(
            counts.sum()
        )
        return self.rows[idx].astype(np.int64), self.tfs[idx], np.repeat(which, counts)

    def row_terms(self, rows: np.ndarray) -> np.ndarray:
        """Term ids occurring in the given rows (one entry per (row, term) pair)."""
        hit = np.isin(self.rows, rows)
        term_of_posting = np.repeat(self.terms, np.diff(self.indptr))
        return np.asarray(term_of_posting[hit])


def _build_segment(ids: np.ndarray, rows_terms: list[Counter[int]]) -> _Segment:
    n = len(ids)
    lengths = np.array([sum(c.values()) for c in rows_terms], dtype=np.int32)
    sizes = np.array([len(c) for c in rows_terms], dtype=np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int32), sizes)
    terms = np.fromiter((t for c in rows_terms for t in c), dtype=np.int64, count=int(sizes.sum()))
    tfs = np.fromiter((v for c in rows_terms for v in c.values()), dtype=np.int64, count=int(sizes.sum()))
    return _from_postings(ids, lengths, np.ones(n, bool), terms, rows, np.minimum(tfs, MAX_TF))


def _from_postings(
    ids: np.ndarray,
    lengths: np.ndarray,
    alive: np.ndarray,
    terms: np.ndarray,
    rows: np.ndarray,
    tfs: np.ndarray,
) -> _Segment:
    order = np.lexsort((rows, terms))
    terms, rows, tfs = terms[order], rows[order], tfs[order]
    uniq, starts = np.unique(terms, return_index=True)
    indptr = np.append(starts, len(terms)).astype(np.int64)
    return _Segment(
        ids=np.asarray(ids, np.int64),
        lengths=np.asarray(lengths, np.int32),
        alive=alive,
        terms=uniq.astype(np.int64),
        indptr=indptr,
        rows=rows.astype(np.int32),
        tfs=tfs.astype(np.uint16),
    )


def _merge(segments: Sequence[_Segment]) -> _Segment:
    """One segment holding the live rows of ``segments`` (dead rows and their postings dropped)."""
    ids, lengths, terms, rows, tfs = [], [], [], [], []
    offset = 0
    for seg in segments:
        new_row = np.cumsum(seg.alive) - 1 + offset  # old row -> new row (valid where alive)
        keep = seg.alive[seg.rows]
        ids.append(seg.ids[seg.alive])
        lengths.append(seg.lengths[seg.alive])
        terms.append(np.repeat(seg.terms, np.diff(seg.indptr))[keep])
        rows.append(new_row[seg.rows[keep]])
        tfs.append(seg.tfs[keep])
        offset += int(seg.alive.sum())
    cat = np.concatenate
    return _from_postings(
        cat(ids), cat(lengths), np.ones(offset, bool), cat(terms), cat(rows), cat(tfs).astype(np.int64)
    )


class BM25Index:
    """Okapi BM25 (Lucene's idf: ``log(1 + (N - df + .5) / (df + .5))``) over chunk ids."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._vocab: dict[str, int] = {}
        self._df = np.zeros(0, np.int64)
        self._segments: list[_Segment] = []
        self._n = 0  # live rows
        self._total_len = 0  # tokens in live rows

    def __len__(self) -> int:
        return self._n

    @property
    def segments(self) -> int:
        return len(self._segments)

    # ---- updates -------------------------------------------------------------------------------
    def add(self, ids: np.ndarray, token_lists: Sequence[Sequence[str]]) -> None:
        if len(ids) != len(token_lists):
            raise ValueError("ids and token lists differ in length")
        if not len(ids):
            return
        vocab = self._vocab
        rows_terms = [Counter(vocab.setdefault(t, len(vocab)) for t in toks) for toks in token_lists]
        if len(vocab) > len(self._df):
            self._df = np.concatenate([self._df, np.zeros(len(vocab) - len(self._df), np.int64)])
        seg = _build_segment(np.asarray(ids, np.int64), rows_terms)
        np.add.at(self._df, seg.terms, np.diff(seg.indptr))
        self._n += seg.size
        self._total_len += int(seg.lengths.sum())
        self._segments.append(seg)
        while len(self._segments) >= 2 and (self._segments[-2].size < MERGE_FACTOR * self._segments[-1].size):
            last = self._segments.pop()
            self._segments[-1] = _merge([self._segments[-1], last])

    def remove(self, ids: np.ndarray) -> int:
        ids = np.asarray(ids, np.int64)
        removed = 0
        for seg in self._segments:
            rows = np.flatnonzero(seg.alive & np.isin(seg.ids, ids))
            if not len(rows):
                continue
            seg.alive[rows] = False
            np.subtract.at(self._df, seg.row_terms(rows), 1)
            self._n -= len(rows)
            self._total_len -= int(seg.lengths[rows].sum())
            removed += len(rows)
        # Drop segments with nothing left and compact ones that are mostly dead.
        self._segments = [s for s in self._segments if s.alive.any()]
        self._segments = [_merge([s]) if s.alive.mean() < 0.5 else s for s in self._segments]
        return removed

    # ---- queries -------------------------------------------------------------------------------
    def _term_weights(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Known query terms (each counted once) and their idf."""
        ids = sorted({self._vocab[t] for t in tokens if t in self._vocab})
        term_ids = np.asarray(ids, np.int64)
        df = self._df[term_ids]
        keep = df > 0
        term_ids, df = term_ids[keep], df[keep]
        idf = np.log1p((self._n - df + 0.5) / (df + 0.5))
        return term_ids, idf

    def _segment_scores(self, seg: _Segment, term_ids: np.ndarray, idf: np.ndarray) -> np.ndarray:
        rows, tfs, which = seg.postings(term_ids)
        if not len(rows):
            return np.zeros(seg.size, np.float64)
        avg = max(self._total_len / self._n, 1e-9) if self._n else 1.0
        tf = tfs.astype(np.float64)
        norm = self.k1 * (1.0 - self.b + self.b * seg.lengths[rows] / avg)
        return np.bincount(rows, weights=idf[which] * tf * (self.k1 + 1.0) / (tf + norm), minlength=seg.size)

    def query(self, tokens: Sequence[str]) -> ScoredQuery:
        """Scores of every row for ``tokens``, computed once (one pass over the terms' postings).
        Use the result before the index changes again (the registry holds its lock meanwhile)."""
        term_ids, idf = self._term_weights(tokens)
        if not len(term_ids):
            return ScoredQuery([])
        return ScoredQuery([(seg, self._segment_scores(seg, term_ids, idf)) for seg in self._segments])

    def search(
        self, tokens: Sequence[str], k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` (ids, scores) with a positive score, best first (ties by id); with ``allowed``,
        only those ids are candidates."""
        return self.query(tokens).top(k, allowed=allowed)

    def lengths_of(self, ids: np.ndarray) -> np.ndarray:
        """Terms per row of the given ids (0 for ids not in the index)."""
        ids = np.asarray(ids, np.int64)
        out = np.zeros(len(ids), np.int64)
        for seg in self._segments:
            rows = seg.id_order[np.minimum(np.searchsorted(seg.ids, ids, sorter=seg.id_order), seg.size - 1)]
            found = (seg.ids[rows] == ids) & seg.alive[rows]
            out[found] = seg.lengths[rows[found]]
        return out

    def score(self, tokens: Sequence[str], ids: np.ndarray) -> np.ndarray:
        """Exact scores of the given ids (0 for ids not in the index), in the order given."""
        return self.query(tokens).lookup(ids)

    # ---- snapshots -----------------------------------------------------------------------------
    def frozen_copy(self) -> BM25Index:
        """A copy that later updates don't touch (segment arrays are shared: they never change, only
        ``alive`` does), so a snapshot can be written without holding up searches."""
        other = BM25Index(self.k1, self.b)
        other._vocab = dict(self._vocab)
        other._df = self._df.copy()
        other._segments = [replace(seg, alive=seg.alive.copy()) for seg in self._segments]
        other._n, other._total_len = self._n, self._total_len
        return other

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The index as plain arrays (one compacted segment, unused terms dropped)."""
        seg = _merge(self._segments) if self._segments else _empty_segment()
        words = sorted(self._vocab, key=self._vocab.__getitem__)
        vocab = [words[t] for t in seg.terms]  # only terms with a live posting
        meta = {"k1": self.k1, "b": self.b}
        return {
            "meta": np.array(json.dumps(meta)),
            "vocab": np.frombuffer(json.dumps(vocab, ensure_ascii=False).encode(), dtype=np.uint8),
            "ids": seg.ids,
            "lengths": seg.lengths,
            "indptr": seg.indptr,
            "rows": seg.rows,
            "tfs": seg.tfs,
        }

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray]) -> BM25Index:
        meta = json.loads(str(data["meta"]))
        index = cls(k1=float(meta["k1"]), b=float(meta["b"]))
        vocab: list[str] = json.loads(bytes(np.asarray(data["vocab"], np.uint8)).decode())
        indptr = np.asarray(data["indptr"], np.int64)
        ids = np.asarray(data["ids"], np.int64)
        rows = np.asarray(data["rows"], np.int32)
        if len(indptr) != len(vocab) + 1 or (len(rows) and int(rows.max()) >= len(ids)):
            raise ValueError("keyword snapshot is inconsistent")
        index._vocab = {t: i for i, t in enumerate(vocab)}
        index._df = np.diff(indptr).astype(np.int64)
        if len(ids):
            seg = _Segment(
                ids=ids,
                lengths=np.asarray(data["lengths"], np.int32),
                alive=np.ones(len(ids), bool),
                terms=np.arange(len(vocab), dtype=np.int64),
                indptr=indptr,
                rows=rows,
                tfs=np.asarray(data["tfs"], np.uint16),
            )
            index._segments = [seg]
            index._n = seg.size
            index._total_len = int(seg.lengths.sum())
        return index


class ScoredQuery:
    """One query's BM25 score for every row of the index, segment by segment."""

    def __init__(self, scored: list[tuple[_Segment, np.ndarray]]) -> None:
        self._scored = scored

    def top(self, k: int, *, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0 or not self._scored:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        all_ids, all_scores = [], []
        for seg, scores in self._scored:
            hit = np.flatnonzero((scores > 0) & seg.alive)
            if allowed is not None:
                hit = hit[np.isin(seg.ids[hit], allowed)]
            if len(hit) > k:
                hit = hit[np.argpartition(-scores[hit], k - 1)[:k]]
            all_ids.append(seg.ids[hit])
            all_scores.append(scores[hit])
        ids, scores = np.concatenate(all_ids), np.concatenate(all_scores)
        order = np.lexsort((ids, -scores))[:k]
        return ids[order], scores[order].astype(np.float32)

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, np.int64)
        out = np.zeros(len(ids), np.float32)
        for seg, scores in self._scored:
            if not len(ids) or not seg.size:
                continue
            sorter = seg.id_order
            rows = sorter[np.minimum(np.searchsorted(seg.ids, ids, sorter=sorter), seg.size - 1)]
            found = (seg.ids[rows] == ids) & seg.alive[rows]
            out[found] = scores[rows[found]]
        return out


def _empty_segment() -> _Segment:
    none = np.zeros(0, np.int64)
    return _from_postings(none, none, np.zeros(0, bool), none, none, none)
