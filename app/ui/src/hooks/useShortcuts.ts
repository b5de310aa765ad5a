import { useEffect, useRef } from "preact/hooks";

export interface Shortcuts {
  /** A modal dialog is open: its own keys (Esc closes it) win, the page's shortcuts are off. */
  modalOpen: boolean;
  /** Esc that nothing on the page has handled. */
  onEscape: () => void;
  /** "/" typed outside a text field. */
  onSlash: () => void;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

/**
 * The page's keyboard shortcuts. The listener is added once; it reads the latest handlers from a ref,
 * so a streaming answer (a render per token) does not remove and re-add it every time.
 */
export function useShortcuts(shortcuts: Shortcuts): void {
  const latest = useRef(shortcuts);
  latest.current = shortcuts;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { modalOpen, onEscape, onSlash } = latest.current;
      if (modalOpen) return;
      if (e.key === "Escape" && !e.defaultPrevented) onEscape();
      if (e.key === "/" && !isTyping(e.target)) {
        e.preventDefault();
        onSlash();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
