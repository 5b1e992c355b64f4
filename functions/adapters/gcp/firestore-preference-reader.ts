import type { Firestore } from '@google-cloud/firestore';
import { createFirestorePreferenceDocumentReader } from './firestore-preference-document.ts';
import type { PreferenceReader } from '../../learn/preference-document.ts';

/** The learned part of `preferences/{userId}`, read as search reads the whole document; null when nothing was learned. */
export function createFirestorePreferenceReader(firestore: Firestore): PreferenceReader {
  const documents = createFirestorePreferenceDocumentReader(firestore);
  return {
    async read(userId) {
      return (await documents.read(userId))?.learned ?? null;
    },
  };
}
