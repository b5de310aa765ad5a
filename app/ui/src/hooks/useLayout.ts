// Which parts of the page are showing: the documents sidebar (a drawer on phones) and the side panel
// (docked on wide screens, a sheet over the page otherwise), what the panel shows, and where the focus
// goes when they open and close.

import type { RefObject } from "preact";
import { useEffect, useLayoutEffect, useRef, useState, type Dispatch, type StateUpdater } from "preact/hooks";

import type { PanelView } from "../components/SidePanel";
import { useMedia } from "./useMedia";

// Keep in step with styles.css: the side panel docks from 1100px, the sidebar from 760px.
const WIDE = "(min-width: 1100px)";
const PHONE = "(max-width: 759px)";

export interface Layout {
  wide: boolean;
  panelOpen: boolean;
  panel: PanelView;
  /** The phone drawer is open. */
  drawerOpen: boolean;
  /** The panel covers the page (not docked). */
  sheetOpen: boolean;
  /** A drawer or sheet covers the page: the page under it is inert. */
  overlayOpen: boolean;
  refs: {
    /** The panel element: focused when it opens on the sources list. */
    panel: RefObject<HTMLElement>;
    /** The heading of a passage or document in the panel: focused when one opens. */
    panelTitle: RefObject<HTMLHeadingElement>;
    /** The header's menu button: the focus goes back to it when the drawer closes. */
    menuButton: RefObject<HTMLButtonElement>;
    /** The drawer's close button: focused when the drawer opens. */
    drawerClose: RefObject<HTMLButtonElement>;
  };
  /** Show `view` in the panel and move the focus there; `trigger` gets the focus back on close. */
  openPanel: (view: PanelView, trigger: HTMLElement | null) => void;
  closePanel: () => void;
  togglePanel: () => void;
  /** Show another view in the open panel (its title takes the focus unless it is the sources list). */
  showView: (view: PanelView) => void;
  setPanel: Dispatch<StateUpdater<PanelView>>;
  openSidebar: () => void;
  closeSidebar: () => void;
  toggleSidebar: () => void;
  /** Close whatever covers the page (drawer first); false when nothing did. */
  closeOverlay: () => boolean;
}

export function useLayout(): Layout {
  const wide = useMedia(WIDE);
  const phone = useMedia(PHONE);
  const [panelOpen, setPanelOpen] = useState(wide);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [panel, setPanel] = useState<PanelView>({ kind: "sources" });
  const returnFocus = useRef<HTMLElement | null>(null);
  const focusPanelTitle = useRef(false);
  const refs = {
    panel: useRef<HTMLElement>(null),
    panelTitle: useRef<HTMLHeadingElement>(null),
    menuButton: useRef<HTMLButtonElement>(null),
    drawerClose: useRef<HTMLButtonElement>(null),
  };

  const drawerOpen = phone && sidebarOpen;
  const sheetOpen = !wide && panelOpen;

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
    (panel.kind === "sources" ? refs.panel : refs.panelTitle).current?.focus();
  }, [panel, panelOpen]);

  // A drawer over the page takes the focus, and gives it back to the menu button when it closes.
  const wasDrawerOpen = useRef(false);
  useEffect(() => {
    if (drawerOpen) refs.drawerClose.current?.focus();
    else if (wasDrawerOpen.current) refs.menuButton.current?.focus();
    wasDrawerOpen.current = drawerOpen;
  }, [drawerOpen]);

  return {
    wide,
    panelOpen,
    panel,
    drawerOpen,
    sheetOpen,
    overlayOpen: drawerOpen || sheetOpen,
    refs,
    openPanel,
    closePanel,
    togglePanel: () =>
      panelOpen ? closePanel() : openPanel(panel, document.activeElement as HTMLElement | null),
    showView: (view) => {
      focusPanelTitle.current = view.kind !== "sources";
      setPanel(view);
    },
    setPanel,
    openSidebar: () => setSidebarOpen(true),
    closeSidebar: () => setSidebarOpen(false),
    toggleSidebar: () => setSidebarOpen(!sidebarOpen),
    closeOverlay: () => {
      if (drawerOpen) setSidebarOpen(false);
      else if (sheetOpen) closePanel();
      else return false;
      return true;
    },
  };
}
