// Drag and drop (or pick) several files; each gets a row that follows it from upload to `ready`.

import type { RefObject } from "preact";
import { useRef, useState } from "preact/hooks";

import type { DocumentInfo } from "../api/types";
import { filesFrom } from "../hooks/useFileDrop";
import { useI18n, type Translate } from "../i18n";
import { formatBytes, percent } from "../lib/format";
import { documentProgress, type ProgressView } from "../lib/progress";
import { isSettled } from "../state/documents";
import type { UploadEntry, Uploads } from "../state/uploads";
import { Icon } from "./Icon";
import { ProgressBar } from "./ProgressBar";

const ACCEPT = [
  ".pdf,.txt,.text,.md,.markdown,.html,.htm,.docx,.docm,.pptx,.pptm,.xlsx,.xlsm,.csv,.tsv",
  ".png,.jpg,.jpeg,.tif,.tiff,image/png,image/jpeg,image/tiff",
  "application/pdf,text/plain,text/markdown,text/html,text/csv",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
].join(",");

function entryProgress(t: Translate, entry: UploadEntry, doc: DocumentInfo | undefined): ProgressView {
  switch (entry.phase) {
    case "waiting":
      return { label: t("stage_waiting"), fraction: 0, tone: "active" };
    case "uploading":
      // Uploading fills the first few percent of the bar; the worker's stages fill the rest.
      return {
        label: t("stage_uploading", { pct: percent(entry.fraction) }),
        fraction: entry.fraction * 0.04,
        tone: "active",
      };
    case "error":
      return {
        label: `${t("upload_failed")}: ${entry.error?.message ?? ""}`,
        fraction: null,
        tone: "failed",
      };
    default:
      if (entry.duplicate) return { label: t("duplicate"), fraction: 1, tone: "duplicate" };
      return doc ? documentProgress(t, doc) : { label: t("stage_queued"), fraction: null, tone: "active" };
  }
}

export function isFinished(entry: UploadEntry, doc: DocumentInfo | undefined): boolean {
  if (entry.phase === "error") return true;
  if (entry.phase !== "sent") return false;
  return entry.duplicate || (doc !== undefined && isSettled(doc));
}

export interface UploaderProps {
  collection: string | null;
  uploads: Uploads;
  docs: DocumentInfo[] | null;
  /** The "choose files" button, for focusing it from the empty conversation. */
  pickRef?: RefObject<HTMLButtonElement>;
}

export function Uploader({ collection, uploads, docs, pickRef }: UploaderProps) {
  const { t, lang } = useI18n();
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const byId = new Map((docs ?? []).map((d) => [d.id, d]));
  const entries = uploads.entries.filter((e) => e.collection === collection);
  const docOf = (e: UploadEntry) => (e.documentId === null ? undefined : byId.get(e.documentId));
  const finished = entries.filter((e) => isFinished(e, docOf(e)));

  return (
    <section class="uploader" aria-labelledby="upload-title">
      <h2 id="upload-title" class="section-title">
        {t("add_documents")}
      </h2>
      <div
        class={`dropzone${over ? " dropzone--over" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          e.stopPropagation();
          setOver(false);
          uploads.add(filesFrom(e.dataTransfer));
        }}
      >
        <Icon name="upload" size={22} />
        <p>
          {t("drop_here")}
          <br />
          <span class="muted">{t("or")} </span>
          <button
            ref={pickRef}
            type="button"
            class="link-btn link-btn--strong"
            onClick={() => input.current?.click()}
          >
            {t("choose_files")}
          </button>
        </p>
        <p class="muted small">{t("formats")}</p>
        <input
          ref={input}
          id="file-input"
          type="file"
          multiple
          accept={ACCEPT}
          class="sr-only"
          tabIndex={-1}
          aria-hidden="true"
          data-testid="file-input"
          onChange={(e) => {
            uploads.add(Array.from(e.currentTarget.files ?? []));
            e.currentTarget.value = "";
          }}
        />
      </div>

      {entries.length > 0 && (
        <div class="upload-list">
          <div class="upload-list__head">
            <h3 class="section-subtitle">{t("uploads")}</h3>
            {finished.length > 0 && (
              <button
                type="button"
                class="link-btn"
                onClick={() => uploads.clear((e) => e.collection === collection && isFinished(e, docOf(e)))}
              >
                {t("clear_finished")}
              </button>
            )}
          </div>
          <ul data-testid="upload-list">
            {entries.map((entry) => {
              const view = entryProgress(t, entry, docOf(entry));
              return (
                <li
                  key={entry.key}
                  class={`upload upload--${view.tone}`}
                  data-testid="upload-item"
                  data-tone={view.tone}
                >
                  <div class="upload__row">
                    <span class="upload__name" title={entry.file.name}>
                      {entry.file.name}
                    </span>
                    <span class="muted small">{formatBytes(entry.file.size, lang)}</span>
                    {entry.phase === "error" && (
                      <button
                        type="button"
                        class="icon-btn icon-btn--small"
                        aria-label={`${t("retry")}: ${entry.file.name}`}
                        onClick={() => uploads.retry(entry.key)}
                      >
                        <Icon name="refresh" size={15} />
                      </button>
                    )}
                    <button
                      type="button"
                      class="icon-btn icon-btn--small"
                      aria-label={`${t("dismiss")}: ${entry.file.name}`}
                      onClick={() => uploads.dismiss(entry.key)}
                    >
                      <Icon name="close" size={15} />
                    </button>
                  </div>
                  <ProgressBar
                    fraction={view.fraction}
                    tone={view.tone}
                    label={view.label}
                    name={entry.file.name}
                  />
                  <p class="upload__status" data-testid="upload-status">
                    {view.tone === "done" && <Icon name="check" size={14} />}
                    {view.label}
                  </p>
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </section>
  );
}
