// A streaming answer rendered block by block. The Markdown is cut into top-level blocks at blank lines
// (paragraphs, lists, headings, code fences…); a block that is finished keeps its parsed, sanitised DOM,
// and each token re-parses only the last, growing block. Re-parsing the whole answer per token made a
// long answer cost O(n²) in `marked` and DOMPurify, and replaced every chip under the pointer.
//
// The cut is only made where parsing the blocks one by one gives the same HTML as parsing the whole text
// (answerBlocks.test.ts checks that at every point of the stream, on model-like answers and on random
// mixes of the lines that open and close Markdown constructs): never inside a code fence or a raw HTML block
// that runs past blank lines, never before an indented line (it may continue a list item or be code),
// never between the items of a list, and not at all when the text defines a link reference (a
// definition may serve any block). When in doubt, no cut: one bigger block is always correct.

import type { Chip } from "./citations";
import { CHIP_PLACEHOLDER } from "./citations";
import { parseMarkdown, placeChipElements, type ChipLabels } from "./markdown";

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LIST_ITEM = /^ {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)/;
const INDENTED = /^[ \t]/;
const LINK_DEFINITION = /^ {0,3}\[[^\]\n]+\]:/m;
// HTML blocks 1-5 (CommonMark), as marked reads them: each runs to its own closing marker, past blank
// lines, and may close on the line it opens.
const RAW_HTML = /^ {0,3}<(?:(script|pre|style|textarea)(?:[\s>]|$)|(!--)|(\?)|(![A-Za-z])|(!\[CDATA\[))/i;

/** The closing marker of the HTML block this line opens and leaves open, if it does. */
function rawHtmlEnd(line: string): RegExp | null {
  const m = RAW_HTML.exec(line);
  if (!m) return null;
  const rest = line.slice(m[0].length);
  if (m[2]) return /^-?>|-->/.test(rest) ? null : /-->/; // <!--> and <!---> close at once
  const end = m[1] ? new RegExp(`</${m[1]}>`, "i") : m[3] ? /\?>/ : m[4] ? />/ : /\]\]>/;
  return end.test(rest) ? null : end;
}

const isBlank = (line: string) => line.trim() === "";

/**
 * The text's top-level Markdown blocks, each with the blank lines that follow it: joined, they are the
 * text again (the blank lines matter to raw HTML, which is shown as text, line breaks and all).
 */
export function splitBlocks(markdown: string): string[] {
  if (isBlank(markdown)) return [];
  if (LINK_DEFINITION.test(markdown)) return [markdown];
  const lines = markdown.split("\n");
  const blocks: string[] = [];
  let start = 0; // first line of the current block
  let end = 0; // one past its last non-blank line
  let offset = 0; // where line i starts in the text
  let blockOffset = 0; // where the current block starts
  let fence: { char: string; length: number } | null = null;
  let rawEnd: RegExp | null = null;
  let inList = false;

  for (let i = 0; i < lines.length; offset += lines[i].length + 1, i += 1) {
    const line = lines[i].replace(/\r$/, ""); // marked reads \r\n as \n
    if (fence) {
      const close = FENCE.exec(line);
      const marker = close?.[1] ?? "";
      if (
        marker[0] === fence.char &&
        marker.length >= fence.length &&
        /^ *$/.test(line.slice(close?.[0].length))
      )
        fence = null;
      end = i + 1;
      continue;
    }
    if (rawEnd) {
      if (rawEnd.test(line)) rawEnd = null;
      end = i + 1;
      continue;
    }
    if (isBlank(line)) continue;

    const afterBlank = end > start && end < i;
    const indented = INDENTED.test(line);
    const item = LIST_ITEM.test(line);
    if (afterBlank && !indented && !(inList && item)) {
      blocks.push(markdown.slice(blockOffset, offset));
      start = i;
      blockOffset = offset;
    }
    if (item) inList = true;
    else if (afterBlank && !indented) inList = false;
    end = i + 1;

    const open = FENCE.exec(line);
    if (open && !(open[1][0] === "`" && line.slice(open[0].length).includes("`"))) {
      fence = { char: open[1][0], length: open[1].length };
      continue;
    }
    rawEnd = rawHtmlEnd(line);
  }
  blocks.push(markdown.slice(blockOffset));
  return blocks;
}

/** What a block's DOM depends on besides its text: the chips its placeholders stand for. */
function blockKey(block: string, chips: Chip[], labels: ChipLabels): string {
  let key = block;
  for (const m of block.matchAll(CHIP_PLACEHOLDER)) {
    const chip = chips[Number(m[1])];
    key += chip
      ? `\u0000${chip.status}|${chip.number}|${chip.source ? 1 : 0}|${labels.label(chip)}`
      : "\u0000";
  }
  return key;
}

interface RenderedBlock {
  key: string;
  nodes: ChildNode[];
}

/**
 * Renders an answer into `host` (an element nothing else writes into) and keeps it current as the
 * text grows: blocks whose text and chips are unchanged keep their DOM nodes; a block whose chips
 * changed (the citation check arrived, the language switched) is re-cloned from its parsed DOM;
 * only a block whose text changed is parsed again.
 */
export class AnswerBlocks {
  private rendered: RenderedBlock[] = [];
  private parsed = new Map<string, DocumentFragment>();

  constructor(
    private readonly host: Element,
    private readonly parse: (markdown: string) => DocumentFragment = parseMarkdown,
  ) {}

  /** `text` has its markers replaced by chip placeholders (see placeChips). */
  update(text: string, chips: Chip[], labels: ChipLabels): void {
    const blocks = splitBlocks(text);
    const keys = blocks.map((b) => blockKey(b, chips, labels));
    let kept = 0;
    while (kept < blocks.length && kept < this.rendered.length && this.rendered[kept].key === keys[kept])
      kept += 1;
    for (const block of this.rendered.slice(kept)) for (const node of block.nodes) node.remove();

    const parsed = new Map<string, DocumentFragment>();
    const rendered = this.rendered.slice(0, kept);
    blocks.forEach((block, i) => {
      const template = this.parsed.get(block) ?? parsed.get(block) ?? this.parse(block);
      parsed.set(block, template);
      if (i < kept) return;
      const fragment = template.cloneNode(true) as DocumentFragment;
      placeChipElements(fragment, chips, labels);
      rendered.push({ key: keys[i], nodes: Array.from(fragment.childNodes) });
      this.host.append(fragment);
    });
    this.parsed = parsed; // only the current blocks: the cache never outgrows the answer
    this.rendered = rendered;
  }
}
