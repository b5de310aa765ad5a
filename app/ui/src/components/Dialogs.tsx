// Modal dialogs on the native <dialog> element: focus is trapped and Esc closes them for free.

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

import { useI18n } from "../i18n";

function Modal({
  open,
  labelledBy,
  onCancel,
  children,
  testId,
}: {
  open: boolean;
  labelledBy: string;
  onCancel: () => void;
  children: ComponentChildren;
  testId: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (open && !el.open) el.showModal?.();
    if (!open && el.open) el.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={labelledBy}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      {open && children}
    </dialog>
  );
}

export function ConfirmDialog({
  open,
  title,
  body,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  body: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  return (
    <Modal open={open} labelledBy="confirm-title" onCancel={onCancel} testId="confirm-dialog">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          onConfirm();
        }}
      >
        <h2 id="confirm-title" class="dialog__title">
          {title}
        </h2>
        <p class="dialog__body">{body}</p>
        <div class="dialog__actions">
          <button type="button" class="btn" onClick={onCancel} autoFocus>
            {t("cancel")}
          </button>
          <button type="submit" class="btn btn--danger">
            {confirmLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function KeyDialog({
  open,
  rejected,
  onSubmit,
  onCancel,
  onForget,
}: {
  open: boolean;
  rejected: boolean;
  onSubmit: (key: string) => void;
  onCancel: () => void;
  /** Shown when a key is stored: remove it from this browser. */
  onForget: (() => void) | null;
}) {
  const { t } = useI18n();
  const [key, setKey] = useState("");
  useEffect(() => {
    if (open) setKey("");
  }, [open]);
  return (
    <Modal open={open} labelledBy="key-title" onCancel={onCancel} testId="key-dialog">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onSubmit(key.trim());
        }}
      >
        <h2 id="key-title" class="dialog__title">
          {t("key_title")}
        </h2>
        <p class="dialog__body">{t("key_body")}</p>
        {rejected && (
          <p class="field-error" role="alert">
            {t("key_rejected")}
          </p>
        )}
        <label for="api-key" class="field-label">
          {t("key_label")}
        </label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          autoFocus
        />
        <div class="dialog__actions">
          {onForget && (
            <button type="button" class="btn btn--ghost dialog__forget" onClick={onForget}>
              {t("forget_key")}
            </button>
          )}
          <button type="button" class="btn" onClick={onCancel}>
            {t("cancel")}
          </button>
          <button type="submit" class="btn btn--primary" disabled={!key.trim()}>
            {t("save")}
          </button>
        </div>
      </form>
    </Modal>
  );
}
