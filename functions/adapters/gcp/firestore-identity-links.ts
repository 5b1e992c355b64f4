import type { DocumentSnapshot, Firestore } from '@google-cloud/firestore';
import type { IdentityLink, IdentityLinks } from '../../identity/ports.ts';
import type { Preferences } from '../../learn/preferences.ts';
import { learnedPreferences, liveShard, type AppliedShard } from './firestore-preference-store.ts';
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
    async shopperOf(anonymousId) {
      return linkOf(await shopperRefs(firestore, anonymousId).link.get())?.user_id ?? null;
    },

    async link(anonymousId, userId, now) {
      const visitor = shopperRefs(firestore, anonymousId);
      const shopper = shopperRefs(firestore, userId);
      return firestore.runTransaction(async (tx) => {
        const visitorShards = await tx.get(visitor.applied);
        const shardIds = visitorShards.docs.map((doc) => doc.id);
        const [stored, visitorDocument, shopperDocument, settings, ...shopperShards] = await tx.getAll(
          visitor.link,
          visitor.preferences,
          shopper.preferences,
          shopper.privacy,
          ...shardIds.map((id) => shopper.applied.doc(id)),
        );
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
          const united = liveShard({ ...idsOf(shopperShards[i]), ...laterOf(idsOf(visitorShards.docs[i]), idsOf(shopperShards[i])) }, now.getTime());
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
