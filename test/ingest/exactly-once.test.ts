import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackEverything } from '../../functions/collect/consent.ts';
import { APPLIED_SHARDS, appliedShardOf, createFirestorePreferenceStore, readClickThrough } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createDuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import type { PreferenceStore } from '../../functions/ingest/ports.ts';
import { clickThroughIncrements } from '../../functions/learn/click-through.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import { VALID_DATA } from '../support/fixtures.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { differences } from '../support/same-document.ts';
import { batchMessage, collectedEvent, pubsubCloudEvent } from '../support/messages.ts';

// Invariant 1: at-least-once delivery + idempotent processing = every accepted event counted once,
// in the warehouse and in the shopper's preferences, whatever is redelivered, reordered or retried.

const firestore = emulatorFirestore();
const NOW = new Date('2026-11-26T12:00:00.000Z');
type DuckDb = Awaited<ReturnType<typeof createDuckDbWarehouse>>;
let warehouse: DuckDb;

beforeAll(async () => {
  warehouse = await createDuckDbWarehouse(':memory:');
});
afterAll(async () => {
  await warehouse.close();
  await firestore.terminate();
});

function ingest(preferences: PreferenceStore = store()) {
  return createIngestHandler({ warehouse, preferences, consent: trackEverything, clock: () => NOW, logger: createMemoryLogger() });
}

function store(): PreferenceStore {
  return createFirestorePreferenceStore(firestore, { learn, clickThrough: clickThroughIncrements });
}

async function preferencesOf(userId: string) {
  return (await firestore.collection('preferences').doc(userId).get()).data();
}

async function rowCount(table: string, userId: string): Promise<number> {
  const rows = await warehouse.sql(`SELECT count(*) AS n FROM ${table} WHERE user_id = $1`, [userId]);
  return Number(rows[0]?.n);
}

/** A shopper's afternoon: a search, a click on its second result, a cart add and an order. */
function afternoon(userId: string, query = `oat milk ${randomUUID().slice(0, 6)}`): CollectedEvent[] {
  const at = (minutes: number) => new Date(NOW.getTime() - (60 - minutes) * 60_000);
  return [
    collectedEvent('search_performed', userId, at(0), { data: { ...VALID_DATA.search_performed, query, search_id: 'q-1' } }),
    collectedEvent('search_result_clicked', userId, at(1), { data: { ...VALID_DATA.search_result_clicked, query, search_id: 'q-1', position: 2 } }),
    collectedEvent('cart_item_added', userId, at(2)),
    collectedEvent('order_completed', userId, at(30)),
  ];
}

describe('exactly-once learning over at-least-once delivery', () => {
  it('changes nothing when a message is delivered again', async () => {
    const user = `u-${randomUUID()}`;
    const message = pubsubCloudEvent(batchMessage(user, afternoon(user)));
    await ingest()(message);
    const once = await preferencesOf(user);
    await ingest()(message);
    await ingest()(message);

    expect(await preferencesOf(user)).toEqual(once);
    expect(once?.event_count).toBe(4);
    expect(await rowCount('events', user)).toBe(4);
    expect(await rowCount('order_items', user)).toBe(2);
  });

  it('counts a message once when deliveries race', async () => {
    const user = `u-${randomUUID()}`;
    const message = pubsubCloudEvent(batchMessage(user, afternoon(user)));
    await Promise.all([ingest()(message), ingest()(message), ingest()(message)]);
    expect((await preferencesOf(user))?.event_count).toBe(4);
    expect(await rowCount('events', user)).toBe(4);
  });

  it('gives the same document whichever order two messages arrive in', async () => {
    const [first, second] = [`u-${randomUUID()}`, `u-${randomUUID()}`];
    const query = `rye bread ${randomUUID().slice(0, 6)}`;
    const make = (user: string) => {
      const events = afternoon(user, query);
      // The same events for both shoppers, with their own ids.
      return [batchMessage(user, events.slice(0, 2)), batchMessage(user, events.slice(2))];
    };
    const [a1, a2] = make(first);
    const [b1, b2] = make(second);
    await ingest()(pubsubCloudEvent(a1));
    await ingest()(pubsubCloudEvent(a2));
    await ingest()(pubsubCloudEvent(b2));
    await ingest()(pubsubCloudEvent(b1));

    const [docA, docB] = [await preferencesOf(first), await preferencesOf(second)];
    // Equal up to float rounding: sums taken in another order round differently in the last bit.
    expect(differences({ ...docB, user_id: first }, docA, 1)).toEqual([]);
    expect(docA?.event_count).toBe(4);
  });

  it('counts events once when a client resends them in a new request after a 503', async () => {
    const user = `u-${randomUUID()}`;
    const events = afternoon(user);
    await ingest()(pubsubCloudEvent(batchMessage(user, events)));
    await ingest()(pubsubCloudEvent(batchMessage(user, events)));
    expect((await preferencesOf(user))?.event_count).toBe(4);
    expect(await rowCount('events', user)).toBe(4);
  });

  it('applies a message exactly once after learning failed and Pub/Sub retried it', async () => {
    const user = `u-${randomUUID()}`;
    const message = pubsubCloudEvent(batchMessage(user, afternoon(user)));
    const failing: PreferenceStore = { apply: async () => Promise.reject(new Error('14 UNAVAILABLE: Firestore')) };
    await expect(ingest(failing)(message)).rejects.toThrow('UNAVAILABLE');
    expect(await rowCount('events', user)).toBe(4);

    await ingest()(message);
    expect((await preferencesOf(user))?.event_count).toBe(4);
    expect(await rowCount('events', user)).toBe(4);
  });

  it('counts impressions and clicks per query and position once, across shards', async () => {
    const user = `u-${randomUUID()}`;
    const query = `oat milk ${randomUUID().slice(0, 6)}`;
    const message = pubsubCloudEvent(batchMessage(user, afternoon(user, query)));
    await ingest()(message);
    await ingest()(message);
    const counts = await readClickThrough(firestore, query);
    expect(counts['1']).toEqual({ impressions: 1, clicks: 0 });
    expect(counts['2']).toEqual({ impressions: 1, clicks: 1 });
  });

  it('keeps fields other writers own, such as the batch patterns', async () => {
    const user = `u-${randomUUID()}`;
    await firestore.collection('preferences').doc(user).set({ patterns: { regular_items: 3 } });
    await ingest()(pubsubCloudEvent(batchMessage(user, afternoon(user))));
    expect(await preferencesOf(user)).toMatchObject({ patterns: { regular_items: 3 }, event_count: 4 });
  });

  it('remembers applied event ids with an expiry for the TTL policy', async () => {
    const user = `u-${randomUUID()}`;
    const events = afternoon(user);
    await ingest()(pubsubCloudEvent(batchMessage(user, events)));
    const [first] = events;
    const shard = await firestore.collection('preferences').doc(user).collection('applied').doc(appliedShardOf(first?.event_id ?? '')).get();
    const expiry = NOW.getTime() + 8 * 86_400_000;
    expect(shard.get('ids')).toMatchObject({ [first?.event_id ?? '']: expiry });
    expect(shard.get('expire_at').toMillis()).toBe(expiry);
  });

  it('writes one counter document per query, whatever the number of positions shown', async () => {
    const user = `u-${randomUUID()}`;
    const query = `tea ${randomUUID().slice(0, 6)}`;
    const results = Array.from({ length: 20 }, (_, i) => ({ sku: `sku-${i}`, position: i + 1 }));
    const search = collectedEvent('search_performed', user, NOW, { data: { ...VALID_DATA.search_performed, query, results } });
    // The preference document, one applied-id shard, one counter shard.
    expect(await store().apply(user, [search], NOW)).toEqual({ applied: 1, alreadyApplied: 0, writes: 3 });
    const counts = await readClickThrough(firestore, query);
    expect(Object.keys(counts)).toHaveLength(20);
    expect(counts['20']).toEqual({ impressions: 1, clicks: 0 });
  });

  it('writes far fewer documents than events for a batched request', async () => {
    const user = `u-${randomUUID()}`;
    const events = Array.from({ length: 100 }, (_, i) => collectedEvent('cart_item_added', user, new Date(NOW.getTime() - i * 1000)));
    const outcome = await store().apply(user, events, NOW);
    expect(outcome.applied).toBe(100);
    // The document and at most 16 shards of applied ids; cart adds touch no click-through counter.
    expect(outcome.writes).toBeLessThanOrEqual(1 + APPLIED_SHARDS);
    expect(outcome.writes / outcome.applied).toBeLessThan(0.2);
    expect(await store().apply(user, events, NOW)).toEqual({ applied: 0, alreadyApplied: 100, writes: 0 });
  });

  it('learns nothing once the shopper switched learning off, even from a message checked before the switch', async () => {
    const user = `u-${randomUUID()}`;
    const events = afternoon(user);
    // The switch as the privacy store makes it: the flag set and the learned document deleted together.
    await firestore.collection('privacy').doc(user).set({ learn_preferences: false });
    const outcome = await store().apply(user, events, NOW);
    expect(outcome).toMatchObject({ applied: 0, alreadyApplied: 0 });
    expect(await preferencesOf(user)).toBeUndefined();

    // Switched back on: the same events, redelivered, are not learned late.
    await firestore.collection('privacy').doc(user).set({ learn_preferences: true });
    expect(await store().apply(user, events, NOW)).toEqual({ applied: 0, alreadyApplied: events.length, writes: 0 });
    expect(await preferencesOf(user)).toBeUndefined();
  });
});
