import { useCallback, useEffect, useState } from "preact/hooks";

export type ToastTone = "info" | "error";

export interface ToastMessage {
  text: string;
  tone: ToastTone;
  id: number;
}

export interface Toasts {
  toast: ToastMessage | null;
  notify: (text: string, tone?: ToastTone) => void;
  dismiss: () => void;
}

// Errors stay up longer: they usually ask the person to do something.
const SHOWN_MS: Record<ToastTone, number> = { info: 4000, error: 8000 };

let counter = 0;

/** One notice at a time; a newer one replaces it, and it goes away by itself. */
export function useToast(): Toasts {
  const [toast, setToast] = useState<ToastMessage | null>(null);
  const notify = useCallback((text: string, tone: ToastTone = "info") => {
    setToast({ text, tone, id: (counter += 1) });
  }, []);
  const dismiss = useCallback(() => setToast(null), []);
  useEffect(() => {
    if (!toast) return undefined;
    const id = window.setTimeout(() => setToast(null), SHOWN_MS[toast.tone]);
    return () => window.clearTimeout(id);
  }, [toast]);
  return { toast, notify, dismiss };
}
