import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFirestorePatternPublisher } from '../../../functions/adapters/gcp/firestore-pattern-publisher.ts';
import type { Patterns } from '../../../functions/patterns/patterns.ts';
import { emulatorFirestore } from '../../support/firestore.ts';

function patterns(brands: string[]): Patterns {
  return {
    as_of: '2026-03-01T00:00:00.000Z',
    regular_items: [],
    brands: brands.map((name) => ({ name, score: 2.1, share: 0.5, purchases: 1, cart_adds: 1, clicks: 2 })),
    categories: [],
    price: null,
    schedule: null,
    dietary: [],
    bought_together: [],
  };
}

describe('publishing patterns to Firestore (emulator)', () => {
  const firestore = emulatorFirestore();
  const publisher = createFirestorePatternPublisher(firestore);
  const doc = (id: string) => firestore.collection('preferences').doc(id);

  it('replaces the patterns field whole and leaves what real-time learning owns alone', async () => {
    const user = `shopper-${randomUUID()}`;
    await doc(user).set({
      schema_version: 1,
      user_id: user,
      event_count: 7,
      brands: { Oatly: { weight: 1 } },
      patterns: patterns(['Arla', 'Hovis']),
    });

    expect(await publisher.publish([{ userId: user, patterns: patterns(['Hovis']) }])).toEqual({ written: 1 });

    const stored = (await doc(user).get()).data();
    expect(stored).toEqual({
      schema_version: 1,
      user_id: user,
      event_count: 7,
      brands: { Oatly: { weight: 1 } },
      patterns: patterns(['Hovis']),
    });
  });

  it('creates the document of a shopper nothing was learned about yet, and writes many at once', async () => {
    const users = Array.from({ length: 120 }, () => `shopper-${randomUUID()}`);
    expect(await publisher.publish(users.map((userId) => ({ userId, patterns: patterns(['Arla']) })))).toEqual({ written: 120 });
    const snapshots = await firestore.getAll(...users.map(doc));
    expect(snapshots.map((s) => s.data())).toEqual(users.map(() => ({ patterns: patterns(['Arla']) })));
  });

  it('writes nothing for nothing', async () => {
    expect(await publisher.publish([])).toEqual({ written: 0 });
  });

  it('throws when a write fails for good, saying how many', async () => {
    // A value Firestore refuses: a string longer than its 1 MiB limit.
    const tooLong = { ...patterns([]), as_of: 'x'.repeat(1_100_000) };
    await expect(publisher.publish([{ userId: `shopper-${randomUUID()}`, patterns: tooLong }])).rejects.toThrow(
      /1 of 1 pattern writes failed/,
    );
  });
});
