// Answer text → sanitised DOM: Markdown by `marked`, raw HTML in the text shown as text (a model quoting a
// document's <script> must show it, not run it), then DOMPurify with a short allow-list as a second
// wall, returning DOM nodes (never an HTML string to be parsed again), then citation chips built as DOM
// nodes. lib/answerBlocks.ts uses these pieces to render a streaming answer block by block.

import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";

import { CHIP_PLACEHOLDER, type Chip } from "./citations";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      const shown = escapeHtml(token.text);
      return token.block ? `<p>${shown.replace(/\n/g, "<br>")}</p>\n` : shown;
    },
    image(token: Tokens.Image): string {
      // No images: an answer has no business loading anything, local or remote.
      return escapeHtml(token.text || token.title || "");
    },
  },
});

const ALLOWED_TAGS = [
  "p",
  "br",
  "strong",
  "em",
  "del",
  "s",
  "code",
  "pre",
  "blockquote",
  "ul",
  "ol",
  "li",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "a",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "hr",
];
const ALLOWED_ATTR = ["href", "title", "start", "align"];

let purifier: ReturnType<typeof DOMPurify> | null = null;

function purify(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const p = DOMPurify(window);
  p.addHook("afterSanitizeAttributes", (node) => {
    if (node instanceof Element && node.tagName === "A") {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
  });
  purifier = p;
  return p;
}

export function sanitize(html: string): DocumentFragment {
  return purify().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
    RETURN_DOM_FRAGMENT: true,
  });
}

export interface ChipLabels {
  /** Accessible name of a chip, e.g. "Source 2: Report, p. 5. Verified." */
  label: (chip: Chip) => string;
}

function chipElement(doc: Document, chip: Chip, index: number, labels: ChipLabels): HTMLElement {
  const el = doc.createElement("button");
  el.type = "button";
  el.className = `cite cite--${chip.status}`;
  el.dataset.chip = String(index);
  el.setAttribute("aria-label", labels.label(chip));
  el.textContent = chip.number === null ? "?" : String(chip.number);
  if (!chip.source) el.disabled = chip.number !== null;
  return el;
}

const PRIVATE_USE = /[\uE000\uE001]/g;

/** Chips in place of their placeholders; placeholder characters anywhere else (an attribute) removed. */
export function placeChipElements(root: DocumentFragment, chips: Chip[], labels: ChipLabels): void {
  const doc = root.ownerDocument ?? document;
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if ((n as Text).data.includes("\uE000")) nodes.push(n as Text);
  }
  for (const node of nodes) {
    const parts = node.data.split(CHIP_PLACEHOLDER); // [text, index, text, index, …, text]
    const frag = doc.createDocumentFragment();
    parts.forEach((part, i) => {
      if (i % 2 === 0) {
        const text = part.replace(PRIVATE_USE, "");
        if (text) frag.append(doc.createTextNode(text));
        return;
      }
      const chip = chips[Number(part)];
      if (chip) frag.append(chipElement(doc, chip, Number(part), labels));
    });
    node.replaceWith(frag);
  }
  for (const el of Array.from(root.querySelectorAll("*"))) {
    for (const attr of Array.from(el.attributes)) {
      if (/[\uE000\uE001]/.test(attr.value)) el.setAttribute(attr.name, attr.value.replace(PRIVATE_USE, ""));
    }
  }
}

/** Markdown → sanitised DOM, with chip placeholders still as text: the expensive step, done once per block. */
export function parseMarkdown(markdown: string): DocumentFragment {
  return sanitize(marked.parse(markdown) as string);
}

/** A whole answer at once, its markers replaced by placeholders (see placeChips), as sanitised DOM. */
export function renderAnswer(
  textWithPlaceholders: string,
  chips: Chip[],
  labels: ChipLabels,
): DocumentFragment {
  const fragment = parseMarkdown(textWithPlaceholders);
  placeChipElements(fragment, chips, labels);
  return fragment;
}
