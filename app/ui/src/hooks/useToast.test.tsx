import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Toast } from "../components/Toast";
import { I18nContext, translator } from "../i18n";
import { useToast, type Toasts } from "./useToast";

let root: HTMLDivElement;
let toasts: Toasts;

function Page() {
  toasts = useToast();
  return (
    <I18nContext.Provider value={{ lang: "en", t: translator("en") }}>
      <Toast toast={toasts.toast} onClose={toasts.dismiss} />
    </I18nContext.Provider>
  );
}

beforeEach(() => {
  vi.useFakeTimers();
  root = document.createElement("div");
  document.body.append(root);
  act(() => render(<Page />, root));
});

afterEach(() => {
  act(() => render(null, root));
  root.remove();
  vi.useRealTimers();
});

const shown = () => root.querySelector(".toast");

describe("useToast", () => {
  it("shows a notice as status and hides it after a while", () => {
    act(() => toasts.notify("Deleted notes.txt"));
    expect(shown()?.getAttribute("role")).toBe("status");
    expect(shown()?.textContent).toContain("Deleted notes.txt");
    act(() => {
      vi.advanceTimersByTime(3900);
    });
    expect(shown()).not.toBeNull();
    act(() => {
      vi.advanceTimersByTime(200);
    });
    expect(shown()).toBeNull();
  });

  it("keeps an error up longer, as an alert; a newer notice replaces it; Close dismisses", () => {
    act(() => toasts.notify("Upload failed", "error"));
    expect(shown()?.getAttribute("role")).toBe("alert");
    act(() => {
      vi.advanceTimersByTime(7000);
    });
    expect(shown()).not.toBeNull();
    act(() => toasts.notify("Key forgotten"));
    expect(shown()?.textContent).toContain("Key forgotten");
    act(() => (shown()?.querySelector("button") as HTMLButtonElement).click());
    expect(shown()).toBeNull();
  });
});
