import type { RefObject } from "preact";

import { LANGS, useI18n, type Lang } from "../i18n";
import type { ServerState } from "../state/readiness";
import { Icon } from "./Icon";

function ModelStatus({ server }: { server: ServerState }) {
  const { t } = useI18n();
  if (server.kind === "unknown") return null;
  let tone = "ok";
  let text = t("model_ready");
  let title: string | undefined;
  if (server.kind === "down") {
    tone = "error";
    text = t("server_unreachable");
  } else if (server.readiness.status !== "ready") {
    tone = "busy";
    text = t("server_starting");
  } else if (server.readiness.generator === "loading") {
    tone = "busy";
    text = t("model_loading");
  } else if (server.readiness.generator === "restarting") {
    tone = "busy";
    text = t("model_restarting");
    title = server.readiness.generator_error ?? undefined;
  } else if (server.readiness.generator === "unreachable") {
    tone = "error";
    text = t("model_unreachable");
    title = server.readiness.generator_error ?? undefined;
  } else if (server.readiness.generator === "error") {
    tone = "error";
    text = t("model_error");
    title = server.readiness.generator_error ?? undefined;
  } else if (server.readiness.generator === "lazy") {
    text = t("model_lazy");
  }
  return (
    <span class={`server-pill server-pill--${tone}`} role="status" title={title} data-testid="server-status">
      {tone === "busy" ? (
        <span class="spinner spinner--small" aria-hidden="true" />
      ) : (
        <span class="dot" aria-hidden="true" />
      )}
      <span class="server-pill__text">{text}</span>
    </span>
  );
}

export interface HeaderProps {
  server: ServerState;
  showKey: boolean;
  sidebarOpen: boolean;
  panelOpen: boolean;
  /** The menu button: the focus returns to it when the documents drawer closes. */
  menuRef: RefObject<HTMLButtonElement>;
  onToggleSidebar: () => void;
  onTogglePanel: () => void;
  onLang: (lang: Lang) => void;
  onKey: () => void;
}

export function Header(props: HeaderProps) {
  const { t, lang } = useI18n();
  return (
    <header class="topbar">
      <button
        ref={props.menuRef}
        type="button"
        class="icon-btn topbar__menu"
        aria-label={t("show_documents")}
        aria-expanded={props.sidebarOpen}
        aria-controls="sidebar"
        onClick={props.onToggleSidebar}
      >
        <Icon name="menu" />
      </button>
      <div class="brand">
        <svg class="brand__mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
          <rect width="32" height="32" rx="7" />
          <path d="M11 6h10v20l-5-4.2L11 26z" />
        </svg>
        <span class="brand__name" lang="en">
          Shiori
        </span>
        <span class="brand__tagline">{t("brand_tagline")}</span>
      </div>
      <ModelStatus server={props.server} />
      <div class="topbar__spacer" />
      <button
        type="button"
        class={`btn btn--ghost btn--small topbar__sources${props.panelOpen ? " is-on" : ""}`}
        aria-expanded={props.panelOpen}
        aria-controls="panel"
        onClick={props.onTogglePanel}
      >
        <Icon name="sources" size={16} />
        <span class="topbar__label">{t("show_sources")}</span>
      </button>
      {props.showKey && (
        <button
          type="button"
          class="icon-btn"
          aria-label={t("api_key")}
          title={t("api_key")}
          onClick={props.onKey}
        >
          <Icon name="key" />
        </button>
      )}
      <div class="lang-switch" role="group" aria-label={t("language")}>
        {LANGS.map((l) => (
          <button
            key={l.code}
            type="button"
            lang={l.code}
            aria-pressed={lang === l.code}
            onClick={() => props.onLang(l.code)}
          >
            {l.name}
          </button>
        ))}
      </div>
    </header>
  );
}
