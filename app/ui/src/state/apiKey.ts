// The API key: asked for when the server answers 401 (the client waits on the dialog), changed or
// forgotten from the header's key button.

import { useEffect, useRef, useState } from "preact/hooks";

import { getApiKey, setApiKey, setKeyPrompt } from "../api/client";

interface Ask {
  rejected: boolean;
  resolve: (key: string | null) => void;
}

export interface ApiKeyPrompt {
  /** The key dialog is showing. */
  open: boolean;
  /** The server refused the key this browser sent. */
  rejected: boolean;
  /** A key is stored in this browser (the dialog offers to forget it). */
  hasKey: boolean;
  /** Show the header's key button: a key is stored, or the server has asked for one. */
  showButton: boolean;
  /** The header's key button: enter a new key. */
  change: () => void;
  submit: (key: string) => void;
  cancel: () => void;
  forget: () => void;
}

export interface ApiKeyEvents {
  /** A key entered from the header's button was stored: reload what the old key could not see. */
  onChanged: () => void;
  onForgotten: () => void;
}

export function useApiKeyPrompt(events: ApiKeyEvents): ApiKeyPrompt {
  const [ask, setAsk] = useState<Ask | null>(null);
  const [hasKey, setHasKey] = useState(() => getApiKey() !== null);
  const [required, setRequired] = useState(false);
  const latest = useRef(events);
  latest.current = events;

  useEffect(() => {
    setKeyPrompt((rejected) => {
      setRequired(true);
      return new Promise((resolve) => setAsk({ rejected, resolve }));
    });
    return () => setKeyPrompt(null);
  }, []);

  const close = (key: string | null) => {
    ask?.resolve(key);
    setAsk(null);
  };

  return {
    open: ask !== null,
    rejected: ask?.rejected ?? false,
    hasKey,
    showButton: hasKey || required,
    change: () =>
      setAsk({
        rejected: false,
        resolve: (key) => {
          if (!key) return;
          setApiKey(key);
          latest.current.onChanged();
        },
      }),
    submit: (key) => {
      close(key);
      setHasKey(true);
    },
    cancel: () => close(null),
    forget: () => {
      setApiKey(null);
      setHasKey(false);
      close(null);
      latest.current.onForgotten();
    },
  };
}
