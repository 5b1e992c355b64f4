import { describe, expect, it } from 'vitest';
import {
  createFirestoreReorderModelPublisher,
  createFirestoreReorderModelReader,
  REORDER_MODEL_DOCUMENT,
} from '../../../functions/adapters/gcp/firestore-reorder-model.ts';
import { emulatorFirestore } from '../../support/firestore.ts';
import { reorderModelWhere } from '../../support/reorder-models.ts';

// On the Firestore emulator: the patterns job publishes the model in force, search reads it back whole.
describe('the reorder model in Firestore', () => {
  // A project of its own: the model is one document, which other tests' patterns jobs publish too.
  const firestore = emulatorFirestore('demo-reorder-model');
  const document = firestore.collection(REORDER_MODEL_DOCUMENT.collection).doc(REORDER_MODEL_DOCUMENT.id);

  it('is read back as published, and each publication replaces the last whole', async () => {
    const publisher = createFirestoreReorderModelPublisher(firestore);
    const reader = createFirestoreReorderModelReader(firestore);
    await publisher.publish(reorderModelWhere((c) => c.cycle_bin === 4, 'run-1'));
    const second = reorderModelWhere((c) => c.cycle_bin === 5, 'run-2');
    await publisher.publish(second);
    expect(await reader.read()).toEqual(second);
  });

  it('reads as no model when none was published, or when the stored one is of other cells', async () => {
    const reader = createFirestoreReorderModelReader(firestore);
    await document.delete();
    expect(await reader.read()).toBeNull();
    await document.set({ ...reorderModelWhere(() => true), kind: 'reorder-cells-v0' });
    expect(await reader.read()).toBeNull();
  });
});
