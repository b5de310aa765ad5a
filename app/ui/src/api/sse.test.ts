import { describe, expect, it } from "vitest";

import { historyBefore, type Turn } from "../state/chat";
import { SseParser } from "./sse";

describe("SseParser", () => {
  it("reassembles events split anywhere across network chunks", () => {
    const raw =
      'event: sources\ndata: {"sources": []}\n\nevent: token\ndata: {"text": "東京"}\n\n: keep-alive\n\n';
    for (const size of [1, 3, 7, raw.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < raw.length; i += size) events.push(...parser.feed(raw.slice(i, i + size)));
      expect(events).toEqual([
        { event: "sources", data: '{"sources": []}' },
        { event: "token", data: '{"text": "東京"}' },
      ]);
    }
  });

  it("handles CRLF line ends and multi-line data", () => {
    const parser = new SseParser();
    expect(parser.feed("event: error\r\ndata: a\r\ndata: b\r\n\r\n")).toEqual([
      { event: "error", data: "a\nb" },
    ]);
  });
});

describe("historyBefore", () => {
  const turn = (question: string, phase: Turn["phase"], text: string): Turn => ({
    id: question,
    question,
    phase,
    text,
    sources: [],
    check: null,
    done: null,
    error: null,
  });

  it("sends finished and stopped answers as the conversation, not failed ones", () => {
    const turns = [
      turn("q1", "done", "a1"),
      turn("q2", "error", ""),
      turn("q3", "stopped", "a3 part"),
      turn("q4", "streaming", "x"),
    ];
    expect(historyBefore(turns, 3)).toEqual([
      { role: "user", content: "q1" },
      { role: "assistant", content: "a1" },
      { role: "user", content: "q3" },
      { role: "assistant", content: "a3 part" },
    ]);
  });
});
