// The page: documents on the left (a drawer on phones), the conversation in the middle, sources and
// cited passages on the right (a sheet on phones).

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";

import { api, getApiKey, setApiKey, setKeyPrompt } from "./api/client";
import type { Collection, DocumentInfo } from "./api/types";
import { Composer } from "./components/Composer";
import { CollectionPicker } from "./components/CollectionPicker";
import { ConfirmDialog, KeyDialog } from "./components/Dialogs";
import { DocumentList } from "./components/DocumentList";
import { Header, type ServerState } from "./components/Header";
import { Icon } from "./components/Icon";
import { SidePanel, type PanelView } from "./components/SidePanel";
import { TurnView } from "./components/TurnView";
import { filesFrom, Uploader } from "./components/Uploader";
import { I18nContext, initialLang, storeLang, translator, type Lang } from "./i18n";
import type { Chip } from "./lib/citations";
import { documentProgress } from "./lib/progress";
import { useChat } from "./state/chat";
import { isSettled, useDocuments } from "./state/documents";
import { useUploads } from "./state/uploads";

const COLLECTION_STORAGE = "shiori.collection";
// Keep in step with styles.css: the side panel docks from 1100px, the sidebar from 760px.
const WIDE = "(min-width: 1100px)";
const PHONE = "(max-width: 759px)";

function useMedia(query: string): boolean {
  const [matches, setMatches] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const mq = window.matchMedia(query);
    const onChange = () => setMatches(mq.matches);
    mq.addEventListener("change", onChange);
    return () => mq.removeEventListener("change", onChange);
  }, [query]);
  return matches;
}

function storedCollection(): string | null {
  try {
    return localStorage.getItem(COLLECTION_STORAGE);
  } catch {
    return null;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const i18n = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  const { t } = i18n;

  useEffect(() => {
    document.documentElement.lang = lang;
    storeLang(lang);
  }, [lang]);

  // ---- notices: a visible toast and a screen-reader announcement --------------------------------
  const [toast, setToast] = useState<{ text: string; tone: "info" | "error"; id: number } | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const notify = useCallback((text: string, tone: "info" | "error" = "info") => {
    setToast({ text, tone, id: Date.now() });
  }, []);
  useEffect(() => {
    if (!toast) return undefined;
    const id = window.setTimeout(() => setToast(null), toast.tone === "error" ? 8000 : 4000);
    return () => window.clearTimeout(id);
  }, [toast]);
  const onError = useCallback((err: unknown) => notify(errorText(err), "error"), [notify]);

  // ---- API key hook: a 401 anywhere opens this dialog -------------------------------------------
  const [keyAsk, setKeyAsk] = useState<{ rejected: boolean; resolve: (key: string | null) => void } | null>(
    null,
  );
  const [hasKey, setHasKey] = useState(() => getApiKey() !== null);
  const [keyRequired, setKeyRequired] = useState(false);
  useEffect(() => {
    setKeyPrompt((rejected) => {
      setKeyRequired(true);
      return new Promise((resolve) => setKeyAsk({ rejected, resolve }));
    });
    return () => setKeyPrompt(null);
  }, []);

  // ---- server readiness (is the model loaded?) --------------------------------------------------
  const [server, setServer] = useState<ServerState>({ kind: "unknown" });
  useEffect(() => {
    let timer: number | undefined;
    const poll = async () => {
      const r = await api.readiness();
      setServer(r ? { kind: "up", readiness: r } : { kind: "down" });
      const settled = r && r.status === "ready" && r.generator !== "loading";
      timer = window.setTimeout(poll, settled ? 30_000 : 2_500);
    };
    void poll();
    return () => window.clearTimeout(timer);
  }, []);

  // ---- collections -------------------------------------------------------------------------------
  const [collections, setCollections] = useState<Collection[] | null>(null);
  const [collection, setCollection] = useState<string | null>(null);
  const [collectionsError, setCollectionsError] = useState<string | null>(null);
  const loadCollections = useCallback(async () => {
    try {
      const list = await api.collections();
      setCollections(list);
      setCollectionsError(null);
      setCollection((current) => {
        const names = list.map((c) => c.name);
        for (const name of [current, storedCollection(), "default"])
          if (name && names.includes(name)) return name;
        return names[0] ?? null;
      });
    } catch (err) {
      setCollectionsError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void loadCollections();
  }, [loadCollections]);
  useEffect(() => {
    if (!collection) return;
    try {
      localStorage.setItem(COLLECTION_STORAGE, collection);
    } catch {
      /* storage disabled */
    }
  }, [collection]);

  const createCollection = async (name: string) => {
    const created = await api.createCollection(name);
    await loadCollections();
    setCollection(created.name);
  };

  // ---- layout state: drawers and the side panel --------------------------------------------------
  const wide = useMedia(WIDE);
  const phone = useMedia(PHONE);
  const [panelOpen, setPanelOpen] = useState(wide);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [panel, setPanel] = useState<PanelView>({ kind: "sources" });
  const returnFocus = useRef<HTMLElement | null>(null);
  const focusPanelTitle = useRef(false);

  // ---- documents and uploads ---------------------------------------------------------------------
  const documents = useDocuments(collection);
  const uploads = useUploads(collection, documents.hurry, () => notify(t("collection_loading"), "error"));
  const docs = documents.docs;

  // Announce documents that finish while the person is here; keep collection counts current.
  const seen = useRef(new Map<number, string>());
  useEffect(() => {
    if (!docs) return;
    for (const doc of docs) {
      const before = seen.current.get(doc.id);
      if (before && before !== doc.status && isSettled(doc)) {
        const name = doc.title || doc.filename;
        setAnnouncement(`${name}: ${documentProgress(t, doc).label}`);
      }
      seen.current.set(doc.id, doc.status);
    }
  }, [docs, t]);
  const docCount = docs?.length;
  useEffect(() => {
    if (docCount !== undefined) void loadCollections();
  }, [docCount, loadCollections]);

  const [toDelete, setToDelete] = useState<DocumentInfo | null>(null);
  const deleteDoc = async (doc: DocumentInfo) => {
    setToDelete(null);
    try {
      await api.deleteDocument(doc.id);
      documents.remove(doc.id);
      notify(t("deleted", { name: doc.title || doc.filename }));
      setPanel((view) =>
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

  // ---- conversation ------------------------------------------------------------------------------
  const chat = useChat(collection ?? "default");
  const [selectedTurn, setSelectedTurn] = useState<string | null>(null);
  const turns = chat.turns;
  const shownTurn = turns.find((x) => x.id === selectedTurn) ?? turns[turns.length - 1] ?? null;
  const busy = chat.activeId !== null;

  const prevActive = useRef<string | null>(null);
  useEffect(() => {
    const finished =
      prevActive.current && !chat.activeId ? turns.find((x) => x.id === prevActive.current) : undefined;
    if (finished)
      setAnnouncement(
        finished.phase === "stopped" ? t("announce_answer_stopped") : t("announce_answer_done"),
      );
    prevActive.current = chat.activeId;
  }, [chat.activeId, turns, t]);

  const ask = (question: string): boolean => {
    const id = chat.ask(question);
    if (!id) return false;
    setSelectedTurn(id);
    setPanel({ kind: "sources" });
    setAnnouncement(t("retrieving"));
    return true;
  };

  const openPanel = (view: PanelView, trigger: HTMLElement | null) => {
    returnFocus.current = trigger;
    focusPanelTitle.current = true;
    setPanel(view);
    setPanelOpen(true);
    setSidebarOpen(false);
  };
  const closePanel = () => {
    setPanelOpen(false);
    const back = returnFocus.current;
    window.setTimeout(() => back?.focus(), 0); // after the page under the sheet is no longer inert
  };
  useLayoutEffect(() => {
    if (!focusPanelTitle.current || !panelOpen) return;
    focusPanelTitle.current = false;
    document.getElementById(panel.kind === "sources" ? "panel" : "passage-title")?.focus();
  }, [panel, panelOpen]);

  const onOpenChip = (turnId: string, chip: Chip, trigger: HTMLElement) => {
    if (!chip.source) return;
    setSelectedTurn(turnId);
    openPanel(
      { kind: "passage", source: chip.source, citation: chip.citation, status: chip.status },
      trigger,
    );
  };

  const drawerOpen = phone && sidebarOpen;
  const sheetOpen = !wide && panelOpen;
  const overlayOpen = drawerOpen || sheetOpen;
  // A drawer or sheet over the page takes the focus, and the page under it is inert until it closes.
  const wasDrawerOpen = useRef(false);
  useEffect(() => {
    if (drawerOpen) document.querySelector<HTMLElement>(".sidebar__close")?.focus();
    else if (wasDrawerOpen.current) document.querySelector<HTMLElement>(".topbar__menu")?.focus();
    wasDrawerOpen.current = drawerOpen;
  }, [drawerOpen]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Esc closes what covers the page first; with nothing open, it stops a streaming answer.
      if (e.key === "Escape" && !e.defaultPrevented && !document.querySelector("dialog[open]")) {
        if (drawerOpen) setSidebarOpen(false);
        else if (panelOpen && !wide) closePanel();
        else if (busy) chat.stop();
      }
      const target = e.target as HTMLElement | null;
      const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (e.key === "/" && !typing && !document.querySelector("dialog[open]")) {
        e.preventDefault();
        document.getElementById("question")?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  // ---- whole-window drop target ------------------------------------------------------------------
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
  useEffect(() => {
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes("Files");
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      dragDepth.current += 1;
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      dragDepth.current = Math.max(0, dragDepth.current - 1);
      if (dragDepth.current === 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      dragDepth.current = 0;
      setDragging(false);
      if (!hasFiles(e)) return;
      e.preventDefault();
      uploads.add(filesFrom(e.dataTransfer));
    };
    window.addEventListener("dragenter", enter);
    window.addEventListener("dragleave", leave);
    window.addEventListener("dragover", over);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragenter", enter);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("dragover", over);
      window.removeEventListener("drop", drop);
    };
  }, [uploads.add]);

  // ---- keep the newest words in view unless the person scrolled up -------------------------------
  const thread = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = thread.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [turns]);

  return (
    <I18nContext.Provider value={i18n}>
      <a class="skip-link" href="#question">
        {t("skip_to_question")}
      </a>
      <div
        class={`shell${panelOpen ? " shell--panel" : ""}${drawerOpen ? " shell--sidebar" : ""}`}
        data-wide={wide}
      >
        <Header
          server={server}
          showKey={hasKey || keyRequired}
          sidebarOpen={drawerOpen}
          panelOpen={panelOpen}
          onToggleSidebar={() => setSidebarOpen(!sidebarOpen)}
          onTogglePanel={() =>
            panelOpen ? closePanel() : openPanel(panel, document.activeElement as HTMLElement)
          }
          onLang={setLang}
          onKey={() =>
            setKeyAsk({
              rejected: false,
              resolve: (key) => {
                if (!key) return;
                setApiKey(key);
                void loadCollections();
                void documents.refresh();
              },
            })
          }
        />

        <aside id="sidebar" class="sidebar" aria-label={t("documents")} inert={sheetOpen && !drawerOpen}>
          <div class="sidebar__head">
            <button
              type="button"
              class="icon-btn sidebar__close"
              aria-label={t("close")}
              onClick={() => setSidebarOpen(false)}
            >
              <Icon name="close" />
            </button>
          </div>
          {collectionsError && <p class="callout callout--error small">{collectionsError}</p>}
          <CollectionPicker
            collections={collections}
            current={collection}
            onPick={(name) => {
              setCollection(name);
              setSelectedTurn(null);
              setPanel({ kind: "sources" });
            }}
            onCreate={createCollection}
          />
          <Uploader collection={collection} uploads={uploads} docs={docs} />
          <DocumentList
            docs={docs}
            error={documents.error ? documents.error.message : null}
            onView={(doc) =>
              openPanel(
                { kind: "document", documentId: doc.id, page: 1 },
                document.activeElement as HTMLElement,
              )
            }
            onDelete={setToDelete}
            onError={onError}
          />
        </aside>

        <main class="chat" aria-labelledby="chat-title" inert={overlayOpen}>
          <div class="chat__bar">
            <h1 id="chat-title" class="chat__title">
              {collection ? t("asking_in", { c: collection }) : "Shiori"}
            </h1>
            {turns.length > 0 && (
              <button
                type="button"
                class="btn btn--ghost btn--small"
                onClick={() => {
                  chat.reset();
                  setSelectedTurn(null);
                  setPanel({ kind: "sources" });
                }}
              >
                <Icon name="chat" size={16} />
                {t("new_chat")}
              </button>
            )}
          </div>
          <div
            class="thread"
            ref={thread}
            onScroll={(e) => {
              const el = e.currentTarget;
              stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
            }}
          >
            {turns.length === 0 ? (
              <div class="empty">
                <svg class="empty__mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
                  <path d="M11 4h10v24l-5-5-5 5z" />
                </svg>
                <h2 class="empty__title">{t("empty_title")}</h2>
                <p class="empty__body">{t("empty_body")}</p>
                {docs && docs.length === 0 && (
                  <button
                    type="button"
                    class="btn"
                    onClick={() => {
                      setSidebarOpen(true);
                      document.querySelector<HTMLButtonElement>(".dropzone .link-btn")?.focus();
                    }}
                  >
                    <Icon name="upload" size={16} />
                    {t("empty_no_docs")}
                  </button>
                )}
              </div>
            ) : (
              turns.map((turn) => (
                <TurnView
                  key={turn.id}
                  turn={turn}
                  selected={shownTurn?.id === turn.id}
                  canRetry={!busy}
                  onRetry={(id) => {
                    setSelectedTurn(id);
                    chat.retry(id);
                  }}
                  onShowSources={(id) => {
                    setSelectedTurn(id);
                    openPanel({ kind: "sources" }, document.activeElement as HTMLElement);
                  }}
                  onOpenChip={onOpenChip}
                />
              ))
            )}
          </div>
          <Composer busy={busy} disabled={!collection} onSend={ask} onStop={chat.stop} />
        </main>

        <aside
          id="panel"
          class="panel"
          aria-label={t("sources_title")}
          tabIndex={-1}
          data-testid="panel"
          inert={drawerOpen}
        >
          <SidePanel
            view={panel}
            turn={shownTurn}
            docs={docs}
            onView={(view) => {
              focusPanelTitle.current = view.kind !== "sources";
              setPanel(view);
            }}
            onClose={closePanel}
            onError={onError}
          />
        </aside>

        {overlayOpen && (
          <div
            class="backdrop"
            aria-hidden="true"
            onClick={() => {
              setSidebarOpen(false);
              if (panelOpen) closePanel();
            }}
          />
        )}
      </div>

      {dragging && (
        <div class="drop-overlay" aria-hidden="true">
          <div class="drop-overlay__card">
            <Icon name="upload" size={28} />
            {t("drop_overlay", { c: collection ?? "" })}
          </div>
        </div>
      )}

      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
      {toast && (
        <div
          key={toast.id}
          class={`toast toast--${toast.tone}`}
          role={toast.tone === "error" ? "alert" : "status"}
        >
          {toast.text}
          <button
            type="button"
            class="icon-btn icon-btn--small"
            aria-label={t("close")}
            onClick={() => setToast(null)}
          >
            <Icon name="close" size={15} />
          </button>
        </div>
      )}

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
        open={keyAsk !== null}
        rejected={keyAsk?.rejected ?? false}
        onSubmit={(key) => {
          keyAsk?.resolve(key);
          setKeyAsk(null);
          setHasKey(true);
        }}
        onCancel={() => {
          keyAsk?.resolve(null);
          setKeyAsk(null);
        }}
        onForget={
          hasKey
            ? () => {
                setApiKey(null);
                setHasKey(false);
                keyAsk?.resolve(null);
                setKeyAsk(null);
                notify(t("key_forgotten"));
              }
            : null
        }
      />
    </I18nContext.Provider>
  );
}
