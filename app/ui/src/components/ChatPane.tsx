// The middle column: the conversation in the open collection (kept scrolled to the newest words) and
// the question box.

import type { RefObject } from "preact";

import { useStickToBottom } from "../hooks/useStickToBottom";
import { useI18n } from "../i18n";
import type { Chip } from "../lib/citations";
import type { Turn } from "../state/chat";
import { Composer } from "./Composer";
import { Icon } from "./Icon";
import { TurnView } from "./TurnView";

export interface ChatPaneProps {
  collection: string | null;
  turns: Turn[];
  /** The turn whose sources the panel shows. */
  shownTurnId: string | null;
  busy: boolean;
  /** The collection is known to have no documents: the empty page offers to add some. */
  noDocuments: boolean;
  inert: boolean;
  questionRef: RefObject<HTMLTextAreaElement>;
  onSend: (question: string) => boolean;
  onStop: () => void;
  onNewChat: () => void;
  onRetry: (turnId: string) => void;
  onShowSources: (turnId: string) => void;
  onOpenChip: (turnId: string, chip: Chip, trigger: HTMLElement) => void;
  onAddDocuments: () => void;
}

function EmptyChat({ noDocuments, onAddDocuments }: Pick<ChatPaneProps, "noDocuments" | "onAddDocuments">) {
  const { t } = useI18n();
  return (
    <div class="empty">
      <svg class="empty__mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
        <path d="M11 4h10v24l-5-5-5 5z" />
      </svg>
      <h2 class="empty__title">{t("empty_title")}</h2>
      <p class="empty__body">{t("empty_body")}</p>
      {noDocuments && (
        <button type="button" class="btn" onClick={onAddDocuments}>
          <Icon name="upload" size={16} />
          {t("empty_no_docs")}
        </button>
      )}
    </div>
  );
}

export function ChatPane(props: ChatPaneProps) {
  const { t } = useI18n();
  const { turns, busy } = props;
  const thread = useStickToBottom<HTMLDivElement>(turns);
  return (
    <main class="chat" aria-labelledby="chat-title" inert={props.inert}>
      <div class="chat__bar">
        <h1 id="chat-title" class="chat__title">
          {props.collection ? t("asking_in", { c: props.collection }) : "Shiori"}
        </h1>
        {turns.length > 0 && (
          <button type="button" class="btn btn--ghost btn--small" onClick={props.onNewChat}>
            <Icon name="chat" size={16} />
            {t("new_chat")}
          </button>
        )}
      </div>
      <div class="thread" ref={thread.ref} onScroll={thread.onScroll}>
        {turns.length === 0 ? (
          <EmptyChat noDocuments={props.noDocuments} onAddDocuments={props.onAddDocuments} />
        ) : (
          turns.map((turn) => (
            <TurnView
              key={turn.id}
              turn={turn}
              selected={props.shownTurnId === turn.id}
              canRetry={!busy}
              onRetry={props.onRetry}
              onShowSources={props.onShowSources}
              onOpenChip={props.onOpenChip}
            />
          ))
        )}
      </div>
      <Composer
        busy={busy}
        disabled={!props.collection}
        inputRef={props.questionRef}
        onSend={props.onSend}
        onStop={props.onStop}
      />
    </main>
  );
}
