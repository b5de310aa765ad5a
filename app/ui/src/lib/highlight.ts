// Where a passage and its evidence sit in the page text. Offsets come from the server (char_start/char_end
// into the page's normalised text); they are checked against the text before being trusted.

export interface Segment {
  text: string;
  passage: boolean;
  evidence: boolean;
}

export type Span = [number, number];

/** The passage's span in the page: the server's offsets when the text there is the passage, else a search. */
export function locatePassage(page: string, passage: string, start: number, end: number): Span | null {
  if (page.slice(start, end) === passage) return [start, end];
  const found = page.indexOf(passage);
  return found >= 0 ? [found, found + passage.length] : null;
}

function clamp(span: Span | null, length: number): Span | null {
  if (!span) return null;
  const a = Math.max(0, Math.min(length, span[0]));
  const b = Math.max(a, Math.min(length, span[1]));
  return b > a ? [a, b] : null;
}

/** The page cut into runs that are plain, inside the passage, or inside the evidence. */
export function segments(text: string, passage: Span | null, evidence: Span | null): Segment[] {
  const p = clamp(passage, text.length);
  const e = clamp(evidence, text.length);
  const cuts = new Set<number>([0, text.length]);
  for (const span of [p, e]) if (span) span.forEach((x) => cuts.add(x));
  const points = [...cuts].sort((x, y) => x - y);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i += 1) {
    const [a, b] = [points[i], points[i + 1]];
    if (a === b) continue;
    out.push({
      text: text.slice(a, b),
      passage: !!p && a >= p[0] && b <= p[1],
      evidence: !!e && a >= e[0] && b <= e[1],
    });
  }
  return out;
}
