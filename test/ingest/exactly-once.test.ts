import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { trackEverything } from '../../functions/collect/consent.ts';
import { APPLIED_IDS_FIELD, APPLIED_IDS_LIMIT, appliedIdOf } from '../../functions/adapters/gcp/applied-ids.ts';
import { createFirestorePreferenceStore, learnedPreferences } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createLegacyMarkerCheck } from '../../functions/adapters/gcp/legacy-applied-markers.ts';
import { createDuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import type { PreferenceStore } from '../../functions/ingest/ports.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import { VALID_DATA } from '../support/fixtures.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { createLegacyPreferenceStore } from '../support/legacy-preference-store.ts';
import { differences } from '../support/same-document.ts';
import { batchMessage, collectedEvent, pubsubCloudEvent } from '../support/messages.ts';
import { hashUser } from '../support/user-hasher.ts';

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
  return createFirestorePreferenceStore(firestore, { learn, hashUser });
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
    collectedEvent('search_result_clicked', userId, at(1), {
      data: { ...VALID_DATA.search_result_clicked, query, search_id: 'q-1', position: 2 },
    }),
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

    // What was learned, not the ids learned from: those are each shopper's own.
    const [docA, docB] = [learnedPreferences(await preferencesOf(first)), learnedPreferences(await preferencesOf(second))];
    // Equal up to float rounding: sums taken in another order round differently in the last bit.
    expect(differences({ ...docB, user_id: first }, docA, 1)).toEqual([]);
    expect(docA?.event_count).toBe(4);
  });

  /** Counts the learning transactions' attempts while `run` runs. */
  async function countingAttempts<T>(run: () => Promise<T>): Promise<{ result: T; attempts: number }> {
    let attempts = 0;
    const runTransaction = firestore.runTransaction.bind(firestore);
    const counting = vi.spyOn(firestore, 'runTransaction').mockImplementation((update, options) =>
      runTransaction((tx) => {
        attempts += 1;
        return update(tx);
      }, options),
    );
    try {
      return { result: await run(), attempts };
    } finally {
      counting.mockRestore();
    }
  }

  it('learns one shopper’s messages that queued behind a transaction within an instance together in the next: one write for all', async () => {
    const user = `u-${randomUUID()}`;
    const own = store();
    const view = (i: number) => [collectedEvent('product_viewed', user, new Date(NOW.getTime() - i * 1000))];
    const { result, attempts } = await countingAttempts(() =>
      Promise.all(Array.from({ length: 8 }, (_, i) => own.apply(user, view(i), NOW))),
    );

    // The first runs alone; the seven that waited for it are one transaction, not seven that collide.
    expect(attempts).toBe(2);
    expect(result.map((outcome) => outcome.applied)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(result.reduce((n, outcome) => n + outcome.writes, 0)).toBe(2);
    expect((await preferencesOf(user))?.event_count).toBe(8);
  });

  it('counts a redelivered message once when it queued together with its first delivery', async () => {
    const user = `u-${randomUUID()}`;
    const own = store();
    const [first, again] = [afternoon(user), afternoon(user)];
    const outcomes = await Promise.all([own.apply(user, first, NOW), own.apply(user, again, NOW), own.apply(user, again, NOW)]);

    expect(outcomes.map(({ applied, alreadyApplied }) => ({ applied, alreadyApplied }))).toEqual([
      { applied: 4, alreadyApplied: 0 },
      { applied: 4, alreadyApplied: 0 },
      { applied: 0, alreadyApplied: 4 },
    ]);
    expect((await preferencesOf(user))?.event_count).toBe(8);
  });

  it('learns each queued message on its own when their transaction fails, so one message’s failure is never another’s', async () => {
    const user = `u-${randomUUID()}`;
    const poison = collectedEvent('product_viewed', user, NOW);
    const own = createFirestorePreferenceStore(firestore, {
      hashUser,
      learn: (current, userId, events, now) => {
        if (events.some((e) => e.event_id === poison.event_id)) throw new Error('cannot learn this one');
        return learn(current, userId, events, now);
      },
    });
    const [first, good] = [afternoon(user), [collectedEvent('cart_item_added', user, NOW)]];
    const outcomes = await Promise.allSettled([own.apply(user, first, NOW), own.apply(user, good, NOW), own.apply(user, [poison], NOW)]);

    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.applied : String(o.reason)))).toEqual([
      4,
      1,
      'Error: cannot learn this one',
    ]);
    expect((await preferencesOf(user))?.event_count).toBe(5);
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

  it('keeps fields other writers own, such as the batch patterns', async () => {
    const user = `u-${randomUUID()}`;
    await firestore
      .collection('preferences')
      .doc(user)
      .set({ patterns: { regular_items: 3 } });
    await ingest()(pubsubCloudEvent(batchMessage(user, afternoon(user))));
    expect(await preferencesOf(user)).toMatchObject({ patterns: { regular_items: 3 }, event_count: 4 });
  });

  it('remembers the applied ids in the document, each under the day its mark runs out', async () => {
    const user = `u-${randomUUID()}`;
    const events = afternoon(user);
    await ingest()(pubsubCloudEvent(batchMessage(user, events)));
    const stored = (await preferencesOf(user))?.[APPLIED_IDS_FIELD] as Record<string, Buffer>;
    const runsOutOn = String(Math.floor((NOW.getTime() + 8 * 86_400_000) / 86_400_000) + 1);
    expect(Object.keys(stored)).toEqual([runsOutOn]);
    expect(stored[runsOutOn]).toEqual(Buffer.concat(events.map((e) => appliedIdOf(e.event_id))));
  });

  it('writes one document per message, whatever its size', async () => {
    const user = `u-${randomUUID()}`;
    const results = Array.from({ length: 20 }, (_, i) => ({ sku: `sku-${i}`, position: i + 1 }));
    const search = collectedEvent('search_performed', user, NOW, { data: { ...VALID_DATA.search_performed, results } });
    expect(await store().apply(user, [search], NOW)).toEqual({ applied: 1, alreadyApplied: 0, writes: 1 });

    const events = Array.from({ length: 100 }, (_, i) => collectedEvent('cart_item_added', user, new Date(NOW.getTime() - i * 1000)));
    expect(await store().apply(user, events, NOW)).toEqual({ applied: 100, alreadyApplied: 0, writes: 1 });
    expect(await store().apply(user, events, NOW)).toEqual({ applied: 0, alreadyApplied: 100, writes: 0 });
    expect((await preferencesOf(user))?.event_count).toBe(101);
  });

  it('keeps a document at its bound of applied ids under Firestore’s 1 MiB, forgetting the oldest id to take a new one', async () => {
    const user = `u-${randomUUID()}`;
    const day = String(Math.floor((NOW.getTime() + 86_400_000) / 86_400_000) + 1);
    const full = Buffer.concat(Array.from({ length: APPLIED_IDS_LIMIT }, (_, i) => appliedIdOf(`earlier-${i}`)));
    // Standing in for the rest at its largest: learned preferences under 512 KiB (test/learn/bounded-size.test.ts)
    // and patterns of tens of KB.
    const patterns = { as_of: NOW.toISOString(), filler: 'x'.repeat(600_000) };
    // Unbounded, the ids of a busy fortnight would not fit beside them.
    const unbounded = Buffer.concat([full, full.subarray(0, 30_000 * 8)]);
    await expect(
      firestore
        .collection('preferences')
        .doc(user)
        .set({ patterns, [APPLIED_IDS_FIELD]: { [day]: unbounded } }),
    ).rejects.toThrow(/entity size/);
    await firestore
      .collection('preferences')
      .doc(user)
      .set({ patterns, [APPLIED_IDS_FIELD]: { [day]: full } });

    const event = collectedEvent('product_viewed', user, NOW);
    expect(await store().apply(user, [event], NOW)).toEqual({ applied: 1, alreadyApplied: 0, writes: 1, forgottenIds: 1 });
    expect(await store().apply(user, [event], NOW)).toEqual({ applied: 0, alreadyApplied: 1, writes: 0 });
  });

  it('learns nothing once the shopper switched learning off, even from a message checked before the switch', async () => {
    const user = `u-${randomUUID()}`;
    const events = afternoon(user);
    // The switch as the privacy store makes it: the flag set and the learned document deleted together.
    await firestore.collection('privacy').doc(user).set({ learn_preferences: false });
    const outcome = await store().apply(user, events, NOW);
    expect(outcome).toMatchObject({ applied: 0, alreadyApplied: 0 });
    // Only the ids of the events are kept: nothing learned.
    expect(Object.keys((await preferencesOf(user)) ?? {})).toEqual([APPLIED_IDS_FIELD]);

    // Switched back on: the same events, redelivered, are not learned late.
    await firestore.collection('privacy').doc(user).set({ learn_preferences: true });
    expect(await store().apply(user, events, NOW)).toEqual({ applied: 0, alreadyApplied: events.length, writes: 0 });
    expect(learnedPreferences(await preferencesOf(user))).toBeNull();
  });
});

// The deploy that moved applied ids into the preference document: what the earlier code marked in
// `preferences/{id}/applied/{shard}` must still count, and both codes run side by side for a while.
describe('exactly-once across the move of applied ids into the document', () => {
  const legacy = createLegacyPreferenceStore(firestore);
  // As at the deploy: the earlier code has marked events in the last days, so learning reads its marks.
  beforeAll(async () => {
    const shopper = `u-${randomUUID()}`;
    await legacy.apply(shopper, afternoon(shopper), NOW);
  });

  it('does not learn again a message learned under the earlier layout and delivered after the deploy', async () => {
    const user = `u-${randomUUID()}`;
    const message = pubsubCloudEvent(batchMessage(user, afternoon(user)));
    await ingest(legacy)(message);
    const before = await preferencesOf(user);
    expect(before?.event_count).toBe(4);
    expect(before?.[APPLIED_IDS_FIELD]).toBeUndefined();

    await ingest()(message);
    expect(await preferencesOf(user)).toEqual(before);
  });

  it('learns only the events the earlier code had not, when a resent request overlaps one it learned', async () => {
    const user = `u-${randomUUID()}`;
    const events = afternoon(user);
    await legacy.apply(user, events.slice(0, 2), NOW);
    expect(await store().apply(user, events, NOW)).toEqual({ applied: 2, alreadyApplied: 2, writes: 1 });
    expect(await store().apply(user, events, NOW)).toEqual({ applied: 0, alreadyApplied: 4, writes: 0 });
    expect((await preferencesOf(user))?.event_count).toBe(4);
  });

  it('counts a message the earlier code learned once when its redeliveries race after the deploy', async () => {
    const user = `u-${randomUUID()}`;
    const message = pubsubCloudEvent(batchMessage(user, afternoon(user)));
    await ingest(legacy)(message);
    await Promise.all([ingest()(message), ingest()(message), ingest()(message)]);
    expect((await preferencesOf(user))?.event_count).toBe(4);
  });

  it('gives the same document whether part of a shopper’s messages was learned before the deploy, in another order, or all after', async () => {
    const [across, after] = [`u-${randomUUID()}`, `u-${randomUUID()}`];
    const query = `rye bread ${randomUUID().slice(0, 6)}`;
    const messages = (user: string) => {
      const events = afternoon(user, query);
      return [pubsubCloudEvent(batchMessage(user, events.slice(0, 2))), pubsubCloudEvent(batchMessage(user, events.slice(2)))] as const;
    };
    const [a1, a2] = messages(across);
    const [b1, b2] = messages(after);
    // The second message before the deploy, the first after it, then both again.
    await ingest(legacy)(a2);
    for (const message of [a1, a2, a1]) await ingest()(message);
    for (const message of [b1, b2]) await ingest()(message);

    const [docA, docB] = [learnedPreferences(await preferencesOf(across)), learnedPreferences(await preferencesOf(after))];
    expect(differences({ ...docB, user_id: across }, docA, 1)).toEqual([]);
    expect(docA?.event_count).toBe(4);
  });

  it('keeps the earlier marks of a shopper whose learning was off, for when it is switched on again', async () => {
    const user = `u-${randomUUID()}`;
    const events = afternoon(user);
    await firestore.collection('privacy').doc(user).set({ learn_preferences: false });
    await legacy.apply(user, events, NOW);
    expect(await preferencesOf(user)).toBeUndefined();
    await firestore.collection('privacy').doc(user).set({ learn_preferences: true });
    expect(await store().apply(user, events, NOW)).toEqual({ applied: 0, alreadyApplied: 4, writes: 0 });
  });
});

describe('whether any mark of the earlier layout is still live (emulator, a project of its own)', () => {
  const own = emulatorFirestore('demo-legacy-markers');
  afterAll(() => own.terminate());

  it('says no before any, yes while one is live, and no once every one has run out', async () => {
    expect(await createLegacyMarkerCheck(own).mayExist(NOW)).toBe(false);
    const user = `u-${randomUUID()}`;
    await createLegacyPreferenceStore(own).apply(user, afternoon(user), NOW);
    expect(await createLegacyMarkerCheck(own).mayExist(NOW)).toBe(true);
    expect(await createLegacyMarkerCheck(own).mayExist(new Date(NOW.getTime() + 8 * 86_400_000 + 1))).toBe(false);
  });

  it('reads no earlier mark once none is live: such a mark has run out and its event is new', async () => {
    const user = `u-${randomUUID()}`;
    const events = afternoon(user);
    await createLegacyPreferenceStore(own).apply(user, events.slice(0, 1), NOW);
    const later = new Date(NOW.getTime() + 9 * 86_400_000);
    const present = createFirestorePreferenceStore(own, { learn, hashUser });
    expect(await present.apply(user, events, later)).toEqual({ applied: 4, alreadyApplied: 0, writes: 1 });
  });
});
