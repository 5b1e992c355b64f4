import { createHash, randomInt } from 'node:crypto';
import { FieldValue, Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import type { CollectedEvent } from '../../events/schema.ts';
import type { HistorySeeder, SeedOutcome } from '../../history/ports.ts';
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
  const markerTtlMs = markerTtlOf(options);
  return {
    async apply(userId, events, now): Promise<ApplyOutcome> {
      const { applied, alreadyApplied, writes } = await learnOnce(firestore, options, userId, events, now, { markedUntil: () => now.getTime() + markerTtlMs });
      return { applied, alreadyApplied, writes };
    },
  };
}

export type HistorySeederOptions = PreferenceStoreOptions & {
  /** The oldest event collect accepts, ms (`MAX_EVENT_AGE_DAYS`): until then an imported event may still arrive live. */
  liveWindowMs: number;
  /** How long a shopper stays marked as seeded by an import, ms: the window in which the import can be resumed. */
  resumeWindowMs: number;
};

/**
 * Seeding from history through the same transaction as real-time learning, so the document is what `learn` makes
 * of the same events whichever way they came. Two kinds of marks make it exact:
 * - each imported event is marked applied for as long as it could still arrive live (collect takes events up to
 *   `liveWindowMs` old) plus the marker's own time, so one sent live later finds its mark and is not learned again;
 *   one already learned live is found among the marks and skipped. An older event can no longer arrive live, and
 *   its mark is not kept;
 * - the shopper is marked as seeded by the import (`import:<id>`, for `resumeWindowMs`), in the same transaction,
 *   so a resumed import never learns the shopper twice, whatever became of the events' own marks.
 */
export function createFirestoreHistorySeeder(firestore: Firestore, options: HistorySeederOptions): HistorySeeder {
  const markerTtlMs = markerTtlOf(options);
  return {
    async seed(userId, events, now, importId): Promise<SeedOutcome> {
      const outcome = await learnOnce(firestore, options, userId, events, now, {
        markedUntil: (event) => Date.parse(event.event_time) + options.liveWindowMs + markerTtlMs,
        seededBy: { id: `${SEEDED_MARK}${importId}`, until: now.getTime() + options.resumeWindowMs },
      });
      return outcome;
    },
  };
}

/** The prefix of the mark an import leaves on a shopper it seeded; never an event id, which is a UUID. */
export const SEEDED_MARK = 'import:';

function markerTtlOf(options: PreferenceStoreOptions): number {
  return (options.markerTtlDays ?? 8) * 86_400_000;
}

/** How one learning call marks what it learned: each event until when, and the call itself when it is an import's seeding. */
type Marking = { markedUntil: (event: CollectedEvent) => number; seededBy?: { id: string; until: number } };

/**
 * The one transaction of learning: the document, the shopper's settings and the shards of the applied marks the
 * events (and the seeding mark) fall in are read; the events without a mark are learned and marked; the document,
 * the changed shards and the click-through increments are written together.
 */
async function learnOnce(
  firestore: Firestore,
  options: PreferenceStoreOptions,
  userId: string,
  events: readonly CollectedEvent[],
  now: Date,
  marking: Marking,
): Promise<SeedOutcome> {
  const counterShards = options.counterShards ?? 10;
  const { preferences, applied: markers, privacy } = shopperRefs(firestore, userId);
  // The shards are the shopper's own (`preferences/{id}/applied`): an event_id is looked up among this
  // shopper's applied events only, so the marker's identity is (user_id, event_id) and another's same id is new.
  const shardOf = new Map(events.map((e) => [e.event_id, appliedShardOf(e.event_id)]));
  const seededShard = marking.seededBy ? appliedShardOf(marking.seededBy.id) : null;
  const shardIds = [...new Set([...shardOf.values(), ...(seededShard === null ? [] : [seededShard])])];
  const shardRefs = shardIds.map((id) => markers.doc(id));

  return firestore.runTransaction(async (tx) => {
    const [current, settings, ...shardSnapshots] = await tx.getAll(preferences, privacy, ...shardRefs);
    const applied = new Map(shardIds.map((id, i) => [id, { ...((shardSnapshots[i]?.get('ids') ?? {}) as AppliedShard['ids']) }]));
    const nothing = (seededBefore: boolean): SeedOutcome => ({ applied: 0, alreadyApplied: seededBefore ? 0 : events.length, seededBefore, writes: 0 });
    const { seededBy } = marking;
    if (seededBy && seededShard !== null && seededBy.id in (applied.get(seededShard) ?? {})) return nothing(true);

    const touched = new Set<string>();
    const fresh: CollectedEvent[] = [];
    for (const event of events) {
      const shard = shardOf.get(event.event_id) ?? '';
      const ids = applied.get(shard);
      if (!ids || event.event_id in ids) continue;
      // Marked even when the mark is not kept: a repeat within this call is then a repeat too.
      ids[event.event_id] = marking.markedUntil(event);
      touched.add(shard);
      fresh.push(event);
    }
    if (seededBy && seededShard !== null) {
      (applied.get(seededShard) ?? {})[seededBy.id] = seededBy.until;
      touched.add(seededShard);
    }
    if (touched.size === 0) return nothing(false);

    // Consent was checked before this message was stored, but learning may have been switched off since:
    // reading the flag here, in the transaction, means a document the switch deleted is never re-created.
    // The events are still marked applied, so turning learning back on never learns them late.
    const learning = settings?.get('learn_preferences') !== false;
    let writes = 0;
    if (learning && fresh.length > 0) {
      const stored = current?.data() ?? null;
      const learned = options.learn(learnedPreferences(stored), userId, fresh, now);
      // Keep fields other writers own (the batch job's `patterns`); replace what learning owns.
      tx.set(preferences, { ...(stored ?? {}), ...learned });
      writes += 1;
    }

    for (const [i, id] of shardIds.entries()) {
      if (!touched.has(id)) continue;
      const ids = Object.fromEntries(Object.entries(applied.get(id) ?? {}).filter(([, expiresAt]) => expiresAt > now.getTime()));
      const shardRef = shardRefs[i];
      if (!shardRef) continue;
      // A shard whose marks have all run out (old imported events) is deleted rather than kept empty.
      if (Object.keys(ids).length === 0) {
        if (shardSnapshots[i]?.exists) {
          tx.delete(shardRef);
          writes += 1;
        }
        continue;
      }
      // The document expires (Firestore TTL) once its newest id has: a shopper who left leaves nothing behind.
      tx.set(shardRef, { ids, expire_at: Timestamp.fromMillis(Math.max(...Object.values(ids))) } satisfies AppliedShard);
      writes += 1;
    }
    // One write per query, all its positions together: a search shows many results.
    for (const [query, increments] of groupByQuery(options.clickThrough(fresh))) {
      tx.set(counterShard(firestore, query, randomInt(counterShards)), counterUpdate(query, increments), { merge: true });
      writes += 1;
    }
    return { applied: learning ? fresh.length : 0, alreadyApplied: events.length - fresh.length, seededBefore: false, writes };
  });
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
