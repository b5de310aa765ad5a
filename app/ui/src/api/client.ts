// The one way the UI talks to the server: adds the stored API key, turns failures into ApiError, and on
// 401 asks the person for a key (once, however many requests failed) and tries again.

import type {
  Collection,
  DocumentInfo,
  ErrorBody,
  PageBoxes,
  PageText,
  Readiness,
  UploadResult,
} from "./types";

const KEY_STORAGE = "shiori.apiKey";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfter: number | null;

  constructor(status: number, code: string, detail: string, retryAfter: number | null = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}

// ---- the API key hook ---------------------------------------------------------------------------

export function getApiKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE) || null;
  } catch {
    return null; // storage disabled (private mode): work without a key
  }
}

export function setApiKey(key: string | null): void {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    /* storage disabled: the key lives only as long as the request that asked for it */
  }
}

/** Shows the key dialog; resolves with the key entered, or null when the person cancels. */
export type KeyPrompt = (rejected: boolean) => Promise<string | null>;

let keyPrompt: KeyPrompt | null = null;
let pendingPrompt: Promise<string | null> | null = null;
let quietUntil = 0;
const QUIET_MS = 60_000; // after "Cancel", background polling does not reopen the dialog for a while

export function setKeyPrompt(prompt: KeyPrompt | null): void {
  keyPrompt = prompt;
}

/** One dialog for every request that hit 401 at the same time. */
async function askForKey(): Promise<string | null> {
  if (!keyPrompt || Date.now() < quietUntil) return null;
  if (!pendingPrompt) {
    const rejected = getApiKey() !== null;
    pendingPrompt = keyPrompt(rejected).then((key) => {
      pendingPrompt = null;
      if (key) setApiKey(key);
      else quietUntil = Date.now() + QUIET_MS;
      return key;
    });
  }
  return pendingPrompt;
}

export function authHeaders(): Record<string, string> {
  const key = getApiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// ---- fetch --------------------------------------------------------------------------------------

function retryAfterSeconds(value: string | null): number | null {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, Math.round(n));
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.round((when - Date.now()) / 1000));
}

export function errorFromBody(status: number, text: string, retryAfter: string | null = null): ApiError {
  let body: Partial<ErrorBody> = {};
  try {
    body = JSON.parse(text) as Partial<ErrorBody>;
  } catch {
    /* not JSON (a proxy's error page): keep the status */
  }
  const detail = typeof body.detail === "string" ? body.detail : text.slice(0, 200) || `HTTP ${status}`;
  const code = typeof body.code === "string" ? body.code : `http_${status}`;
  return new ApiError(status, code, detail, retryAfterSeconds(retryAfter));
}

export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(authHeaders())) headers.set(k, v);
    let res: Response;
    try {
      res = await fetch(path, { ...init, headers });
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new ApiError(0, "network", "The server could not be reached.");
    }
    if (res.status === 401 && keyPrompt) {
      const key = await askForKey();
      if (key) continue;
    }
    if (!res.ok) throw errorFromBody(res.status, await res.text(), res.headers.get("Retry-After"));
    return res;
  }
}

async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await apiFetch(path, init);
  return (await res.json()) as T;
}

function jsonBody(body: unknown, init: RequestInit = {}): RequestInit {
  return {
    ...init,
    method: init.method ?? "POST",
    headers: { "Content-Type": "application/json", ...(init.headers ?? {}) },
    body: JSON.stringify(body),
  };
}

const enc = encodeURIComponent;

export const api = {
  readiness: async (): Promise<Readiness | null> => {
    // 503 while starting still carries the body; never prompts for a key.
    try {
      const res = await fetch("/readyz");
      return (await res.json()) as Readiness;
    } catch {
      return null;
    }
  },
  collections: () => json<Collection[]>("/api/v1/collections"),
  createCollection: (name: string) => json<Collection>("/api/v1/collections", jsonBody({ name })),
  documents: (collection: string) =>
    json<DocumentInfo[]>(`/api/v1/collections/${enc(collection)}/documents?limit=1000`),
  deleteDocument: (id: number) => apiFetch(`/api/v1/documents/${id}`, { method: "DELETE" }),
  page: (documentId: number, page: number, signal?: AbortSignal) =>
    json<PageText>(`/api/v1/documents/${documentId}/pages/${page}`, { signal }),
  pageBoxes: (documentId: number, page: number, start: number, end: number, signal?: AbortSignal) =>
    json<PageBoxes>(`/api/v1/documents/${documentId}/pages/${page}/boxes?start=${start}&end=${end}`, {
      signal,
    }),
  /** The page drawn `width` px wide, as a blob (fetched with the key: an <img src> would not send it). */
  pageImage: async (documentId: number, page: number, width: number, signal?: AbortSignal) => {
    const res = await apiFetch(
      `/api/v1/documents/${documentId}/pages/${page}/image?width=${width}&format=webp`,
      {
        signal,
      },
    );
    return res.blob();
  },
  ask: (body: unknown, signal: AbortSignal) =>
    apiFetch("/api/v1/ask", jsonBody(body, { signal, headers: { Accept: "text/event-stream" } })),
};

export function fileUrl(documentId: number, page?: number): string {
  return `/api/v1/documents/${documentId}/file${page ? `#page=${page}` : ""}`;
}

/**
 * Opens the original file in a new tab. Without a key a plain link does it; with one, the file is
 * fetched with the key and shown from a blob URL (a new tab would not send the Authorization header).
 */
export async function openOriginal(documentId: number, page?: number): Promise<void> {
  const tab = window.open("", "_blank");
  try {
    const res = await apiFetch(fileUrl(documentId));
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const target = page ? `${url}#page=${page}` : url;
    if (tab) tab.location.href = target;
    else window.location.assign(target);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    tab?.close();
    throw err;
  }
}

// ---- upload (XMLHttpRequest: fetch cannot report upload progress) ------------------------------

export interface UploadHandle {
  promise: Promise<UploadResult>;
  abort: () => void;
}

export function uploadFile(
  collection: string,
  file: File,
  onProgress: (fraction: number) => void,
): UploadHandle {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const once = (): Promise<UploadResult> =>
    new Promise((resolve, reject) => {
      xhr = new XMLHttpRequest();
      xhr.open("POST", `/api/v1/collections/${enc(collection)}/documents`);
      for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (ev) => {
        if (ev.lengthComputable && ev.total > 0) onProgress(ev.loaded / ev.total);
      };
      xhr.onload = () => {
        const x = xhr as XMLHttpRequest;
        if (x.status >= 200 && x.status < 300) {
          try {
            resolve(JSON.parse(x.responseText) as UploadResult);
          } catch {
            reject(new ApiError(x.status, "bad_response", "The server sent an unreadable reply."));
          }
        } else {
          reject(errorFromBody(x.status, x.responseText, x.getResponseHeader("Retry-After")));
        }
      };
      xhr.onerror = () => reject(new ApiError(0, "network", "The server could not be reached."));
      xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
      const form = new FormData();
      form.append("files", file, file.name);
      xhr.send(form);
    });
  const promise = (async () => {
    for (;;) {
      try {
        return await once();
      } catch (err) {
        if (!aborted && err instanceof ApiError && err.status === 401 && keyPrompt) {
          const key = await askForKey();
          if (key) {
            onProgress(0);
            continue;
          }
        }
        throw err;
      }
    }
  })();
  return {
    promise,
    abort: () => {
      aborted = true;
      (xhr as XMLHttpRequest | null)?.abort();
    },
  };
}
