import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import type { PreferenceStore } from '../../functions/ingest/ports.ts';
import { learn } from '../../functions/learn/learn.ts';
import type { Preferences } from '../../functions/learn/preferences.ts';
import { legacyShardOf } from '../../functions/adapters/gcp/legacy-applied-markers.ts';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';

/**
 * The preference store as it was before applied ids moved into the preference document (at a9f9150), its
 * click-through counters left out: it marks applied ids in `preferences/{id}/applied/{0..15}`. What it wrote is
 * what a deploy of the present store finds, and during the deploy both run side by side.
 */
export function createLegacyPreferenceStore(firestore: Firestore, markerTtlDays = 8): PreferenceStore {
  const markerTtlMs = markerTtlDays * 86_400_000;
  type AppliedShard = { ids: Record<string, number>; expire_at: Timestamp };
  return {
    async apply(userId, events, now) {
      const { preferences, applied: markers, privacy } = shopperRefs(firestore, userId);
      const shardOf = new Map(events.map((e) => [e.event_id, legacyShardOf(e.event_id)]));
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
        const learning = settings?.get('learn_preferences') !== false;
        let writes = 0;
        if (learning) {
          const stored = current?.data() ?? null;
          const learned = learn(stored?.schema_version === undefined ? null : (stored as Preferences), userId, fresh, now);
          tx.set(preferences, { ...(stored ?? {}), ...learned });
          writes += 1;
        }
        const touched = new Set(fresh.map((e) => shardOf.get(e.event_id)));
        for (const [i, id] of shardIds.entries()) {
          const shardRef = shardRefs[i];
          if (!touched.has(id) || !shardRef) continue;
          const ids = Object.fromEntries(Object.entries(applied.get(id) ?? {}).filter(([, expiresAt]) => expiresAt > now.getTime()));
          tx.set(shardRef, { ids, expire_at: Timestamp.fromMillis(Math.max(...Object.values(ids))) } satisfies AppliedShard);
          writes += 1;
        }
        return { applied: learning ? fresh.length : 0, alreadyApplied: events.length - fresh.length, writes };
      });
    },
  };
}
