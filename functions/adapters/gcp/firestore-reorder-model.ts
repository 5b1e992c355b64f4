import type { Firestore } from '@google-cloud/firestore';
import { ReorderModel, type ReorderModelReader } from '../../kernel/reorder-model.ts';
import type { ReorderModelPublisher } from '../../patterns/ports.ts';

/** `learning_models/reorder`: the reorder model in force, one document for every shopper (no shopper's data in it). */
export const REORDER_MODEL_DOCUMENT = { collection: 'learning_models', id: 'reorder' } as const;

function modelRef(firestore: Firestore) {
  return firestore.collection(REORDER_MODEL_DOCUMENT.collection).doc(REORDER_MODEL_DOCUMENT.id);
}

/** The patterns job's side: each fitted model replaces the document whole, its version with it. */
export function createFirestoreReorderModelPublisher(firestore: Firestore): ReorderModelPublisher {
  return {
    async publish(model) {
      await modelRef(firestore).set(model);
    },
  };
}

/**
 * Search's side: the model in force, or null when none was published or the stored one is not of this code's kind
 * (a model of other cells must not be read as these): the default rule then decides.
 */
export function createFirestoreReorderModelReader(firestore: Firestore): ReorderModelReader {
  return {
    async read() {
      const snapshot = await modelRef(firestore).get();
      const parsed = ReorderModel.safeParse(snapshot.data());
      return parsed.success ? parsed.data : null;
    },
  };
}
