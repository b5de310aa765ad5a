import { describe, expect, it } from "vitest";

import type { Chip } from "./citations";
import { placeChips } from "./citations";
import { renderAnswer } from "./markdown";

const labels = { label: (chip: Chip) => `Source ${chip.number}` };

function render(text: string): HTMLDivElement {
  const placed = placeChips(text, [], null, "final");
  const div = document.createElement("div");
  div.append(renderAnswer(placed.text, placed.chips, labels));
  return div;
}

/** Event-handler attributes on any element (text that merely reads "onerror=" is fine). */
function handlers(root: Element): string[] {
  return Array.from(root.querySelectorAll("*")).flatMap((el) =>
    Array.from(el.attributes)
      .filter((a) => a.name.toLowerCase().startsWith("on"))
      .map((a) => `${el.tagName}.${a.name}`),
  );
}

describe("answer Markdown", () => {
  it("renders the usual Markdown", () => {
    const div = render("**Tokyo Tower** is *333 m* tall.\n\n- one\n- two\n\n`code` and\n\n```\nblock\n```");
    expect(div.querySelector("strong")?.textContent).toBe("Tokyo Tower");
    expect(div.querySelector("em")?.textContent).toBe("333 m");
    expect(div.querySelectorAll("li")).toHaveLength(2);
    expect(div.querySelector("p code")?.textContent).toBe("code");
    expect(div.querySelector("pre code")?.textContent).toContain("block");
  });

  it("shows a <script> from a document as text and never as an element", () => {
    const div = render(
      'The page says <script>window.__pwned = 1</script> and more.\n\n<script>alert("x")</script>',
    );
    expect(div.querySelector("script")).toBeNull();
    expect(div.textContent).toContain("<script>window.__pwned = 1</script>");
    expect(div.textContent).toContain('<script>alert("x")</script>');
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("renders <img onerror> inert: no image, no handler, the markup visible as text", () => {
    const div = render(
      'Look: <img src=x onerror="window.__pwned=2"> and ![pic](http://example.com/a.png "t")',
    );
    expect(div.querySelector("img")).toBeNull();
    expect(handlers(div)).toEqual([]);
    expect(div.textContent).toContain('<img src=x onerror="window.__pwned=2">');
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("drops dangerous links and attributes, keeps safe links opening elsewhere", () => {
    const div = render(
      '[bad](javascript:alert(1)) [ok](https://example.org/doc) <a href="#" onclick="x()">raw</a>',
    );
    const links = Array.from(div.querySelectorAll("a"));
    expect(links.some((a) => (a.getAttribute("href") ?? "").includes("javascript"))).toBe(false);
    const ok = links.find((a) => a.getAttribute("href") === "https://example.org/doc");
    expect(ok?.getAttribute("rel")).toContain("noopener");
    expect(ok?.getAttribute("target")).toBe("_blank");
    expect(handlers(div)).toEqual([]);
    expect(div.textContent).toContain('<a href="#" onclick="x()">raw</a>');
  });

  it("keeps chips out of attributes and code intact", () => {
    const placed = placeChips("See [docs [1]](https://example.org) `a[1]b`", [], null, "final");
    const div = document.createElement("div");
    div.append(renderAnswer(placed.text, placed.chips, labels));
    for (const a of Array.from(div.querySelectorAll("a"))) {
      expect(a.getAttribute("href") ?? "").not.toMatch(/[\uE000\uE001]/);
    }
    expect(div.innerHTML).not.toMatch(/[\uE000\uE001]/);
  });
});
