import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createBoundedFirestore } from '../../../functions/adapters/gcp/bounded-firestore.ts';
import { DeadlineExceeded } from '../../../functions/kernel/deadline.ts';

// The client's own bounds, which end the calls a function gave up on. Freezing Firestore to see an
// abandoned read end by itself is in test/index.outage.test.ts.

process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
const firestore = createBoundedFirestore({ projectId: 'demo-test' }, { callMs: 1000, transactionMs: 300 });
afterAll(() => firestore.terminate());

/** What Firestore's client answers when a transaction lost to another: retried after a backoff of about 1 s. */
const aborted = () => Object.assign(new Error('10 ABORTED: too much contention on these documents'), { code: 10 });

describe('a bounded Firestore client', () => {
  it('starts no attempt of a transaction after its deadline: a contended transaction ends instead of retrying', async () => {
    const doc = firestore.collection('bounded-firestore').doc(randomUUID());
    let attempts = 0;

    const ended = firestore.runTransaction(async (tx) => {
      attempts += 1;
      await tx.get(doc);
      throw aborted();
    });

    // Without the bound, the client attempts it 5 times over about 8 s.
    await expect(ended).rejects.toThrow(DeadlineExceeded);
    expect(attempts).toBe(1);
  });

  it('commits a transaction that ends within its deadline', async () => {
    const doc = firestore.collection('bounded-firestore').doc(randomUUID());

    await firestore.runTransaction(async (tx) => {
      const found = await tx.get(doc);
      tx.set(doc, { seen: found.exists });
    });

    expect((await doc.get()).data()).toEqual({ seen: false });
  });
});
