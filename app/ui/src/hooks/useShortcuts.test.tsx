import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { useShortcuts, type Shortcuts } from "./useShortcuts";

let root: HTMLDivElement;

beforeEach(() => {
  root = document.createElement("div");
  document.body.append(root);
});

afterEach(() => {
  act(() => render(null, root));
  root.remove();
  vi.restoreAllMocks();
});

function Page(props: Shortcuts & { tokens: string }) {
  useShortcuts(props);
  return (
    <div>
      <p>{props.tokens}</p>
      <input id="field" />
    </div>
  );
}

function show(props: Shortcuts & { tokens: string }) {
  act(() => render(<Page {...props} />, root));
}

const press = (key: string, target: EventTarget = document.body) => {
  const e = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true });
  target.dispatchEvent(e);
  return e;
};

describe("useShortcuts", () => {
  it("adds its keydown listener once, however often the page renders", () => {
    const add = vi.spyOn(window, "addEventListener");
    const remove = vi.spyOn(window, "removeEventListener");
    const base = { modalOpen: false, onEscape: vi.fn(), onSlash: vi.fn() };
    for (let n = 0; n < 50; n += 1) show({ ...base, onEscape: vi.fn(), tokens: "token ".repeat(n) });
    expect(add.mock.calls.filter(([type]) => type === "keydown")).toHaveLength(1);
    expect(remove.mock.calls.filter(([type]) => type === "keydown")).toHaveLength(0);
    act(() => render(null, root));
    expect(remove.mock.calls.filter(([type]) => type === "keydown")).toHaveLength(1);
  });

  it("calls the handlers of the latest render", () => {
    const first = vi.fn();
    const latest = vi.fn();
    show({ modalOpen: false, onEscape: first, onSlash: vi.fn(), tokens: "a" });
    show({ modalOpen: false, onEscape: latest, onSlash: vi.fn(), tokens: "ab" });
    press("Escape");
    expect(first).not.toHaveBeenCalled();
    expect(latest).toHaveBeenCalledTimes(1);
  });

  it("leaves Esc to an open dialog, handled Esc alone, and / to a text field", () => {
    const onEscape = vi.fn();
    const onSlash = vi.fn();
    show({ modalOpen: true, onEscape, onSlash, tokens: "" });
    press("Escape");
    press("/");
    expect(onEscape).not.toHaveBeenCalled();
    expect(onSlash).not.toHaveBeenCalled();

    show({ modalOpen: false, onEscape, onSlash, tokens: "" });
    const handled = new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true });
    handled.preventDefault();
    document.body.dispatchEvent(handled);
    expect(onEscape).not.toHaveBeenCalled();

    const typed = press("/", root.querySelector("#field") as HTMLInputElement);
    expect(onSlash).not.toHaveBeenCalled();
    expect(typed.defaultPrevented).toBe(false);

    const slash = press("/");
    expect(onSlash).toHaveBeenCalledTimes(1);
    expect(slash.defaultPrevented).toBe(true); // the "/" is not typed into the box it focuses
  });
});
