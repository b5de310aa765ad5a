// An answer rendered from Markdown, its [n] markers turned into citation chips. Hovering or focusing a
// chip previews the passage; clicking it opens the passage in its page (onOpen).

import { useMemo, useRef, useState } from "preact/hooks";

import type { Source } from "../api/types";
import { useI18n, type Translate } from "../i18n";
import { placeChips, type AnswerPhase, type Chip, type CitationCheck } from "../lib/citations";
import { pageText, textLang } from "../lib/format";
import { renderAnswerHtml } from "../lib/markdown";
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
  if (!chip.source) return `${t("source_n", { n: chip.number })}. ${status}.`;
  return t("chip_label", {
    n: chip.number,
    title: chip.source.title,
    page: pageText(t, chip.source.page, chip.source.page_label),
    status,
  });
}

interface Hover {
  index: number;
  rect: DOMRect;
}

export function AnswerBody({ text, sources, check, phase, onOpen }: AnswerBodyProps) {
  const { t } = useI18n();
  const [hover, setHover] = useState<Hover | null>(null);
  const showTimer = useRef<number | undefined>(undefined);

  const { html, chips } = useMemo(() => {
    const placed = placeChips(text, sources, check, phase);
    return {
      chips: placed.chips,
      html: renderAnswerHtml(placed.text, placed.chips, { label: (chip) => chipLabel(t, chip) }),
    };
  }, [text, sources, check, phase, t]);

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
        lang={textLang(text)}
        // Safe: built by renderAnswerHtml (escaped raw HTML, DOMPurify allow-list, chips as DOM nodes).
        dangerouslySetInnerHTML={{ __html: html }}
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
