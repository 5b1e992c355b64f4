import type { ClientEvent, CollectedEvent } from '../events/schema.ts';
import { createCachedReads } from '../kernel/cached-reads.ts';
import type { Clock, ConsentDecision, ConsentPolicy, LinkReader } from '../kernel/ports.ts';
import { isAnonymousUserId } from '../kernel/shopper-id.ts';
import type { PrivacyStore, StandingReader } from './ports.ts';
import { TRACKED_BY, type PrivacySettings } from './settings.ts';

export type CollectConsentOptions = {
  /** How long a shopper's settings are reused before they are read again. Default 5000 ms. */
  cacheMs?: number;
  /** Shoppers whose settings are kept at once; the least recently used is evicted first. Default 10,000. */
  maxUsers?: number;
  /** Default: the system clock. */
  clock?: Clock;
};

/** What a shopper's settings say about one event. */
function decideFor(settings: PrivacySettings, type: ClientEvent['type']): ConsentDecision {
  const flag = TRACKED_BY[type];
  if (flag !== null && settings[flag] !== true) return { track: false, reason: `${flag} is off` };
  return { track: true, learn: settings.learn_preferences };
}

/**
 * `collect`'s policy. collect is the hot path, so settings are cached per user (at most `cacheMs`,
 * at most `maxUsers` shoppers); concurrent requests of one shopper share one read. A failed read
 * is not cached and is thrown: nothing is published without an answer from the settings.
 *
 * How stale consent may be: collect may still publish events a shopper just switched off for up
 * to `cacheMs` after the change; ingest (`createIngestConsent`) re-reads the settings for every
 * message and drops those events, so no event received after a change is stored or learned from.
 */
export function createCollectConsent(store: Pick<PrivacyStore, 'read'>, options: CollectConsentOptions = {}): ConsentPolicy<ClientEvent> {
  const clock = options.clock ?? (() => new Date());
  const settingsOf = createCachedReads((userId) => store.read(userId), {
    cacheMs: options.cacheMs ?? 5000,
    max: options.maxUsers ?? 10_000,
    nowMs: () => clock().getTime(),
  });
  const decideAll = (settings: PrivacySettings, events: readonly ClientEvent[]) => events.map((event) => decideFor(settings, event.type));

  return {
    decide(userId, events) {
      if (events.length === 0) return [];
      const settings = settingsOf(userId);
      return settings instanceof Promise ? settings.then((known) => decideAll(known, events)) : decideAll(settings, events);
    },
  };
}

/**
 * `ingest`'s policy: no cache, the settings and the tombstones are read for every message, in one read. Drops
 * events whose type the shopper does not let be tracked, and events received before their erasure
 * (a late delivery must not bring back what was erased); says per kept event whether it may be
 * learned from. A visitor linked to a shopper is governed by the shopper's settings from the moment of
 * linking, and their events received before either's erasure are dropped: messages collected under the
 * visitor's id before the link still arrive after it. A failed read throws, so Pub/Sub redelivers the message.
 */
export function createIngestConsent(reader: StandingReader, links: LinkReader): ConsentPolicy<CollectedEvent> {
  return {
    async decide(userId, events) {
      if (events.length === 0) return [];
      const shopper = isAnonymousUserId(userId) ? await links.shopperOf(userId) : null;
      const { settings, erasedBefore } = await reader.standing(shopper ?? userId, shopper === null ? [userId] : [userId, shopper]);
      const erasedBeforeMs = erasedBefore?.getTime() ?? Number.NEGATIVE_INFINITY;
      return events.map((event) =>
        Date.parse(event.received_at) < erasedBeforeMs ? { track: false, reason: 'erased' } : decideFor(settings, event.type),
      );
    },
  };
}
