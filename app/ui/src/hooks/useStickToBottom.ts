import { useCallback, useLayoutEffect, useRef } from "preact/hooks";

// Within this many pixels of the bottom counts as "at the bottom" (a wheel notch is about 100).
const SLACK_PX = 80;

/**
 * Keeps a scrolling element at its bottom as `content` changes (the newest words stay in view), unless
 * the person has scrolled up to read; scrolling back down sticks again.
 */
export function useStickToBottom<T extends HTMLElement>(content: unknown) {
  const ref = useRef<T>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [content]);
  const onScroll = useCallback((e: Event) => {
    const el = e.currentTarget as HTMLElement;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < SLACK_PX;
  }, []);
  return { ref, onScroll };
}
