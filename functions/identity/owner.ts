import { createExpiringCache } from '../kernel/expiring-cache.ts';
import type { Clock, Identity, LinkReader } from '../kernel/ports.ts';

/** Whose a request's events are: the user id `collect` publishes them under, and whose settings decide on them. */
export type EventOwner = (identity: Identity) => Promise<string>;

export type EventOwnerOptions = {
  /** How long a visitor's link (or that there is none) is reused before it is read again. Default 5000 ms. */
  cacheMs?: number;
  /** Visitors whose links are kept at once; the least recently used is evicted first. Default 10,000. */
  maxVisitors?: number;
  /** Default: the system clock. */
  clock?: Clock;
};

/**
 * A shopper's events are their own; a visitor's are the shopper's they were linked to, else the visitor's own. Links
 * are cached per visitor like privacy settings (collect's hot path), concurrent requests sharing one read; a failed
 * read is not cached and is thrown, so nothing is published under a guess.
 *
 * How stale: for up to `cacheMs` after a link, a visitor's events may still be published under the visitor's id.
 * Nothing is lost by it: ingest learns them into the shopper's document (it reads the link in its transaction) and
 * the warehouse SQL reads them as the shopper's (identity_links).
 */
export function createEventOwner(links: LinkReader, options: EventOwnerOptions = {}): EventOwner {
  const cacheMs = options.cacheMs ?? 5000;
  const clock = options.clock ?? (() => new Date());
  const reads = createExpiringCache<string, Promise<string | null>>({ max: options.maxVisitors ?? 10_000, nowMs: () => clock().getTime() });

  function shopperOf(anonymousId: string): Promise<string | null> {
    const cached = reads.get(anonymousId);
    if (cached) return cached;
    const shopper = links.shopperOf(anonymousId);
    reads.set(anonymousId, shopper, clock().getTime() + cacheMs);
    shopper.catch(() => {
      if (reads.get(anonymousId) === shopper) reads.delete(anonymousId);
    });
    return shopper;
  }

  return async (identity) => (identity.kind === 'anonymous' ? ((await shopperOf(identity.userId)) ?? identity.userId) : identity.userId);
}
