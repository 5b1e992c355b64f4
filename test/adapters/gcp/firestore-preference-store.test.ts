import { randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFirestoreErasureStore } from '../../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestorePreferenceStore } from '../../../functions/adapters/gcp/firestore-preference-store.ts';
import { shopperRefs } from '../../../functions/adapters/gcp/shopper-documents.ts';
import { learn } from '../../../functions/learn/learn.ts';
import { NOW } from '../../support/fixtures.ts';
import { collectedEvent } from '../../support/messages.ts';
import { hashUser } from '../../support/user-hasher.ts';

/*
 * ingest checks consent (the settings and the erasure tombstones) before it stores a message, and learns after. An
 * erasure requested in between, and carried out by the job before learning runs, must not leave a document behind:
 * learning reads the tombstone in its own transaction.
 */

let firestore: Firestore;
beforeAll(() => {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  firestore = new Firestore({ projectId: `demo-preference-store-${randomUUID().slice(0, 8)}`, ignoreUndefinedProperties: true });
});
afterAll(() => firestore.terminate());

const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
const document = async (userId: string) => (await shopperRefs(firestore, userId).preferences.get()).data();

describe('learning after an erasure requested since consent was checked', () => {
  const preferences = () => createFirestorePreferenceStore(firestore, { learn, hashUser });
  const erasures = () => createFirestoreErasureStore(firestore, { hashUser });

  it('drops the events received before the request: nothing is learned, marked or written', async () => {
    const userId = `u-${randomUUID()}`;
    const events = [collectedEvent('product_viewed', userId, at(-60_000)), collectedEvent('cart_item_added', userId, at(-30_000))];
    await erasures().request(userId, 'shopper', at(0));
    // The job's second pass over the documents, before the message's learning runs.
    await erasures().deleteAll(userId);

    const outcome = await preferences().apply(userId, events, at(1000));

    expect(outcome).toEqual({ applied: 0, alreadyApplied: 0, erased: 2, writes: 0 });
    expect(await document(userId)).toBeUndefined();
  });

  it('learns what the shopper sent after the request, in the same message as what it drops', async () => {
    const userId = `u-${randomUUID()}`;
    await erasures().request(userId, 'shopper', at(0));
    const before = collectedEvent('product_viewed', userId, at(-1000));
    const after = collectedEvent('product_viewed', userId, at(5000));

    const outcome = await preferences().apply(userId, [before, after], at(6000));

    expect(outcome).toEqual({ applied: 1, alreadyApplied: 0, erased: 1, writes: 1 });
    expect((await document(userId))?.event_count).toBe(1);
  });

  it('learns a shopper who was never erased as before, with no erased count', async () => {
    const userId = `u-${randomUUID()}`;
    const outcome = await preferences().apply(userId, [collectedEvent('product_viewed', userId, at(0))], at(1000));
    expect(outcome).toEqual({ applied: 1, alreadyApplied: 0, writes: 1 });
  });
});
