import { createHash, randomInt } from 'node:crypto';
import { FieldValue, Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import type { CollectedEvent } from '../../events/schema.ts';
import type { ApplyOutcome, PreferenceStore } from '../../ingest/ports.ts';
import type { Preferences } from '../../learn/preferences.ts';
import type { ClickThroughIncrement } from '../../learn/click-through.ts';
import { COLLECTIONS, shopperRefs } from './shopper-documents.ts';

export { COLLECTIONS } from './shopper-documents.ts';

export type LearnFn = (current: Preferences | null, userId: string, events: readonly CollectedEvent[], now: Date) => Preferences;
export type ClickThroughFn = (events: readonly CollectedEvent[]) => ClickThroughIncrement[];

export type PreferenceStoreOptions = {
  learn: LearnFn;
  clickThrough: ClickThroughFn;
  /** How long an applied event id is remembered; must outlast Pub/Sub's redelivery window (7 days). Default 8 days. */
  markerTtlDays?: number;
  /** Shards per query's click-through counter: one Firestore document takes about one sustained write a second. Default 10. */
  counterShards?: number;
};

/**
 * Applied event ids are spread over 16 documents by a hash of the id, so a message touches at most
 * 16 of them whatever its size: writes per event fall well under one for batched requests, and
 * each document stays far below Firestore's 1 MiB (about 20,000 ids each within the TTL window).
 */
export const APPLIED_SHARDS = 16;

type AppliedShard = { ids: Record<string, number>; expire_at: Timestamp };

export function appliedShardOf(eventId: string): string {
  return String(parseInt(createHash('sha256').update(eventId).digest('hex').slice(0, 4), 16) % APPLIED_SHARDS);
}

/**
 * Learning as one Firestore transaction per message: read the document and the applied-id shards
 * the message's events fall in, learn from the events not seen before, and write the document,
 * the shards (with the new ids, expired ones dropped) and the click-through increments together.
 * A redelivered or resent event finds its id and changes nothing.
 */
export function createFirestorePreferenceStore(firestore: Firestore, options: PreferenceStoreOptions): PreferenceStore {
  const markerTtlMs = (options.markerTtlDays ?? 8) * 86_400_000;
  const counterShards = options.counterShards ?? 10;

  return {
    async apply(userId, events, now): Promise<ApplyOutcome> {
      const { preferences, applied: markers, privacy } = shopperRefs(firestore, userId);
      // The shards are the shopper's own (`preferences/{id}/applied`): an event_id is looked up among this
      // shopper's applied events only, so the marker's identity is (user_id, event_id) and another's same id is new.
      const shardOf = new Map(events.map((e) => [e.event_id, appliedShardOf(e.event_id)]));
      const shardIds = [...new Set(shardOf.values())];
      const shardRefs = shardIds.map((id) => markers.doc(id));

      return firestore.runTransaction(async (tx) => {
        const [current, settings, ...shardSnapshots] = await tx.getAll(preferences, privacy, ...shardRefs);
        const applied = new Map(shardIds.map((id, i) => [id, { ...((shardSnapshots[i]?.get('ids') ?? {}) as AppliedShard['ids']) }]));
        const fresh: CollectedEvent[] = [];
        for (const event of events) {
          const ids = applied.get(shardOf.get(event.event_id) ?? '');
          if (!ids || event.event_id in ids) continue;
          ids[event.event_id] = now.getTime() + markerTtlMs;
          fresh.push(event);
        }
        if (fresh.length === 0) return { applied: 0, alreadyApplied: events.length, writes: 0 };

        // Consent was checked before this message was stored, but learning may have been switched off since:
        // reading the flag here, in the transaction, means a document the switch deleted is never re-created.
        // The events are still marked applied, so turning learning back on never learns them late.
        const learning = settings?.get('learn_preferences') !== false;
        let writes = 0;
        if (learning) {
          const stored = current?.data() ?? null;
          const learned = options.learn(learnedPreferences(stored), userId, fresh, now);
          // Keep fields other writers own (the batch job's `patterns`); replace what learning owns.
          tx.set(preferences, { ...(stored ?? {}), ...learned });
          writes += 1;
        }

        const touched = new Set(fresh.map((e) => shardOf.get(e.event_id)));
        for (const [i, id] of shardIds.entries()) {
          if (!touched.has(id)) continue;
          const ids = Object.fromEntries(Object.entries(applied.get(id) ?? {}).filter(([, expiresAt]) => expiresAt > now.getTime()));
          const shardRef = shardRefs[i];
          if (!shardRef) continue;
          // The document expires (Firestore TTL) once its newest id has: a shopper who left leaves nothing behind.
          tx.set(shardRef, { ids, expire_at: Timestamp.fromMillis(Math.max(...Object.values(ids))) } satisfies AppliedShard);
          writes += 1;
        }
        // One write per query, all its positions together: a search shows many results.
        for (const [query, increments] of groupByQuery(options.clickThrough(fresh))) {
          tx.set(counterShard(firestore, query, randomInt(counterShards)), counterUpdate(query, increments), { merge: true });
          writes += 1;
        }
        return { applied: learning ? fresh.length : 0, alreadyApplied: events.length - fresh.length, writes };
      });
    },
  };
}

/** Query texts can hold any character; a hash makes a valid, bounded document id. */
export function queryKey(normalizedQuery: string): string {
  return createHash('sha256').update(normalizedQuery).digest('hex').slice(0, 32);
}

function counterShard(firestore: Firestore, query: string, shard: number): DocumentReference {
  return firestore.collection(COLLECTIONS.clickThrough).doc(queryKey(query)).collection(COLLECTIONS.shards).doc(String(shard));
}

function groupByQuery(increments: readonly ClickThroughIncrement[]): Map<string, ClickThroughIncrement[]> {
  const byQuery = new Map<string, ClickThroughIncrement[]>();
  for (const increment of increments) {
    const group = byQuery.get(increment.query);
    if (group) group.push(increment);
    else byQuery.set(increment.query, [increment]);
  }
  return byQuery;
}

/**
 * The learned part of a stored preference document, or null when learning has not run yet: a
 * document the batch job created first holds only its own fields.
 */
export function learnedPreferences(data: Record<string, unknown> | null | undefined): Preferences | null {
  return data?.schema_version === undefined ? null : (data as Preferences);
}

function counterUpdate(query: string, increments: readonly ClickThroughIncrement[]) {
  const positions = Object.fromEntries(
    increments.map((i) => [String(i.position), { impressions: FieldValue.increment(i.impressions), clicks: FieldValue.increment(i.clicks) }]),
  );
  return { query, positions };
}

/** Sums a query's shards: impressions and clicks per position. */
export async function readClickThrough(firestore: Firestore, normalizedQuery: string): Promise<Record<string, { impressions: number; clicks: number }>> {
  const snapshot = await firestore.collection(COLLECTIONS.clickThrough).doc(queryKey(normalizedQuery)).collection(COLLECTIONS.shards).get();
  const totals: Record<string, { impressions: number; clicks: number }> = {};
  for (const doc of snapshot.docs) {
    const positions = (doc.get('positions') ?? {}) as Record<string, { impressions?: number; clicks?: number }>;
    for (const [position, counts] of Object.entries(positions)) {
      const total = (totals[position] ??= { impressions: 0, clicks: 0 });
      total.impressions += counts.impressions ?? 0;
      total.clicks += counts.clicks ?? 0;
    }
  }
  return totals;
}
