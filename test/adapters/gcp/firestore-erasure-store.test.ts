import { randomUUID } from 'node:crypto';
import { CollectionReference } from '@google-cloud/firestore';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ERASURE_REQUESTS_COLLECTION, createFirestoreErasureStore } from '../../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestorePrivacyStore } from '../../../functions/adapters/gcp/firestore-privacy-store.ts';
import { shopperRefs } from '../../../functions/adapters/gcp/shopper-documents.ts';
import { DEFAULT_PRIVACY } from '../../../functions/privacy/settings.ts';
import { createUserHasher } from '../../../functions/privacy/user-hash.ts';
import { emulatorFirestore } from '../../support/firestore.ts';

const firestore = emulatorFirestore();
afterAll(() => firestore.terminate());

const hashUser = createUserHasher('erasure-store-test-key-0123456789abcdef');
const T0 = new Date('2026-11-26T12:00:00.000Z');
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function store() {
  return createFirestoreErasureStore(firestore, { hashUser });
}

/** A shopper with what the loop writes about them: settings, a learned document with its markers. */
async function shopperWithDocuments(
  settings: Record<string, unknown> | null = { ...DEFAULT_PRIVACY, track_searches: false, updated_at: T0.toISOString() },
) {
  const userId = `shopper-${randomUUID()}`;
  const preferences = firestore.collection('preferences').doc(userId);
  await preferences.set({ user_id: userId, schema_version: 1, event_count: 3 });
  await preferences
    .collection('applied')
    .doc('3')
    .set({ ids: { 'event-1': 1 } });
  await preferences
    .collection('applied')
    .doc('7')
    .set({ ids: { 'event-2': 1 } });
  if (settings) await firestore.collection('privacy').doc(userId).set(settings);
  return userId;
}

const docs = {
  request: (id: string) => firestore.collection(ERASURE_REQUESTS_COLLECTION).doc(id).get(),
  tombstone: (userId: string) => firestore.collection('erasures').doc(hashUser(userId)).get(),
};

describe('the Firestore erasure store (emulator)', () => {
  it('files a request: tombstone with the settings, the request with the id, the shopper’s documents gone', async () => {
    const userId = await shopperWithDocuments();
    const answered = await store().request(userId, 'shopper', T0);

    expect(answered).toEqual({
      request_id: expect.any(String),
      user_hash: hashUser(userId),
      state: 'pending',
      requested_by: 'shopper',
      requested_at: T0.toISOString(),
      completed_at: null,
      attempts: 0,
      rows_deleted: null,
      last_error: null,
    });
    expect(answered).not.toHaveProperty('user_id');
    expect((await docs.request(answered.request_id)).data()).toEqual({ ...answered, user_id: userId, linked_ids: [] });
    expect((await docs.tombstone(userId)).data()).toEqual({
      erased_before: T0.toISOString(),
      privacy: { ...DEFAULT_PRIVACY, track_searches: false, updated_at: T0.toISOString() },
    });
    expect((await firestore.collection('privacy').doc(userId).get()).exists).toBe(false);
    expect((await firestore.collection('preferences').doc(userId).get()).exists).toBe(false);
    expect((await firestore.collection('preferences').doc(userId).collection('applied').get()).empty).toBe(true);
  });

  describe('a shopper who linked the visitors they were before logging in', () => {
    /** A visitor with a learned document, markers and settings of their own, linked to the shopper. */
    async function linkedVisitor(userId: string) {
      const visitor = `anonymous:${randomUUID()}`;
      const refs = shopperRefs(firestore, visitor);
      await refs.preferences.set({ user_id: visitor, schema_version: 1, event_count: 1 });
      await refs.applied.doc('2').set({ ids: { 'event-9': 1 } });
      await refs.privacy.set({ ...DEFAULT_PRIVACY, updated_at: T0.toISOString() });
      await refs.link.set({ anonymous_id: visitor, user_id: userId, linked_at: T0.toISOString() });
      return { visitor, refs };
    }

    it("takes the visitors with them: their documents and links gone, each a tombstone with the shopper's settings", async () => {
      const userId = await shopperWithDocuments();
      const [a, b] = [await linkedVisitor(userId), await linkedVisitor(userId)];
      const someoneElses = await linkedVisitor(`shopper-${randomUUID()}`);

      const { request_id } = await store().request(userId, 'shopper', T0);

      for (const { visitor, refs } of [a, b]) {
        for (const ref of [refs.preferences, refs.privacy, refs.link]) expect((await ref.get()).exists, ref.path).toBe(false);
        expect((await refs.applied.get()).empty).toBe(true);
        expect((await docs.tombstone(visitor)).data()).toEqual({
          erased_before: T0.toISOString(),
          privacy: { ...DEFAULT_PRIVACY, track_searches: false, updated_at: T0.toISOString() },
        });
      }
      expect((await someoneElses.refs.link.get()).exists).toBe(true);
      expect((await docs.request(request_id)).get('linked_ids')).toEqual(expect.arrayContaining([a.visitor, b.visitor]));
      const [pending] = (await store().pending()).filter((p) => p.request_id === request_id);
      expect(pending?.linked_ids.sort()).toEqual([a.visitor, b.visitor].sort());

      await store().completed(request_id, {}, later(60));
      const receipt = (await docs.request(request_id)).data();
      expect(receipt).not.toHaveProperty('user_id');
      expect(receipt).not.toHaveProperty('linked_ids');
    });

    it('a visitor erased on their own leaves the shopper they were linked to', async () => {
      const userId = await shopperWithDocuments();
      const { visitor, refs } = await linkedVisitor(userId);

      await store().request(visitor, 'shopper', T0);

      expect((await refs.link.get()).exists).toBe(false);
      expect((await refs.preferences.get()).exists).toBe(false);
      expect((await docs.tombstone(visitor)).get('erased_before')).toBe(T0.toISOString());
      expect((await firestore.collection('preferences').doc(userId).get()).exists).toBe(true);
    });
  });

  it('keeps the settings the privacy store reads back after erasure (tracking stays off)', async () => {
    const userId = await shopperWithDocuments();
    await store().request(userId, 'shopper', T0);
    const privacy = createFirestorePrivacyStore(firestore, { hashUser });
    expect(await privacy.read(userId)).toMatchObject({ track_searches: false, updated_at: T0.toISOString() });
  });

  it('leaves out of the tombstone whatever a privacy document holds besides the settings', async () => {
    const userId = await shopperWithDocuments({ ...DEFAULT_PRIVACY, updated_at: T0.toISOString(), user_id: 'leaked' });
    await store().request(userId, 'operator', T0);
    expect((await docs.tombstone(userId)).get('privacy')).not.toHaveProperty('user_id');
  });

  it('a shopper without settings gets a tombstone without them; a second request moves erased_before forward and keeps the settings', async () => {
    const bare = await shopperWithDocuments(null);
    await store().request(bare, 'shopper', T0);
    expect((await docs.tombstone(bare)).data()).toEqual({ erased_before: T0.toISOString() });

    const userId = await shopperWithDocuments();
    const first = await store().request(userId, 'shopper', T0);
    const second = await store().request(userId, 'operator', later(60));
    expect(second.request_id).not.toBe(first.request_id);
    expect((await docs.tombstone(userId)).data()).toMatchObject({
      erased_before: later(60).toISOString(),
      privacy: { track_searches: false },
    });
    expect(await store().erasedBefore(userId)).toEqual(later(60));
    // A request stamped earlier (a skewed clock) never moves the line back.
    await store().request(userId, 'shopper', later(30));
    expect(await store().erasedBefore(userId)).toEqual(later(60));
  });

  it('answers when a shopper’s events are erased until, or null for one never erased', async () => {
    const userId = await shopperWithDocuments();
    expect(await store().erasedBefore(userId)).toBeNull();
    await store().request(userId, 'shopper', T0);
    expect(await store().erasedBefore(userId)).toEqual(T0);
  });

  it('get answers a request without the user id, or null', async () => {
    const userId = await shopperWithDocuments();
    const { request_id } = await store().request(userId, 'shopper', T0);
    const got = await store().get(request_id);
    expect(got).toMatchObject({ request_id, state: 'pending', user_hash: hashUser(userId) });
    expect(got).not.toHaveProperty('user_id');
    expect(JSON.stringify(got)).not.toContain(userId);
    expect(await store().get(`missing-${randomUUID()}`)).toBeNull();
  });

  it('pending lists pending requests with their user ids; deferred counts the attempt and keeps the rows so far; completed drops the id', async () => {
    const made: string[] = [];
    const newRequestId = () => {
      const id = randomUUID();
      made.push(id);
      return id;
    };
    const numbered = createFirestoreErasureStore(firestore, { hashUser, newRequestId });
    const a = await shopperWithDocuments();
    const b = await shopperWithDocuments();
    const first = (await numbered.request(a, 'shopper', T0)).request_id;
    const second = (await numbered.request(b, 'operator', later(1))).request_id;
    expect([first, second]).toEqual(made);

    const mine = (await numbered.pending()).filter((p) => made.includes(p.request_id));
    expect(mine.map((p) => [p.request_id, p.user_id, p.requested_by])).toEqual([
      [first, a, 'shopper'],
      [second, b, 'operator'],
    ]);

    await numbered.deferred(first, 'rows still in the streaming buffer', later(5), { events: 4, order_items: 0 });
    expect(await numbered.get(first)).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_error: 'rows still in the streaming buffer',
      rows_deleted: { events: 4, order_items: 0 },
    });
    await numbered.deferred(first, 'again', later(6));
    expect(await numbered.get(first)).toMatchObject({ attempts: 2, last_error: 'again', rows_deleted: { events: 4, order_items: 0 } });

    await numbered.completed(first, { events: 4, order_items: 2 }, later(10));
    expect(await numbered.get(first)).toEqual({
      request_id: first,
      user_hash: hashUser(a),
      state: 'completed',
      requested_by: 'shopper',
      requested_at: T0.toISOString(),
      completed_at: later(10).toISOString(),
      attempts: 3,
      rows_deleted: { events: 4, order_items: 2 },
      last_error: null,
    });
    const stored = (await docs.request(first)).data();
    expect(stored).not.toHaveProperty('user_id');
    expect(JSON.stringify(stored)).not.toContain(a);
    expect((await numbered.pending()).map((p) => p.request_id)).not.toContain(first);
    expect((await numbered.pending()).map((p) => p.request_id)).toContain(second);
  });

  it.each(['..', '../x', `..%2F${randomUUID()}`, `${randomUUID()}/x`, '__x__', ''])(
    'names no request for %j, which is no request id, without asking Firestore',
    async (requestId) => {
      const built = vi.spyOn(CollectionReference.prototype, 'doc');
      try {
        expect(await store().get(requestId)).toBeNull();
        expect(built).not.toHaveBeenCalled();
      } finally {
        built.mockRestore();
      }
    },
  );

  it('files requests only under UUIDs', async () => {
    const userId = await shopperWithDocuments();
    const made = createFirestoreErasureStore(firestore, { hashUser, newRequestId: () => `req-${randomUUID()}` });
    await expect(made.request(userId, 'shopper', T0)).rejects.toThrow();
    expect((await docs.tombstone(userId)).exists).toBe(false);
    expect((await firestore.collection('privacy').doc(userId).get()).exists).toBe(true);
  });

  it('deleteAll deletes a re-created preference document with its markers, and is fine with none', async () => {
    const userId = await shopperWithDocuments();
    await store().request(userId, 'shopper', T0);
    const preferences = firestore.collection('preferences').doc(userId);
    await preferences.set({ patterns: { as_of: T0.toISOString() } });
    await preferences
      .collection('applied')
      .doc('1')
      .set({ ids: { late: 1 } });

    await store().deleteAll(userId);
    expect((await preferences.get()).exists).toBe(false);
    expect(await preferences.listCollections()).toEqual([]);
    await expect(store().deleteAll(userId)).resolves.toBeUndefined();
  });

  it('refuses to update a request that does not exist', async () => {
    await expect(store().completed(`missing-${randomUUID()}`, {}, T0)).rejects.toThrow();
    await expect(store().deferred(`missing-${randomUUID()}`, 'x', T0)).rejects.toThrow();
  });
});
