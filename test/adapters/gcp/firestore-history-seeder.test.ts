import { randomUUID } from 'node:crypto';
import { Firestore, type WriteBatch } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APPLIED_IDS_FIELD } from '../../../functions/adapters/gcp/applied-ids.ts';
import {
  createFirestoreHistorySeeder,
  createFirestorePreferenceStore,
} from '../../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestoreErasureStore } from '../../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestorePrivacyStore } from '../../../functions/adapters/gcp/firestore-privacy-store.ts';
import { shopperRefs } from '../../../functions/adapters/gcp/shopper-documents.ts';
import { DAY_MS } from '../../../functions/learn/decay.ts';
import { learn } from '../../../functions/learn/learn.ts';
import { DEFAULT_PRIVACY } from '../../../functions/privacy/settings.ts';
import { createUserHasher } from '../../../functions/privacy/user-hash.ts';
import { collected } from '../../learn/collected.ts';
import { NOW } from '../../support/fixtures.ts';
import { hashUser } from '../../support/user-hasher.ts';

/*
 * The seeder writes each shopper in one batch whose preconditions say nothing changed since its read. When something
 * did — live learning, a privacy switch — between the read and the commit, the batch fails and the shopper is
 * learned again in the transaction live learning uses: the outcome is exact either way. The change is made to happen
 * in that gap by running it just before the seeder's batch commits.
 */

let firestore: Firestore;
beforeAll(() => {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  firestore = new Firestore({ projectId: `demo-seeder-${randomUUID().slice(0, 8)}`, ignoreUndefinedProperties: true });
});
afterAll(() => firestore.terminate());

const options = { learn, hashUser, markerTtlDays: 8 };
const seederOptions = { ...options, liveWindowMs: 30 * DAY_MS, resumeWindowMs: 30 * DAY_MS };

/** `firestore`, but with `before` run once just before the first batch commits. */
function withGap(before: () => Promise<void>): Firestore {
  let ran = false;
  return new Proxy(firestore, {
    get(target, key, receiver) {
      if (key !== 'batch') return Reflect.get(target, key, receiver) as unknown;
      return () => {
        const batch: WriteBatch = target.batch();
        const commit = batch.commit.bind(batch);
        batch.commit = async () => {
          if (!ran) {
            ran = true;
            await before();
          }
          return commit();
        };
        return batch;
      };
    },
  });
}

const document = async (userId: string) => (await shopperRefs(firestore, userId).preferences.get()).data();
const orders = (userId: string, n: number) =>
  Array.from({ length: n }, (_, i) => collected('order_completed', new Date(NOW.getTime() - (n - i) * 7 * DAY_MS), undefined, userId));

describe('the history seeder', () => {
  it('writes a slice of shoppers, each learned once and marked seeded', async () => {
    const seeder = createFirestoreHistorySeeder(firestore, seederOptions);
    const [a, b] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    const outcomes = await seeder.seed(
      [
        { userId: a, events: orders(a, 3) },
        { userId: b, events: orders(b, 1) },
      ],
      NOW,
      'imp-1',
    );
    expect(outcomes.map((o) => [o.applied, o.seededBefore])).toEqual([
      [3, false],
      [1, false],
    ]);
    expect((await document(a))?.event_count).toBe(3);
    expect((await document(b))?.event_count).toBe(1);
  });

  it('learns a shopper again in a transaction when live learning wrote between its read and its batch: every event once', async () => {
    const userId = `c-${randomUUID()}`;
    const live = createFirestorePreferenceStore(firestore, options);
    const liveEvent = collected('product_viewed', NOW, undefined, userId);
    const history = orders(userId, 2);
    const seeder = createFirestoreHistorySeeder(
      withGap(async () => void (await live.apply(userId, [liveEvent, history[1] as (typeof history)[number]], NOW))),
      seederOptions,
    );
    const [outcome] = await seeder.seed([{ userId, events: history }], NOW, 'imp-2');
    // The second order had been learned live meanwhile: the transaction finds its mark.
    expect(outcome).toMatchObject({ applied: 1, alreadyApplied: 1, seededBefore: false });
    expect((await document(userId))?.event_count).toBe(3);
  });

  it('learns nothing for a shopper who switched learning off between its read and its batch', async () => {
    const userId = `d-${randomUUID()}`;
    const privacy = createFirestorePrivacyStore(firestore, { hashUser: createUserHasher('seeder-test-key-0123456789abcdef0123') });
    await privacy.write(userId, DEFAULT_PRIVACY, NOW);
    const seeder = createFirestoreHistorySeeder(
      withGap(async () => void (await privacy.write(userId, { ...DEFAULT_PRIVACY, learn_preferences: false }, NOW))),
      seederOptions,
    );
    const [outcome] = await seeder.seed([{ userId, events: orders(userId, 2) }], NOW, 'imp-3');
    expect(outcome).toMatchObject({ applied: 0 });
    // The events are marked applied, nothing learned: turned back on, learning does not take them late.
    expect(Object.keys((await document(userId)) ?? {})).toEqual([APPLIED_IDS_FIELD]);
  });

  it('writes nothing for a shopper whose erasure was requested between its read and its batch', async () => {
    const userId = `e-${randomUUID()}`;
    const erasures = createFirestoreErasureStore(firestore, { hashUser });
    const seeder = createFirestoreHistorySeeder(
      withGap(async () => void (await erasures.request(userId, 'shopper', new Date(NOW.getTime() + 1000)))),
      seederOptions,
    );
    const [outcome] = await seeder.seed([{ userId, events: orders(userId, 2) }], NOW, 'imp-4');
    expect(outcome).toMatchObject({ applied: 0, writes: 0 });
    expect(await document(userId)).toBeUndefined();
  });
});
