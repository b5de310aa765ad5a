// The page: documents on the left (a drawer on phones), the conversation in the middle, sources and
// cited passages on the right (a sheet on phones). This file wires the parts together; each part's
// state lives in a hook (hooks/, state/) and its markup in a component (components/).

import { useRef, useState } from "preact/hooks";

import { api } from "./api/client";
import type { DocumentInfo } from "./api/types";
import { ChatPane } from "./components/ChatPane";
import { ConfirmDialog, KeyDialog } from "./components/Dialogs";
import { DropOverlay } from "./components/DropOverlay";
import { Header } from "./components/Header";
import { SidePanel } from "./components/SidePanel";
import { Sidebar } from "./components/Sidebar";
import { Toast } from "./components/Toast";
import { useAnnouncements } from "./hooks/useAnnouncements";
import { useFileDrop } from "./hooks/useFileDrop";
import { useLanguage } from "./hooks/useLanguage";
import { useLayout } from "./hooks/useLayout";
import { useShortcuts } from "./hooks/useShortcuts";
import { useToast } from "./hooks/useToast";
import { I18nContext } from "./i18n";
import type { Chip } from "./lib/citations";
import { errorText } from "./lib/format";
import { useApiKeyPrompt } from "./state/apiKey";
import { useChat } from "./state/chat";
import { useCollections, useCountsFollow } from "./state/collections";
import { useDocuments } from "./state/documents";
import { useReadiness } from "./state/readiness";
import { useUploads } from "./state/uploads";

const trigger = () => document.activeElement as HTMLElement | null;

export function App() {
  const [i18n, setLang] = useLanguage();
  const { t } = i18n;
  const { toast, notify, dismiss } = useToast();
  const onError = (err: unknown) => notify(errorText(err), "error");
  const server = useReadiness();
  const layout = useLayout();

  const collections = useCollections();
  const collection = collections.current;
  const documents = useDocuments(collection);
  const docs = documents.docs;
  useCountsFollow(collections, docs?.length);
  const uploads = useUploads(collection, documents.hurry, () => notify(t("collection_loading"), "error"));
  const dragging = useFileDrop(uploads.add);
  const apiKey = useApiKeyPrompt({
    onChanged: () => {
      void collections.load();
      void documents.refresh();
    },
    onForgotten: () => notify(t("key_forgotten")),
  });

  const chat = useChat(collection ?? "default");
  const turns = chat.turns;
  const busy = chat.activeId !== null;
  const [selectedTurn, setSelectedTurn] = useState<string | null>(null);
  const shownTurn = turns.find((x) => x.id === selectedTurn) ?? turns[turns.length - 1] ?? null;
  const { announcement, announce } = useAnnouncements({ docs, turns, activeId: chat.activeId, t });

  const [toDelete, setToDelete] = useState<DocumentInfo | null>(null);
  const question = useRef<HTMLTextAreaElement>(null);
  const pickFiles = useRef<HTMLButtonElement>(null);

  useShortcuts({
    modalOpen: toDelete !== null || apiKey.open,
    // Esc closes what covers the page first; with nothing open, it stops a streaming answer.
    onEscape: () => {
      if (!layout.closeOverlay() && busy) chat.stop();
    },
    onSlash: () => question.current?.focus(),
  });

  const deleteDoc = async (doc: DocumentInfo) => {
    setToDelete(null);
    try {
      await api.deleteDocument(doc.id);
      documents.remove(doc.id);
      notify(t("deleted", { name: doc.title || doc.filename }));
      layout.setPanel((view) =>
        (view.kind === "document" && view.documentId === doc.id) ||
        (view.kind === "passage" && view.source.document_id === doc.id)
          ? { kind: "sources" }
          : view,
      );
      void documents.refresh();
    } catch (err) {
      onError(err);
    }
  };

  const ask = (text: string): boolean => {
    const id = chat.ask(text);
    if (!id) return false;
    setSelectedTurn(id);
    layout.setPanel({ kind: "sources" });
    announce(t("retrieving"));
    return true;
  };

  const onOpenChip = (turnId: string, chip: Chip, el: HTMLElement) => {
    if (!chip.source) return;
    setSelectedTurn(turnId);
    layout.openPanel(
      { kind: "passage", source: chip.source, citation: chip.citation, status: chip.status },
      el,
    );
  };

  return (
    <I18nContext.Provider value={i18n}>
      <a class="skip-link" href="#question">
        {t("skip_to_question")}
      </a>
      <div
        class={`shell${layout.panelOpen ? " shell--panel" : ""}${layout.drawerOpen ? " shell--sidebar" : ""}`}
        data-wide={layout.wide}
      >
        <Header
          server={server}
          showKey={apiKey.showButton}
          sidebarOpen={layout.drawerOpen}
          panelOpen={layout.panelOpen}
          menuRef={layout.refs.menuButton}
          onToggleSidebar={layout.toggleSidebar}
          onTogglePanel={layout.togglePanel}
          onLang={setLang}
          onKey={apiKey.change}
        />

        <Sidebar
          collections={collections}
          documents={documents}
          uploads={uploads}
          inert={layout.sheetOpen && !layout.drawerOpen}
          closeRef={layout.refs.drawerClose}
          pickFilesRef={pickFiles}
          onClose={layout.closeSidebar}
          onPickCollection={(name) => {
            collections.pick(name);
            setSelectedTurn(null);
            layout.setPanel({ kind: "sources" });
          }}
          onView={(doc) => layout.openPanel({ kind: "document", documentId: doc.id, page: 1 }, trigger())}
          onDelete={setToDelete}
          onError={onError}
        />

        <ChatPane
          collection={collection}
          turns={turns}
          shownTurnId={shownTurn?.id ?? null}
          busy={busy}
          noDocuments={docs !== null && docs.length === 0}
          inert={layout.overlayOpen}
          questionRef={question}
          onSend={ask}
          onStop={chat.stop}
          onNewChat={() => {
            chat.reset();
            setSelectedTurn(null);
            layout.setPanel({ kind: "sources" });
          }}
          onRetry={(id) => {
            setSelectedTurn(id);
            chat.retry(id);
          }}
          onShowSources={(id) => {
            setSelectedTurn(id);
            layout.openPanel({ kind: "sources" }, trigger());
          }}
          onOpenChip={onOpenChip}
          onAddDocuments={() => {
            layout.openSidebar();
            pickFiles.current?.focus();
          }}
        />

        <aside
          id="panel"
          ref={layout.refs.panel}
          class="panel"
          aria-label={t("sources_title")}
          tabIndex={-1}
          data-testid="panel"
          inert={layout.drawerOpen}
        >
          <SidePanel
            view={layout.panel}
            turn={shownTurn}
            docs={docs}
            titleRef={layout.refs.panelTitle}
            onView={layout.showView}
            onClose={layout.closePanel}
            onError={onError}
          />
        </aside>

        {layout.overlayOpen && (
          <div
            class="backdrop"
            aria-hidden="true"
            onClick={() => {
              layout.closeSidebar();
              if (layout.panelOpen) layout.closePanel();
            }}
          />
        )}
      </div>

      {dragging && <DropOverlay collection={collection} />}
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
      <Toast toast={toast} onClose={dismiss} />

      <ConfirmDialog
        open={toDelete !== null}
        title={t("confirm_delete_title")}
        body={
          toDelete
            ? t("confirm_delete_body", { name: toDelete.title || toDelete.filename, c: collection ?? "" })
            : ""
        }
        confirmLabel={t("delete")}
        onConfirm={() => toDelete && void deleteDoc(toDelete)}
        onCancel={() => setToDelete(null)}
      />
      <KeyDialog
        open={apiKey.open}
        rejected={apiKey.rejected}
        onSubmit={apiKey.submit}
        onCancel={apiKey.cancel}
        onForget={apiKey.hasKey ? apiKey.forget : null}
      />
    </I18nContext.Provider>
  );
}
