// One question and its answer: progress while searching and reading, the streamed answer with chips,
// abstentions as such, and errors (busy, network, server) with a retry.

import { useEffect, useState } from "preact/hooks";

import { useI18n } from "../i18n";
import type { Chip } from "../lib/citations";
import { count, textLang } from "../lib/format";
import { isActive, type Turn } from "../state/chat";
import { AnswerBody } from "./AnswerBody";
import { Icon } from "./Icon";

const ABSTAIN_REASON: Record<string, "abstained_weak" | "abstained_model" | "abstained_empty"> = {
  weak_evidence: "abstained_weak",
  model_declined: "abstained_model",
  empty_answer: "abstained_empty",
};

export interface TurnViewProps {
  turn: Turn;
  selected: boolean;
  canRetry: boolean;
  onRetry: (turnId: string) => void;
  onShowSources: (turnId: string) => void;
  onOpenChip: (turnId: string, chip: Chip, trigger: HTMLElement) => void;
}

function useSecondsLeft(until: number | null): number {
  const [, tick] = useState(0);
  const left = until === null ? 0 : Math.max(0, Math.ceil((until - Date.now()) / 1000));
  useEffect(() => {
    if (left <= 0) return undefined;
    const id = window.setTimeout(() => tick((n) => n + 1), 500);
    return () => window.clearTimeout(id);
  });
  return left;
}

function ErrorNote({ turn, canRetry, onRetry }: Pick<TurnViewProps, "turn" | "canRetry" | "onRetry">) {
  const { t } = useI18n();
  const error = turn.error;
  const until = error?.retryAfter != null ? error.at + error.retryAfter * 1000 : null;
  const left = useSecondsLeft(until);
  if (!error) return null;
  const busy = error.status === 429;
  let title = t("error_title");
  let body = error.detail;
  if (busy) {
    title = t("busy_title");
    body = left > 0 ? t("busy_wait", { s: left }) : t("busy_now");
  } else if (error.code === "network") {
    body = t("network_error");
  } else if (error.status === 401) {
    body = t("unauthorized");
  }
  return (
    <div class={`callout ${busy ? "callout--busy" : "callout--error"}`} role="alert">
      <Icon name="alert" />
      <div class="callout__body">
        <p class="callout__title">{title}</p>
        <p>{body}</p>
        {!busy && error.code !== "network" && body !== error.detail && (
          <p class="muted small">{error.detail}</p>
        )}
      </div>
      <button type="button" class="btn btn--small" onClick={() => onRetry(turn.id)} disabled={!canRetry}>
        <Icon name="refresh" size={16} />
        {t("retry")}
      </button>
    </div>
  );
}

export function TurnView({ turn, selected, canRetry, onRetry, onShowSources, onOpenChip }: TurnViewProps) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const active = isActive(turn);
  const sources = turn.sources ?? [];
  const abstained = turn.done?.abstained ?? false;
  const phase =
    turn.phase === "streaming" || turn.phase === "generating"
      ? "streaming"
      : turn.phase === "done"
        ? "final"
        : "stopped";

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(turn.text);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 1500);
    } catch {
      /* clipboard unavailable (insecure context): nothing to do */
    }
  };

  return (
    <article class={`turn${selected ? " turn--selected" : ""}`} data-turn={turn.id} data-phase={turn.phase}>
      <div class="turn__question" lang={textLang(turn.question)}>
        <span class="sr-only">{t("you")}: </span>
        {turn.question}
      </div>

      <div class="turn__answer" aria-live="polite" aria-busy={active}>
        <span class="sr-only">{t("shiori")}: </span>
        {turn.phase === "retrieving" && (
          <p class="progress-line">
            <span class="spinner" aria-hidden="true" />
            {t("retrieving")}
          </p>
        )}
        {turn.phase === "generating" && (
          <p class="progress-line">
            <span class="spinner" aria-hidden="true" />
            {count(t, sources.length, "generating_one", "generating")}
          </p>
        )}

        {abstained ? (
          <div class="callout callout--abstain" data-testid="abstained">
            <Icon name="sources" />
            <div class="callout__body">
              <p class="callout__title">{t("abstained_title")}</p>
              <p lang={textLang(turn.text)}>{turn.text}</p>
              <p class="muted small">
                {t(ABSTAIN_REASON[turn.done?.abstain_reason ?? "model_declined"] ?? "abstained_model")}
              </p>
            </div>
          </div>
        ) : (
          turn.text && (
            <div class={turn.phase === "streaming" ? "streaming" : undefined}>
              <AnswerBody
                text={turn.text}
                sources={sources}
                check={turn.check}
                phase={phase}
                onOpen={(chip, el) => onOpenChip(turn.id, chip, el)}
              />
            </div>
          )
        )}

        {turn.check?.revisedFrom && !abstained && (
          <details class="note note--revised" data-testid="revised">
            <summary>
              <Icon name="alert" size={14} />
              {t("revised")}
            </summary>
            <p class="small">
              {t("revised_first")} <q lang={textLang(turn.check.revisedFrom)}>{turn.check.revisedFrom}</q>
            </p>
          </details>
        )}
        {turn.check?.answersQuestion === false && !abstained && (
          <p class="note note--warn" data-testid="no-number">
            <Icon name="alert" size={14} />
            {t("no_number")}
          </p>
        )}
        {turn.phase === "stopped" && (
          <p class="note note--stopped" data-testid="stopped">
            <Icon name="stop" size={14} />
            {t("stopped")}
          </p>
        )}
        {turn.phase === "error" && <ErrorNote turn={turn} canRetry={canRetry} onRetry={onRetry} />}
      </div>

      {(sources.length > 0 || (turn.text && !active)) && (
        <footer class="turn__footer">
          {sources.length > 0 && (
            <button
              type="button"
              class={`link-btn${selected ? " link-btn--current" : ""}`}
              onClick={() => onShowSources(turn.id)}
              aria-pressed={selected}
            >
              <Icon name="sources" size={15} />
              {count(t, sources.length, "sources_count_one", "sources_count")}
            </button>
          )}
          {turn.done && turn.done.ttft_ms !== null && !abstained && (
            <span class="muted small">
              {t("timing", { ttft: (turn.done.ttft_ms / 1000).toFixed(1), tokens: turn.done.tokens })}
            </span>
          )}
          {turn.text && !active && !abstained && (
            <button type="button" class="link-btn" onClick={copy}>
              <Icon name={copied ? "check" : "copy"} size={15} />
              {copied ? t("copied") : t("copy")}
            </button>
          )}
        </footer>
      )}
    </article>
  );
}
