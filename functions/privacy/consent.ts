import type { ClientEvent, CollectedEvent } from '../events/schema.ts';
import { createCachedReads } from '../kernel/cached-reads.ts';
import type { Clock, ConsentDecision, ConsentPolicy } from '../kernel/ports.ts';
import type { PrivacyStore, Standing } from './ports.ts';
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
 * to `cacheMs` after the change; ingest (`decideIngestConsent`) decides again from the settings its
 * learning transaction reads for every message, and drops those events, so no event received after a change is stored or learned from.
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
 * `ingest`'s decisions, from a standing its learning transaction read with the preference document (no cache: read
 * for every message). Drops events whose type the shopper does not let be tracked, and events received before their
 * erasure (a late delivery must not bring back what was erased); says per kept event whether it may be learned from.
 * For a visitor linked to a shopper the standing is the shopper's settings and both tombstones: the shopper's settings
 * govern from the moment of linking, and messages collected under the visitor's id before the link still arrive after it.
 */
export function decideIngestConsent(standing: Standing, events: readonly CollectedEvent[]): ConsentDecision[] {
  const erasedBeforeMs = standing.erasedBefore?.getTime() ?? Number.NEGATIVE_INFINITY;
  return events.map((event) =>
    Date.parse(event.received_at) < erasedBeforeMs ? { track: false, reason: 'erased' } : decideFor(standing.settings, event.type),
  );
}
