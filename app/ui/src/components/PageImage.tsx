// A page as printed (the server's rendering of a PDF page or an uploaded image) with the cited evidence
// highlighted on it and the rest of the passage the model read drawn lighter. Boxes come in page units
// (PDF points); they are scaled by the width the image is shown at over the page's width.

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

import { api, ApiError, isAbort } from "../api/client";
import type { BoxRect, PageBoxes } from "../api/types";
import { useI18n } from "../i18n";
import type { Span } from "../lib/highlight";

export const ZOOMS = [1, 1.5, 2, 3] as const;
const MAX_WIDTH = 2400;

export interface DrawnRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Page-unit rectangles → CSS pixels on an image shown `displayedWidth` px wide. */
export function scaleRects(rects: BoxRect[], pageWidth: number, displayedWidth: number): DrawnRect[] {
  if (!(pageWidth > 0) || !(displayedWidth > 0)) return [];
  const k = displayedWidth / pageWidth;
  return rects.map((r) => ({
    left: r.x0 * k,
    top: r.y0 * k,
    width: Math.max(1, (r.x1 - r.x0) * k),
    height: Math.max(1, (r.y1 - r.y0) * k),
  }));
}

/** The width to ask the server for: the shown width in device pixels, rounded up to 100, 200..2400. */
export function requestWidth(displayedWidth: number, dpr: number): number {
  const want = Math.ceil((displayedWidth * (dpr || 1)) / 100) * 100;
  return Math.max(200, Math.min(MAX_WIDTH, want));
}

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, "client_error", String(err));
}

type Boxes = { evidence: PageBoxes | null; passage: PageBoxes | null };

function useBoxes(documentId: number, page: number, evidence: Span | null, passage: Span | null) {
  const [state, setState] = useState<{ boxes: Boxes | null; error: ApiError | null }>({
    boxes: null,
    error: null,
  });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ boxes: null, error: null });
    const get = (span: Span | null) =>
      span && span[1] > span[0]
        ? api.pageBoxes(documentId, page, span[0], span[1], ctl.signal)
        : Promise.resolve(null);
    Promise.all([get(evidence), get(passage)])
      .then(([e, p]) => setState({ boxes: { evidence: e, passage: p }, error: null }))
      .catch((err: unknown) => {
        if (ctl.signal.aborted || isAbort(err)) return;
        setState({ boxes: null, error: asApiError(err) });
      });
    return () => ctl.abort();
  }, [documentId, page, evidence?.[0], evidence?.[1], passage?.[0], passage?.[1]]);
  return state;
}

/** The image as an object URL (revoked when replaced or unmounted); refetched only to get sharper. */
function usePageImage(documentId: number, page: number, width: number, onError: (err: ApiError) => void) {
  const [url, setUrl] = useState<string | null>(null);
  const fetched = useRef(0);
  useEffect(() => {
    fetched.current = 0;
  }, [documentId, page]);
  useEffect(() => {
    if (width <= 0 || width <= fetched.current) return;
    const ctl = new AbortController();
    api
      .pageImage(documentId, page, width, ctl.signal)
      .then((blob) => {
        if (ctl.signal.aborted) return;
        fetched.current = width;
        setUrl(URL.createObjectURL(blob));
      })
      .catch((err: unknown) => {
        if (ctl.signal.aborted || isAbort(err)) return;
        onError(asApiError(err));
      });
    return () => ctl.abort();
  }, [documentId, page, width]);
  useEffect(
    () => () => {
      if (url) URL.revokeObjectURL(url);
    },
    [url],
  );
  return url;
}

export interface PageImageProps {
  documentId: number;
  page: number;
  /** Document name for the image's alt text. */
  name: string;
  evidence: Span | null;
  passage: Span | null;
  /** The highlighted words as text, for screen readers. */
  highlightText: string;
  /** The page has no image (or it failed to load): the caller shows the text instead. */
  onUnavailable: (err: ApiError) => void;
}

export function PageImage({
  documentId,
  page,
  name,
  evidence,
  passage,
  highlightText,
  onUnavailable,
}: PageImageProps) {
  const { t } = useI18n();
  const viewport = useRef<HTMLDivElement>(null);
  const [fit, setFit] = useState(0);
  const [zoom, setZoom] = useState(0); // index into ZOOMS
  const [loaded, setLoaded] = useState(false);
  const scale = ZOOMS[zoom];
  const shown = fit * scale;

  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    const measure = () => setFit(el.clientWidth);
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const width = fit > 0 ? requestWidth(shown, window.devicePixelRatio || 1) : 0;
  const url = usePageImage(documentId, page, width, onUnavailable);
  const { boxes, error } = useBoxes(documentId, page, evidence, passage);
  const pageWidth = boxes?.evidence?.width ?? boxes?.passage?.width ?? 0;
  const strong = boxes?.evidence ? scaleRects(boxes.evidence.rects, pageWidth, shown) : [];
  const light = boxes?.passage ? scaleRects(boxes.passage.rects, pageWidth, shown) : [];

  // Bring the first evidence rectangle (else the passage's) into view inside the scrollable page.
  const first = strong[0] ?? light[0];
  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el || !first || !loaded) return;
    el.scrollTop = Math.max(0, first.top - Math.min(80, el.clientHeight / 4));
    el.scrollLeft = Math.max(0, first.left - 24);
    // The page itself may sit below the fold of the panel (a phone, a short window): scroll the panel
    // (only the panel: scrollIntoView would move the whole page too) so the evidence shows under its
    // sticky header.
    const scroller = el.closest(".panel__scroll");
    if (!scroller) return;
    const head = scroller.querySelector(".passage__head")?.getBoundingClientRect().height ?? 0;
    const y =
      el.getBoundingClientRect().top - scroller.getBoundingClientRect().top + first.top - el.scrollTop;
    const room = scroller.clientHeight - head;
    if (y >= head && y + first.height <= scroller.clientHeight - 24) return; // already in view
    scroller.scrollTop += y - head - Math.max(24, room * 0.3);
  }, [first?.top, first?.left, loaded, scale]);

  const zoomBy = (step: number) => setZoom((z) => Math.max(0, Math.min(ZOOMS.length - 1, z + step)));
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "+" || e.key === "=") zoomBy(1);
    else if (e.key === "-" || e.key === "_") zoomBy(-1);
    else if (e.key === "0") setZoom(0);
    else return;
    e.preventDefault();
  };

  const noBoxes = error !== null;
  return (
    <div class="page-image" data-testid="page-image-view">
      <div class="page-image__tools">
        <button
          type="button"
          class="icon-btn"
          onClick={() => zoomBy(-1)}
          disabled={zoom === 0}
          aria-label={t("zoom_out")}
          data-testid="zoom-out"
        >
          <span aria-hidden="true">−</span>
        </button>
        <span class="page-image__zoom" aria-live="polite">
          {Math.round(scale * 100)}%
        </span>
        <button
          type="button"
          class="icon-btn"
          onClick={() => zoomBy(1)}
          disabled={zoom === ZOOMS.length - 1}
          aria-label={t("zoom_in")}
          data-testid="zoom-in"
        >
          <span aria-hidden="true">+</span>
        </button>
        {zoom > 0 && (
          <button type="button" class="btn btn--ghost btn--small" onClick={() => setZoom(0)}>
            {t("zoom_fit")}
          </button>
        )}
      </div>
      {noBoxes && (
        <p class="muted small" data-testid="no-boxes">
          {t("highlight_unavailable")}
        </p>
      )}
      <div
        class="page-image__viewport"
        ref={viewport}
        tabIndex={0}
        onKeyDown={onKeyDown}
        aria-label={t("page_image_region")}
        role="region"
      >
        {!url && <p class="muted page-image__loading">{t("page_image_loading")}</p>}
        {url && (
          <div class="page-image__sheet" style={{ width: `${shown}px` }}>
            <img
              src={url}
              alt={t("page_image_alt", { name, page })}
              width={Math.round(shown)}
              onLoad={() => setLoaded(true)}
              data-testid="page-image"
            />
            {(strong.length > 0 || light.length > 0) && (
              <div
                class="page-image__overlay"
                role="img"
                aria-label={t("highlight_desc", { text: highlightText })}
                data-testid="page-highlight"
              >
                {light.map((r, i) => (
                  <span
                    key={`p${i}`}
                    class="box box--passage"
                    style={{ left: r.left, top: r.top, width: r.width, height: r.height }}
                  />
                ))}
                {strong.map((r, i) => (
                  <span
                    key={`e${i}`}
                    class="box box--evidence"
                    data-testid="box-evidence"
                    style={{ left: r.left, top: r.top, width: r.width, height: r.height }}
                  />
                ))}
              </div>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
