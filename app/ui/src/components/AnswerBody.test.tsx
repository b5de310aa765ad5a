import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Citation, Source } from "../api/types";
import { I18nContext, translator } from "../i18n";
import type { AnswerPhase, Chip, CitationCheck } from "../lib/citations";
import { findMarkers, placeChips } from "../lib/citations";
import { AnswerBody } from "./AnswerBody";

const PAGE_1 = "東京タワーは1958年に完成した電波塔である。高さは333メートルである。";

function source(number: number, overrides: Partial<Source> = {}): Source {
  const text = number === 1 ? PAGE_1 : `Passage number ${number} about something else entirely.`;
  return {
    number,
    chunk_id: 100 + number,
    document_id: 10 + number,
    title: number === 1 ? "tower.txt" : `doc-${number}.pdf`,
    filename: number === 1 ? "tower.txt" : `doc-${number}.pdf`,
    page: number + 1,
    page_label: null,
    char_start: 5,
    char_end: 5 + text.length,
    text,
    shown: text,
    spans: [[5, 5 + text.length]],
    score: 0.9,
    ocr: false,
    ...overrides,
  };
}

function citation(
  number: number,
  sentence: number,
  status: Citation["status"],
  start = 27,
  end = 40,
): Citation {
  return {
    number,
    sentence_index: sentence,
    status,
    support: status === "verified" ? 0.92 : status === "inferred" ? 0.75 : 0.2,
    chunk_id: 100 + number,
    document_id: 10 + number,
    title: "t",
    page: number + 1,
    page_label: null,
    char_start: start,
    char_end: end,
    ocr: false,
    missing: [],
  };
}

let root: HTMLDivElement;

beforeEach(() => {
  root = document.createElement("div");
  document.body.append(root);
});

afterEach(() => {
  render(null, root);
  root.remove();
});

function mount(
  text: string,
  sources: Source[],
  check: CitationCheck | null,
  phase: AnswerPhase,
  onOpen = vi.fn(),
) {
  act(() => {
    render(
      <I18nContext.Provider value={{ lang: "en", t: translator("en") }}>
        <AnswerBody text={text} sources={sources} check={check} phase={phase} onOpen={onOpen} />
      </I18nContext.Provider>,
      root,
    );
  });
  return onOpen;
}

const chips = () => Array.from(root.querySelectorAll<HTMLButtonElement>("button.cite"));

describe("citation markers", () => {
  it("reads every marker form the model writes", () => {
    const found = findMarkers("a [1] b [1, 2] c [2-4] d ［3］ e 【5】 f [資料6] g [Source 7] h (8)");
    expect(found.map((m) => m.numbers)).toEqual([[1], [1, 2], [2, 3, 4], [3], [5], [6], [7]]);
  });
});

describe("citation chips", () => {
  const text = "東京タワーは1958年に完成した[1]。高さは333メートルです[1][2]。Unrelated claim.";
  const sentences = [
    { start: 0, end: 20, text: "", numbers: [1], supported: true },
    { start: 20, end: 40, text: "", numbers: [1, 2], supported: true },
    { start: 40, end: text.length, text: "", numbers: [], supported: true },
  ];
  const check: CitationCheck = {
    sentences,
    citations: [
      citation(1, 0, "verified"),
      citation(1, 1, "verified"),
      citation(2, 1, "unsupported"),
      citation(1, 2, "inferred"),
    ],
  };

  it("turns markers into chips numbered like the sources, styled by verdict", () => {
    mount(text, [source(1), source(2)], check, "final");
    const got = chips().map((c) => [c.textContent, c.className]);
    expect(got).toEqual([
      ["1", "cite cite--verified"],
      ["1", "cite cite--verified"],
      ["2", "cite cite--unsupported"],
      ["1", "cite cite--inferred"], // a sentence with no marker but clear support gets an inferred chip
    ]);
    expect(root.textContent).not.toMatch(/\[\d\]/); // the raw markers are gone
    const label = chips()[2].getAttribute("aria-label") ?? "";
    expect(label).toContain("Source 2");
    expect(label).toContain("doc-2.pdf");
    expect(label).toContain("p. 3");
    expect(label).toContain("Not supported");
  });

  it("says which numbers and names the cited source lacks, in the chip's label", () => {
    const swapped: CitationCheck = {
      sentences: [{ start: 0, end: 20, text: "", numbers: [1], supported: false }],
      citations: [{ ...citation(1, 0, "unsupported"), missing: ["1962", "大阪"] }],
    };
    mount("東京タワーは1962年に大阪で完成した[1]。", [source(1)], swapped, "final");
    const label = chips()[0].getAttribute("aria-label") ?? "";
    expect(label).toContain("Not supported");
    expect(label).toContain("Not backed by this source: 1962, 大阪");
  });

  it("shows chips as unchecked while the answer streams, and flags numbers with no source", () => {
    mount("Partial answer [1] and [9] and [2", [source(1)], null, "streaming");
    const [first, bogus] = chips();
    expect(first.className).toBe("cite cite--pending");
    expect(bogus.className).toBe("cite cite--nosource");
    expect(bogus.disabled).toBe(true);
    expect(root.textContent).toContain("[2"); // an unfinished marker stays text until it completes
  });

  it("flags a sentence that nothing supports", () => {
    const t2 = "Invented claim.";
    mount(
      t2,
      [source(1)],
      { sentences: [{ start: 0, end: t2.length, text: t2, numbers: [], supported: false }], citations: [] },
      "final",
    );
    const [flag] = chips();
    expect(flag.className).toBe("cite cite--nosource");
    expect(flag.textContent).toBe("?");
  });

  it("previews the passage with the evidence marked on hover, and opens the right source on click", async () => {
    vi.useFakeTimers();
    const onOpen = mount(text, [source(1), source(2)], check, "final");
    const first = chips()[0];
    act(() => {
      first.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
      vi.advanceTimersByTime(200);
    });
    const preview = document.querySelector(".chip-preview");
    expect(preview?.textContent).toContain("tower.txt");
    expect(preview?.textContent).toContain("Verified");
    // evidence [27, 40) in page offsets = [22, 35) in the passage that starts at 5
    expect(preview?.querySelector("mark")?.textContent).toBe(PAGE_1.slice(22, 35));
    vi.useRealTimers();

    act(() => {
      chips()[2].click();
    });
    expect(onOpen).toHaveBeenCalledTimes(1);
    const chip = onOpen.mock.calls[0][0] as Chip;
    expect(chip.number).toBe(2);
    expect(chip.source?.document_id).toBe(12);
    expect(chip.status).toBe("unsupported");
    expect(chip.citation?.sentence_index).toBe(1);
  });

  it("keeps a finished paragraph and its chips in place while the next one streams in", () => {
    const sources = [source(1), source(2)];
    let text = "Tokyo Tower was finished in 1958 [1].\n\nIt is";
    mount(text, sources, null, "streaming");
    const firstParagraph = root.querySelector(".answer-md p");
    const firstChip = chips()[0];
    for (const token of [" 333", " metres", " tall [2]."]) {
      text += token;
      mount(text, sources, null, "streaming");
    }
    expect(root.querySelector(".answer-md p")).toBe(firstParagraph);
    expect(chips()[0]).toBe(firstChip);
    expect(chips().map((c) => c.textContent)).toEqual(["1", "2"]);
    expect(root.querySelector(".answer-md")?.textContent?.trim()).toBe(
      "Tokyo Tower was finished in 1958 1.\nIt is 333 metres tall 2.",
    );
  });

  it("keeps document text inert inside the answer", () => {
    mount(
      'Quoted: <img src=x onerror="window.__chip=1"> <script>window.__chip=2</script> [1]',
      [source(1)],
      null,
      "final",
    );
    expect(root.querySelector("img, script")).toBeNull();
    expect((window as unknown as { __chip?: number }).__chip).toBeUndefined();
    expect(root.textContent).toContain("<script>window.__chip=2</script>");
    expect(chips()).toHaveLength(1);
  });
});

describe("placeChips", () => {
  it("uses the verdict of the sentence each marker ends", () => {
    const text = "A is true [1]. B is false [1].";
    const { chips } = placeChips(
      text,
      [source(1)],
      {
        sentences: [
          { start: 0, end: 14, text: "", numbers: [1], supported: true },
          { start: 15, end: text.length, text: "", numbers: [1], supported: false },
        ],
        citations: [citation(1, 0, "verified"), citation(1, 1, "unsupported")],
      },
      "final",
    );
    expect(chips.map((c) => c.status)).toEqual(["verified", "unsupported"]);
  });

  it("keeps a wrong number flagged and adds the source that holds the sentence", () => {
    const text = "クジラ模型は札幌の倉庫にあります。[2]";
    const { text: placed, chips } = placeChips(
      text,
      [source(1), source(2)],
      {
        sentences: [{ start: 0, end: text.length, text, numbers: [2], supported: true }],
        citations: [citation(2, 0, "unsupported"), citation(1, 0, "inferred")],
      },
      "final",
    );
    expect(chips.map((c) => [c.number, c.status])).toEqual([
      [2, "unsupported"],
      [1, "inferred"],
    ]);
    expect(placed.startsWith("クジラ模型は札幌の倉庫にあります。")).toBe(true);
  });
});
