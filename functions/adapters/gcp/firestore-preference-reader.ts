import type { Firestore } from '@google-cloud/firestore';
import type { PreferenceReader } from '../../users/ports.ts';
import { COLLECTIONS, learnedPreferences } from './firestore-preference-store.ts';

export function createFirestorePreferenceReader(firestore: Firestore): PreferenceReader {
  return {
    async read(userId) {
      const snapshot = await firestore.collection(COLLECTIONS.preferences).doc(userId).get();
      return learnedPreferences(snapshot.data());
    },
  };
}
