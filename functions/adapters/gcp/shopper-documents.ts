import type { CollectionReference, DocumentReference, Firestore, Query } from '@google-cloud/firestore';
import { shopperDocumentId } from '../../kernel/shopper-id.ts';

export const COLLECTIONS = {
  preferences: 'preferences',
  /** Subcollection of a preference document: the applied event ids of the layout before `applied_ids` (legacy-applied-markers.ts). */
  applied: 'applied',
  /** `privacy/{id}`: the shopper's settings (firestore-privacy-store.ts owns them; learning reads one flag). */
  privacy: 'privacy',
  /** `links/{id}`: the shopper an anonymous visitor was linked to (firestore-identity-links.ts owns them). */
  links: 'links',
} as const;

/** The Firestore documents of one shopper, each under the shopper's document id. */
export type ShopperRefs = {
  /** `preferences/{id}`: what was learned, and the batch patterns. */
  preferences: DocumentReference;
  /** `preferences/{id}/applied`: applied-event markers of the earlier layout, one document per shard, read until they run out. */
  applied: CollectionReference;
  /** `privacy/{id}`: the shopper's settings. */
  privacy: DocumentReference;
  /** `links/{id}`: for an anonymous visitor, the shopper they were linked to. */
  link: DocumentReference;
};

/**
 * The only place a shopper id becomes part of a Firestore path, and only as `shopperDocumentId`:
 * no id can name another shopper's document, a subcollection, or a reserved one.
 */
export function shopperRefs(firestore: Firestore, userId: string): ShopperRefs {
  const id = shopperDocumentId(userId);
  const preferences = firestore.collection(COLLECTIONS.preferences).doc(id);
  return {
    preferences,
    applied: preferences.collection(COLLECTIONS.applied),
    privacy: firestore.collection(COLLECTIONS.privacy).doc(id),
    link: firestore.collection(COLLECTIONS.links).doc(id),
  };
}

/** The links of the visitors linked to a shopper: the shopper's id is a field's value here, never a path. */
export function linksOfShopper(firestore: Firestore, userId: string): Query {
  return firestore.collection(COLLECTIONS.links).where('user_id', '==', userId);
}
