// [n] markers in an answer → citation chips, each tied to its numbered source and, once the server has
// checked the answer, to the citation's verdict for the sentence it ends.
//
// The marker grammar mirrors app/core/citations.py: [1], [1, 2], [1-3], ［1］, 【1】, [資料1], [Source 2].

import type { AnswerSentence, Citation, CitationStatus, Source } from "../api/types";

/** streaming: no verdict yet; stopped: the answer ended before it was checked. */
export type ChipStatus = CitationStatus | "pending" | "unchecked" | "nosource";

export interface Chip {
  /** The source number; null for a "no source supports this sentence" flag. */
  number: number | null;
  status: ChipStatus;
  source: Source | null;
  citation: Citation | null;
  sentenceIndex: number | null;
}

export interface CitationCheck {
  sentences: AnswerSentence[];
  citations: Citation[];
  /** False when the question asks for a number and the answer gives none. */
  answersQuestion?: boolean;
  /** The streamed answer, when the check flagged it and a second attempt replaced it. */
  revisedFrom?: string | null;
}

export type AnswerPhase = "streaming" | "final" | "stopped";

const NUM = "[0-9０-９]{1,3}";
const PREFIX = "(?:(?:sources?|refs?|docs?|資料|出典|文書)\\s*)?";
const MARKER_SOURCE = `[\\[［【]\\s*${PREFIX}${NUM}(?:\\s*(?:[,，、;；]|[-–~〜～])\\s*${PREFIX}${NUM})*\\s*[\\]］】]`;
const MAX_RANGE = 20;

/** Placeholders that survive Markdown rendering and sanitising as plain text (Unicode private use). */
export const CHIP_OPEN = "\uE000";
export const CHIP_CLOSE = "\uE001";
export const CHIP_PLACEHOLDER = /\uE000(\d+)\uE001/g;

export interface Marker {
  start: number;
  end: number;
  numbers: number[];
}

function toInt(digits: string): number {
  return Number(digits.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)));
}

export function markerNumbers(marker: string): number[] {
  const parts = marker.match(/[0-9０-９]+|[-–~〜～]/g) ?? [];
  const out: number[] = [];
  parts.forEach((part, i) => {
    if (!/[0-9０-９]/.test(part[0])) return;
    const n = toInt(part);
    const prev = out[out.length - 1];
    if (
      i >= 2 &&
      !/[0-9０-９]/.test(parts[i - 1][0]) &&
      prev !== undefined &&
      n - prev > 0 &&
      n - prev <= MAX_RANGE
    ) {
      for (let k = prev + 1; k < n; k += 1) out.push(k);
    }
    out.push(n);
  });
  return [...new Set(out)];
}

export function findMarkers(text: string): Marker[] {
  const re = new RegExp(MARKER_SOURCE, "giu");
  const out: Marker[] = [];
  for (const m of text.matchAll(re)) {
    out.push({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length, numbers: markerNumbers(m[0]) });
  }
  return out;
}

function sentenceAt(sentences: AnswerSentence[], pos: number): number | null {
  let best: number | null = null;
  sentences.forEach((s, i) => {
    if (s.start <= pos) best = i;
  });
  return best;
}

/** Offset just after the last non-space character of the sentence (where an added chip goes). */
function sentenceEnd(text: string, s: AnswerSentence): number {
  let end = Math.min(s.end, text.length);
  while (end > s.start && /\s/.test(text[end - 1])) end -= 1;
  return end;
}

interface Insertion {
  at: number;
  to: number; // text[at:to] is replaced (a marker) or nothing (to === at)
  chips: Chip[];
}

/**
 * The answer text with each marker replaced by chip placeholders, plus the chips they stand for.
 * With a citation check: each marker's chips carry the verdict for its sentence, inferred citations
 * get a chip at the end of their sentence, and sentences nothing supports get a flag.
 */
export function placeChips(
  text: string,
  sources: Source[],
  check: CitationCheck | null,
  phase: AnswerPhase,
): { text: string; chips: Chip[] } {
  const clean = text.replace(/[\uE000\uE001]/g, "");
  const byNumber = new Map(sources.map((s) => [s.number, s]));
  const sentences = check?.sentences ?? [];
  const citations = check?.citations ?? [];
  const insertions: Insertion[] = [];

  for (const m of findMarkers(clean)) {
    const si = check ? sentenceAt(sentences, m.start) : null;
    const chips = m.numbers.map((n): Chip => {
      const source = byNumber.get(n) ?? null;
      const citation = check
        ? (citations.find((c) => c.number === n && c.sentence_index === si) ?? null)
        : null;
      let status: ChipStatus;
      if (!source) status = "nosource";
      else if (citation) status = citation.status;
      else status = phase === "streaming" ? "pending" : "unchecked";
      return { number: n, status, source, citation, sentenceIndex: si };
    });
    insertions.push({ at: m.start, to: m.end, chips });
  }

  if (check) {
    sentences.forEach((s, si) => {
      const inferred = citations.filter((c) => c.sentence_index === si && c.status === "inferred");
      const at = sentenceEnd(clean, s);
      if (inferred.length) {
        insertions.push({
          at,
          to: at,
          chips: inferred.map((c) => ({
            number: c.number,
            status: "inferred",
            source: byNumber.get(c.number) ?? null,
            citation: c,
            sentenceIndex: si,
          })),
        });
      } else if (!s.supported) {
        const hasMarker = s.numbers.length > 0;
        if (!hasMarker) {
          insertions.push({
            at,
            to: at,
            chips: [{ number: null, status: "nosource", source: null, citation: null, sentenceIndex: si }],
          });
        }
      }
    });
  }

  insertions.sort((a, b) => a.at - b.at || a.to - b.to);
  const chips: Chip[] = [];
  let out = "";
  let pos = 0;
  for (const ins of insertions) {
    if (ins.at < pos) continue; // overlapping (cannot happen with well-formed sentences)
    out += clean.slice(pos, ins.at);
    for (const chip of ins.chips) {
      out += `${CHIP_OPEN}${chips.length}${CHIP_CLOSE}`;
      chips.push(chip);
    }
    pos = ins.to;
  }
  out += clean.slice(pos);
  return { text: out, chips };
}

/** The evidence span relative to the passage text, when the citation points inside the passage. */
export function evidenceInPassage(source: Source, citation: Citation | null): [number, number] | null {
  if (!citation || citation.document_id !== source.document_id || citation.page !== source.page) return null;
  const start = citation.char_start - source.char_start;
  const end = citation.char_end - source.char_start;
  if (start < 0 || end > source.text.length || end <= start) return null;
  return [start, end];
}
