// The collection's documents, polled quickly while something is being ingested and slowly otherwise.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { api, ApiError } from "../api/client";
import type { DocumentInfo } from "../api/types";

const FAST_MS = 800;
const SLOW_MS = 10_000;

export function isSettled(doc: DocumentInfo): boolean {
  return doc.status === "ready" || doc.status === "failed";
}

export interface Documents {
  docs: DocumentInfo[] | null;
  error: ApiError | null;
  refresh: () => Promise<void>;
  /** Poll fast for a while (an upload just registered documents). */
  hurry: () => void;
  remove: (id: number) => void;
}

export function useDocuments(collection: string | null): Documents {
  const [docs, setDocs] = useState<DocumentInfo[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const current = useRef(collection);
  const hurryUntil = useRef(0);
  const timer = useRef<number | undefined>(undefined);
  const docsRef = useRef<DocumentInfo[] | null>(null); // what the next poll decides its pace by

  const load = useCallback(async () => {
    const coll = current.current;
    if (!coll) return;
    try {
      const list = await api.documents(coll);
      if (current.current !== coll) return; // the person switched collections meanwhile
      docsRef.current = list;
      setDocs(list);
      setError(null);
    } catch (err) {
      if (current.current !== coll) return;
      setError(err instanceof ApiError ? err : new ApiError(0, "client_error", String(err)));
    }
  }, []);

  const schedule = useCallback(() => {
    window.clearTimeout(timer.current);
    const list = docsRef.current ?? [];
    const busy = list.some((d) => !isSettled(d)) || Date.now() < hurryUntil.current;
    timer.current = window.setTimeout(
      async () => {
        if (!document.hidden) await load();
        schedule();
      },
      busy ? FAST_MS : SLOW_MS,
    );
  }, [load]);

  useEffect(() => {
    current.current = collection;
    docsRef.current = null;
    setDocs(null);
    setError(null);
    if (!collection) return undefined;
    void load().then(schedule);
    const onVisible = () => {
      if (!document.hidden) void load().then(schedule);
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      window.clearTimeout(timer.current);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [collection, load, schedule]);

  const refresh = useCallback(async () => {
    await load();
    schedule();
  }, [load, schedule]);

  const hurry = useCallback(() => {
    hurryUntil.current = Date.now() + 5_000;
    void refresh();
  }, [refresh]);

  const remove = useCallback((id: number) => {
    docsRef.current = docsRef.current?.filter((d) => d.id !== id) ?? null;
    setDocs(docsRef.current);
  }, []);

  return { docs, error, refresh, hurry, remove };
}
