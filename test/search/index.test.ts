import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COLLECTIONS, createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { TOMBSTONES_COLLECTION, createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { ClientEvent } from '../../functions/events/schema.ts';
import { learn } from '../../functions/learn/learn.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import * as search from '../../functions/search/index.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { VALID_DATA } from '../support/fixtures.ts';
import { collectedEvent } from '../support/messages.ts';
import { ALL_ON, NOW } from './shoppers.ts';

const hashUser = search.createUserHasher('test-user-hash-key-that-is-long-enough-0123');
/** A fresh shopper in the given arm of the default experiment. */
const shopperIn = (arm: string) => {
  for (;;) {
    const userId = `shopper-${randomUUID()}`;
    if (search.assignArm(search.DEFAULT_EXPERIMENT, userId) === arm) return userId;
  }
};

describe('the search package', () => {
  it('exports the API the search service uses', () => {
    for (const name of [
      'personalize',
      'createSearchPersonalizer',
      'createSearchPreferenceReader',
      'createFirestoreSearchPreferenceReader',
      'createFirestorePreferenceDocumentReader',
      'assignArms',
      'parseExperiments',
      'searchPerformedEvent',
      'searchResultClickedEvent',
      'searchContext',
      'shopperDocumentId',
    ] as const) {
      expect(typeof search[name], name).toBe('function');
    }
    expect(search.DEFAULT_EXPERIMENT.id).toBe(search.PERSONALIZATION_EXPERIMENT);
    expect(search.DEFAULT_BUDGET_MS).toBe(50);
    expect(search.DEFAULT_TTL_MS).toBe(30_000);
  });
});

describe('the search package over Firestore (emulator)', () => {
  const firestore = emulatorFirestore();
  const privacy = createFirestorePrivacyStore(firestore, { hashUser });
  const learning = createFirestorePreferenceStore(firestore, { learn, hashUser });
  // The emulator's first answers can be slow; the budget is not what is tested here.
  const reader = () => search.createFirestoreSearchPreferenceReader(firestore, { hashUser, budgetMs: 5000 });
  const oatly = VALID_DATA.cart_item_added;

  it('reads what was learned with the shopper’s flags, and the flags switch signals off', async () => {
    const user = shopperIn('personalized');
    await privacy.write(user, { ...DEFAULT_PRIVACY, learn_brands: false }, NOW);
    await learning.apply(user, [collectedEvent('cart_item_added', user, NOW, { data: oatly })], NOW);

    const read = await reader().read(user);
    expect(read.reason).toBeNull();
    expect(read.preferences?.privacy).toEqual({ ...ALL_ON, learn_brands: false });
    // Real-time learning keeps brand affinities whatever the flag; personalization must not use them.
    expect(read.preferences?.learned?.brands.Oatly).toBeDefined();

    const personalizeSearch = search.createSearchPersonalizer({ reader: reader(), clock: () => NOW });
    const results = [
      { sku: 'sku-other', brand: 'Oatly', category: 'dairy-alternatives' },
      { sku: 'sku-cereal', brand: 'Acme', category: 'cereal' },
      { sku: 'sku-oat-1l', brand: 'Oatly', category: 'dairy-alternatives' },
    ];
    const outcome = await personalizeSearch({ userId: user, sessionId: 'session-1', query: 'oat', results });
    expect(outcome.personalized).toBe(true);
    expect(outcome.results.map((r) => r.sku)).toEqual(['sku-other', 'sku-oat-1l', 'sku-cereal']);
    expect(outcome.explanations.every((e) => e.contributions.brand === 0)).toBe(true);
    expect(ClientEvent.safeParse(outcome.event).success).toBe(true);
  });

  it('answers not_learning once the shopper switched learning off', async () => {
    const user = shopperIn('personalized');
    await learning.apply(user, [collectedEvent('cart_item_added', user, NOW)], NOW);
    const preferences = reader();
    expect((await preferences.read(user)).reason).toBeNull();
    await privacy.write(user, { ...DEFAULT_PRIVACY, learn_preferences: false }, NOW);
    preferences.forget(user);
    expect(await preferences.read(user)).toMatchObject({ preferences: null, reason: 'not_learning' });
  });

  it('honours the flags an erased shopper left in their tombstone', async () => {
    const user = shopperIn('personalized');
    await firestore
      .collection(TOMBSTONES_COLLECTION)
      .doc(hashUser(user))
      .set({ erased_before: NOW.toISOString(), privacy: { ...DEFAULT_PRIVACY, learn_dietary: false } });
    await learning.apply(user, [collectedEvent('cart_item_added', user, NOW)], NOW);
    expect((await reader().read(user)).preferences?.privacy).toEqual({ ...ALL_ON, learn_dietary: false });
  });

  it('finds a shopper’s document at preferences/{shopperDocumentId(userId)}, whatever the id holds', async () => {
    const user = `${shopperIn('personalized')}/x:y`;
    await learning.apply(user, [collectedEvent('cart_item_added', user, NOW)], NOW);
    const documentId = search.shopperDocumentId(user);
    expect(documentId).not.toContain('/');
    const stored = await firestore.doc(`${COLLECTIONS.preferences}/${documentId}`).get();
    expect(stored.data()).toMatchObject({ user_id: user, event_count: 1 });
    expect((await reader().read(user)).preferences?.learned).toMatchObject({ user_id: user, event_count: 1 });
  });

  it('answers missing for a shopper nothing was learned about', async () => {
    const user = shopperIn('personalized');
    expect(await reader().read(user)).toMatchObject({ preferences: null, reason: 'missing' });
    expect(await firestore.collection(COLLECTIONS.preferences).doc(user).get()).toMatchObject({ exists: false });
  });
});
