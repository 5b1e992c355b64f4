import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { APPLIED_IDS_FIELD, appliedIdOf } from '../../../functions/adapters/gcp/applied-ids.ts';
import { COLLECTIONS } from '../../../functions/adapters/gcp/firestore-preference-store.ts';
import {
  PRIVACY_COLLECTION,
  TOMBSTONES_COLLECTION,
  createFirestorePrivacyStore,
} from '../../../functions/adapters/gcp/firestore-privacy-store.ts';
import { DEFAULT_PRIVACY, type PrivacySettings } from '../../../functions/privacy/settings.ts';
import { createUserHasher } from '../../../functions/privacy/user-hash.ts';
import { emulatorFirestore } from '../../support/firestore.ts';
import { NOW } from '../../support/fixtures.ts';

const hashUser = createUserHasher('test-user-hash-key-that-is-long-enough-0123');
const newShopper = () => `shopper-${randomUUID()}`;

describe('privacy settings in Firestore (emulator)', () => {
  const firestore = emulatorFirestore();
  const store = createFirestorePrivacyStore(firestore, { hashUser });
  const privacyDoc = (userId: string) => firestore.collection(PRIVACY_COLLECTION).doc(userId);
  const preferencesDoc = (userId: string) => firestore.collection(COLLECTIONS.preferences).doc(userId);
  const tombstone = (userId: string) => firestore.collection(TOMBSTONES_COLLECTION).doc(hashUser(userId));

  it('answers the defaults, never changed, for a shopper who set nothing', async () => {
    expect(await store.read(newShopper())).toEqual({ ...DEFAULT_PRIVACY, updated_at: null });
  });

  it('stores the settings with when they changed, and reads them back', async () => {
    const user = newShopper();
    const settings: PrivacySettings = { ...DEFAULT_PRIVACY, track_searches: false, retention_days: 90 };
    expect(await store.write(user, settings, NOW)).toEqual({ ...settings, updated_at: NOW.toISOString() });
    expect((await privacyDoc(user).get()).data()).toEqual({ ...settings, updated_at: NOW.toISOString() });
    expect(await store.read(user)).toEqual({ ...settings, updated_at: NOW.toISOString() });
  });

  it('gives a setting the document does not hold yet its default', async () => {
    const user = newShopper();
    await privacyDoc(user).set({ track_searches: false, updated_at: NOW.toISOString() });
    expect(await store.read(user)).toEqual({ ...DEFAULT_PRIVACY, track_searches: false, updated_at: NOW.toISOString() });
  });

  it('refuses to write settings outside the schema', async () => {
    await expect(store.write(newShopper(), { ...DEFAULT_PRIVACY, retention_days: 0 }, NOW)).rejects.toThrow();
  });

  it('reads an erased shopper’s settings from their tombstone, so erasure never switches tracking back on', async () => {
    const user = newShopper();
    const kept: PrivacySettings = { ...DEFAULT_PRIVACY, track_purchases: false, learn_preferences: false };
    await tombstone(user).set({ erased_before: NOW.toISOString(), privacy: kept });
    expect(await store.read(user)).toEqual({ ...kept, updated_at: null });
  });

  it('prefers settings written after the erasure to those in the tombstone', async () => {
    const user = newShopper();
    await tombstone(user).set({ erased_before: NOW.toISOString(), privacy: { ...DEFAULT_PRIVACY, track_clicks: false } });
    await store.write(user, { ...DEFAULT_PRIVACY, track_searches: false }, NOW);
    expect(await store.read(user)).toMatchObject({ track_clicks: true, track_searches: false });
  });

  it('answers the defaults for a tombstone without settings', async () => {
    const user = newShopper();
    await tombstone(user).set({ erased_before: NOW.toISOString() });
    expect(await store.read(user)).toEqual({ ...DEFAULT_PRIVACY, updated_at: null });
  });

  describe('a shopper’s standing, as ingest reads it for every message', () => {
    it('is the settings and the tombstones in one batched read', async () => {
      const [shopper, visitor] = [newShopper(), `anonymous:${randomUUID()}`];
      await store.write(shopper, { ...DEFAULT_PRIVACY, track_clicks: false }, NOW);
      await tombstone(visitor).set({ erased_before: NOW.toISOString() });
      const getAll = vi.spyOn(firestore, 'getAll');
      try {
        expect(await store.standing(shopper, [visitor, shopper])).toEqual({
          settings: { ...DEFAULT_PRIVACY, track_clicks: false, updated_at: NOW.toISOString() },
          erasedBefore: NOW,
        });
        expect(getAll).toHaveBeenCalledTimes(1);
      } finally {
        getAll.mockRestore();
      }
    });

    it('takes an erased shopper’s settings from their tombstone, and the latest erasure of those asked about', async () => {
      const [shopper, visitor] = [newShopper(), `anonymous:${randomUUID()}`];
      const kept: PrivacySettings = { ...DEFAULT_PRIVACY, learn_preferences: false };
      const later = new Date(NOW.getTime() + 60_000);
      await tombstone(shopper).set({ erased_before: NOW.toISOString(), privacy: kept });
      await tombstone(visitor).set({ erased_before: later.toISOString() });
      expect(await store.standing(shopper, [shopper])).toEqual({ settings: { ...kept, updated_at: null }, erasedBefore: NOW });
      expect(await store.standing(shopper, [visitor, shopper])).toEqual({ settings: { ...kept, updated_at: null }, erasedBefore: later });
    });

    it('is the defaults and no erasure for a shopper with neither settings nor tombstone', async () => {
      expect(await store.standing(newShopper(), [newShopper()])).toEqual({
        settings: { ...DEFAULT_PRIVACY, updated_at: null },
        erasedBefore: null,
      });
    });
  });

  it('reads many shoppers at once, over more ids than one batched read takes, with tombstones and defaults', async () => {
    const users = Array.from({ length: 650 }, newShopper);
    const stored = users.filter((_, i) => i % 3 === 0);
    const erased = users.filter((_, i) => i % 3 === 1);
    await Promise.all([
      ...stored.map((u) => store.write(u, { ...DEFAULT_PRIVACY, retention_days: 30 }, NOW)),
      ...erased.map((u) => tombstone(u).set({ privacy: { ...DEFAULT_PRIVACY, track_searches: false } })),
    ]);

    const getAll = vi.spyOn(firestore, 'getAll');
    const many = await store.readMany([...users, users[0] as string]);
    // 650 settings documents, then the 433 tombstones of those without one: never more than 300 per call.
    expect(getAll.mock.calls.map((refs) => refs.length)).toEqual([300, 300, 50, 300, 133]);
    getAll.mockRestore();
    expect([...many.keys()]).toEqual(users);
    users.forEach((u, i) => {
      const expected =
        i % 3 === 0
          ? { ...DEFAULT_PRIVACY, retention_days: 30, updated_at: NOW.toISOString() }
          : i % 3 === 1
            ? { ...DEFAULT_PRIVACY, track_searches: false, updated_at: null }
            : { ...DEFAULT_PRIVACY, updated_at: null };
      expect(many.get(u)).toEqual(expected);
    });
  });

  it('reads nothing for no ids', async () => {
    expect(await store.readMany([])).toEqual(new Map());
  });

  it('finds the shoppers whose retention differs from the default', async () => {
    const [short, long, same] = [newShopper(), newShopper(), newShopper()];
    await store.write(short, { ...DEFAULT_PRIVACY, retention_days: 30 }, NOW);
    await store.write(long, { ...DEFAULT_PRIVACY, retention_days: 730 }, NOW);
    await store.write(same, { ...DEFAULT_PRIVACY, track_clicks: false }, NOW);

    const found = await store.nonDefault('retention_days');
    expect(found.get(short)).toMatchObject({ retention_days: 30 });
    expect(found.get(long)).toMatchObject({ retention_days: 730 });
    expect(found.has(same)).toBe(false);
    for (const settings of found.values()) expect(settings.retention_days).not.toBe(DEFAULT_PRIVACY.retention_days);
  });

  it('names those shoppers by their id, decoded from the document id, and leaves out documents of raw ids', async () => {
    const odd = `${newShopper()}/applied/3`;
    await store.write(odd, { ...DEFAULT_PRIVACY, retention_days: 30 }, NOW);
    // A document written before ids were encoded, under an id holding a character outside the kept set.
    const legacy = `legacy:${randomUUID()}`;
    await privacyDoc(legacy).set({ ...DEFAULT_PRIVACY, retention_days: 60 });

    const found = await store.nonDefault('retention_days');
    expect(found.get(odd)).toMatchObject({ retention_days: 30 });
    expect([...found.keys()].filter((id) => id.includes(legacy))).toEqual([]);
  });

  describe('switching learning off', () => {
    const appliedIds = { '20430': Buffer.concat([appliedIdOf('event-1'), appliedIdOf('event-2')]) };

    async function learnedShopper(layout: 'present' | 'earlier' = 'present') {
      const user = newShopper();
      const applied = layout === 'present' ? { [APPLIED_IDS_FIELD]: appliedIds } : {};
      await preferencesDoc(user).set({
        schema_version: 1,
        user_id: user,
        event_count: 3,
        patterns: { as_of: NOW.toISOString() },
        ...applied,
      });
      await preferencesDoc(user)
        .collection(COLLECTIONS.applied)
        .doc('7')
        .set({ ids: { 'event-0': NOW.getTime() } });
      return user;
    }

    it('deletes what was learned, batch patterns included, but keeps the ids of the applied events', async () => {
      const user = await learnedShopper();
      await store.write(user, { ...DEFAULT_PRIVACY, learn_preferences: false }, NOW);

      // Kept so a redelivered old message is not learned again once learning is back on.
      expect((await preferencesDoc(user).get()).data()).toEqual({ [APPLIED_IDS_FIELD]: appliedIds });
      expect((await preferencesDoc(user).collection(COLLECTIONS.applied).doc('7').get()).data()).toEqual({
        ids: { 'event-0': NOW.getTime() },
      });
      expect(await store.read(user)).toMatchObject({ learn_preferences: false });
    });

    it('deletes a document of the earlier layout whole: its marks are beside it, and stay', async () => {
      const user = await learnedShopper('earlier');
      await store.write(user, { ...DEFAULT_PRIVACY, learn_preferences: false }, NOW);

      expect((await preferencesDoc(user).get()).exists).toBe(false);
      expect((await preferencesDoc(user).collection(COLLECTIONS.applied).doc('7').get()).exists).toBe(true);
    });

    it('keeps what was learned while learning stays on', async () => {
      const user = await learnedShopper();
      await store.write(user, { ...DEFAULT_PRIVACY, track_searches: false }, NOW);
      expect((await preferencesDoc(user).get()).get('event_count')).toBe(3);
    });
  });
});
