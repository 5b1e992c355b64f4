import type { StorageLike } from './ports.ts';

/** A visit ends after half an hour without an event, as web analytics count sessions. */
export const SESSION_IDLE_MS = 30 * 60_000;

/**
 * The shopper's session id, kept in storage so that it spans the pages of one visit (cart
 * abandonment is measured per session); a new one after `SESSION_IDLE_MS` without an event.
 */
export function storedSession(storage: StorageLike | null, key: string, now: () => number, newId: () => string): () => string {
  let id = '';
  let lastAt = 0;
  return () => {
    const at = now();
    try {
      const [storedId = '', storedAt = '0'] = (storage?.getItem(key) ?? '').split(' ');
      if (storedId) [id, lastAt] = [storedId, Number(storedAt)];
    } catch {
      // Storage refused: the session lives in this page only.
    }
    if (!id || at - lastAt > SESSION_IDLE_MS) id = newId();
    lastAt = at;
    try {
      storage?.setItem(key, `${id} ${at}`);
    } catch {
      // As above.
    }
    return id;
  };
}
