import { createCachedReads } from '../kernel/cached-reads.ts';
import type { Clock, Identity, LinkReader, MaybePromise } from '../kernel/ports.ts';

/**
 * Whose a request's events are: the user id `collect` publishes them under, and whose settings decide on them. Known
 * at once for a shopper, and for a visitor whose link is cached.
 */
export type EventOwner = (identity: Identity) => MaybePromise<string>;

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
  const clock = options.clock ?? (() => new Date());
  const linkOf = createCachedReads((anonymousId) => links.shopperOf(anonymousId).then((shopper) => ({ shopper })), {
    cacheMs: options.cacheMs ?? 5000,
    max: options.maxVisitors ?? 10_000,
    nowMs: () => clock().getTime(),
  });

  return (identity) => {
    if (identity.kind !== 'anonymous') return identity.userId;
    const link = linkOf(identity.userId);
    return link instanceof Promise ? link.then(({ shopper }) => shopper ?? identity.userId) : (link.shopper ?? identity.userId);
  };
}
