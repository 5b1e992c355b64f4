import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFirestorePatternPublisher } from '../../../functions/adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestorePreferenceDocumentReader, storedPatterns } from '../../../functions/adapters/gcp/firestore-preference-document.ts';
import { COLLECTIONS, createFirestorePreferenceStore } from '../../../functions/adapters/gcp/firestore-preference-store.ts';
import { learn } from '../../../functions/learn/learn.ts';
import { emulatorFirestore } from '../../support/firestore.ts';
import { collectedEvent } from '../../support/messages.ts';
import { NOW, patterns, priceSensitivity, regularItem } from '../../search/shoppers.ts';
import { hashUser } from '../../support/user-hasher.ts';

const newShopper = () => `shopper-${randomUUID()}`;

describe('preference document reader (Firestore emulator)', () => {
  const firestore = emulatorFirestore();
  const documents = createFirestorePreferenceDocumentReader(firestore);
  const learning = createFirestorePreferenceStore(firestore, { learn, hashUser });
  const publisher = createFirestorePatternPublisher(firestore);
  const published = patterns({ regular_items: [regularItem('sku-oat-1l')], price: priceSensitivity({ position: 0.2, class: 'budget' }) });

  it('answers null for a shopper without a document', async () => {
    expect(await documents.read(newShopper())).toBeNull();
  });

  it('reads what real-time learning wrote, with no patterns yet', async () => {
    const user = newShopper();
    const event = collectedEvent('cart_item_added', user, NOW);
    await learning.apply(user, [event], NOW);
    const read = await documents.read(user);
    expect(read?.patterns).toBeNull();
    expect(read?.learned).toEqual(learn(null, user, [event], NOW));
  });

  it('reads patterns the batch job published before anything was learned', async () => {
    const user = newShopper();
    await publisher.publish([{ userId: user, patterns: published }]);
    expect(await documents.read(user)).toEqual({ learned: null, patterns: published });
  });

  it('reads both from one document, whichever writer came first', async () => {
    const user = newShopper();
    const event = collectedEvent('order_completed', user, NOW);
    await publisher.publish([{ userId: user, patterns: published }]);
    await learning.apply(user, [event], NOW);
    const read = await documents.read(user);
    expect(read?.patterns).toEqual(published);
    expect(read?.learned?.reorder['sku-oat-1l']).toMatchObject({ orders: 1 });
  });

  it('reads patterns written before a part of them existed as having none of that part', async () => {
    const user = newShopper();
    await firestore
      .collection(COLLECTIONS.preferences)
      .doc(user)
      .set({
        patterns: { as_of: NOW.toISOString(), brands: [{ name: 'Oatly', score: 1, share: 1, purchases: 1, cart_adds: 0, clicks: 0 }] },
      });
    expect((await documents.read(user))?.patterns).toEqual(
      patterns({ brands: [{ name: 'Oatly', score: 1, share: 1, purchases: 1, cart_adds: 0, clicks: 0 }] }),
    );
  });
});

describe('stored patterns', () => {
  it('are null when absent or not patterns at all', () => {
    expect(storedPatterns(undefined)).toBeNull();
    expect(storedPatterns('weekly')).toBeNull();
    expect(storedPatterns({ regular_items: [] })).toBeNull();
  });

  it('give price sensitivity without per-category positions an empty list of them', () => {
    const price = { units: 3, position: 0.5, index: 1, promo_share: 0, class: 'mid_range' };
    expect(storedPatterns({ as_of: NOW.toISOString(), price })?.price).toEqual({ ...price, categories: [] });
  });
});
