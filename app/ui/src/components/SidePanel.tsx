// The right-hand panel: the sources of the selected answer, a cited passage highlighted inside its page,
// or a document's text page by page.

import type { RefObject } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

import { api, ApiError } from "../api/client";
import type { Citation, DocumentInfo, PageText, Source } from "../api/types";
import { useI18n } from "../i18n";
import { OcrBadge } from "./OcrBadge";
import { PageImage } from "./PageImage";
import type { ChipStatus } from "../lib/citations";
import { missingText, pageText, percent, textLang } from "../lib/format";
import { locatePassage, segments, type Span } from "../lib/highlight";
import type { Turn } from "../state/chat";
import { Icon } from "./Icon";
import { OriginalLink } from "./OriginalLink";
import { StatusBadge } from "./StatusBadge";

export type PanelView =
  | { kind: "sources" }
  | { kind: "passage"; source: Source; citation: Citation | null; status: ChipStatus | null }
  | { kind: "document"; documentId: number; page: number };

export interface SidePanelProps {
  view: PanelView;
  turn: Turn | null;
  docs: DocumentInfo[] | null;
  onView: (view: PanelView) => void;
  onClose: () => void;
  onError: (err: unknown) => void;
  /** The heading of the passage or document shown: it takes the focus when one opens. */
  titleRef?: RefObject<HTMLHeadingElement>;
}

function isPdf(doc: DocumentInfo | undefined, filename: string): boolean {
  return doc ? doc.mime === "application/pdf" : /\.pdf$/i.test(filename);
}

/** Only PDFs and uploaded images have page images (the server draws them). */
export function hasPageImages(doc: DocumentInfo | undefined, filename: string): boolean {
  if (doc?.mime) return doc.mime === "application/pdf" || doc.mime.startsWith("image/");
  return /\.(pdf|png|jpe?g|gif|bmp|tiff?|webp)$/i.test(filename);
}

type Tab = "page" | "text";

function usePage(documentId: number, page: number) {
  const [state, setState] = useState<{ page: PageText | null; error: ApiError | null; loading: boolean }>({
    page: null,
    error: null,
    loading: true,
  });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ page: null, error: null, loading: true });
    api
      .page(documentId, page, ctl.signal)
      .then((p) => setState({ page: p, error: null, loading: false }))
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        const error = err instanceof ApiError ? err : new ApiError(0, "client_error", String(err));
        setState({ page: null, error, loading: false });
      });
    return () => ctl.abort();
  }, [documentId, page]);
  return state;
}

function PageBody({
  text,
  passage,
  evidence,
}: {
  text: string;
  passage: Span | null;
  evidence: Span | null;
}) {
  const body = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    // Bring the highlight into view below the panel's sticky header. Only the panel scrolls
    // (scrollIntoView would move every scrollable ancestor, the page included).
    const root = body.current;
    const target = root?.querySelector(".hl-evidence") ?? root?.querySelector(".hl-passage");
    const scroller = root?.closest(".panel__scroll");
    if (!target || !scroller) return;
    const head = scroller.querySelector(".passage__head")?.getBoundingClientRect().height ?? 0;
    const top = target.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    const room = scroller.clientHeight - head;
    if (top >= head && top <= scroller.clientHeight - Math.min(120, room / 3)) return; // already in view
    scroller.scrollTop += top - head - Math.max(16, room / 5);
  }, [text, passage?.[0], evidence?.[0]]);

  return (
    <div class="page-text" ref={body} lang={textLang(text)} data-testid="page-text" tabIndex={0}>
      {segments(text, passage, evidence).map((seg, i) =>
        seg.evidence ? (
          <mark key={i} class="hl-evidence">
            {seg.text}
          </mark>
        ) : seg.passage ? (
          <span key={i} class="hl-passage">
            {seg.text}
          </span>
        ) : (
          seg.text
        ),
      )}
    </div>
  );
}

function PassageView({
  source,
  citation,
  status,
  docs,
  onError,
  titleRef,
}: {
  source: Source;
  citation: Citation | null;
  status: ChipStatus | null;
  docs: DocumentInfo[] | null;
  onError: (err: unknown) => void;
  titleRef?: RefObject<HTMLHeadingElement>;
}) {
  const { t } = useI18n();
  const { page, error, loading } = usePage(source.document_id, source.page);
  const doc = docs?.find((d) => d.id === source.document_id);
  const text = page?.text ?? "";
  const passage = page ? locatePassage(text, source.text, source.char_start, source.char_end) : null;
  const cites =
    citation !== null && citation.document_id === source.document_id && citation.page === source.page;
  let evidence: Span | null = null;
  if (page && cites) evidence = [citation.char_start, citation.char_end];
  // The page image works from the server's offsets alone: it need not wait for the page text.
  const imageEvidence: Span | null = cites ? [citation.char_start, citation.char_end] : null;
  const imagePassage: Span = [source.char_start, source.char_end];
  const highlightText = cites
    ? page
      ? text.slice(citation.char_start, citation.char_end)
      : source.text.slice(citation.char_start - source.char_start, citation.char_end - source.char_start)
    : source.text;

  const [noImage, setNoImage] = useState(false);
  const withImage = hasPageImages(doc, source.filename) && !noImage;
  const [chosen, setChosen] = useState<Tab | null>(null);
  const tab: Tab = withImage ? (chosen ?? "page") : "text";
  const tabs: Tab[] = withImage ? ["page", "text"] : [];
  const tabRefs = useRef<Record<Tab, HTMLButtonElement | null>>({ page: null, text: null });
  const onTabKey = (e: KeyboardEvent) => {
    const i = tabs.indexOf(tab);
    let next: Tab | null = null;
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    } else if (e.key === "Home") next = tabs[0];
    else if (e.key === "End") next = tabs[tabs.length - 1];
    if (!next) return;
    e.preventDefault();
    setChosen(next);
    tabRefs.current[next]?.focus();
  };
  const name = doc ? doc.title || doc.filename : source.title;

  return (
    <section class="passage" aria-labelledby="passage-title" data-testid="passage-view">
      <header class="passage__head">
        <p class="passage__eyebrow">
          <span class="num-badge">{source.number}</span>
          {pageText(t, source.page, source.page_label)}
          <OcrBadge ocr={source.ocr} />
          {status && <StatusBadge status={status} />}
        </p>
        <h3
          ref={titleRef}
          id="passage-title"
          class="passage__title"
          tabIndex={-1}
          lang={textLang(source.title)}
        >
          {source.title}
        </h3>
        <OriginalLink
          class="btn btn--small passage__open"
          documentId={source.document_id}
          page={isPdf(doc, source.filename) ? source.page : undefined}
          onError={onError}
        >
          <Icon name="external" size={15} />
          {isPdf(doc, source.filename) ? t("open_pdf_at_page", { page: source.page }) : t("open_original")}
        </OriginalLink>
      </header>
      {status && (
        <div class="passage__verdict">
          <p class="muted small">
            {t(`help_${status}`)}
            {citation && ` (${t("support", { pct: percent(citation.support) })})`}
          </p>
          {citation && citation.missing.length > 0 && (
            <p class="small missing-terms" data-testid="missing-terms">
              {missingText(t, citation.missing)}
            </p>
          )}
        </div>
      )}
      {tabs.length > 0 && (
        <div class="tabs" role="tablist" aria-label={t("view_as")} onKeyDown={onTabKey}>
          {tabs.map((id) => (
            <button
              key={id}
              ref={(el) => {
                tabRefs.current[id] = el;
              }}
              type="button"
              role="tab"
              id={`passage-tab-${id}`}
              class="tab"
              aria-selected={tab === id}
              aria-controls={`passage-panel-${id}`}
              tabIndex={tab === id ? 0 : -1}
              onClick={() => setChosen(id)}
              data-testid={`tab-${id}`}
            >
              {id === "page" ? t("tab_page") : t("tab_text")}
            </button>
          ))}
        </div>
      )}
      {noImage && (
        <p class="muted small" data-testid="no-page-image">
          {t("page_image_unavailable")}
        </p>
      )}
      {tab === "page" && (
        <div role="tabpanel" id="passage-panel-page" aria-labelledby="passage-tab-page">
          <ul class="legend" aria-hidden="true">
            {imageEvidence && (
              <li>
                <span class="swatch swatch--evidence">あA</span>{" "}
                {status === "unsupported" ? t("legend_closest") : t("legend_evidence")}
              </li>
            )}
            <li>
              <span class="swatch swatch--passage-box">あA</span> {t("legend_passage")}
            </li>
          </ul>
          <PageImage
            documentId={source.document_id}
            page={source.page}
            name={name}
            evidence={imageEvidence}
            passage={imagePassage}
            highlightText={highlightText}
            onUnavailable={() => setNoImage(true)}
          />
        </div>
      )}
      {tab === "text" && (
        <div
          role={tabs.length ? "tabpanel" : undefined}
          id="passage-panel-text"
          aria-labelledby={tabs.length ? "passage-tab-text" : undefined}
        >
          <PassageText
            loading={loading}
            error={error}
            page={page}
            source={source}
            text={text}
            passage={passage}
            evidence={evidence}
            status={status}
          />
        </div>
      )}
    </section>
  );
}

function PassageText({
  loading,
  error,
  page,
  source,
  text,
  passage,
  evidence,
  status,
}: {
  loading: boolean;
  error: ApiError | null;
  page: PageText | null;
  source: Source;
  text: string;
  passage: Span | null;
  evidence: Span | null;
  status: ChipStatus | null;
}) {
  const { t } = useI18n();
  return (
    <>
      {loading && <p class="muted">{t("page_loading")}</p>}
      {error && (
        <>
          <p class="callout callout--error small">{t("page_unavailable", { error: error.message })}</p>
          <p class="muted small">{t("passage_only")}</p>
          <PageBody text={source.text} passage={[0, source.text.length]} evidence={null} />
        </>
      )}
      {page && (
        <>
          <ul class="legend" aria-hidden="true">
            {evidence && (
              <li>
                <span class="swatch swatch--evidence">あA</span>{" "}
                {status === "unsupported" ? t("legend_closest") : t("legend_evidence")}
              </li>
            )}
            <li>
              <span class="swatch swatch--passage">あA</span> {t("legend_passage")}
            </li>
          </ul>
          <PageBody text={text} passage={passage} evidence={evidence} />
        </>
      )}
    </>
  );
}

function DocumentView({
  documentId,
  pageNumber,
  docs,
  onView,
  onError,
  titleRef,
}: {
  documentId: number;
  pageNumber: number;
  docs: DocumentInfo[] | null;
  onView: (view: PanelView) => void;
  onError: (err: unknown) => void;
  titleRef?: RefObject<HTMLHeadingElement>;
}) {
  const { t } = useI18n();
  const doc = docs?.find((d) => d.id === documentId);
  const { page, error, loading } = usePage(documentId, pageNumber);
  const total = doc?.pages ?? null;
  const go = (n: number) => onView({ kind: "document", documentId, page: n });
  const name = doc ? doc.title || doc.filename : `#${documentId}`;
  return (
    <section class="passage" aria-labelledby="passage-title" data-testid="document-view">
      <header class="passage__head">
        <h3 ref={titleRef} id="passage-title" class="passage__title" tabIndex={-1} lang={textLang(name)}>
          {name}
        </h3>
        <div class="pager">
          <button
            type="button"
            class="icon-btn"
            onClick={() => go(pageNumber - 1)}
            disabled={pageNumber <= 1}
            aria-label={t("prev_page")}
          >
            <Icon name="chevronLeft" />
          </button>
          <span aria-live="polite">
            {total ? t("page_of", { page: pageNumber, total }) : pageText(t, pageNumber, page?.page_label)}
          </span>
          <OcrBadge ocr={page?.ocr} />
          <button
            type="button"
            class="icon-btn"
            onClick={() => go(pageNumber + 1)}
            disabled={total !== null && pageNumber >= total}
            aria-label={t("next_page")}
          >
            <Icon name="chevronRight" />
          </button>
          <OriginalLink
            class="btn btn--small"
            documentId={documentId}
            page={doc && isPdf(doc, doc.filename) ? pageNumber : undefined}
            onError={onError}
          >
            <Icon name="external" size={15} />
            {doc && isPdf(doc, doc.filename)
              ? t("open_pdf_at_page", { page: pageNumber })
              : t("open_original")}
          </OriginalLink>
        </div>
      </header>
      {loading && <p class="muted">{t("page_loading")}</p>}
      {error && <p class="callout callout--error small">{t("page_unavailable", { error: error.message })}</p>}
      {page && <PageBody text={page.text} passage={null} evidence={null} />}
    </section>
  );
}

function SourcesView({ turn, onView }: { turn: Turn | null; onView: (view: PanelView) => void }) {
  const { t } = useI18n();
  if (!turn) return <p class="muted panel__empty">{t("sources_empty")}</p>;
  const sources = turn.sources;
  return (
    <section aria-labelledby="sources-for">
      <p id="sources-for" class="muted small sources-for" lang={textLang(turn.question)}>
        {t("sources_for", { q: turn.question })}
      </p>
      {sources === null && (
        <p class="progress-line">
          <span class="spinner" aria-hidden="true" />
          {t("retrieving")}
        </p>
      )}
      {sources !== null && sources.length === 0 && <p class="muted">{t("sources_none")}</p>}
      {sources && sources.length > 0 && (
        <ol class="source-list" data-testid="source-list">
          {sources.map((s) => (
            <li key={s.number}>
              <button
                type="button"
                class="source-card"
                onClick={() => onView({ kind: "passage", source: s, citation: null, status: null })}
              >
                <span class="source-card__head">
                  <span class="num-badge">{s.number}</span>
                  <span class="source-card__title" lang={textLang(s.title)}>
                    {s.title}
                  </span>
                  <span class="source-card__page">{pageText(t, s.page, s.page_label)}</span>
                  <OcrBadge ocr={s.ocr} />
                </span>
                <span class="source-card__text" lang={textLang(s.shown || s.text)}>
                  {s.shown || s.text}
                </span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export function SidePanel({ view, turn, docs, onView, onClose, onError, titleRef }: SidePanelProps) {
  const { t } = useI18n();
  const title =
    view.kind === "sources"
      ? t("sources_title")
      : view.kind === "passage"
        ? t("passage_title")
        : t("view_text");
  return (
    <div class="panel__inner">
      <div class="panel__bar">
        {view.kind !== "sources" ? (
          <button type="button" class="btn btn--ghost btn--small" onClick={() => onView({ kind: "sources" })}>
            <Icon name="back" size={16} />
            {t("back_to_sources")}
          </button>
        ) : (
          <h2 class="panel__title">{title}</h2>
        )}
        <button type="button" class="icon-btn panel__close" onClick={onClose} aria-label={t("close")}>
          <Icon name="close" />
        </button>
      </div>
      <div class="panel__scroll">
        {view.kind === "sources" && <SourcesView turn={turn} onView={onView} />}
        {view.kind === "passage" && (
          <PassageView
            key={`${view.source.chunk_id}-${view.citation?.sentence_index ?? "s"}`}
            source={view.source}
            citation={view.citation}
            status={view.status}
            docs={docs}
            onError={onError}
            titleRef={titleRef}
          />
        )}
        {view.kind === "document" && (
          <DocumentView
            documentId={view.documentId}
            pageNumber={view.page}
            docs={docs}
            onView={onView}
            onError={onError}
            titleRef={titleRef}
          />
        )}
      </div>
    </div>
  );
}
