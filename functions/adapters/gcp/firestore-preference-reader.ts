import type { Firestore } from '@google-cloud/firestore';
import type { Preferences } from '../../learn/preferences.ts';
import type { PreferenceReader } from '../../users/ports.ts';
import { COLLECTIONS } from './firestore-preference-store.ts';

export function createFirestorePreferenceReader(firestore: Firestore): PreferenceReader {
  return {
    async read(userId) {
      const snapshot = await firestore.collection(COLLECTIONS.preferences).doc(userId).get();
      const data = snapshot.data();
      // A document with only the batch job's fields has nothing learned in real time yet.
      return data?.schema_version === undefined ? null : (data as Preferences);
    },
  };
}
