import { randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createFirestoreHistorySeeder,
  createFirestorePreferenceStore,
  learnedPreferences,
} from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import { DAY_MS, scaleToEpoch } from '../../functions/learn/decay.ts';
import { learn } from '../../functions/learn/learn.ts';
import { DEFAULT_LEARNING_CONFIG, type LearningConfig } from '../../functions/learn/learning-config.ts';
import type { Preferences } from '../../functions/learn/preferences.ts';
import { arbitraryEvent } from '../learn/arbitrary-events.ts';
import { NOW } from '../support/fixtures.ts';
import { differences } from '../support/same-document.ts';
import { hashUser } from '../support/user-hasher.ts';

/*
 * Seeding from history is exact: a shopper's imported events, seeded through the import's seeder — some of them
 * learned live before, as a shop that imports the weeks it already sent would have — give the very document that
 * learning each event once, one message at a time, gives. Both run on the Firestore emulator, through the one
 * learning transaction. As in test/learn/commutativity.property.test.ts, the catalogue keeps every map below its
 * top-K and the weak-entry threshold is off: pruning is the one step where order matters.
 */

const config: LearningConfig = { ...DEFAULT_LEARNING_CONFIG, pruneBelow: 0 };
const catalogue = {
  skus: ['sku-oat-1l', 'sku-soy-1l', 'sku-rye', 'sku-eggs', 'sku-pasta'],
  brands: ['Oatly', 'Alpro', 'Barilla', 'constructor'],
  categories: ['dairy-alternatives', 'bakery', 'eggs', 'pasta'],
  dietaryTags: ['vegan', 'organic', 'gluten_free'],
};
const weightFloor = scaleToEpoch(1, NOW, new Date(config.epoch), config.halfLifeDays);
const options = {
  hashUser,
  learn: (current: Preferences | null, userId: string, events: readonly CollectedEvent[], now: Date) =>
    learn(current, userId, events, now, config),
  markerTtlDays: 8,
};

let firestore: Firestore;
beforeAll(() => {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  firestore = new Firestore({ projectId: `demo-seeding-${randomUUID().slice(0, 8)}`, ignoreUndefinedProperties: true });
});
afterAll(() => firestore.terminate());

const scenario = fc.array(arbitraryEvent(catalogue), { minLength: 1, maxLength: 15 }).chain((events) =>
  fc.record({
    events: fc.constant(events),
    /** Which events were learned live before the import, and in what order they arrive one by one. */
    live: fc.array(fc.boolean(), { minLength: events.length, maxLength: events.length }),
    arrival: fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
  }),
);

const ofShopper = (events: readonly CollectedEvent[], userId: string) => events.map((e) => ({ ...e, user_id: userId }));
const learned = async (userId: string) => learnedPreferences((await shopperRefs(firestore, userId).preferences.get()).data());

describe('seeding from history', () => {
  it('gives the document learning the same events one by one gives, whichever of them were learned live first', async () => {
    const live = createFirestorePreferenceStore(firestore, options);
    const seeder = createFirestoreHistorySeeder(firestore, { ...options, liveWindowMs: 30 * DAY_MS, resumeWindowMs: 30 * DAY_MS });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ events, live: wasLive, arrival }) => {
        const seeded = `seeded-${randomUUID()}`;
        const oneByOne = `one-by-one-${randomUUID()}`;
        const history = ofShopper(events, seeded);
        for (const [i, event] of history.entries()) if (wasLive[i]) await live.apply(seeded, [event], NOW);
        const importId = randomUUID();
        await seeder.seed([{ userId: seeded, events: history }], NOW, importId);
        // A resumed import seeds the shopper again: nothing changes.
        expect(await seeder.seed([{ userId: seeded, events: history }], NOW, importId)).toEqual([
          { applied: 0, alreadyApplied: 0, seededBefore: true, writes: 0 },
        ]);

        for (const event of ofShopper(arrival, oneByOne)) await live.apply(oneByOne, [event], NOW);

        const [a, b] = [await learned(seeded), await learned(oneByOne)];
        expect(differences({ ...a, user_id: 'x' }, { ...b, user_id: 'x' }, weightFloor)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
