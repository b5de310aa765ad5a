// An answer rendered from Markdown, its [n] markers turned into citation chips. Hovering or focusing a
// chip previews the passage; clicking it opens the passage in its page (onOpen).
//
// The Markdown goes into the page as sanitised DOM nodes, block by block (lib/answerBlocks.ts): while
// an answer streams, each token re-parses only the block it extends.

import { useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";

import type { Source } from "../api/types";
import { useI18n, type Translate } from "../i18n";
import { placeChips, type AnswerPhase, type Chip, type CitationCheck } from "../lib/citations";
import { missingText, pageText, textLang } from "../lib/format";
import { AnswerBlocks } from "../lib/answerBlocks";
import { ChipPreview } from "./ChipPreview";

export interface AnswerBodyProps {
  text: string;
  sources: Source[];
  check: CitationCheck | null;
  phase: AnswerPhase;
  onOpen: (chip: Chip, trigger: HTMLElement) => void;
}

export function statusText(t: Translate, chip: Chip): string {
  return t(`status_${chip.status}`);
}

export function chipLabel(t: Translate, chip: Chip): string {
  if (chip.number === null) return t("help_nosource");
  const status = statusText(t, chip);
  const missing = chip.citation?.missing.length ? ` ${missingText(t, chip.citation.missing)}.` : "";
  if (!chip.source) return `${t("source_n", { n: chip.number })}. ${status}.${missing}`;
  return (
    t("chip_label", {
      n: chip.number,
      title: chip.source.title,
      page: pageText(t, chip.source.page, chip.source.page_label),
      status,
    }) + missing
  );
}

interface Hover {
  index: number;
  rect: DOMRect;
}

export function AnswerBody({ text, sources, check, phase, onOpen }: AnswerBodyProps) {
  const { t } = useI18n();
  const [hover, setHover] = useState<Hover | null>(null);
  const showTimer = useRef<number | undefined>(undefined);
  const host = useRef<HTMLDivElement>(null);
  const blocks = useRef<AnswerBlocks | null>(null);

  const placed = useMemo(() => placeChips(text, sources, check, phase), [text, sources, check, phase]);
  const chips = placed.chips;
  useLayoutEffect(() => {
    if (!host.current) return;
    blocks.current ??= new AnswerBlocks(host.current);
    blocks.current.update(placed.text, placed.chips, { label: (chip) => chipLabel(t, chip) });
  }, [placed, t]);

  const chipFrom = (target: EventTarget | null): [HTMLElement, number] | null => {
    const el = target instanceof Element ? target.closest<HTMLElement>("button.cite") : null;
    if (!el || el.dataset.chip === undefined) return null;
    return [el, Number(el.dataset.chip)];
  };

  const show = (el: HTMLElement, index: number, delay: number) => {
    window.clearTimeout(showTimer.current);
    showTimer.current = window.setTimeout(() => setHover({ index, rect: el.getBoundingClientRect() }), delay);
  };
  const hide = () => {
    window.clearTimeout(showTimer.current);
    setHover(null);
  };

  const hovered = hover ? chips[hover.index] : undefined;

  return (
    <div class="answer-wrap">
      <div
        class="answer-md"
        ref={host} // filled by AnswerBlocks only: Preact renders no children here
        lang={textLang(text)}
        onMouseOver={(e) => {
          const hit = chipFrom(e.target);
          if (hit) show(hit[0], hit[1], 120);
        }}
        onMouseOut={(e) => {
          if (chipFrom(e.target)) hide();
        }}
        onFocusIn={(e) => {
          const hit = chipFrom(e.target);
          if (hit) show(hit[0], hit[1], 0);
        }}
        onFocusOut={hide}
        onKeyDown={(e) => {
          if (e.key === "Escape" && hover) {
            e.preventDefault(); // closes the preview only
            hide();
          }
        }}
        onClick={(e) => {
          const hit = chipFrom(e.target);
          if (!hit) return;
          const chip = chips[hit[1]];
          hide();
          if (chip?.source) onOpen(chip, hit[0]);
        }}
      />
      {hovered && hover && <ChipPreview chip={hovered} anchor={hover.rect} />}
    </div>
  );
}
