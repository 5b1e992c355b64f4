import type { Firestore } from '@google-cloud/firestore';
import type { ImportLedger } from '../../history/ports.ts';

/**
 * `imports/{importId}`: how far each history import got, and its report once done. It names the file and counts
 * what was read, rejected and learned; it holds no shopper's id.
 */
export const IMPORTS_COLLECTION = 'imports';

/** The ids the import makes (`imp-` and hex): never a path of anyone's choosing. */
const IMPORT_ID = /^imp-[0-9a-f]{24}$/;

export function createFirestoreImportLedger<Record extends object>(firestore: Firestore): ImportLedger<Record> {
  const doc = (importId: string) => {
    if (!IMPORT_ID.test(importId)) throw new RangeError('not an import id');
    return firestore.collection(IMPORTS_COLLECTION).doc(importId);
  };
  return {
    async get(importId) {
      if (!IMPORT_ID.test(importId)) return null;
      const snapshot = await doc(importId).get();
      return snapshot.exists ? (snapshot.data() as Record) : null;
    },
    async put(importId, record) {
      await doc(importId).set(record);
    },
  };
}
