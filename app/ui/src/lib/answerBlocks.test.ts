import { describe, expect, it, vi } from "vitest";

import type { Chip, CitationCheck } from "./citations";
import { placeChips } from "./citations";
import { AnswerBlocks, splitBlocks } from "./answerBlocks";
import { parseMarkdown, renderAnswer } from "./markdown";
import type { Source } from "../api/types";

const labels = { label: (chip: Chip) => `Source ${chip.number}: ${chip.status}` };

function source(number: number): Source {
  return {
    number,
    chunk_id: number,
    document_id: number,
    title: `doc-${number}.pdf`,
    filename: `doc-${number}.pdf`,
    page: 1,
    page_label: null,
    char_start: 0,
    char_end: 10,
    text: "0123456789",
    shown: "0123456789",
    spans: [[0, 10]],
    score: 0.5,
    ocr: false,
  };
}
const SOURCES = [source(1), source(2)];

/** The whole text parsed at once: what the page showed before answers were rendered block by block. */
function whole(text: string, check: CitationCheck | null = null): string {
  const placed = placeChips(text, SOURCES, check, check ? "final" : "streaming");
  const div = document.createElement("div");
  div.append(renderAnswer(placed.text, placed.chips, labels));
  return div.innerHTML;
}

function streamer(parse: (markdown: string) => DocumentFragment = parseMarkdown) {
  const host = document.createElement("div");
  const blocks = new AnswerBlocks(host, parse);
  return {
    host,
    show(text: string, check: CitationCheck | null = null) {
      const placed = placeChips(text, SOURCES, check, check ? "final" : "streaming");
      blocks.update(placed.text, placed.chips, labels);
    },
  };
}

// Answers the way a model writes them, and the Markdown corners where a blank line does not end a block.
const ANSWERS = [
  "Members may borrow eight books [1].\n\nThe loan period is three weeks [2]. Renewals: twice.\n\nLate returns cost 20 cents [1, 2].",
  "東京タワーは1958年に完成した[1]。\n\n高さは333メートルです【2】。",
  "Rules:\n- up to eight books [1]\n- three weeks\n\nHours:\n\n1. Monday to Friday\n2. Saturday\n\nDone.",
  "- loose one\n\n- loose two [1]\n\n- loose three\n\nAfter the list.",
  "3. third\n\n4. fourth\n\n10. tenth",
  "- item\n\n    more of the item, indented\n\n  and a lazy one\n\n- next\n  - nested\n\n    nested more\n\nOut.",
  "Code:\n\n```python\ndef f():\n\n    return 1 [1]\n\n\n```\n\nAfter the code.",
  "~~~\na\n\n```\nstill code\n~~~\n\ntext",
  "Unclosed fence:\n\n```\nline one\n\nline two",
  "Paragraph.\n\n    indented code\n\n    more code\n\nBack.",
  "> quoted [1]\n\n> another quote\n\n# Heading\n\nText\n===\n\n---\n\n* * *\n\nEnd",
  "| a | b |\n|---|---|\n| 1 [1] | 2 |\n\nBelow the table.",
  "<pre>\nraw\n\nstill raw\n</pre>\n\nAfter <b>bold</b>.\n\n<script>\nwindow.__blocks = 1\n\n</script>\n\n<!-- a\n\ncomment -->\n\n<div>\n\nx\n\n</div>",
  "See [the guide][g] and [1].\n\nMore text.\n\n[g]: https://example.org/guide",
  "The library was founded in\n\n1923. It moved in 1987 [2].\n\n1987 was the year.",
  'Look: <img src=x onerror="window.__blocks=2">\n\n[bad](javascript:alert(1)) [ok](https://example.org "t [1]")\n\n`a[1]b`',
  "\n\n  Leading blank lines.\n\n\n\nTrailing blank lines.\n\n\n",
  "- a\n\n  ```\n  x\n\n  y\n  ```\n\nb\n\n````\n```\n\n````\n\n\tcode\n\nTitle\n---\n\nA\n   \nB",
  "Windows lines\r\n\r\n- one\r\n\r\n- two\r\n\r\nend <?php\n\necho 1 ?>\n\n<!DOCTYPE html\n\n>\n\n*a\n\nb*",
];

// Lines that open, continue or close the constructs where a cut could go wrong.
const LINES = [
  "",
  "",
  "",
  "Plain text [1].",
  "東京タワーは333メートル【2】。",
  "- item",
  "* other item",
  "1. first",
  "2) second",
  "  continued",
  "    indented",
  "\tindented with a tab",
  "```",
  "~~~",
  "````js",
  "> quote",
  "# Heading",
  "---",
  "===",
  "| a | b |",
  "|---|---|",
  "<pre>",
  "</pre>",
  "<script>",
  "</script>",
  "<!-- note",
  "-->",
  "<!-->",
  "<?php",
  "<?>",
  "?>",
  "<textarea>",
  "</textarea>",
  "   ```",
  "``` a`b",
  "```\r",
  "<div>",
  "</div>",
  "<img src=x onerror=alert(1)>",
  "[link](https://example.org) and `code [1]`",
];

function answerFrom(seed: number): string {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648; // a fixed LCG: the same texts on every run
    return x;
  };
  return Array.from({ length: 8 + (next() % 20) }, () => LINES[next() % LINES.length]).join("\n");
}

describe("splitBlocks", () => {
  it("cuts at blank lines, each block keeping the blank lines after it", () => {
    expect(splitBlocks("One.\nStill one.\n\nTwo.\n\n\n\nThree.\n\n")).toEqual([
      "One.\nStill one.\n\n",
      "Two.\n\n\n\n",
      "Three.\n\n",
    ]);
    for (const answer of ANSWERS) expect(splitBlocks(answer).join("")).toBe(answer);
    expect(splitBlocks("")).toEqual([]);
    expect(splitBlocks(" \n\n")).toEqual([]);
  });

  it("keeps code fences, raw HTML blocks, indented lines and list items with their block", () => {
    expect(splitBlocks("```\na\n\nb\n```\n\nc")).toEqual(["```\na\n\nb\n```\n\n", "c"]);
    expect(splitBlocks("<pre>\na\n\nb\n</pre>\n\nc")).toEqual(["<pre>\na\n\nb\n</pre>\n\n", "c"]);
    expect(splitBlocks("- a\n\n- b\n\n  b more\n\nc")).toEqual(["- a\n\n- b\n\n  b more\n\n", "c"]);
    expect(splitBlocks("Text\n\n- a")).toEqual(["Text\n\n", "- a"]);
  });

  it("leaves a text that defines a link reference whole", () => {
    const text = "[x][r]\n\nmore\n\n[r]: https://example.org";
    expect(splitBlocks(text)).toEqual([text]);
  });
});

describe("AnswerBlocks", () => {
  it.each(ANSWERS.map((answer) => [answer.slice(0, 40), answer]))(
    "renders the same DOM as parsing the whole answer, at every point of the stream: %j",
    (_, answer) => {
      const s = streamer();
      for (let n = 1; n <= answer.length; n += 1) {
        s.show(answer.slice(0, n));
        expect(s.host.innerHTML, JSON.stringify(answer.slice(0, n))).toBe(whole(answer.slice(0, n)));
      }
    },
  );

  it("renders the same DOM as the whole answer for texts mixed from tricky lines, line by line", () => {
    for (let seed = 1; seed <= 60; seed += 1) {
      const answer = answerFrom(seed);
      const s = streamer();
      const cuts = [...answer.matchAll(/\n/g)].map((m) => m.index ?? 0).concat(answer.length);
      for (const n of cuts) {
        s.show(answer.slice(0, n));
        expect(s.host.innerHTML, JSON.stringify(answer.slice(0, n))).toBe(whole(answer.slice(0, n)));
      }
    }
  }, 30_000);

  it("parses a finished block once, and only the growing block on each token", () => {
    const parse = vi.fn(parseMarkdown);
    const s = streamer(parse);
    const answer = ANSWERS[0];
    const tokens = answer.match(/\S+|\s+/g) ?? [];
    const placed = placeChips(answer, SOURCES, null, "streaming");
    let text = "";
    for (const token of tokens) {
      text += token;
      s.show(text);
    }
    const finished = splitBlocks(placed.text).slice(0, -1);
    expect(finished).toHaveLength(2);
    for (const block of finished) {
      expect(parse.mock.calls.filter(([md]) => md === block)).toHaveLength(1);
    }
    // Never the whole answer, never two blocks together: each call is one block.
    for (const [md] of parse.mock.calls) expect(md.trimEnd()).not.toContain("\n\n");
    expect(parse.mock.calls.length).toBeLessThanOrEqual(tokens.length + 1);
  });

  it("keeps a finished block's DOM nodes while the next block grows", () => {
    const s = streamer();
    s.show("First paragraph [1].\n\nSecond");
    const first = s.host.querySelector("p");
    const chip = s.host.querySelector("button.cite");
    s.show("First paragraph [1].\n\nSecond paragraph, growing");
    s.show("First paragraph [1].\n\nSecond paragraph, growing [2].\n\nThird");
    expect(s.host.querySelector("p")).toBe(first);
    expect(s.host.querySelector("button.cite")).toBe(chip);
    expect(s.host.querySelectorAll("p")).toHaveLength(3);
  });

  it("re-labels chips when the citation check arrives without parsing the text again", () => {
    const parse = vi.fn(parseMarkdown);
    const s = streamer(parse);
    const text = "No chips here.\n\nEight books [1].";
    s.show(text);
    const calls = parse.mock.calls.length;
    const plain = s.host.querySelector("p");
    expect(s.host.querySelector("button.cite")?.className).toBe("cite cite--pending");
    const check: CitationCheck = {
      sentences: [
        { start: 0, end: 14, text: "", numbers: [], supported: true },
        { start: 16, end: text.length, text: "", numbers: [1], supported: true },
      ],
      citations: [
        {
          number: 1,
          sentence_index: 1,
          status: "verified",
          support: 0.9,
          chunk_id: 1,
          document_id: 1,
          title: "t",
          page: 1,
          page_label: null,
          char_start: 0,
          char_end: 5,
          ocr: false,
          missing: [],
        },
      ],
    };
    s.show(text, check);
    expect(parse.mock.calls.length).toBe(calls);
    const chip = s.host.querySelector("button.cite");
    expect(chip?.className).toBe("cite cite--verified");
    expect(chip?.getAttribute("aria-label")).toBe("Source 1: verified");
    expect(s.host.querySelector("p")).toBe(plain); // the block without chips was left alone
    expect(s.host.innerHTML).toBe(whole(text, check));
  });

  it("keeps model output inert in every block: no <img>, no <script>, no handlers, no javascript: links", () => {
    const s = streamer();
    let text = "";
    for (const part of [
      'Quoted: <img src=x onerror="window.__blocks=3"> and ![pic](http://example.com/a.png)\n\n',
      "<script>window.__blocks = 4</script>\n\n",
      '<a href="#" onclick="window.__blocks=5">raw</a> [bad](javascript:window.__blocks=6) [1]',
    ]) {
      text += part;
      s.show(text);
    }
    document.body.append(s.host);
    expect(s.host.querySelector("img, script")).toBeNull();
    const handlers = Array.from(s.host.querySelectorAll("*")).flatMap((el) =>
      Array.from(el.attributes).filter((a) => a.name.toLowerCase().startsWith("on")),
    );
    expect(handlers).toEqual([]);
    for (const a of Array.from(s.host.querySelectorAll("a"))) {
      expect(a.getAttribute("href") ?? "").not.toMatch(/javascript/i);
    }
    expect(s.host.textContent).toContain('<img src=x onerror="window.__blocks=3">');
    expect(s.host.textContent).toContain("<script>window.__blocks = 4</script>");
    expect(s.host.querySelectorAll("button.cite")).toHaveLength(1);
    expect((window as unknown as { __blocks?: number }).__blocks).toBeUndefined();
    s.host.remove();
  });
});
