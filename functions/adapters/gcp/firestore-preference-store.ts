import { createHash, randomInt } from 'node:crypto';
import { FieldValue, Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import type { CollectedEvent } from '../../events/schema.ts';
import type { ApplyOutcome, PreferenceStore } from '../../ingest/ports.ts';
import type { Preferences } from '../../learn/preferences.ts';
import type { ClickThroughIncrement } from '../../learn/click-through.ts';

export type LearnFn = (current: Preferences | null, userId: string, events: readonly CollectedEvent[], now: Date) => Preferences;
export type ClickThroughFn = (events: readonly CollectedEvent[]) => ClickThroughIncrement[];

export type PreferenceStoreOptions = {
  learn: LearnFn;
  clickThrough: ClickThroughFn;
  /** How long an applied-event marker is kept; must outlast Pub/Sub's redelivery window (7 days). Default 8 days. */
  markerTtlDays?: number;
  /** Shards per query's click-through counter: one Firestore document takes about one sustained write a second. Default 10. */
  counterShards?: number;
};

export const COLLECTIONS = {
  preferences: 'preferences',
  /** Subcollection of a preference document: one marker per applied event id, with a TTL field. */
  applied: 'applied',
  clickThrough: 'click_through',
  shards: 'shards',
} as const;

/**
 * Learning as one Firestore transaction per message: read the document and the markers of the
 * message's events, learn from the events without a marker, write the document, the markers and
 * the click-through increments together. A redelivered message finds its markers and changes nothing.
 */
export function createFirestorePreferenceStore(firestore: Firestore, options: PreferenceStoreOptions): PreferenceStore {
  const markerTtlMs = (options.markerTtlDays ?? 8) * 86_400_000;
  const shards = options.counterShards ?? 10;

  return {
    async apply(userId, events, now): Promise<ApplyOutcome> {
      const preferences = firestore.collection(COLLECTIONS.preferences).doc(userId);
      const markers = events.map((e) => preferences.collection(COLLECTIONS.applied).doc(e.event_id));
      return firestore.runTransaction(async (tx) => {
        const [current, ...applied] = await tx.getAll(preferences, ...markers);
        const fresh = events.filter((_, i) => !applied[i]?.exists);
        if (fresh.length === 0) return { applied: 0, alreadyApplied: events.length };

        const stored = current?.exists ? (current.data() as Partial<Preferences> & Record<string, unknown>) : null;
        // A document the batch job created before any real-time learning holds only its own fields.
        const learnedBefore = stored?.schema_version === undefined ? null : (stored as Preferences);
        const learned = options.learn(learnedBefore, userId, fresh, now);
        // Keep fields other writers own (the batch job's `patterns`); replace what learning owns.
        tx.set(preferences, { ...(stored ?? {}), ...learned });
        const expireAt = Timestamp.fromMillis(now.getTime() + markerTtlMs);
        for (const event of fresh) {
          tx.create(preferences.collection(COLLECTIONS.applied).doc(event.event_id), { expire_at: expireAt, event_time: event.event_time });
        }
        for (const increment of options.clickThrough(fresh)) {
          tx.set(counterShard(firestore, increment.query, randomInt(shards)), counterUpdate(increment), { merge: true });
        }
        return { applied: fresh.length, alreadyApplied: events.length - fresh.length };
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

function counterUpdate(increment: ClickThroughIncrement) {
  const position = String(increment.position);
  return {
    query: increment.query,
    positions: {
      [position]: {
        impressions: FieldValue.increment(increment.impressions),
        clicks: FieldValue.increment(increment.clicks),
      },
    },
  };
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
