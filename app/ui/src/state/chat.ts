// Conversations (one per collection) and the streaming of each answer from /api/v1/ask.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { api, ApiError, isAbort } from "../api/client";
import { readEvents } from "../api/sse";
import type { ChatMessage, CitationsEvent, DoneEvent, ErrorBody, Source, SourcesEvent } from "../api/types";
import type { CitationCheck } from "../lib/citations";

/** retrieving → generating (sources in, no token yet) → streaming → done | stopped | error */
export type TurnPhase = "retrieving" | "generating" | "streaming" | "done" | "stopped" | "error";

export interface TurnError {
  status: number;
  code: string;
  detail: string;
  retryAfter: number | null;
  at: number;
}

export interface Turn {
  id: string;
  question: string;
  phase: TurnPhase;
  text: string;
  sources: Source[] | null;
  check: CitationCheck | null;
  done: DoneEvent | null;
  error: TurnError | null;
}

export const MAX_HISTORY_MESSAGES = 24; // the server keeps the last few turns; 50 is its hard limit
const MAX_MESSAGE_CHARS = 20_000;

const STORAGE = "shiori.conversations";

/** Conversations survive a reload of the tab (sessionStorage: not shared with other tabs, gone on close). */
function restore(): Record<string, Turn[]> {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE) ?? "{}") as Record<string, Turn[]>;
    for (const turns of Object.values(saved)) {
      for (const t of turns) if (isActive(t)) t.phase = "stopped"; // the tab went away mid-answer
    }
    return saved;
  } catch {
    return {};
  }
}

function save(all: Record<string, Turn[]>): void {
  try {
    sessionStorage.setItem(STORAGE, JSON.stringify(all));
  } catch {
    /* full or disabled: the conversation just won't survive a reload */
  }
}

let counter = 0;
const newId = () => `t${Date.now().toString(36)}${(counter++).toString(36)}`;

export function isActive(turn: Turn): boolean {
  return turn.phase === "retrieving" || turn.phase === "generating" || turn.phase === "streaming";
}

/** The conversation before turn `index`, as the server's `history`: finished (or stopped) answers only. */
export function historyBefore(turns: Turn[], index: number): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const t of turns.slice(0, index)) {
    if ((t.phase === "done" || t.phase === "stopped") && t.text.trim()) {
      out.push(
        { role: "user", content: t.question.slice(0, MAX_MESSAGE_CHARS) },
        { role: "assistant", content: t.text.slice(0, MAX_MESSAGE_CHARS) },
      );
    }
  }
  return out.slice(-MAX_HISTORY_MESSAGES);
}

function turnError(err: unknown): TurnError {
  if (err instanceof ApiError) {
    return {
      status: err.status,
      code: err.code,
      detail: err.message,
      retryAfter: err.retryAfter,
      at: Date.now(),
    };
  }
  return { status: 0, code: "client_error", detail: String(err), retryAfter: null, at: Date.now() };
}

type Patch = Partial<Turn> | ((t: Turn) => Partial<Turn>);

export interface Chat {
  turns: Turn[];
  activeId: string | null;
  ask: (question: string) => string | null;
  retry: (turnId: string) => void;
  stop: () => void;
  reset: () => void;
}

export function useChat(collection: string): Chat {
  const [byCollection, setByCollection] = useState<Record<string, Turn[]>>(restore);
  const [activeId, setActiveId] = useState<string | null>(null);
  useEffect(() => {
    if (activeId === null) save(byCollection); // not on every token: once an answer has finished
  }, [byCollection, activeId]);
  const controller = useRef<AbortController | null>(null);
  const turnsRef = useRef(byCollection);
  turnsRef.current = byCollection;

  const update = useCallback((coll: string, id: string, patch: Patch) => {
    setByCollection((prev) => ({
      ...prev,
      [coll]: (prev[coll] ?? []).map((t) =>
        t.id === id ? { ...t, ...(typeof patch === "function" ? patch(t) : patch) } : t,
      ),
    }));
  }, []);

  const run = useCallback(
    async (coll: string, turn: Turn, history: ChatMessage[]) => {
      const ctl = new AbortController();
      controller.current = ctl;
      setActiveId(turn.id);
      try {
        const res = await api.ask(
          { question: turn.question, collection: coll, history, stream: true },
          ctl.signal,
        );
        let finished = false;
        let failure: TurnError | null = null;
        for await (const ev of readEvents(res)) {
          if (ev.event === "sources") {
            const data = JSON.parse(ev.data) as SourcesEvent;
            update(coll, turn.id, { sources: data.sources, phase: "generating" });
          } else if (ev.event === "token") {
            const data = JSON.parse(ev.data) as { text: string };
            update(coll, turn.id, (t) => ({ text: t.text + data.text, phase: "streaming" }));
          } else if (ev.event === "citations") {
            const data = JSON.parse(ev.data) as CitationsEvent;
            update(coll, turn.id, {
              text: data.answer,
              check: {
                sentences: data.sentences,
                citations: data.citations,
                answersQuestion: data.answers_question,
                revisedFrom: data.revised_from ?? null,
              },
            });
          } else if (ev.event === "done") {
            finished = true;
            update(coll, turn.id, { done: JSON.parse(ev.data) as DoneEvent });
          } else if (ev.event === "error") {
            const data = JSON.parse(ev.data) as ErrorBody;
            failure = { status: 200, code: data.code, detail: data.detail, retryAfter: null, at: Date.now() };
          }
        }
        if (!finished && !failure) {
          failure = {
            status: 0,
            code: "interrupted",
            detail: "The connection closed before the answer was complete.",
            retryAfter: null,
            at: Date.now(),
          };
        }
        update(coll, turn.id, { phase: failure ? "error" : "done", error: failure });
      } catch (err) {
        if (isAbort(err)) update(coll, turn.id, { phase: "stopped" });
        else update(coll, turn.id, { phase: "error", error: turnError(err) });
      } finally {
        if (controller.current === ctl) controller.current = null;
        setActiveId((id) => (id === turn.id ? null : id));
      }
    },
    [update],
  );

  const ask = useCallback(
    (question: string): string | null => {
      const q = question.trim();
      if (!q || controller.current) return null;
      const turns = turnsRef.current[collection] ?? [];
      const turn: Turn = {
        id: newId(),
        question: q,
        phase: "retrieving",
        text: "",
        sources: null,
        check: null,
        done: null,
        error: null,
      };
      const history = historyBefore(turns, turns.length);
      setByCollection((prev) => ({ ...prev, [collection]: [...(prev[collection] ?? []), turn] }));
      void run(collection, turn, history);
      return turn.id;
    },
    [collection, run],
  );

  const retry = useCallback(
    (turnId: string) => {
      if (controller.current) return;
      const turns = turnsRef.current[collection] ?? [];
      const index = turns.findIndex((t) => t.id === turnId);
      if (index < 0) return;
      const fresh: Turn = {
        ...turns[index],
        phase: "retrieving",
        text: "",
        sources: null,
        check: null,
        done: null,
        error: null,
      };
      update(collection, turnId, fresh);
      void run(collection, fresh, historyBefore(turns, index));
    },
    [collection, run, update],
  );

  const stop = useCallback(() => controller.current?.abort(), []);

  const reset = useCallback(() => {
    controller.current?.abort();
    setByCollection((prev) => ({ ...prev, [collection]: [] }));
  }, [collection]);

  return { turns: byCollection[collection] ?? [], activeId, ask, retry, stop, reset };
}
