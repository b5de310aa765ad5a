// The left column (a drawer on phones): the collection, adding documents, and the documents in it.

import type { RefObject } from "preact";

import type { DocumentInfo } from "../api/types";
import { useI18n } from "../i18n";
import type { Collections } from "../state/collections";
import type { Documents } from "../state/documents";
import type { Uploads } from "../state/uploads";
import { CollectionPicker } from "./CollectionPicker";
import { DocumentList } from "./DocumentList";
import { Icon } from "./Icon";
import { Uploader } from "./Uploader";

export interface SidebarProps {
  collections: Collections;
  documents: Documents;
  uploads: Uploads;
  inert: boolean;
  closeRef: RefObject<HTMLButtonElement>;
  pickFilesRef: RefObject<HTMLButtonElement>;
  onClose: () => void;
  onPickCollection: (name: string) => void;
  onView: (doc: DocumentInfo) => void;
  onDelete: (doc: DocumentInfo) => void;
  onError: (err: unknown) => void;
}

export function Sidebar(props: SidebarProps) {
  const { t } = useI18n();
  const { collections, documents } = props;
  return (
    <aside id="sidebar" class="sidebar" aria-label={t("documents")} inert={props.inert}>
      <div class="sidebar__head">
        <button
          ref={props.closeRef}
          type="button"
          class="icon-btn sidebar__close"
          aria-label={t("close")}
          onClick={props.onClose}
        >
          <Icon name="close" />
        </button>
      </div>
      {collections.error && <p class="callout callout--error small">{collections.error}</p>}
      <CollectionPicker
        collections={collections.list}
        current={collections.current}
        onPick={props.onPickCollection}
        onCreate={collections.create}
      />
      <Uploader
        collection={collections.current}
        uploads={props.uploads}
        docs={documents.docs}
        pickRef={props.pickFilesRef}
      />
      <DocumentList
        docs={documents.docs}
        error={documents.error ? documents.error.message : null}
        onView={props.onView}
        onDelete={props.onDelete}
        onError={props.onError}
      />
    </aside>
  );
}
