import { useRef, useState } from "preact/hooks";

import { ApiError } from "../api/client";
import type { Collection } from "../api/types";
import { useI18n } from "../i18n";
import { Icon } from "./Icon";

export interface CollectionPickerProps {
  collections: Collection[] | null;
  current: string | null;
  onPick: (name: string) => void;
  onCreate: (name: string) => Promise<void>;
}

export function CollectionPicker({ collections, current, onPick, onCreate }: CollectionPickerProps) {
  const { t } = useI18n();
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = name.trim();
    if (!value) return;
    setPending(true);
    setError(null);
    try {
      await onCreate(value);
      setCreating(false);
      setName("");
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      input.current?.focus();
    } finally {
      setPending(false);
    }
  };

  return (
    <div class="collection-picker">
      <label for="collection" class="field-label">
        {t("collection")}
      </label>
      <div class="collection-picker__row">
        <select
          id="collection"
          value={current ?? ""}
          onChange={(e) => onPick(e.currentTarget.value)}
          disabled={!collections}
        >
          {(collections ?? []).map((c) => (
            <option key={c.id} value={c.name}>
              {c.name} ({c.documents === 1 ? t("one_document") : t("n_documents", { n: c.documents })})
            </option>
          ))}
        </select>
        <button
          type="button"
          class="icon-btn"
          aria-label={t("new_collection")}
          title={t("new_collection")}
          aria-expanded={creating}
          aria-controls="new-collection"
          onClick={() => {
            setCreating(!creating);
            setError(null);
            window.setTimeout(() => input.current?.focus(), 0);
          }}
        >
          <Icon name="plus" />
        </button>
      </div>
      {creating && (
        <form id="new-collection" class="collection-picker__new" onSubmit={submit}>
          <label for="new-collection-name" class="sr-only">
            {t("collection_name")}
          </label>
          <input
            id="new-collection-name"
            ref={input}
            value={name}
            maxLength={100}
            placeholder={t("collection_name")}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "new-collection-error" : undefined}
            onInput={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") {
                e.stopPropagation();
                setCreating(false);
              }
            }}
          />
          <button type="submit" class="btn btn--primary btn--small" disabled={pending || !name.trim()}>
            {t("create")}
          </button>
          {error && (
            <p id="new-collection-error" class="field-error" role="alert">
              {error}
            </p>
          )}
        </form>
      )}
    </div>
  );
}
