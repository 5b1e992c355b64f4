import type { CollectionReference, DocumentReference, Firestore } from '@google-cloud/firestore';
import { shopperDocumentId } from '../../kernel/shopper-id.ts';

export const COLLECTIONS = {
  preferences: 'preferences',
  /** Subcollection of a preference document: the applied event ids, in APPLIED_SHARDS documents. */
  applied: 'applied',
  clickThrough: 'click_through',
  shards: 'shards',
  /** `privacy/{id}`: the shopper's settings (firestore-privacy-store.ts owns them; learning reads one flag). */
  privacy: 'privacy',
} as const;

/** The Firestore documents of one shopper, each under the shopper's document id. */
export type ShopperRefs = {
  /** `preferences/{id}`: what was learned, and the batch patterns. */
  preferences: DocumentReference;
  /** `preferences/{id}/applied`: the applied-event markers, one document per shard. */
  applied: CollectionReference;
  /** `privacy/{id}`: the shopper's settings. */
  privacy: DocumentReference;
};

/**
 * The only place a shopper id becomes part of a Firestore path, and only as `shopperDocumentId`:
 * no id can name another shopper's document, a subcollection, or a reserved one.
 */
export function shopperRefs(firestore: Firestore, userId: string): ShopperRefs {
  const id = shopperDocumentId(userId);
  const preferences = firestore.collection(COLLECTIONS.preferences).doc(id);
  return { preferences, applied: preferences.collection(COLLECTIONS.applied), privacy: firestore.collection(COLLECTIONS.privacy).doc(id) };
}
