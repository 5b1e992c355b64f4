import { createExpiringCache } from './expiring-cache.ts';
import type { MaybePromise } from './ports.ts';

export type CachedReadsOptions = {
  /** How long an answer is reused, ms, counted from when its read began; 0 keeps nothing. */
  cacheMs: number;
  /** Keys kept at once; the least recently used is forgotten first. */
  max: number;
  nowMs: () => number;
};

/**
 * `read` behind a per-key cache: concurrent callers of one key share one read; once it has answered, the value itself
 * is kept, so a hit is answered at once rather than as a promise (collect's hot path pays for every promise). A failed
 * read is forgotten, and its callers get the failure.
 */
export function createCachedReads<V extends NonNullable<unknown>>(
  read: (key: string) => PromiseLike<V>,
  options: CachedReadsOptions,
): (key: string) => MaybePromise<V> {
  type Entry = { value: V } | { pending: Promise<V> };
  const entries = createExpiringCache<string, Entry>({ max: options.max, nowMs: options.nowMs });
  return (key) => {
    const known = entries.get(key);
    if (known !== undefined) return 'value' in known ? known.value : known.pending;
    const untilMs = options.nowMs() + options.cacheMs;
    const entry: Entry = { pending: Promise.resolve(read(key)) };
    entries.set(key, entry, untilMs);
    entry.pending.then(
      (value) => {
        if (entries.get(key) === entry) entries.set(key, { value }, untilMs);
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return entry.pending;
  };
}
