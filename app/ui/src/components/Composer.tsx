// The question box. Enter sends and Shift+Enter adds a line, except while an input method is composing
// (Enter then confirms the Japanese conversion). While an answer streams, the button stops it.

import type { RefObject } from "preact";
import { useLayoutEffect, useRef, useState } from "preact/hooks";

import { useI18n } from "../i18n";
import { Icon } from "./Icon";

export interface ComposerProps {
  busy: boolean;
  disabled: boolean;
  /** The text box, for focusing it from elsewhere (the "/" shortcut). */
  inputRef?: RefObject<HTMLTextAreaElement>;
  onSend: (question: string) => boolean;
  onStop: () => void;
}

const MAX_CHARS = 2000; // the server's default limits.max_query_chars

export function Composer({ busy, disabled, inputRef, onSend, onStop }: ComposerProps) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const ownRef = useRef<HTMLTextAreaElement>(null);
  const area = inputRef ?? ownRef;

  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  const send = () => {
    if (busy || disabled || !text.trim()) return;
    if (onSend(text)) setText("");
    area.current?.focus();
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        if (busy) onStop();
        else send();
      }}
    >
      <label for="question" class="sr-only">
        {t("question_label")}
      </label>
      <div class="composer__box">
        <textarea
          id="question"
          ref={area}
          rows={1}
          value={text}
          maxLength={MAX_CHARS}
          placeholder={t("placeholder")}
          aria-describedby="composer-hint"
          disabled={disabled}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
            e.preventDefault();
            send();
          }}
        />
        {busy ? (
          <button type="submit" class="btn btn--stop" data-testid="stop">
            <Icon name="stop" size={16} />
            {t("stop")}
          </button>
        ) : (
          <button
            type="submit"
            class="btn btn--primary"
            disabled={disabled || !text.trim()}
            data-testid="send"
          >
            <Icon name="send" size={16} />
            {t("send")}
          </button>
        )}
      </div>
      <p id="composer-hint" class="composer__hint">
        {busy ? t("composer_hint_streaming") : t("composer_hint")}
      </p>
    </form>
  );
}
