import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createFirestoreErasureStore } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';
import type { EventBatchMessage } from '../../functions/events/messages.ts';
import { EVENT_TYPES, type CollectedEvent, type EventType } from '../../functions/events/schema.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import { eventKey } from '../../functions/kernel/event-identity.ts';
import type { ConsentPolicy } from '../../functions/kernel/ports.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createCollectConsent, decideIngestConsent } from '../../functions/privacy/consent.ts';
import type { PrivacyStore } from '../../functions/privacy/ports.ts';
import { DEFAULT_PRIVACY, type PrivacySettings, type StoredPrivacy } from '../../functions/privacy/settings.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { collectUnderTest, tokenFor } from '../support/collect-server.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { NOW, validEvent } from '../support/fixtures.ts';
import { decode } from '../support/memory-bus.ts';
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

/** ingest's decisions over the settings a store reads, as its learning transaction reads them with no erasure. */
const ingestOver = (store: Pick<PrivacyStore, 'read'>): ConsentPolicy<CollectedEvent> => ({
  decide: async (userId, events) => decideIngestConsent({ settings: await store.read(userId), erasedBefore: null }, events),
});

describe.each([
  ['collect', (store: Pick<PrivacyStore, 'read'>) => createCollectConsent(store)],
  ['ingest', ingestOver],
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
});

describe('collect consent caches settings, for at most cacheMs', () => {
  const click = [collectedEvent('search_result_clicked', 'shopper-1', NOW)];

  it('reads nothing for no events', async () => {
    const { store, state } = countingStore();
    expect(await createCollectConsent(store).decide('shopper-1', [])).toEqual([]);
    expect(state.reads).toBe(0);
  });

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

describe('ingest consent, from the standing its learning transaction read', () => {
  const at = (offsetMs: number) => collectedEvent('product_viewed', 'shopper-1', new Date(NOW.getTime() + offsetMs));
  const settings = { ...DEFAULT_PRIVACY, updated_at: null };

  it('drops events received before the latest erasure, whenever they arrive', () => {
    expect(decideIngestConsent({ settings, erasedBefore: NOW }, [at(-60_000), at(-1), at(0), at(1000)])).toEqual([
      { track: false, reason: 'erased' },
      { track: false, reason: 'erased' },
      { track: true, learn: true },
      { track: true, learn: true },
    ]);
    expect(decideIngestConsent({ settings, erasedBefore: null }, [at(-60_000)])).toEqual([{ track: true, learn: true }]);
  });

  it('decides on the events after an erasure by the settings the standing holds', () => {
    const kept = { ...settings, track_clicks: false, learn_preferences: false };
    const order = collectedEvent('order_completed', 'shopper-1', new Date(NOW.getTime() + 1000));
    expect(decideIngestConsent({ settings: kept, erasedBefore: NOW }, [at(1000), order])).toEqual([
      { track: false, reason: 'track_clicks is off' },
      { track: true, learn: false },
    ]);
  });
});

describe('consent end to end, on the Firestore stores (emulator)', () => {
  const firestore = emulatorFirestore();
  const privacy = createFirestorePrivacyStore(firestore, { hashUser });
  const erasures = createFirestoreErasureStore(firestore, { hashUser });
  const preferences = createFirestorePreferenceStore(firestore, { learn, hashUser });
  /** How many events learning counted for the shopper; 0 when nothing was learned. */
  const learned = async (userId: string) => Number((await shopperRefs(firestore, userId).preferences.get()).get('event_count') ?? 0);
  const ingestUnderTest = () => {
    const { warehouse, state } = createMemoryWarehouse();
    const ingest = createIngestHandler({ warehouse, preferences, clock: () => NOW, logger: createMemoryLogger() });
    return { ingest, stored: state.events };
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

    const { ingest, stored } = ingestUnderTest();
    const stale = decode<EventBatchMessage>(bus.events.messages[1]);
    await ingest(pubsubCloudEvent(stale));

    expect(stored.size).toBe(0);
    expect(await learned(user)).toBe(0);

    // Once the cache has expired, collect drops them itself.
    consentClock.advance(4000);
    expect((await send('search_result_clicked')).body).toMatchObject({ accepted: 0, dropped: 1 });
  });

  it('learning switched off: ingest still stores the events but learns nothing from them', async () => {
    const user = `shopper-${randomUUID()}`;
    await privacy.write(user, { ...DEFAULT_PRIVACY, learn_preferences: false }, NOW);
    const { ingest, stored } = ingestUnderTest();
    const order = collectedEvent('order_completed', user, NOW);
    await ingest(
      pubsubCloudEvent({ schema_version: 1, request_id: randomUUID(), user_id: user, received_at: NOW.toISOString(), events: [order] }),
    );
    expect([...stored.keys()]).toEqual([eventKey(order)]);
    expect(await learned(user)).toBe(0);
  });

  it('an event received before an erasure and delivered after it is neither stored nor learned', async () => {
    const user = `shopper-${randomUUID()}`;
    const late = collectedEvent('order_completed', user, new Date(NOW.getTime() - 60_000));
    const fresh = collectedEvent('order_completed', user, new Date(NOW.getTime() + 1000));
    await erasures.request(user, 'shopper', NOW);

    const { ingest, stored } = ingestUnderTest();
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
    expect(await learned(user)).toBe(1);
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
