// The collection's documents: status, pages, passages, size and date; view the text, open the original,
// delete (after a confirmation).

import type { DocumentInfo } from "../api/types";
import { useI18n } from "../i18n";
import { count, formatBytes, formatDate, textLang } from "../lib/format";
import { documentProgress } from "../lib/progress";
import { Icon } from "./Icon";
import { OriginalLink } from "./OriginalLink";
import { ProgressBar } from "./ProgressBar";

export interface DocumentListProps {
  docs: DocumentInfo[] | null;
  error: string | null;
  onView: (doc: DocumentInfo) => void;
  onDelete: (doc: DocumentInfo) => void;
  onError: (err: unknown) => void;
}

export function DocumentList({ docs, error, onView, onDelete, onError }: DocumentListProps) {
  const { t, lang } = useI18n();
  return (
    <section class="documents" aria-labelledby="documents-title">
      <h2 id="documents-title" class="section-title">
        {t("documents")}
        {docs && docs.length > 0 && <span class="count-pill">{docs.length}</span>}
      </h2>
      {error && <p class="callout callout--error small">{error}</p>}
      {!docs && !error && <p class="muted small">{t("documents_loading")}</p>}
      {docs && docs.length === 0 && <p class="muted small">{t("no_documents")}</p>}
      {docs && docs.length > 0 && (
        <ul class="doc-list" data-testid="document-list">
          {[...docs].reverse().map((doc) => {
            const name = doc.title || doc.filename;
            const progress = documentProgress(t, doc);
            return (
              <li
                key={doc.id}
                class={`doc doc--${doc.status}`}
                data-testid="document"
                data-status={doc.status}
                data-id={doc.id}
              >
                <div class="doc__main">
                  <span class="doc__name" lang={textLang(name)} title={doc.filename}>
                    {name}
                  </span>
                  {doc.title && doc.title !== doc.filename && (
                    <span class="doc__file muted small">{doc.filename}</span>
                  )}
                  <span class="doc__meta small">
                    <span class={`status-dot status-dot--${doc.status}`} data-testid="document-status">
                      {t(`status_${doc.status}`)}
                    </span>
                    {doc.status === "ready" && (
                      <>
                        <span>{count(t, doc.pages ?? 0, "one_page", "n_pages")}</span>
                        <span>{count(t, doc.chunk_count, "one_passage", "n_passages")}</span>
                      </>
                    )}
                    <span>{formatBytes(doc.size_bytes, lang)}</span>
                    <time dateTime={doc.created_at}>{formatDate(doc.created_at, lang)}</time>
                  </span>
                  {(doc.status === "queued" || doc.status === "processing") && (
                    <>
                      <ProgressBar
                        fraction={progress.fraction}
                        tone={progress.tone}
                        label={progress.label}
                        name={name}
                      />
                      <span class="doc__progress small">{progress.label}</span>
                    </>
                  )}
                  {doc.status === "failed" && (
                    <span class="doc__error small" data-testid="document-error">
                      {doc.error}
                    </span>
                  )}
                </div>
                <div class="doc__actions">
                  {doc.status === "ready" && (
                    <button
                      type="button"
                      class="icon-btn icon-btn--small"
                      aria-label={`${t("view_text")}: ${name}`}
                      title={t("view_text")}
                      onClick={() => onView(doc)}
                    >
                      <Icon name="text" size={16} />
                    </button>
                  )}
                  <OriginalLink
                    class="icon-btn icon-btn--small"
                    title={t("open_original")}
                    documentId={doc.id}
                    onError={onError}
                  >
                    <Icon name="external" size={16} />
                    <span class="sr-only">
                      {t("open_original")}: {name}
                    </span>
                  </OriginalLink>
                  <button
                    type="button"
                    class="icon-btn icon-btn--small icon-btn--danger"
                    aria-label={`${t("delete")}: ${name}`}
                    title={t("delete")}
                    onClick={() => onDelete(doc)}
                  >
                    <Icon name="trash" size={16} />
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
