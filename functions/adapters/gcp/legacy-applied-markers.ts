import { createHash } from 'node:crypto';
import { Timestamp, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from './shopper-documents.ts';

/**
 * The layout before applied ids moved into the preference document: `preferences/{id}/applied/{0..15}`, each
 * `{ ids: { [event_id]: expiry ms }, expire_at }`, the shard chosen by a hash of the id. Those documents are no
 * longer written, but a message learned under that layout may be delivered again until its marks run out
 * (`MARKER_TTL_DAYS` after it was learned): until then learning reads the shards of a message's events too.
 * Once no mark is left anywhere, nothing here is read, and this file can go.
 */
export const LEGACY_APPLIED_SHARDS = 16;

export function legacyShardOf(eventId: string): string {
  return String(parseInt(createHash('sha256').update(eventId).digest('hex').slice(0, 4), 16) % LEGACY_APPLIED_SHARDS);
}

/** Whether an event id is among a legacy shard's, as the old code read them: a mark counts until TTL deletes it. */
export function legacyMarked(shard: DocumentSnapshot | undefined, eventId: string): boolean {
  const ids: unknown = shard?.get('ids');
  return typeof ids === 'object' && ids !== null && Object.hasOwn(ids, eventId);
}

/** Whether any shopper may still have a live legacy mark. */
export type LegacyMarkers = { mayExist(now: Date): Promise<boolean> };

/** How long one answer is trusted: a rollback to the old code would write legacy marks again. */
const RECHECK_MS = 3_600_000;

/**
 * Asks Firestore, at most once an hour per instance, whether any legacy shard is still live (one read: a
 * collection-group query on `expire_at`, indexed for this in infra/firestore.ts). An answer that fails counts
 * as "yes": reading the shards costs a little, learning an event twice cannot be undone.
 */
export function createLegacyMarkerCheck(firestore: Firestore): LegacyMarkers {
  let known: { live: boolean; at: number } | null = null;
  let asking: Promise<boolean> | null = null;
  const ask = async (nowMs: number): Promise<boolean> => {
    const live = await firestore
      .collectionGroup(COLLECTIONS.applied)
      .where('expire_at', '>', Timestamp.fromMillis(nowMs))
      .limit(1)
      .select()
      .get()
      .then((snapshot) => !snapshot.empty);
    known = { live, at: nowMs };
    return live;
  };
  return {
    mayExist(now) {
      const nowMs = now.getTime();
      if (known !== null && Math.abs(nowMs - known.at) < RECHECK_MS) return Promise.resolve(known.live);
      asking ??= ask(nowMs)
        .catch(() => true)
        .finally(() => (asking = null));
      return asking;
    },
  };
}
