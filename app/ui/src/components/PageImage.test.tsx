// The cited passage on the page as printed: tabs, the highlight's scaling and what happens without
// boxes or without a page image. fetch() is stubbed; the viewport is 297.5 px wide.

import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Citation, DocumentInfo, Source } from "../api/types";
import { I18nContext, translator } from "../i18n";
import { requestWidth, scaleRects } from "./PageImage";
import { SidePanel, type PanelView } from "./SidePanel";

const PAGE = "First line of the notice. The evidence sentence is here. Last line.";
const EVIDENCE: [number, number] = [26, 56];

const source: Source = {
  number: 1,
  chunk_id: 7,
  document_id: 3,
  title: "notice.pdf",
  filename: "notice.pdf",
  page: 2,
  page_label: null,
  char_start: 0,
  char_end: PAGE.length,
  text: PAGE,
  shown: PAGE,
  spans: [[0, PAGE.length]],
  score: 0.9,
  ocr: false,
};

const citation: Citation = {
  number: 1,
  sentence_index: 0,
  status: "verified",
  support: 0.9,
  chunk_id: 7,
  document_id: 3,
  title: "notice.pdf",
  page: 2,
  page_label: null,
  char_start: EVIDENCE[0],
  char_end: EVIDENCE[1],
  ocr: false,
  missing: [],
};

function doc(mime: string, filename = "notice.pdf"): DocumentInfo {
  return { id: 3, filename, title: filename, mime } as unknown as DocumentInfo;
}

const rect = (x0: number, y0: number, x1: number, y1: number) => ({ x0, y0, x1, y1, vertical: false });

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

interface Options {
  boxes?: "ok" | "unavailable";
  image?: "ok" | "none";
}

let calls: string[] = [];

function server({ boxes = "ok", image = "ok" }: Options = {}) {
  return async (input: RequestInfo | URL): Promise<Response> => {
    const url = String(input);
    calls.push(url);
    if (url.includes("/image")) {
      if (image === "none")
        return json({ detail: "No page image for this document.", code: "no_page_image" }, 404);
      return new Response(new Blob(["img"], { type: "image/webp" }), { status: 200 });
    }
    if (url.includes("/boxes")) {
      if (boxes === "unavailable")
        return json({ detail: "No character boxes.", code: "boxes_unavailable" }, 404);
      const q = new URL(url, "http://x").searchParams;
      const start = Number(q.get("start"));
      const end = Number(q.get("end"));
      const rects = start === EVIDENCE[0] ? [rect(100, 200, 400, 220)] : [rect(50, 180, 545, 240)];
      return json({ document_id: 3, page: 2, start, end, width: 595, height: 842, rects, missing: 0 });
    }
    if (url.endsWith("/pages/2"))
      return json({ document_id: 3, page: 2, text: PAGE, page_label: null, ocr: false });
    return json({ detail: "nope", code: "not_found" }, 404);
  };
}

let root: HTMLDivElement;

beforeEach(() => {
  calls = [];
  root = document.createElement("div");
  document.body.append(root);
  vi.stubGlobal(
    "URL",
    Object.assign(URL, { createObjectURL: vi.fn(() => "blob:page"), revokeObjectURL: vi.fn() }),
  );
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockImplementation(function (this: HTMLElement) {
    return this.classList.contains("page-image__viewport") ? 297.5 : 0;
  });
});

afterEach(() => {
  act(() => render(null, root));
  root.remove();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

async function settle() {
  for (let i = 0; i < 6; i += 1) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
  }
}

async function mount(docs: DocumentInfo[] | null, options: Options = {}) {
  vi.stubGlobal("fetch", vi.fn(server(options)));
  const view: PanelView = { kind: "passage", source, citation, status: "verified" };
  act(() => {
    render(
      <I18nContext.Provider value={{ lang: "en", t: translator("en") }}>
        <SidePanel view={view} turn={null} docs={docs} onView={vi.fn()} onClose={vi.fn()} onError={vi.fn()} />
      </I18nContext.Provider>,
      root,
    );
  });
  await settle();
}

const q = <T extends Element = HTMLElement>(sel: string) => root.querySelector<T>(sel);

describe("scaling", () => {
  it("draws page units at the displayed width over the page width", () => {
    expect(scaleRects([rect(100, 200, 400, 220)], 595, 297.5)).toEqual([
      { left: 50, top: 100, width: 150, height: 10 },
    ]);
    expect(scaleRects([rect(0, 0, 10, 10)], 0, 297.5)).toEqual([]);
  });

  it("asks for the shown width in device pixels, rounded up to 100, within 200..2400", () => {
    expect(requestWidth(297.5, 2)).toBe(600);
    expect(requestWidth(50, 1)).toBe(200);
    expect(requestWidth(1400, 3)).toBe(2400);
  });
});

describe("passage on the page", () => {
  it("opens on the page tab for a PDF, and the tabs switch with clicks and arrow keys", async () => {
    await mount([doc("application/pdf")]);
    const pageTab = q<HTMLButtonElement>("[data-testid=tab-page]")!;
    const textTab = q<HTMLButtonElement>("[data-testid=tab-text]")!;
    expect(q("[role=tablist]")).not.toBeNull();
    expect(pageTab.getAttribute("aria-selected")).toBe("true");
    expect(textTab.getAttribute("tabindex")).toBe("-1");
    expect(q("[data-testid=page-image-view]")).not.toBeNull();
    expect(q("[data-testid=page-text]")).toBeNull();

    act(() => textTab.click());
    expect(textTab.getAttribute("aria-selected")).toBe("true");
    expect(q("[data-testid=page-image-view]")).toBeNull();
    expect(q("[data-testid=page-text] mark.hl-evidence")?.textContent).toBe(PAGE.slice(...EVIDENCE));

    act(() => {
      textTab.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    });
    expect(pageTab.getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement).toBe(pageTab);
    expect(q("[role=tabpanel]")?.getAttribute("aria-labelledby")).toBe("passage-tab-page");
  });

  it("draws the evidence boxes halved on a 297.5 px wide image of a 595 pt page, described as text", async () => {
    await mount([doc("application/pdf")]);
    const img = q<HTMLImageElement>("[data-testid=page-image]")!;
    expect(img.getAttribute("src")).toBe("blob:page");
    expect(img.alt).toBe("notice.pdf, page 2 as printed");
    expect(calls.some((u) => u.includes("/pages/2/image?width=") && u.includes("format=webp"))).toBe(true);
    const box = q<HTMLElement>("[data-testid=box-evidence]")!;
    expect([box.style.left, box.style.top, box.style.width, box.style.height]).toEqual([
      "50px",
      "100px",
      "150px",
      "10px",
    ]);
    expect(root.querySelectorAll(".box--passage")).toHaveLength(1);
    const overlay = q("[data-testid=page-highlight]")!;
    expect(overlay.getAttribute("role")).toBe("img");
    expect(overlay.getAttribute("aria-label")).toBe(`Highlighted on the page: ${PAGE.slice(...EVIDENCE)}`);

    // Zoom doubles what is drawn, boxes included.
    act(() => q<HTMLButtonElement>("[data-testid=zoom-in]")!.click());
    act(() => q<HTMLButtonElement>("[data-testid=zoom-in]")!.click());
    await settle();
    expect(q<HTMLElement>("[data-testid=box-evidence]")!.style.left).toBe("100px");
    act(() => {
      q("[data-testid=page-image-view] [role=region]")!.dispatchEvent(
        new KeyboardEvent("keydown", { key: "0", bubbles: true }),
      );
    });
    expect(q<HTMLElement>("[data-testid=box-evidence]")!.style.left).toBe("50px");
  });

  it("shows the image without a highlight and says why when the page has no boxes", async () => {
    await mount([doc("application/pdf")], { boxes: "unavailable" });
    expect(q("[data-testid=page-image]")).not.toBeNull();
    expect(q("[data-testid=page-highlight]")).toBeNull();
    expect(q("[data-testid=no-boxes]")?.textContent).toContain("no character positions");
  });

  it("falls back to the text when the page has no image", async () => {
    await mount([doc("application/pdf")], { image: "none" });
    expect(q("[role=tablist]")).toBeNull();
    expect(q("[data-testid=no-page-image]")).not.toBeNull();
    expect(q("[data-testid=page-text] mark.hl-evidence")).not.toBeNull();
  });

  it("has no page tab for a text document", async () => {
    await mount([doc("text/plain", "notes.txt")]);
    expect(q("[role=tablist]")).toBeNull();
    expect(calls.some((u) => u.includes("/image"))).toBe(false);
    expect(q("[data-testid=page-text]")).not.toBeNull();
  });
});
