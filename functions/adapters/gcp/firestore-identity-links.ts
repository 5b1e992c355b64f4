import type { DocumentSnapshot, Firestore } from '@google-cloud/firestore';
import type { IdentityLink, IdentityLinks } from '../../identity/ports.ts';
import type { LinkReader } from '../../kernel/ports.ts';
import type { Preferences } from '../../learn/preferences.ts';
import { APPLIED_SHARDS, learnedPreferences, liveShard, type AppliedShard } from './firestore-preference-store.ts';
import { shopperRefs } from './shopper-documents.ts';

/** `mergePreferences` (functions/learn/merge.ts), given by the function that builds the store. */
export type MergeFn = (visitor: Preferences, shopper: Preferences | null, userId: string, now: Date) => Preferences;

/**
 * The links between anonymous visitors and shoppers, `links/{visitor's document id}` = `{ anonymous_id, user_id,
 * linked_at }`. Linking is one transaction: the link, what was learned about the visitor merged into the shopper's
 * preference document, the visitor's applied-event markers copied beside the shopper's (so that an event the client
 * sends again under the shopper's token, or a redelivered message of the visitor, which now learns into the shopper's
 * document, is not learned twice), and the visitor's preference and privacy documents deleted: from the moment of
 * linking the shopper's settings govern. The visitor's own markers stay until their TTL.
 */
export function createFirestoreIdentityLinks(firestore: Firestore, options: { merge: MergeFn }): IdentityLinks {
  return {
    ...createFirestoreLinkReader(firestore),

    async link(anonymousId, userId, now) {
      const visitor = shopperRefs(firestore, anonymousId);
      const shopper = shopperRefs(firestore, userId);
      // Every shard by its id, not a query of the visitor's: a transaction's query locks more than its documents.
      const shardIds = Array.from({ length: APPLIED_SHARDS }, (_, shard) => String(shard));
      return firestore.runTransaction(async (tx) => {
        const [stored, visitorDocument, shopperDocument, settings, ...shards] = await tx.getAll(
          visitor.link,
          visitor.preferences,
          shopper.preferences,
          shopper.privacy,
          ...shardIds.map((id) => visitor.applied.doc(id)),
          ...shardIds.map((id) => shopper.applied.doc(id)),
        );
        const [visitorShards, shopperShards] = [shards.slice(0, APPLIED_SHARDS), shards.slice(APPLIED_SHARDS)];
        const earlier = stored ? linkOf(stored) : null;
        if (earlier) return earlier.user_id === userId ? { kind: 'already_linked' as const, link: earlier } : { kind: 'linked_elsewhere' as const };

        const link: IdentityLink = { anonymous_id: anonymousId, user_id: userId, linked_at: now.toISOString() };
        const learned = learnedPreferences(visitorDocument?.data());
        if (learned && settings?.get('learn_preferences') !== false) {
          const current = shopperDocument?.data() ?? null;
          // Keep fields other writers own (the batch job's `patterns`); replace what learning owns.
          tx.set(shopper.preferences, { ...(current ?? {}), ...options.merge(learned, learnedPreferences(current), userId, now) });
        }
        for (const [i, id] of shardIds.entries()) {
          const taken = idsOf(visitorShards[i]);
          if (Object.keys(taken).length === 0) continue;
          const united = liveShard({ ...idsOf(shopperShards[i]), ...laterOf(taken, idsOf(shopperShards[i])) }, now.getTime());
          if (united) tx.set(shopper.applied.doc(id), united);
        }
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
  return typeof anonymous_id === 'string' && typeof user_id === 'string' && typeof linked_at === 'string' ? { anonymous_id, user_id, linked_at } : null;
}

function idsOf(shard: DocumentSnapshot | undefined): AppliedShard['ids'] {
  return (shard?.get('ids') ?? {}) as AppliedShard['ids'];
}

/** The ids of `more`, each with the later of its two expiries. */
function laterOf(more: AppliedShard['ids'], known: AppliedShard['ids']): AppliedShard['ids'] {
  return Object.fromEntries(Object.entries(more).map(([id, expiresAt]) => [id, Math.max(expiresAt, known[id] ?? 0)]));
}
