// The hover card of a citation chip: which source, which page, the verdict, and the passage with the
// evidence marked. Purely visual (the chip's accessible name says the same in words).

import { useLayoutEffect, useRef, useState } from "preact/hooks";

import { useI18n } from "../i18n";
import { OcrBadge } from "./OcrBadge";
import { evidenceInPassage, type Chip } from "../lib/citations";
import { missingText, pageText, percent, textLang } from "../lib/format";
import { StatusBadge } from "./StatusBadge";

const EXCERPT = 300; // characters of passage shown around the evidence

const tidy = (text: string) => text.replace(/\s*\n\s*\n\s*/g, "\n");

/** Start a cut at a word boundary in Latin text (Japanese has no spaces to look for). */
function wordStart(text: string, from: number): number {
  if (from === 0) return 0;
  const space = text.slice(from, from + 20).search(/\s/);
  return space >= 0 ? from + space + 1 : from;
}

/** The passage cut to about EXCERPT characters, evidence kept whole and in view: [before, evidence, after]. */
export function excerpt(text: string, span: [number, number] | null): [string, string, string] {
  if (!span) {
    const cut = text.length > EXCERPT ? `${text.slice(0, EXCERPT).trimEnd()}…` : text;
    return [tidy(cut), "", ""];
  }
  const [a, b] = span;
  const room = Math.max(0, EXCERPT - (b - a));
  const from = wordStart(text, Math.max(0, a - Math.floor(room * 0.4)));
  const to = Math.min(text.length, b + Math.max(0, room - (a - from)));
  return [
    tidy((from > 0 ? "…" : "") + text.slice(from, a)),
    tidy(text.slice(a, b)),
    tidy(text.slice(b, to) + (to < text.length ? "…" : "")),
  ];
}

export function ChipPreview({ chip, anchor }: { chip: Chip; anchor: DOMRect }) {
  const { t } = useI18n();
  const card = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ top: number; left: number } | null>(null);

  useLayoutEffect(() => {
    const el = card.current;
    if (!el) return;
    const margin = 8;
    const { width, height } = el.getBoundingClientRect();
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    let top = anchor.bottom + margin;
    if (top + height > vh - margin && anchor.top - margin - height > margin)
      top = anchor.top - margin - height;
    const left = Math.min(Math.max(margin, anchor.left + anchor.width / 2 - width / 2), vw - width - margin);
    setPos({ top, left });
  }, [anchor, chip]);

  const source = chip.source;
  const span = source ? evidenceInPassage(source, chip.citation) : null;
  const [before, evidence, after] = source ? excerpt(source.text, span) : ["", "", ""];

  return (
    <div
      ref={card}
      class={`chip-preview chip-preview--${chip.status}`}
      role="presentation"
      aria-hidden="true"
      style={pos ? { top: `${pos.top}px`, left: `${pos.left}px` } : { top: "-9999px", left: "-9999px" }}
    >
      {source ? (
        <>
          <div class="chip-preview__head">
            <span class="chip-preview__num">{chip.number}</span>
            <span class="chip-preview__title">{source.title}</span>
            <span class="chip-preview__page">{pageText(t, source.page, source.page_label)}</span>
            <OcrBadge ocr={source.ocr} />
          </div>
          <div class="chip-preview__status">
            <StatusBadge status={chip.status} />
            {chip.citation && (
              <span class="muted">{t("support", { pct: percent(chip.citation.support) })}</span>
            )}
          </div>
          <p class="chip-preview__text" lang={textLang(source.text)}>
            {before}
            {evidence && <mark>{evidence}</mark>}
            {after}
          </p>
        </>
      ) : (
        <div class="chip-preview__status">
          <StatusBadge status={chip.status} />
        </div>
      )}
      <p class="chip-preview__help">{t(`help_${chip.status}`)}</p>
      {chip.citation && chip.citation.missing.length > 0 && (
        <p class="chip-preview__help missing-terms">{missingText(t, chip.citation.missing)}</p>
      )}
    </div>
  );
}
