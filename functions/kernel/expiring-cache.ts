import { LRUCache } from 'lru-cache';

export type ExpiringCache<K, V> = {
  /** The value, while it has not expired; a hit makes the entry the most recently used. */
  get(key: K): V | undefined;
  /** Keeps the value until `untilMs` (by the cache's clock); one already due is not kept. */
  set(key: K, value: V, untilMs: number): void;
  delete(key: K): void;
};

/**
 * A bounded cache: at most `max` entries, the least recently used evicted first, each gone at the
 * instant it was kept until. `nowMs` (default the system clock) is read on every lookup.
 */
export function createExpiringCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(options: {
  max: number;
  nowMs?: () => number;
}): ExpiringCache<K, V> {
  const nowMs = options.nowMs ?? (() => Date.now());
  // ttlResolution 0: lru-cache would otherwise reuse one reading of the clock for a millisecond.
  const cache = new LRUCache<K, V>({ max: options.max, perf: { now: nowMs }, ttlResolution: 0 });
  return {
    get: (key) => cache.get(key),
    set(key, value, untilMs) {
      // lru-cache keeps an entry while its age is at most its ttl; ours is gone at `untilMs`, so the ttl is
      // a millisecond less (the clocks count whole milliseconds), and a ttl of 0 would mean "for ever".
      const ttl = untilMs - nowMs() - 1;
      if (ttl > 0) cache.set(key, value, { ttl });
      else cache.delete(key);
    },
    delete: (key) => void cache.delete(key),
  };
}
