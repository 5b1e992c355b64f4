import type { DocumentReference, DocumentSnapshot, Firestore } from '@google-cloud/firestore';
import type { ShopperGate, ShopperStanding } from '../../history/ports.ts';
import type { PrivacyStore } from '../../privacy/ports.ts';
import type { UserHasher } from '../../privacy/user-hash.ts';
import { TOMBSTONES_COLLECTION } from './firestore-privacy-store.ts';

/** Firestore takes at most 500 documents per batched read; 300 keeps each answer small. */
const GET_ALL_CHUNK = 300;

/**
 * The standing of a history import's shoppers: their settings (the privacy store's, a tombstone's for an erased
 * shopper) and whether a tombstone exists, which a pending erasure and a completed one both leave.
 */
export function createFirestoreShopperGate(
  firestore: Firestore,
  options: { privacy: Pick<PrivacyStore, 'readMany'>; hashUser: UserHasher },
): ShopperGate {
  return {
    async standing(userIds) {
      const ids = [...new Set(userIds)];
      const [settings, tombstones] = await Promise.all([
        options.privacy.readMany(ids),
        getAll(
          firestore,
          ids.map((id) => firestore.collection(TOMBSTONES_COLLECTION).doc(options.hashUser(id))),
        ),
      ]);
      const standing = new Map<string, ShopperStanding>();
      for (const [i, id] of ids.entries()) {
        const stored = settings.get(id);
        if (!stored) throw new Error('the privacy store answered no settings for a shopper asked about');
        const { updated_at: _updatedAt, ...privacy } = stored;
        standing.set(id, { settings: privacy, erased: tombstones[i]?.exists === true });
      }
      return standing;
    },
  };
}

async function getAll(firestore: Firestore, refs: DocumentReference[]): Promise<DocumentSnapshot[]> {
  const snapshots: DocumentSnapshot[] = [];
  for (let i = 0; i < refs.length; i += GET_ALL_CHUNK) snapshots.push(...(await firestore.getAll(...refs.slice(i, i + GET_ALL_CHUNK))));
  return snapshots;
}
