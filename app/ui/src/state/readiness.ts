// Is the server up, and is the answering model loaded? Polled often while it is getting ready, seldom
// once it is.

import { useEffect, useState } from "preact/hooks";

import { api } from "../api/client";
import type { Readiness } from "../api/types";

export type ServerState = { kind: "unknown" } | { kind: "down" } | { kind: "up"; readiness: Readiness };

const SETTLED_MS = 30_000;
const WAITING_MS = 2_500;

export function useReadiness(): ServerState {
  const [server, setServer] = useState<ServerState>({ kind: "unknown" });
  useEffect(() => {
    let timer: number | undefined;
    let stopped = false;
    const poll = async () => {
      const r = await api.readiness();
      if (stopped) return;
      setServer(r ? { kind: "up", readiness: r } : { kind: "down" });
      const settled = r && r.status === "ready" && r.generator !== "loading";
      timer = window.setTimeout(poll, settled ? SETTLED_MS : WAITING_MS);
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, []);
  return server;
}
