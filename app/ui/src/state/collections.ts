// The collections, the one being worked in (remembered across visits), and creating new ones.

import { useCallback, useEffect, useState } from "preact/hooks";

import { api } from "../api/client";
import type { Collection } from "../api/types";
import { errorText } from "../lib/format";

const STORAGE = "shiori.collection";

function stored(): string | null {
  try {
    return localStorage.getItem(STORAGE);
  } catch {
    return null;
  }
}

export interface Collections {
  list: Collection[] | null;
  current: string | null;
  error: string | null;
  pick: (name: string) => void;
  load: () => Promise<void>;
  create: (name: string) => Promise<void>;
}

export function useCollections(): Collections {
  const [list, setList] = useState<Collection[] | null>(null);
  const [current, setCurrent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const collections = await api.collections();
      setList(collections);
      setError(null);
      setCurrent((was) => {
        const names = collections.map((c) => c.name);
        for (const name of [was, stored(), "default"]) if (name && names.includes(name)) return name;
        return names[0] ?? null;
      });
    } catch (err) {
      setError(errorText(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    if (!current) return;
    try {
      localStorage.setItem(STORAGE, current);
    } catch {
      /* storage disabled */
    }
  }, [current]);

  const create = useCallback(
    async (name: string) => {
      const created = await api.createCollection(name);
      await load();
      setCurrent(created.name);
    },
    [load],
  );

  return { list, current, error, pick: setCurrent, load, create };
}

/** The collections' document counts follow the open collection's list as documents arrive or go. */
export function useCountsFollow(collections: Collections, docCount: number | undefined): void {
  const { load } = collections;
  useEffect(() => {
    if (docCount !== undefined) void load();
  }, [docCount, load]);
}
