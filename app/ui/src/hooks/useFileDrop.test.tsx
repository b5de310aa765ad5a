import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { useFileDrop } from "./useFileDrop";

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

function Target({ onFiles }: { onFiles: (files: File[]) => void }) {
  const dragging = useFileDrop(onFiles);
  return <p data-dragging={dragging}>drop here</p>;
}

/** A drag event carrying files (jsdom has no DataTransfer: a stand-in with what the hook reads). */
function drag(type: string, files: File[] = []) {
  const e = new Event(type, { bubbles: true, cancelable: true }) as DragEvent;
  Object.defineProperty(e, "dataTransfer", { value: { types: ["Files"], files } });
  act(() => {
    window.dispatchEvent(e);
  });
  return e;
}

const dragging = () => root.querySelector("p")?.dataset.dragging;

describe("useFileDrop", () => {
  it("shows the overlay while files are over the window, across nested elements", () => {
    act(() => render(<Target onFiles={vi.fn()} />, root));
    expect(dragging()).toBe("false");
    drag("dragenter");
    drag("dragenter"); // into a child element
    drag("dragleave"); // out of the child: still over the window
    expect(dragging()).toBe("true");
    drag("dragleave");
    expect(dragging()).toBe("false");
  });

  it("hands dropped files to the latest callback, with listeners added once", () => {
    const add = vi.spyOn(window, "addEventListener");
    const first = vi.fn();
    const latest = vi.fn();
    act(() => render(<Target onFiles={first} />, root));
    act(() => render(<Target onFiles={latest} />, root));
    expect(add.mock.calls.filter(([type]) => type === "drop")).toHaveLength(1);

    const file = new File(["text"], "notes.txt", { type: "text/plain" });
    drag("dragenter");
    const drop = drag("drop", [file]);
    expect(drop.defaultPrevented).toBe(true); // the browser does not open the file instead
    expect(first).not.toHaveBeenCalled();
    expect(latest).toHaveBeenCalledWith([file]);
    expect(dragging()).toBe("false");
  });
});
