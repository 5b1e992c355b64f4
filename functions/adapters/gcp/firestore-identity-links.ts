import type { DocumentSnapshot, Firestore } from '@google-cloud/firestore';
import type { IdentityLink, IdentityLinks } from '../../identity/ports.ts';
import type { LinkReader } from '../../kernel/ports.ts';
import type { Preferences } from '../../learn/preferences.ts';
import { APPLIED_IDS_FIELD, appliedIdOf, appliedIds } from './applied-ids.ts';
import { learnedPreferences } from './firestore-preference-store.ts';
import { createLegacyMarkerCheck, LEGACY_APPLIED_SHARDS, type LegacyMarkers } from './legacy-applied-markers.ts';
import { shopperRefs } from './shopper-documents.ts';

/** `mergePreferences` (functions/learn/merge.ts), given by the function that builds the store. */
export type MergeFn = (visitor: Preferences, shopper: Preferences | null, userId: string, now: Date) => Preferences;

/**
 * The links between anonymous visitors and shoppers, `links/{visitor's document id}` = `{ anonymous_id, user_id,
 * linked_at }`. Linking is one transaction: the link, what was learned about the visitor merged into the shopper's
 * preference document, the visitor's applied ids added to the shopper's in it (so that an event the client sends
 * again under the shopper's token, or a redelivered message of the visitor, which now learns into the shopper's
 * document, is not learned twice), and the visitor's preference and privacy documents deleted: from the moment of
 * linking the shopper's settings govern. While marks of the earlier layout may be live, the visitor's are taken in
 * too.
 */
export function createFirestoreIdentityLinks(
  firestore: Firestore,
  options: { merge: MergeFn; legacyMarkers?: LegacyMarkers },
): IdentityLinks {
  const legacy = options.legacyMarkers ?? createLegacyMarkerCheck(firestore);
  return {
    ...createFirestoreLinkReader(firestore),

    async link(anonymousId, userId, now) {
      const visitor = shopperRefs(firestore, anonymousId);
      const shopper = shopperRefs(firestore, userId);
      // Every shard by its id, not a query of the visitor's: a transaction's query locks more than its documents.
      const legacyShards = (await legacy.mayExist(now))
        ? Array.from({ length: LEGACY_APPLIED_SHARDS }, (_, shard) => visitor.applied.doc(String(shard)))
        : [];
      return firestore.runTransaction(async (tx) => {
        const [stored, visitorDocument, shopperDocument, settings, ...visitorShards] = await tx.getAll(
          visitor.link,
          visitor.preferences,
          shopper.preferences,
          shopper.privacy,
          ...legacyShards,
        );
        const earlier = stored ? linkOf(stored) : null;
        if (earlier)
          return earlier.user_id === userId ? { kind: 'already_linked' as const, link: earlier } : { kind: 'linked_elsewhere' as const };

        const link: IdentityLink = { anonymous_id: anonymousId, user_id: userId, linked_at: now.toISOString() };
        const current = shopperDocument?.exists ? (shopperDocument.data() ?? null) : null;
        const visitorData = visitorDocument?.exists ? visitorDocument.data() : undefined;
        const applied = appliedIds(current?.[APPLIED_IDS_FIELD]);
        applied.addStored(visitorData?.[APPLIED_IDS_FIELD]);
        for (const shard of visitorShards)
          for (const [eventId, expiresAt] of legacyIds(shard)) applied.add(appliedIdOf(eventId), expiresAt);
        const { value } = applied.toStored(now.getTime());
        const learned = learnedPreferences(visitorData);
        const merged =
          learned && settings?.get('learn_preferences') !== false ? options.merge(learned, learnedPreferences(current), userId, now) : {};
        // Keep fields other writers own (the batch job's `patterns`); replace what learning owns.
        if (Object.keys(value).length > 0 || Object.keys(merged).length > 0)
          tx.set(shopper.preferences, { ...current, ...merged, [APPLIED_IDS_FIELD]: value });
        tx.delete(visitor.preferences);
        tx.delete(visitor.privacy);
        tx.set(visitor.link, link);
        return { kind: 'linked' as const, link };
      });
    },
  };
}

/** Which shopper a visitor was linked to, and nothing else: what collect needs of the links. */
export function createFirestoreLinkReader(firestore: Firestore): LinkReader {
  return {
    async shopperOf(anonymousId) {
      return linkOf(await shopperRefs(firestore, anonymousId).link.get())?.user_id ?? null;
    },
  };
}

function linkOf(snapshot: DocumentSnapshot): IdentityLink | null {
  const [anonymous_id, user_id, linked_at] = ['anonymous_id', 'user_id', 'linked_at'].map((field) => snapshot.get(field) as unknown);
  return typeof anonymous_id === 'string' && typeof user_id === 'string' && typeof linked_at === 'string'
    ? { anonymous_id, user_id, linked_at }
    : null;
}

/** The live event ids of a shard of the earlier layout, with when each mark runs out (ms). */
function legacyIds(shard: DocumentSnapshot | undefined): [string, number][] {
  const ids: unknown = shard?.get('ids');
  if (typeof ids !== 'object' || ids === null) return [];
  return Object.entries(ids).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
}
