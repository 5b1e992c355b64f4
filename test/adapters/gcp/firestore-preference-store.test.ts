import { randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFirestoreErasureStore } from '../../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestorePreferenceStore, learnedPreferences } from '../../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore, TOMBSTONES_COLLECTION } from '../../../functions/adapters/gcp/firestore-privacy-store.ts';
import { shopperRefs } from '../../../functions/adapters/gcp/shopper-documents.ts';
import type { CollectedEvent } from '../../../functions/events/schema.ts';
import type { StoreConsented } from '../../../functions/ingest/ports.ts';
import type { ConsentDecision } from '../../../functions/kernel/ports.ts';
import { learn } from '../../../functions/learn/learn.ts';
import { DEFAULT_PRIVACY } from '../../../functions/privacy/settings.ts';
import { NOW } from '../../support/fixtures.ts';
import { collectedEvent } from '../../support/messages.ts';
import { hashUser } from '../../support/user-hasher.ts';

/*
 * ingest decides consent (the settings and the erasure tombstones) from what its learning transaction reads, stores
 * the message between that read and the commit, and learns last. A privacy switch or an erasure that lands meanwhile
 * is serialized with the transaction: it takes effect wholly before the read, or wholly after the commit.
 */

let firestore: Firestore;
beforeAll(() => {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  firestore = new Firestore({ projectId: `demo-preference-store-${randomUUID().slice(0, 8)}`, ignoreUndefinedProperties: true });
});
afterAll(() => firestore.terminate());

const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
const document = async (userId: string) => (await shopperRefs(firestore, userId).preferences.get()).data();

describe('learning after an erasure requested before the message was learned', () => {
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

/** A storing step that records the decisions it was told and answers every tracked event as stored, after `meanwhile`. */
function recordingStep(events: readonly CollectedEvent[], meanwhile: () => Promise<unknown> = async () => undefined) {
  const told: (readonly ConsentDecision[])[] = [];
  const store: StoreConsented = async (decisions) => {
    told.push(decisions);
    await meanwhile();
    return events.filter((_, i) => decisions[i]?.track === true);
  };
  return { store, told };
}

describe('consent decided from what the learning transaction read', () => {
  const preferences = () => createFirestorePreferenceStore(firestore, { learn, hashUser });
  const privacy = () => createFirestorePrivacyStore(firestore, { hashUser });

  it('tells the storing step what the shopper’s settings allow, and learns only what it stored and may learn', async () => {
    const userId = `u-${randomUUID()}`;
    await privacy().write(userId, { ...DEFAULT_PRIVACY, track_clicks: false }, NOW);
    const events = [collectedEvent('product_viewed', userId, at(0)), collectedEvent('order_completed', userId, at(0))];
    const { store, told } = recordingStep(events);

    expect(await preferences().apply(userId, events, at(1000), store)).toEqual({ applied: 1, alreadyApplied: 0, writes: 1 });
    expect(told).toEqual([
      [
        { track: false, reason: 'track_clicks is off' },
        { track: true, learn: true },
      ],
    ]);
    expect((await document(userId))?.event_count).toBe(1);
  });

  it('learns nothing the storing step did not store', async () => {
    const userId = `u-${randomUUID()}`;
    const [kept, refused] = [collectedEvent('order_completed', userId, at(0)), collectedEvent('order_completed', userId, at(0))];
    const outcome = await preferences().apply(userId, [kept, refused], at(1000), async () => [kept]);
    expect(outcome).toEqual({ applied: 1, alreadyApplied: 0, writes: 1 });
    expect((await document(userId))?.event_count).toBe(1);
  });

  it('governs a linked visitor’s events by the shopper’s settings, and drops those received before the shopper’s erasure', async () => {
    const [shopper, visitor] = [`u-${randomUUID()}`, `anonymous:${randomUUID()}`];
    await shopperRefs(firestore, visitor).link.set({ anonymous_id: visitor, user_id: shopper, linked_at: NOW.toISOString() });
    await firestore
      .collection(TOMBSTONES_COLLECTION)
      .doc(hashUser(shopper))
      .set({ erased_before: NOW.toISOString(), privacy: { ...DEFAULT_PRIVACY, track_clicks: false, learn_preferences: false } });
    const events = [
      collectedEvent('order_completed', visitor, at(-1)),
      collectedEvent('product_viewed', visitor, at(1000)),
      collectedEvent('order_completed', visitor, at(1000)),
    ];
    const { store, told } = recordingStep(events);

    const outcome = await preferences().apply(visitor, events, at(2000), store);

    // An erased shopper's settings live on in their tombstone: learning stays off, and the order is only marked.
    expect(told).toEqual([
      [
        { track: false, reason: 'erased' },
        { track: false, reason: 'track_clicks is off' },
        { track: true, learn: false },
      ],
    ]);
    expect(outcome).toEqual({ applied: 0, alreadyApplied: 0, erased: 1, writes: 1 });
    expect(learnedPreferences(await document(shopper))).toBeNull();
    expect(await document(visitor)).toBeUndefined();
  });

  it('honours learning switched off while the message is being stored: what it learned is gone with the switch', async () => {
    const userId = `u-${randomUUID()}`;
    const events = [collectedEvent('order_completed', userId, at(0))];
    let switched: Promise<unknown> = Promise.resolve();
    // The switch lands between the transaction's read and its commit; it cannot finish before the commit.
    const { store } = recordingStep(events, async () => {
      switched = privacy().write(userId, { ...DEFAULT_PRIVACY, learn_preferences: false }, at(500));
      await new Promise((resolve) => setTimeout(resolve, 200));
    });

    await preferences().apply(userId, events, at(1000), store);
    await switched;

    expect(learnedPreferences(await document(userId))).toBeNull();
    expect((await privacy().read(userId)).learn_preferences).toBe(false);
    // Redelivered now, the message is neither learned nor learned late.
    expect(await preferences().apply(userId, events, at(2000))).toMatchObject({ applied: 0 });
    expect(learnedPreferences(await document(userId))).toBeNull();
  });

  it('leaves no document behind when an erasure lands while the message is being stored', async () => {
    const userId = `u-${randomUUID()}`;
    const events = [collectedEvent('order_completed', userId, at(0))];
    let erased: Promise<unknown> = Promise.resolve();
    const { store } = recordingStep(events, async () => {
      erased = createFirestoreErasureStore(firestore, { hashUser }).request(userId, 'shopper', at(500));
      await new Promise((resolve) => setTimeout(resolve, 200));
    });

    await preferences().apply(userId, events, at(1000), store);
    await erased;

    expect(await document(userId)).toBeUndefined();
    // A later delivery of the same message is dropped.
    expect(await preferences().apply(userId, events, at(2000))).toEqual({ applied: 0, alreadyApplied: 0, erased: 1, writes: 0 });
  });

  it('passes a failure of the storing step on as it is, unretried, and writes nothing', async () => {
    const userId = `u-${randomUUID()}`;
    let calls = 0;
    // A code the Firestore client would retry a transaction for, were it Firestore's.
    const failure = Object.assign(new Error('503 backendError'), { code: 14 });
    const store: StoreConsented = async () => {
      calls += 1;
      throw failure;
    };
    await expect(preferences().apply(userId, [collectedEvent('order_completed', userId, at(0))], at(1000), store)).rejects.toBe(failure);
    expect(calls).toBe(1);
    expect(await document(userId)).toBeUndefined();
  });
});
