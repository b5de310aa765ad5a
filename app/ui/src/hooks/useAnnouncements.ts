import { useEffect, useRef, useState } from "preact/hooks";

import type { DocumentInfo } from "../api/types";
import type { Translate } from "../i18n";
import { documentProgress } from "../lib/progress";
import type { Turn } from "../state/chat";
import { isSettled } from "../state/documents";

export interface AnnouncementSources {
  docs: DocumentInfo[] | null;
  turns: Turn[];
  activeId: string | null;
  t: Translate;
}

/**
 * What the screen-reader live region says: documents that finish while the person is here, and answers
 * that end (done or stopped). `announce` says anything else.
 */
export function useAnnouncements({ docs, turns, activeId, t }: AnnouncementSources) {
  const [announcement, announce] = useState("");

  const seen = useRef(new Map<number, string>());
  useEffect(() => {
    if (!docs) return;
    for (const doc of docs) {
      const before = seen.current.get(doc.id);
      if (before && before !== doc.status && isSettled(doc)) {
        announce(`${doc.title || doc.filename}: ${documentProgress(t, doc).label}`);
      }
      seen.current.set(doc.id, doc.status);
    }
  }, [docs, t]);

  const wasActive = useRef<string | null>(null);
  useEffect(() => {
    const finished =
      wasActive.current && !activeId ? turns.find((x) => x.id === wasActive.current) : undefined;
    if (finished)
      announce(finished.phase === "stopped" ? t("announce_answer_stopped") : t("announce_answer_done"));
    wasActive.current = activeId;
  }, [activeId, turns, t]);

  return { announcement, announce };
}
