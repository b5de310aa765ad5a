// The whole page in jsdom, with the server stubbed at fetch(): what the split into hooks must keep.

import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { App } from "./App";

const READY = { status: "ready", generator: "ready", generator_error: null };
const COLLECTIONS = [{ name: "default", documents: 1 }];
const DOCS = [
  {
    id: 1,
    collection: "default",
    filename: "harbor-notes.txt",
    title: "harbor-notes.txt",
    mime: "text/plain",
    size_bytes: 600,
    status: "ready",
    pages: 1,
    pages_indexed: 1,
    chunk_count: 1,
    error: null,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    progress: null,
  },
];

let root: HTMLDivElement;
let answer: ReadableStreamDefaultController<Uint8Array>;

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } });
}

function server(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = String(input);
  if (url === "/readyz") return Promise.resolve(json(READY));
  if (url === "/api/v1/collections") return Promise.resolve(json(COLLECTIONS));
  if (url.startsWith("/api/v1/collections/default/documents")) return Promise.resolve(json(DOCS));
  if (url === "/api/v1/ask") {
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        answer = controller;
        // As fetch() does: aborting the request fails the body being read.
        init?.signal?.addEventListener("abort", () =>
          controller.error(new DOMException("The operation was aborted.", "AbortError")),
        );
      },
    });
    return Promise.resolve(new Response(body, { headers: { "Content-Type": "text/event-stream" } }));
  }
  return Promise.resolve(new Response("{}", { status: 404 }));
}

/** Let fetches, stream reads and the renders they cause finish. */
async function settle() {
  for (let i = 0; i < 5; i += 1) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  }
}

async function send(event: string, data: unknown) {
  answer.enqueue(new TextEncoder().encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
  await settle();
}

const key = (k: string, target: EventTarget = document.body) =>
  act(() => {
    target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
  });

beforeEach(async () => {
  sessionStorage.clear();
  localStorage.clear();
  vi.stubGlobal("fetch", vi.fn(server));
  vi.stubGlobal("matchMedia", (query: string) => ({
    matches: query.includes("min-width"), // a wide desktop window
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  }));
  root = document.createElement("div");
  document.body.append(root);
  act(() => render(<App />, root));
  await settle();
});

afterEach(() => {
  act(() => render(null, root));
  root.remove();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function ask(question: string) {
  const box = root.querySelector<HTMLTextAreaElement>("#question");
  if (!box) throw new Error("no question box");
  act(() => {
    box.value = question;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
  act(() => {
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
  });
  await settle();
  await send("sources", { sources: [], dropped: [], query: question });
}

describe("App", () => {
  it("loads the collection and its documents", () => {
    expect(root.querySelector<HTMLSelectElement>("select#collection")?.value).toBe("default");
    expect(root.textContent).toContain("harbor-notes.txt");
    expect(root.querySelector("[data-testid=server-status]")).not.toBeNull();
  });

  it("streams an answer without re-adding its keydown listener per token; Esc stops it", async () => {
    await ask("How many books?");
    const add = vi.spyOn(window, "addEventListener");
    const remove = vi.spyOn(window, "removeEventListener");
    const words = "Members may borrow up to eight books at a time.\n\nThe loan period is three weeks.".split(
      /(?<= )/,
    );
    let lengths = 0;
    for (const word of words) {
      await send("token", { text: word });
      lengths += 1;
    }
    const md = root.querySelector(".answer-md");
    expect(md?.querySelectorAll("p")).toHaveLength(2);
    expect(md?.textContent).toContain("three weeks");
    expect(lengths).toBeGreaterThan(10);
    expect(add.mock.calls.filter(([type]) => type === "keydown")).toEqual([]);
    expect(remove.mock.calls.filter(([type]) => type === "keydown")).toEqual([]);

    expect(root.querySelector("[data-testid=stop]")).not.toBeNull();
    key("Escape");
    await settle();
    expect(root.querySelector("[data-turn]")?.getAttribute("data-phase")).toBe("stopped");
    expect(root.querySelector("[data-testid=send]")).not.toBeNull();
  });

  it("says so when the question asks for a number and the answer gives none", async () => {
    await ask("How many books can members borrow?");
    const text = "Members may borrow books from the library.";
    await send("token", { text });
    expect(root.querySelector("[data-testid=no-number]")).toBeNull(); // not before the check
    await send("citations", {
      answer: text,
      citations: [],
      sentences: [],
      invalid_numbers: [],
      answers_question: false,
    });
    const note = root.querySelector("[data-testid=no-number]");
    expect(note?.textContent).toContain("asks for a number");
  });

  it("replaces a flagged answer by its second attempt and keeps the first one to read", async () => {
    await ask("How many books can members borrow?");
    const first = "Members may borrow three books.";
    await send("token", { text: first });
    expect(root.querySelector("[data-testid=revised]")).toBeNull();
    const answer = "Members may borrow up to eight books at a time.";
    await send("citations", {
      answer,
      citations: [],
      sentences: [],
      invalid_numbers: [],
      answers_question: true,
      revised_from: first,
    });
    expect(root.querySelector(".answer-md")?.textContent).toContain("eight books");
    expect(root.querySelector(".answer-md")?.textContent).not.toContain("three books");
    const note = root.querySelector("[data-testid=revised]");
    expect(note?.textContent).toContain("answered again");
    expect(note?.querySelector("q")?.textContent).toBe(first);
  });

  it("focuses the question box on /, unless the person is typing", () => {
    const box = root.querySelector<HTMLTextAreaElement>("#question");
    const name = root.querySelector<HTMLInputElement>("select#collection");
    name?.focus();
    key("/", name as EventTarget);
    expect(document.activeElement).toBe(name);
    (document.activeElement as HTMLElement | null)?.blur();
    key("/");
    expect(document.activeElement).toBe(box);
  });

  it("opens a document in the panel with the focus on its title, and the drop overlay on drag", async () => {
    const view = root.querySelector<HTMLButtonElement>(
      '[data-testid=document] button[aria-label^="View text"]',
    );
    expect(view).not.toBeNull();
    act(() => view?.click());
    await settle();
    expect(root.querySelector("[data-testid=document-view]")).not.toBeNull();
    expect(document.activeElement?.id).toBe("passage-title");

    const enter = new Event("dragenter", { bubbles: true }) as DragEvent;
    Object.defineProperty(enter, "dataTransfer", { value: { types: ["Files"], files: [] } });
    act(() => {
      window.dispatchEvent(enter);
    });
    expect(root.querySelector(".drop-overlay")?.textContent).toContain("default");
  });
});
