// Files on their way in: one request per file (so each has its own upload progress), two at a time.
// Once the server has registered a file, its progress comes from the document list (the worker's stages).

import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { ApiError, isAbort, uploadFile } from "../api/client";

const PARALLEL = 2;

export type UploadPhase = "waiting" | "uploading" | "sent" | "error";

export interface UploadEntry {
  key: string;
  collection: string;
  file: File;
  phase: UploadPhase;
  fraction: number;
  documentId: number | null;
  duplicate: boolean;
  error: ApiError | null;
}

export interface Uploads {
  entries: UploadEntry[];
  add: (files: File[]) => void;
  retry: (key: string) => void;
  dismiss: (key: string) => void;
  clear: (isFinished: (entry: UploadEntry) => boolean) => void;
}

let counter = 0;

export function useUploads(
  collection: string | null,
  onRegistered: () => void,
  onNoCollection: () => void,
): Uploads {
  const [entries, setEntries] = useState<UploadEntry[]>([]);
  const entriesRef = useRef(entries);
  entriesRef.current = entries;
  const running = useRef(new Set<string>());
  const aborts = useRef(new Map<string, () => void>());
  const registered = useRef(onRegistered);
  registered.current = onRegistered;
  const noCollection = useRef(onNoCollection);
  noCollection.current = onNoCollection;

  const patch = useCallback((key: string, change: Partial<UploadEntry>) => {
    setEntries((list) => list.map((e) => (e.key === key ? { ...e, ...change } : e)));
  }, []);

  const start = useCallback(
    (entry: UploadEntry) => {
      running.current.add(entry.key);
      patch(entry.key, { phase: "uploading", fraction: 0, error: null });
      const handle = uploadFile(entry.collection, entry.file, (fraction) => patch(entry.key, { fraction }));
      aborts.current.set(entry.key, handle.abort);
      handle.promise
        .then((result) => {
          const item = result.documents[0];
          patch(entry.key, {
            phase: "sent",
            fraction: 1,
            documentId: item?.document_id ?? null,
            duplicate: item?.duplicate ?? false,
          });
          registered.current();
        })
        .catch((err: unknown) => {
          if (isAbort(err)) return;
          const error = err instanceof ApiError ? err : new ApiError(0, "client_error", String(err));
          patch(entry.key, { phase: "error", error });
        })
        .finally(() => {
          running.current.delete(entry.key);
          aborts.current.delete(entry.key);
          setEntries((list) => [...list]); // wake the queue
        });
    },
    [patch],
  );

  // The queue: start waiting files while fewer than PARALLEL are uploading.
  useEffect(() => {
    for (const entry of entries) {
      if (running.current.size >= PARALLEL) break;
      if (entry.phase === "waiting" && !running.current.has(entry.key)) start(entry);
    }
  }, [entries, start]);

  const add = useCallback(
    (files: File[]) => {
      if (files.length === 0) return;
      if (!collection) {
        noCollection.current(); // collections not loaded yet: say so rather than drop the files
        return;
      }
      const fresh = files.map((file): UploadEntry => ({
        key: `u${(counter += 1)}`,
        collection,
        file,
        phase: "waiting",
        fraction: 0,
        documentId: null,
        duplicate: false,
        error: null,
      }));
      setEntries((list) => [...fresh, ...list]);
    },
    [collection],
  );

  const retry = useCallback(
    (key: string) => patch(key, { phase: "waiting", error: null, fraction: 0 }),
    [patch],
  );

  const dismiss = useCallback((key: string) => {
    aborts.current.get(key)?.();
    setEntries((list) => list.filter((e) => e.key !== key));
  }, []);

  const clear = useCallback((isFinished: (entry: UploadEntry) => boolean) => {
    setEntries((list) => list.filter((e) => !isFinished(e)));
  }, []);

  return { entries, add, retry, dismiss, clear };
}
