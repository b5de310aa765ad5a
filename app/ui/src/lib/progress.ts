// A document's ingestion progress in words and as a fraction, from the worker's stage and counters.

import type { DocumentInfo } from "../api/types";
import type { Translate } from "../i18n";
import { count } from "./format";

export type Tone = "active" | "done" | "failed" | "duplicate";

export interface ProgressView {
  label: string;
  /** 0..1, or null when the stage has no measure (shown as an indeterminate bar). */
  fraction: number | null;
  tone: Tone;
}

// Share of the bar each stage covers: reading pages and embedding passages are the slow ones.
const EXTRACT: [number, number] = [0.04, 0.45];
const EMBED: [number, number] = [0.5, 0.95];

function within([from, to]: [number, number], done: number, total: number | null): number | null {
  if (!total) return null;
  return from + (to - from) * Math.min(1, done / total);
}

export function readyDetail(t: Translate, doc: DocumentInfo): string {
  const pages = count(t, doc.pages ?? 0, "one_page", "n_pages");
  const chunks = count(t, doc.chunk_count, "one_passage", "n_passages");
  return t("ready_detail", { pages, chunks });
}

export function documentProgress(t: Translate, doc: DocumentInfo): ProgressView {
  if (doc.status === "ready")
    return { label: `${t("stage_ready")} · ${readyDetail(t, doc)}`, fraction: 1, tone: "done" };
  if (doc.status === "failed") {
    return { label: doc.error || t("stage_failed"), fraction: null, tone: "failed" };
  }
  const p = doc.progress;
  switch (p?.stage ?? "queued") {
    case "claimed":
      return { label: t("stage_claimed"), fraction: EXTRACT[0], tone: "active" };
    case "extracting":
      return p?.pages_total
        ? {
            label: t("stage_extracting", { done: p.pages_done, total: p.pages_total }),
            fraction: within(EXTRACT, p.pages_done, p.pages_total),
            tone: "active",
          }
        : { label: t("stage_extracting_start"), fraction: EXTRACT[0], tone: "active" };
    case "ocr": // scanned pages read with Tesseract: counted apart, still part of reading
      return {
        label: t("stage_ocr", { done: p?.pages_done ?? 0, total: p?.pages_total ?? 0 }),
        fraction: within(EXTRACT, p?.pages_done ?? 0, p?.pages_total || 1),
        tone: "active",
      };
    case "chunking":
      return { label: t("stage_chunking"), fraction: EXTRACT[1], tone: "active" };
    case "embedding":
      return {
        label: p?.chunks_total
          ? t("stage_embedding", { done: p.chunks_done, total: p.chunks_total })
          : t("stage_chunking"),
        fraction: within(EMBED, p?.chunks_done ?? 0, p?.chunks_total ?? null) ?? EMBED[0],
        tone: "active",
      };
    case "writing":
      return { label: t("stage_writing"), fraction: 0.97, tone: "active" };
    case "retrying":
      return { label: t("stage_retrying", { error: p?.error ?? "" }), fraction: null, tone: "active" };
    default:
      return { label: t("stage_queued"), fraction: null, tone: "active" };
  }
}
