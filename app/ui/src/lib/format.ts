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

export function pageText(t: Translate, page: number, label: string | null | undefined): string {
  if (!label || label === String(page)) return t("page", { page });
  // A PDF's printed page label ("iii") goes beside the page number; an Office document's page names
  // itself ("Slide 3", "Sheet 売上 (rows 1–200)", "Footnotes").
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
