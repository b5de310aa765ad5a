"""Prometheus metrics, one registry per process (built by the app factory or the worker entrypoint).

Names follow Prometheus conventions (base units: seconds; ``_total`` for counters). Labels stay low in
cardinality: HTTP routes are path templates, failure reasons are error codes; no collection names
(a metric must not tell a restricted key which collections exist).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_TTFT = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180)
_RATE = (1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 200, 500)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self._generator_collector: _GeneratorCollector | None = None
        self.http_requests = Counter(
            "shiori_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.http_latency = Histogram(
            "shiori_http_request_duration_seconds",
            "HTTP request latency (streams: until the last byte)",
            ["method", "route"],
            buckets=_LATENCY,
            registry=r,
        )
        self.http_in_flight = Gauge("shiori_http_requests_in_flight", "HTTP requests in progress", registry=r)
        self.rate_limited = Counter(
            "shiori_rate_limited_total", "Requests refused by the per-caller rate limit", registry=r
        )
        self.retrieval_latency = Histogram(
            "shiori_retrieval_duration_seconds",
            "Search time (embedding the query, dense + keyword retrieval, fusion, hydration)",
            ["source"],
            buckets=_LATENCY,
            registry=r,
        )
        self.ttft = Histogram(
            "shiori_generation_ttft_seconds", "Time to the first generated token", buckets=_TTFT, registry=r
        )
        self.tokens_per_s = Histogram(
            "shiori_generation_tokens_per_second", "Decode speed per answer", buckets=_RATE, registry=r
        )
        self.generated_tokens = Counter("shiori_generated_tokens_total", "Tokens generated", registry=r)
        self.answers = Counter("shiori_answers_total", "Answers by outcome", ["outcome"], registry=r)
        self.rechecks = Counter(
            "shiori_answer_rechecks_total",
            "Answers the citation check flagged and sent back to the model once (answer.recheck), by "
            "outcome: `revised` (the second attempt passed the check and replaced the first) or `kept`",
            ["outcome"],
            registry=r,
        )
        self.generation_queue = Gauge(
            "shiori_generation_queue_depth",
            "Questions admitted and not finished (running + waiting)",
            registry=r,
        )
        self.generation_slots = Gauge("shiori_generation_slots", "Concurrent generation slots", registry=r)
        self.index_chunks = Gauge(
            "shiori_index_chunks", "Passages in this process's search index", registry=r
        )
        self.index_documents = Gauge(
            "shiori_index_documents", "Documents in this process's search index", registry=r
        )
        self.ingested_documents = Counter(
            "shiori_ingested_documents_total", "Documents ingested (ready)", registry=r
        )
        self.ingested_pages = Counter("shiori_ingested_pages_total", "Pages ingested", registry=r)
        self.ingested_chunks = Counter("shiori_ingested_chunks_total", "Passages ingested", registry=r)
        self.ingest_pages_per_s = Histogram(
            "shiori_ingestion_pages_per_second", "Ingestion speed per document", buckets=_RATE, registry=r
        )
        self.ingest_duration = Histogram(
            "shiori_ingestion_duration_seconds", "Time to ingest one document", buckets=_TTFT, registry=r
        )
        self.job_failures = Counter(
            "shiori_ingest_job_failures_total",
            "Ingestion attempts that failed, by reason (an error code; `transient` attempts are retried)",
            ["reason"],
            registry=r,
        )

    # ---- wiring ----------------------------------------------------------------------------------
    @staticmethod
    def watch(gauge: Gauge, read: Callable[[], float]) -> None:
        """Read ``gauge`` from ``read()`` at each scrape (never stale, nothing to update)."""
        gauge.set_function(read)

    def watch_generator(self, generator: Any) -> None:
        """The generator's state at each scrape: which state it is in (one series per state, the
        current one 1) and how often its process was restarted."""
        if self._generator_collector is None:
            self._generator_collector = _GeneratorCollector(generator)
            self.registry.register(self._generator_collector)
        else:  # the app started again (tests re-enter one app): report the new generator
            self._generator_collector.generator = generator

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        """A separate /metrics HTTP server (for `shiori worker`, which has no API)."""
        start_http_server(port, addr=addr, registry=self.registry)

    # ---- observations ----------------------------------------------------------------------------
    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(method, route).observe(seconds)

    def observe_retrieval(self, seconds: float, source: str) -> None:
        self.retrieval_latency.labels(source).observe(seconds)

    def observe_answer(self, done: Mapping[str, Any]) -> None:
        """From an answer's `done` event (see AnswerService)."""
        if done.get("retrieval_ms") is not None:
            self.observe_retrieval(float(done["retrieval_ms"]) / 1000, "ask")
        if done.get("ttft_ms") is not None:
            self.ttft.observe(float(done["ttft_ms"]) / 1000)
        if done.get("tokens_per_s"):
            self.tokens_per_s.observe(float(done["tokens_per_s"]))
        self.generated_tokens.inc(int(done.get("tokens") or 0))
        self.answers.labels("abstained" if done.get("abstained") else "answered").inc()
        if done.get("recheck_ms") is not None:
            self.rechecks.labels("revised" if done.get("revised") else "kept").inc()

    def observe_ingest(self, pages: int, chunks: int, seconds: float) -> None:
        self.ingested_documents.inc()
        self.ingested_pages.inc(pages)
        self.ingested_chunks.inc(chunks)
        self.ingest_duration.observe(seconds)
        if seconds > 0 and pages:
            self.ingest_pages_per_s.observe(pages / seconds)

    def observe_job_failure(self, reason: str, count: int = 1) -> None:
        self.job_failures.labels(reason).inc(count)


GENERATOR_STATES = ("loaded", "loading", "lazy", "restarting", "unreachable", "error")


class _GeneratorCollector(Collector):
    def __init__(self, generator: Any) -> None:
        self.generator = generator

    def collect(self) -> Iterator[Metric]:
        status = getattr(self.generator, "status", None)
        current = status() if status is not None else ("loaded" if self.generator.loaded else "lazy")
        state = GaugeMetricFamily(
            "shiori_generator_state", "Answering model state (1 for the current one)", labels=["state"]
        )
        for name in GENERATOR_STATES:
            state.add_metric([name], 1.0 if name == current else 0.0)
        yield state
        restarts = CounterMetricFamily(
            "shiori_generator_restarts", "Times the generator process was restarted (crash or failed check)"
        )
        restarts.add_metric([], float(getattr(self.generator, "restarts", 0)))
        yield restarts
