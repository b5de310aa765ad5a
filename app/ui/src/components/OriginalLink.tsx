import type { ComponentChildren } from "preact";

import { fileUrl, getApiKey, openOriginal } from "../api/client";

/**
 * A link to the original file (for PDFs, at a page: the browser's viewer reads `#page=N`). With an API key
 * stored, the file is fetched with the key instead, since a new tab would not send it.
 */
export function OriginalLink({
  documentId,
  page,
  class: className,
  title,
  children,
  onError,
}: {
  documentId: number;
  page?: number;
  class?: string;
  title?: string;
  children: ComponentChildren;
  onError?: (err: unknown) => void;
}) {
  return (
    <a
      class={className}
      title={title}
      href={fileUrl(documentId, page)}
      target="_blank"
      rel="noopener"
      onClick={(e) => {
        if (!getApiKey()) return;
        e.preventDefault();
        openOriginal(documentId, page).catch((err: unknown) => onError?.(err));
      }}
    >
      {children}
    </a>
  );
}
