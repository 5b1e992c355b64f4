import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createFirestoreErasureStore } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestoreLinkReader } from '../../functions/adapters/gcp/firestore-identity-links.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import type { EventBatchMessage } from '../../functions/events/messages.ts';
import { EVENT_TYPES, type EventType } from '../../functions/events/schema.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import { eventKey } from '../../functions/kernel/event-identity.ts';
import type { PreferenceStore } from '../../functions/ingest/ports.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createCollectConsent, createIngestConsent } from '../../functions/privacy/consent.ts';
import type { PrivacyStore } from '../../functions/privacy/ports.ts';
import { DEFAULT_PRIVACY, type PrivacySettings, type StoredPrivacy } from '../../functions/privacy/settings.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { collectUnderTest, tokenFor } from '../support/collect-server.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { NOW, validEvent } from '../support/fixtures.ts';
import { decode } from '../support/memory-bus.ts';
import { standingOf } from '../support/standing.ts';
import { createMemoryWarehouse } from '../support/memory-warehouse.ts';
import { collectedEvent, pubsubCloudEvent } from '../support/messages.ts';

const hashUser = createUserHasher('test-user-hash-key-that-is-long-enough-0123');

/** Settings in memory that count their reads; `set` changes them as a shopper would. */
function countingStore(initial: Partial<PrivacySettings> = {}) {
  const settings = new Map<string, StoredPrivacy>();
  const state = { reads: 0, failNext: undefined as Error | undefined };
  const store: Pick<PrivacyStore, 'read'> = {
    async read(userId) {
      state.reads += 1;
      if (state.failNext) {
        const error = state.failNext;
        state.failNext = undefined;
        throw error;
      }
      return settings.get(userId) ?? { ...DEFAULT_PRIVACY, ...initial, updated_at: null };
    },
  };
  const set = (userId: string, change: Partial<PrivacySettings>) =>
    settings.set(userId, { ...DEFAULT_PRIVACY, ...change, updated_at: NOW.toISOString() });
  return { store, state, set };
}

function manualClock(start: Date = NOW) {
  let ms = start.getTime();
  return { now: () => new Date(ms), advance: (byMs: number) => void (ms += byMs) };
}

const SWITCHES: [keyof PrivacySettings, EventType[]][] = [
  ['track_searches', ['search_performed']],
  ['track_clicks', ['search_result_clicked', 'product_viewed']],
  ['track_purchases', ['cart_item_added', 'cart_item_removed', 'cart_item_updated', 'order_completed']],
];

const noErasures = { erasedBefore: async () => null };
const noLinks = { shopperOf: async () => null };

describe.each([
  ['collect', (store: Pick<PrivacyStore, 'read'>) => createCollectConsent(store)],
  ['ingest', (store: Pick<PrivacyStore, 'read'>) => createIngestConsent(standingOf(store, noErasures), noLinks)],
])('%s consent maps every event type to its setting', (_name, policyOver) => {
  const everyType = EVENT_TYPES.map((type) => collectedEvent(type, 'shopper-1', NOW));

  it('tracks and learns from everything under the defaults', async () => {
    const decisions = await policyOver(countingStore().store).decide('shopper-1', everyType);
    expect(decisions).toEqual(EVENT_TYPES.map(() => ({ track: true, learn: true })));
  });

  it.each(SWITCHES)('with %s off, drops exactly %j, naming the setting', async (flag, types) => {
    const decisions = await policyOver(countingStore({ [flag]: false }).store).decide('shopper-1', everyType);
    expect(Object.fromEntries(EVENT_TYPES.map((type, i) => [type, decisions[i]]))).toEqual(
      Object.fromEntries(
        EVENT_TYPES.map((type) => [type, types.includes(type) ? { track: false, reason: `${flag} is off` } : { track: true, learn: true }]),
      ),
    );
  });

  it('keeps a shopper’s explicit preference statements whatever they switched off', async () => {
    const allOff = countingStore({ track_searches: false, track_clicks: false, track_purchases: false, learn_preferences: false });
    const decisions = await policyOver(allOff.store).decide('shopper-1', everyType);
    expect(decisions.filter((d) => d.track)).toEqual([{ track: true, learn: false }]);
    expect(EVENT_TYPES[decisions.findIndex((d) => d.track)]).toBe('preference_updated');
  });

  it('says not to learn when learning is off, and still tracks', async () => {
    const decisions = await policyOver(countingStore({ learn_preferences: false }).store).decide('shopper-1', everyType);
    expect(decisions).toEqual(EVENT_TYPES.map(() => ({ track: true, learn: false })));
  });

  it('reads nothing for no events', async () => {
    const { store, state } = countingStore();
    expect(await policyOver(store).decide('shopper-1', [])).toEqual([]);
    expect(state.reads).toBe(0);
  });
});

describe('collect consent caches settings, for at most cacheMs', () => {
  const click = [collectedEvent('search_result_clicked', 'shopper-1', NOW)];

  it('sees a change once cacheMs has passed, and not before', async () => {
    const { store, state, set } = countingStore();
    const clock = manualClock();
    const consent = createCollectConsent(store, { cacheMs: 5000, clock: clock.now });
    expect(await consent.decide('shopper-1', click)).toEqual([{ track: true, learn: true }]);

    set('shopper-1', { track_clicks: false });
    clock.advance(4999);
    expect(await consent.decide('shopper-1', click)).toEqual([{ track: true, learn: true }]);
    expect(state.reads).toBe(1);

    clock.advance(1);
    expect(await consent.decide('shopper-1', click)).toEqual([{ track: false, reason: 'track_clicks is off' }]);
    expect(state.reads).toBe(2);
  });

  it('decides at once, without a promise, for a shopper whose settings it has read', async () => {
    const { store } = countingStore({ track_clicks: false });
    const consent = createCollectConsent(store, { clock: () => NOW });
    const first = consent.decide('shopper-1', click);
    expect(first).toBeInstanceOf(Promise);
    await first;
    expect(consent.decide('shopper-1', click)).toEqual([{ track: false, reason: 'track_clicks is off' }]);
  });

  it('reads each shopper once for concurrent requests', async () => {
    const { store, state } = countingStore();
    const consent = createCollectConsent(store, { clock: () => NOW });
    await Promise.all([consent.decide('a', click), consent.decide('a', click), consent.decide('b', click)]);
    expect(state.reads).toBe(2);
  });

  it('keeps at most maxUsers shoppers, forgetting the oldest read first', async () => {
    const { store, state } = countingStore();
    const consent = createCollectConsent(store, { maxUsers: 2, clock: () => NOW });
    for (const user of ['a', 'b', 'c']) await consent.decide(user, click);
    expect(state.reads).toBe(3);
    await consent.decide('c', click);
    await consent.decide('b', click);
    expect(state.reads).toBe(3);
    await consent.decide('a', click);
    expect(state.reads).toBe(4);
  });

  it('forgets the least recently used shopper, not the one read first', async () => {
    const { store, state } = countingStore();
    const consent = createCollectConsent(store, { maxUsers: 2, clock: () => NOW });
    for (const user of ['a', 'b', 'a', 'c']) await consent.decide(user, click);
    expect(state.reads).toBe(3);
    // a was asked about after b: c took b's place.
    await consent.decide('a', click);
    expect(state.reads).toBe(3);
    await consent.decide('b', click);
    expect(state.reads).toBe(4);
  });

  it('throws when the settings cannot be read, and does not remember the failure', async () => {
    const { store, state } = countingStore();
    const consent = createCollectConsent(store, { clock: () => NOW });
    state.failNext = new Error('14 UNAVAILABLE');
    await expect(consent.decide('shopper-1', click)).rejects.toThrow('14 UNAVAILABLE');
    expect(await consent.decide('shopper-1', click)).toEqual([{ track: true, learn: true }]);
    expect(state.reads).toBe(2);
  });
});

describe('ingest consent reads afresh for every message', () => {
  it('sees a change at once', async () => {
    const { store, state, set } = countingStore();
    const consent = createIngestConsent(standingOf(store, noErasures), noLinks);
    const order = [collectedEvent('order_completed', 'shopper-1', NOW)];
    expect(await consent.decide('shopper-1', order)).toEqual([{ track: true, learn: true }]);
    set('shopper-1', { track_purchases: false });
    expect(await consent.decide('shopper-1', order)).toEqual([{ track: false, reason: 'track_purchases is off' }]);
    set('shopper-1', { learn_preferences: false });
    expect(await consent.decide('shopper-1', order)).toEqual([{ track: true, learn: false }]);
    expect(state.reads).toBe(3);
  });

  it('drops events received before the shopper’s erasure, whenever they arrive', async () => {
    const erasures = { erasedBefore: async (userId: string) => (userId === 'shopper-1' ? NOW : null) };
    const consent = createIngestConsent(standingOf(countingStore().store, erasures), noLinks);
    const at = (offsetMs: number) => collectedEvent('product_viewed', 'shopper-1', new Date(NOW.getTime() + offsetMs));

    expect(await consent.decide('shopper-1', [at(-60_000), at(-1), at(0), at(1000)])).toEqual([
      { track: false, reason: 'erased' },
      { track: false, reason: 'erased' },
      { track: true, learn: true },
      { track: true, learn: true },
    ]);
    // Another shopper's erasure changes nothing for this one.
    expect(await consent.decide('shopper-2', [at(-60_000)])).toEqual([{ track: true, learn: true }]);
  });

  it("decides on a linked visitor's events by the shopper's settings, and on an unlinked visitor's by their own", async () => {
    const { store, set } = countingStore();
    set('shopper-1', { track_clicks: false, learn_preferences: false });
    const consent = createIngestConsent(standingOf(store, noErasures), {
      shopperOf: async (id) => (id === 'anonymous:linked' ? 'shopper-1' : null),
    });
    const view = (userId: string) => [collectedEvent('product_viewed', userId, NOW), collectedEvent('order_completed', userId, NOW)];

    expect(await consent.decide('anonymous:linked', view('anonymous:linked'))).toEqual([
      { track: false, reason: 'track_clicks is off' },
      { track: true, learn: false },
    ]);
    expect(await consent.decide('anonymous:other', view('anonymous:other'))).toEqual([
      { track: true, learn: true },
      { track: true, learn: true },
    ]);
  });

  it("drops a linked visitor's events received before their shopper's erasure or their own", async () => {
    const erased: Record<string, Date> = { 'shopper-1': NOW, 'anonymous:erased': new Date(NOW.getTime() + 60_000) };
    const links: Record<string, string> = { 'anonymous:linked': 'shopper-1', 'anonymous:erased': 'shopper-2' };
    const consent = createIngestConsent(standingOf(countingStore().store, { erasedBefore: async (id) => erased[id] ?? null }), {
      shopperOf: async (id) => links[id] ?? null,
    });
    const at = (userId: string, offsetMs: number) => collectedEvent('product_viewed', userId, new Date(NOW.getTime() + offsetMs));

    expect(await consent.decide('anonymous:linked', [at('anonymous:linked', -1), at('anonymous:linked', 0)])).toEqual([
      { track: false, reason: 'erased' },
      { track: true, learn: true },
    ]);
    expect(await consent.decide('anonymous:erased', [at('anonymous:erased', 59_999), at('anonymous:erased', 60_000)])).toEqual([
      { track: false, reason: 'erased' },
      { track: true, learn: true },
    ]);
  });

  it('throws when the settings or the tombstone cannot be read, so the message is redelivered', async () => {
    const { store, state } = countingStore();
    const events = [collectedEvent('order_completed', 'shopper-1', NOW)];
    state.failNext = new Error('14 UNAVAILABLE');
    await expect(createIngestConsent(standingOf(store, noErasures), noLinks).decide('shopper-1', events)).rejects.toThrow('14 UNAVAILABLE');
    const brokenErasures = { erasedBefore: async () => Promise.reject(new Error('DEADLINE_EXCEEDED')) };
    await expect(createIngestConsent(standingOf(store, brokenErasures), noLinks).decide('shopper-1', events)).rejects.toThrow(
      'DEADLINE_EXCEEDED',
    );
    const brokenLinks = { shopperOf: async () => Promise.reject(new Error('DEADLINE_EXCEEDED')) };
    const visitorEvents = [collectedEvent('order_completed', 'anonymous:v', NOW)];
    await expect(createIngestConsent(standingOf(store, noErasures), brokenLinks).decide('anonymous:v', visitorEvents)).rejects.toThrow(
      'DEADLINE_EXCEEDED',
    );
  });
});

describe('consent end to end, on the Firestore stores (emulator)', () => {
  const firestore = emulatorFirestore();
  const privacy = createFirestorePrivacyStore(firestore, { hashUser });
  const erasures = createFirestoreErasureStore(firestore, { hashUser });
  const recordingLearner = () => {
    const learned: string[] = [];
    const preferences: PreferenceStore = {
      async apply(_userId, events) {
        learned.push(...events.map((e) => e.event_id));
        return { applied: events.length, alreadyApplied: 0, writes: 1 };
      },
    };
    return { learned, preferences };
  };
  const ingestUnderTest = () => {
    const { warehouse, state } = createMemoryWarehouse();
    const { learned, preferences } = recordingLearner();
    const ingest = createIngestHandler({
      warehouse,
      preferences,
      consent: createIngestConsent(privacy, createFirestoreLinkReader(firestore)),
      clock: () => NOW,
      logger: createMemoryLogger(),
    });
    return { ingest, stored: state.events, learned };
  };

  it('a change takes effect for every event received after it: collect’s stale cache publishes it, ingest drops it', async () => {
    const user = `shopper-${randomUUID()}`;
    const consentClock = manualClock();
    const { server, bus } = await collectUnderTest({ consent: createCollectConsent(privacy, { cacheMs: 5000, clock: consentClock.now }) });
    const send = async (type: EventType) =>
      request(server)
        .post('/v1/events')
        .set('Authorization', `Bearer ${await tokenFor(user)}`)
        .send({ events: [validEvent(type)] });

    // The cache is warm: the shopper's clicks were allowed a moment ago.
    expect((await send('search_result_clicked')).body).toMatchObject({ accepted: 1, dropped: 0 });
    await privacy.write(user, { ...DEFAULT_PRIVACY, track_clicks: false }, new Date(NOW.getTime() - 1));
    consentClock.advance(1000);
    expect((await send('search_result_clicked')).body).toMatchObject({ accepted: 1, dropped: 0 });

    const { ingest, stored, learned } = ingestUnderTest();
    const stale = decode<EventBatchMessage>(bus.events.messages[1]);
    await ingest(pubsubCloudEvent(stale));

    expect(stored.size).toBe(0);
    expect(learned).toEqual([]);

    // Once the cache has expired, collect drops them itself.
    consentClock.advance(4000);
    expect((await send('search_result_clicked')).body).toMatchObject({ accepted: 0, dropped: 1 });
  });

  it('learning switched off: ingest still stores the events but learns nothing from them', async () => {
    const user = `shopper-${randomUUID()}`;
    await privacy.write(user, { ...DEFAULT_PRIVACY, learn_preferences: false }, NOW);
    const { ingest, stored, learned } = ingestUnderTest();
    const order = collectedEvent('order_completed', user, NOW);
    await ingest(
      pubsubCloudEvent({ schema_version: 1, request_id: randomUUID(), user_id: user, received_at: NOW.toISOString(), events: [order] }),
    );
    expect([...stored.keys()]).toEqual([eventKey(order)]);
    expect(learned).toEqual([]);
  });

  it('an event received before an erasure and delivered after it is neither stored nor learned', async () => {
    const user = `shopper-${randomUUID()}`;
    const late = collectedEvent('order_completed', user, new Date(NOW.getTime() - 60_000));
    const fresh = collectedEvent('order_completed', user, new Date(NOW.getTime() + 1000));
    await erasures.request(user, 'shopper', NOW);

    const { ingest, stored, learned } = ingestUnderTest();
    await ingest(
      pubsubCloudEvent({
        schema_version: 1,
        request_id: randomUUID(),
        user_id: user,
        received_at: late.received_at,
        events: [late, fresh],
      }),
    );
    expect([...stored.keys()]).toEqual([eventKey(fresh)]);
    expect(learned).toEqual([fresh.event_id]);
  });

  it('an erased shopper’s settings still hold: erasure does not switch tracking back on', async () => {
    const user = `shopper-${randomUUID()}`;
    await privacy.write(user, { ...DEFAULT_PRIVACY, track_purchases: false }, NOW);
    await erasures.request(user, 'shopper', NOW);

    const { ingest, stored } = ingestUnderTest();
    const order = collectedEvent('order_completed', user, new Date(NOW.getTime() + 1000));
    await ingest(
      pubsubCloudEvent({ schema_version: 1, request_id: randomUUID(), user_id: user, received_at: order.received_at, events: [order] }),
    );
    expect(stored.size).toBe(0);
  });
});
