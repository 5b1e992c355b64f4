import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createFirestorePatternPublisher } from '../../functions/adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';
import { createDuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { EVENT_TYPES, type CollectedEvent } from '../../functions/events/schema.ts';
import { learn } from '../../functions/learn/learn.ts';
import { renderPreferenceDocumentJsonSchema } from '../../functions/learn/preference-document-schema.ts';
import { PREFERENCES_JSON_SCHEMA_PATH } from '../../functions/learn/write-json-schema.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createFirestoreReorderModelPublisher } from '../../functions/adapters/gcp/firestore-reorder-model.ts';
import { runPatternsJob } from '../../functions/patterns/job.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { NOW } from '../support/fixtures.ts';
import { createMemoryErasureStore, createMemoryPrivacyStore } from '../support/memory-privacy.ts';
import { collectedEvent } from '../support/messages.ts';
import { AS_OF, EVENTS, ORDER_ITEMS, PRIVACY } from '../patterns/fixtures.ts';
import { arbitraryEvent } from './arbitrary-events.ts';
import { hashUser } from '../support/user-hasher.ts';

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(PREFERENCES_JSON_SCHEMA_PATH, 'utf8')) as object);
const errorsOf = (document: unknown) =>
  validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);

const catalogue = {
  skus: ['sku-oat-1l', 'sku-rye', 'sku-eggs'],
  brands: ['Oatly', 'Alpro', 'constructor'],
  categories: ['dairy-alternatives', 'bakery', 'eggs'],
  dietaryTags: ['vegan', 'gluten_free', 'organic'],
};

// The patterns job publishes under the fixtures' fixed ids (u1…): a project of its own.
const firestore = emulatorFirestore('demo-preference-schema');
afterAll(() => firestore.terminate());
const store = createFirestorePreferenceStore(firestore, { learn, hashUser });
const stored = async (userId: string) => (await shopperRefs(firestore, userId).preferences.get()).data();
const as = (userId: string, events: readonly CollectedEvent[]) => events.map((event) => ({ ...event, user_id: userId }));

describe('the preference document’s JSON Schema', () => {
  it('is current with its zod schema (run `npm run schema` after changing it)', () => {
    expect(readFileSync(PREFERENCES_JSON_SCHEMA_PATH, 'utf8')).toBe(renderPreferenceDocumentJsonSchema());
  });

  it('holds every document real-time learning writes to Firestore, from events of every type', async () => {
    const user = `shopper-${randomUUID()}`;
    const everyType = EVENT_TYPES.map((type) => collectedEvent(type, user, NOW));
    const arbitrary = as(user, fc.sample(arbitraryEvent(catalogue), { numRuns: 300, seed: 20 }));
    for (const events of [everyType, arbitrary.slice(0, 100), arbitrary.slice(100, 200), arbitrary.slice(200)]) {
      await store.apply(user, events, NOW);
      expect(errorsOf(await stored(user))).toEqual([]);
    }
    // Each part is there to be checked, not merely allowed to be absent.
    expect(Object.keys((await stored(user)) ?? {}).sort()).toEqual(
      [
        'schema_version',
        'user_id',
        'epoch',
        'half_life_days',
        'products',
        'brands',
        'categories',
        'brands_by_category',
        'dietary',
        'recent',
        'reorder',
        'explicit',
        'event_count',
        'last_event_at',
        'applied_ids',
      ].sort(),
    );
  });

  it('holds what the patterns job publishes, alone or beside what was learned', async () => {
    const warehouse = await createDuckDbWarehouse(':memory:');
    try {
      await warehouse.replaceRows('events', EVENTS, 'test');
      await warehouse.replaceRows('order_items', ORDER_ITEMS, 'test');
      const privacy = createMemoryPrivacyStore();
      for (const [userId, off] of Object.entries(PRIVACY)) await privacy.set(userId, off);
      // u1 has learned too; the others' documents are the patterns job's alone.
      await store.apply(
        'u1',
        as(
          'u1',
          EVENT_TYPES.map((type) => collectedEvent(type, 'u1', NOW)),
        ),
        NOW,
      );
      const run = await runPatternsJob({
        warehouse,
        publisher: createFirestorePatternPublisher(firestore),
        reorderModels: createFirestoreReorderModelPublisher(firestore),
        privacy,
        erasures: createMemoryErasureStore({ privacy }),
        clock: () => new Date(AS_OF),
        logger: createMemoryLogger(),
        settleMs: 0,
        newRunId: () => `run-${randomUUID()}`,
      });
      expect(run.changed).toBeGreaterThan(0);
      const filled = new Set<string>();
      for (const userId of ['u1', 'u2', 'u3', 'u4', 'u6']) {
        const document = await stored(userId);
        expect(errorsOf(document), userId).toEqual([]);
        const patterns = (document?.patterns ?? {}) as Record<string, unknown>;
        for (const [part, value] of Object.entries(patterns))
          if (Array.isArray(value) ? value.length > 0 : value !== null) filled.add(part);
      }
      // Every part was published filled for some shopper, so each part's schema was exercised.
      expect([...filled].sort()).toEqual([
        'as_of',
        'bought_together',
        'brands',
        'categories',
        'dietary',
        'price',
        'regular_items',
        'schedule',
      ]);
    } finally {
      await warehouse.close();
    }
  });

  it('holds the document of a shopper who switched learning off: the ids of the events applied, alone', async () => {
    const user = `shopper-${randomUUID()}`;
    await firestore.collection('privacy').doc(user).set({ learn_preferences: false });
    await store.apply(user, [collectedEvent('order_completed', user, NOW)], NOW);
    expect(Object.keys((await stored(user)) ?? {})).toEqual(['applied_ids']);
    expect(errorsOf(await stored(user))).toEqual([]);
  });

  it('holds every document learning makes of any events, stored or not', () => {
    fc.assert(
      fc.property(fc.array(arbitraryEvent(catalogue), { maxLength: 40 }), (events) => {
        expect(errorsOf(learn(null, events[0]?.user_id ?? 'shopper-1', events, NOW))).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it.each([
    ['a field it does not name', (doc: Record<string, unknown>) => ({ ...doc, favourite: 'Oatly' })],
    [
      'an affinity without its weight',
      (doc: Record<string, unknown>) => ({ ...doc, brands: { Oatly: { signals: {}, last_at: NOW.toISOString() } } }),
    ],
    ['a time that is not RFC 3339', (doc: Record<string, unknown>) => ({ ...doc, last_event_at: 'yesterday' })],
    ['neither learned fields nor patterns', () => ({})],
  ])('rejects a document with %s, so a reader can rely on it', (_name, change) => {
    const learned = learn(null, 'shopper-1', [collectedEvent('order_completed', 'shopper-1', NOW)], NOW);
    expect(errorsOf(learned)).toEqual([]);
    expect(validate(change(learned))).toBe(false);
  });
});
