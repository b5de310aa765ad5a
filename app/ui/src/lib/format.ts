import type { Lang, Translate } from "../i18n";
import { hasCjk } from "./cjk";

export function formatBytes(bytes: number, lang: Lang): string {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

export function formatDate(iso: string, lang: Lang): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(lang === "ja" ? "ja-JP" : "en", {
    dateStyle: "medium",
    timeStyle: "short",
  }).format(date);
}

// An Office document's pages name themselves (ingestion/loaders: pptx, xlsx, delimited, docx) in a
// fixed grammar, stored in English; shown here in the reader's language.
const OFFICE_PAGES: [RegExp, (m: RegExpMatchArray, t: Translate) => string][] = [
  [/^Slide (\d+)$/, (m, t) => t("page_slide", { n: m[1] })],
  [
    /^Sheet (.+) \(rows (\d+)–(\d+)\)$/,
    (m, t) => t("page_sheet_rows", { name: m[1], first: m[2], last: m[3] }),
  ],
  [/^Sheet (.+)$/, (m, t) => t("page_sheet", { name: m[1] })],
  [/^Rows (\d+)–(\d+)$/, (m, t) => t("page_rows", { first: m[1], last: m[2] })],
  [/^Section (\d+)$/, (m, t) => t("page_section", { n: m[1] })],
  [/^Footnotes$/, (_, t) => t("page_footnotes")],
  [/^Endnotes$/, (_, t) => t("page_endnotes")],
  [/^Comments$/, (_, t) => t("page_comments")],
];

/** "Not backed by this source: 北海道, 1998": the numbers and names of a sentence its cited evidence
 * lacks, or holds only for something else than the question asks (a bare 4900億 that the slide gives
 * as a token count, asked for a parameter count). */
export function missingText(t: Translate, missing: readonly string[]): string {
  return t("missing_terms", { terms: missing.join(", ") });
}

export function pageText(t: Translate, page: number, label: string | null | undefined): string {
  if (!label || label === String(page)) return t("page", { page });
  for (const [pattern, say] of OFFICE_PAGES) {
    const m = label.match(pattern);
    if (m) return say(m, t);
  }
  // A PDF's printed page label ("iii") goes beside the page number; other names stand alone.
  return label.includes(" ") || !/\d|^[ivxlcdm]+$/i.test(label)
    ? label
    : t("page_with_label", { page, label });
}

export function count(
  t: Translate,
  n: number,
  one: Parameters<Translate>[0],
  many: Parameters<Translate>[0],
) {
  return n === 1 ? t(one) : t(many, { n });
}

/** "ja" when the text contains Japanese script: tells the browser to pick Japanese glyphs for it. */
export function textLang(text: string): Lang {
  return hasCjk(text.slice(0, 2000)) ? "ja" : "en";
}

export function percent(fraction: number): number {
  return Math.max(0, Math.min(100, Math.round(fraction * 100)));
}

/** An error's message for the person: the server's own words for an ApiError. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
