import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { CloudEvent } from '@google-cloud/functions-framework';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import type { ConsentPolicy } from '../../functions/kernel/ports.ts';
import { trackEverything } from '../../functions/collect/consent.ts';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import type { MessagePublishedData } from '../../functions/ingest/decode-message.ts';
import { createIngestHandler, createStoreRejectedHandler } from '../../functions/ingest/handler.ts';
import { eventKey } from '../../functions/kernel/event-identity.ts';
import type { PreferenceStore } from '../../functions/ingest/ports.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { NOW } from '../support/fixtures.ts';
import { createMemoryWarehouse } from '../support/memory-warehouse.ts';
import { batchMessage, collectedEvent, pubsubCloudEvent } from '../support/messages.ts';
import { hashUser } from '../support/user-hasher.ts';

function recordingStore(failWith?: Error) {
  const calls: { userId: string; events: readonly CollectedEvent[] }[] = [];
  const store: PreferenceStore = {
    async apply(userId, events) {
      if (failWith) throw failWith;
      calls.push({ userId, events });
      return { applied: events.length, alreadyApplied: 0, writes: 1 };
    },
  };
  return { store, calls };
}

function ingestUnderTest(options: { consent?: ConsentPolicy; storeFails?: Error } = {}) {
  const { warehouse, state } = createMemoryWarehouse();
  const { store, calls } = recordingStore(options.storeFails);
  const logger = createMemoryLogger();
  const handler = createIngestHandler({
    warehouse,
    preferences: store,
    consent: options.consent ?? trackEverything,
    clock: () => NOW,
    logger,
  });
  return { handler, state, calls, logger };
}

describe('ingest', () => {
  it('stores the events, then learns from them for their shopper', async () => {
    const { handler, state, calls } = ingestUnderTest();
    const events = [collectedEvent('search_result_clicked', 'shopper-1', NOW), collectedEvent('order_completed', 'shopper-1', NOW)];
    await handler(pubsubCloudEvent(batchMessage('shopper-1', events)));
    expect([...state.events.keys()]).toEqual(events.map(eventKey));
    expect(calls).toEqual([{ userId: 'shopper-1', events }]);
  });

  it.each([
    ['data that is not JSON', 'not json', /^message is not JSON/],
    ['JSON that breaks the contract', { schema_version: 1, events: [] }, /^message does not match its contract/],
    [
      'an event without its server fields',
      { ...batchMessage('u', []), events: [{ type: 'product_viewed' }] },
      /^message does not match its contract/,
    ],
  ])('keeps %s as rejected and acknowledges it, never retrying', async (_name, body, reason) => {
    const { handler, state, calls } = ingestUnderTest();
    await expect(handler(pubsubCloudEvent(body, 'msg-1'))).resolves.toBeUndefined();
    expect(state.rejected).toHaveLength(1);
    expect(state.rejected[0]).toMatchObject({ source: 'ingest', event_index: null, reason: expect.stringMatching(reason) });
    expect(calls).toHaveLength(0);
  });

  it('keeps a message with no data as rejected', async () => {
    const { handler, state } = ingestUnderTest();
    const event = pubsubCloudEvent('x');
    delete event.data?.message?.data;
    await handler(event);
    expect(state.rejected[0]?.reason).toBe('message has no data');
  });

  it('checks consent again: events the shopper no longer allows are neither stored nor learned', async () => {
    const noOrders: ConsentPolicy = {
      decide: async (_u, events) =>
        events.map((e) =>
          e.type === 'order_completed' ? { track: false, reason: 'track_purchases is off' } : { track: true, learn: true },
        ),
    };
    const { handler, state, calls } = ingestUnderTest({ consent: noOrders });
    const click = collectedEvent('search_result_clicked', 'shopper-1', NOW);
    await handler(pubsubCloudEvent(batchMessage('shopper-1', [click, collectedEvent('order_completed', 'shopper-1', NOW)])));
    expect([...state.events.keys()]).toEqual([eventKey(click)]);
    expect(calls[0]?.events.map((e) => e.event_id)).toEqual([click.event_id]);
  });

  it('stores events it may not learn from, and learns only from the others', async () => {
    const keep = collectedEvent('product_viewed', 'shopper-1', NOW);
    const learnFrom = collectedEvent('order_completed', 'shopper-1', NOW);
    const onlyOrders: ConsentPolicy = {
      decide: async (_u, events) => events.map((e) => ({ track: true, learn: e.type === 'order_completed' })),
    };
    const { handler, state, calls, logger } = ingestUnderTest({ consent: onlyOrders });
    await handler(pubsubCloudEvent(batchMessage('shopper-1', [keep, learnFrom])));
    expect([...state.events.keys()]).toEqual([eventKey(keep), eventKey(learnFrom)]);
    expect(calls).toEqual([{ userId: 'shopper-1', events: [learnFrom] }]);
    expect(logger.entries.at(-1)).toMatchObject({ message: 'message ingested', not_consented: 0, not_learned: 1, learned: 1 });
  });

  it('does not call learning at all when nothing may be learned', async () => {
    const learnNothing: ConsentPolicy = { decide: async (_u, events) => events.map(() => ({ track: true, learn: false })) };
    const { handler, state, calls, logger } = ingestUnderTest({ consent: learnNothing });
    await handler(pubsubCloudEvent(batchMessage('shopper-1', [collectedEvent('order_completed', 'shopper-1', NOW)])));
    expect(state.events.size).toBe(1);
    expect(calls).toHaveLength(0);
    expect(logger.entries.at(-1)).toMatchObject({ not_learned: 1, learned: 0, firestore_writes: 0 });
  });

  it('throws when consent cannot be read, before storing anything, so Pub/Sub redelivers', async () => {
    const unavailable: ConsentPolicy = { decide: async () => Promise.reject(new Error('14 UNAVAILABLE')) };
    const { handler, state, calls } = ingestUnderTest({ consent: unavailable });
    await expect(
      handler(pubsubCloudEvent(batchMessage('shopper-1', [collectedEvent('order_completed', 'shopper-1', NOW)]))),
    ).rejects.toThrow('14 UNAVAILABLE');
    expect(state.events.size).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('keeps rows the warehouse refuses for good as rejected, and does not learn from them', async () => {
    const { handler, state, calls } = ingestUnderTest();
    const good = collectedEvent('product_viewed', 'shopper-1', NOW);
    const refused = collectedEvent('product_viewed', 'shopper-1', NOW);
    state.refuse.set(eventKey(refused), 'invalid: no such field');
    await handler(pubsubCloudEvent(batchMessage('shopper-1', [good, refused])));
    expect(state.rejected).toMatchObject([
      { event_id: refused.event_id, event_index: 1, reason: 'warehouse refused the row: invalid: no such field', source: 'ingest' },
    ]);
    expect(calls[0]?.events.map((e) => e.event_id)).toEqual([good.event_id]);
  });

  it('throws on a transient warehouse failure, before learning, so Pub/Sub redelivers', async () => {
    const { handler, state, calls } = ingestUnderTest();
    state.failNextWith = new Error('503 backendError');
    await expect(
      handler(pubsubCloudEvent(batchMessage('shopper-1', [collectedEvent('product_viewed', 'shopper-1', NOW)]))),
    ).rejects.toThrow('503 backendError');
    expect(calls).toHaveLength(0);
  });

  it('throws when learning fails, so Pub/Sub redelivers', async () => {
    const { handler } = ingestUnderTest({ storeFails: new Error('14 UNAVAILABLE') });
    await expect(
      handler(pubsubCloudEvent(batchMessage('shopper-1', [collectedEvent('product_viewed', 'shopper-1', NOW)]))),
    ).rejects.toThrow('14 UNAVAILABLE');
  });

  it('logs a summary without user ids, tokens or event bodies', async () => {
    const { handler, logger } = ingestUnderTest();
    await handler(pubsubCloudEvent(batchMessage('shopper-secret', [collectedEvent('product_viewed', 'shopper-secret', NOW)])));
    expect(logger.entries.at(-1)).toMatchObject({ message: 'message ingested', events: 1, learned: 1 });
    expect(JSON.stringify(logger.entries)).not.toContain('shopper-secret');
  });
});

let served = 0;

/** The handler served by the Functions Framework: what a push delivery gets back (2xx acknowledges). */
function serve(handler: ReturnType<typeof createIngestHandler>): Server {
  const name = `ingest-under-test-${++served}`;
  ff.cloudEvent(name, handler);
  return getTestServer(name);
}

/** A binary-mode CloudEvent request, as Eventarc delivers a Pub/Sub message. */
function deliver(server: Server, event: CloudEvent<MessagePublishedData>) {
  return request(server)
    .post('/')
    .set({ 'ce-specversion': event.specversion, 'ce-id': event.id, 'ce-source': event.source, 'ce-type': event.type })
    .send(event.data);
}

describe('ingest: only transient failures are retried', () => {
  it.each([
    [
      'events of another shopper than the batch’s',
      () =>
        batchMessage('shopper-1', [
          collectedEvent('product_viewed', 'shopper-1', NOW),
          collectedEvent('order_completed', 'shopper-2', NOW),
        ]),
      /^message does not match its contract: events\[1\]\.user_id: must be the batch’s user_id$/,
    ],
    [
      'a batch user id that is no shopper id',
      () => batchMessage('has space', [collectedEvent('product_viewed', 'has space', NOW)]),
      /^message does not match its contract: user_id: must be 1–128 printable ASCII characters without spaces/,
    ],
  ])('acknowledges a message with %s, keeps it as rejected with why, and stores nothing under anyone', async (_name, message, reason) => {
    const { handler, state, calls } = ingestUnderTest();
    const res = await deliver(serve(handler), pubsubCloudEvent(message()));
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    expect(state.rejected).toMatchObject([{ source: 'ingest', reason: expect.stringMatching(reason) }]);
    expect(state.events.size).toBe(0);
    expect(calls).toEqual([]);
  });

  it('takes a batch user id holding `/` as the shopper id it is: stored and learned for that shopper alone', async () => {
    const { handler, state, calls } = ingestUnderTest();
    const events = [collectedEvent('order_completed', 'shopper/1', NOW)];
    const res = await deliver(serve(handler), pubsubCloudEvent(batchMessage('shopper/1', events)));
    expect(res.status).toBeLessThan(300);
    expect(state.rejected).toEqual([]);
    expect([...state.events.values()].map((e) => e.user_id)).toEqual(['shopper/1']);
    expect(calls).toEqual([{ userId: 'shopper/1', events }]);
  });

  it('answers 5xx to a transient failure, so Pub/Sub redelivers', async () => {
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: no connection'), { code: 14 });
    const { handler, state } = ingestUnderTest({ storeFails: unavailable });
    const res = await deliver(
      serve(handler),
      pubsubCloudEvent(batchMessage('shopper-1', [collectedEvent('product_viewed', 'shopper-1', NOW)])),
    );
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(state.rejected).toEqual([]);
  });

  it('keeps what Firestore refuses for good to learn as rejected, and acknowledges it (emulator)', async () => {
    const firestore = emulatorFirestore();
    // A learned document over Firestore's 1 MiB value limit: refused with INVALID_ARGUMENT on every try.
    const oversized = createFirestorePreferenceStore(firestore, {
      hashUser,
      learn: (current, userId, events, now) => ({ ...learn(current, userId, events, now), note: 'x'.repeat(1_100_000) }),
    });
    const { warehouse, state } = createMemoryWarehouse();
    const logger = createMemoryLogger();
    const handler = createIngestHandler({ warehouse, preferences: oversized, consent: trackEverything, clock: () => NOW, logger });
    const user = `shopper-${randomUUID()}`;
    const events = [collectedEvent('product_viewed', user, NOW), collectedEvent('order_completed', user, NOW)];

    const res = await deliver(serve(handler), pubsubCloudEvent(batchMessage(user, events)));

    expect(res.status).toBeLessThan(300);
    // Stored in the warehouse, but not learned from: kept as rejected, each with why.
    expect([...state.events.keys()]).toEqual(events.map(eventKey));
    expect(state.rejected).toMatchObject(
      events.map((e, i) => ({
        event_id: e.event_id,
        event_index: i,
        user_id: user,
        source: 'ingest',
        reason: expect.stringMatching(/^learning failed for good: 3 INVALID_ARGUMENT/),
      })),
    );
    expect((await firestore.collection('preferences').doc(user).get()).exists).toBe(false);
    expect(logger.entries.at(-1)).toMatchObject({ severity: 'ERROR', step: 'learning', events: 2, code: 'INVALID_ARGUMENT' });
    expect(JSON.stringify(logger.entries)).not.toContain(user);
    await firestore.terminate();
  });
});

describe('storeRejected', () => {
  it('stores each rejected event of a message from collect', async () => {
    const { warehouse, state } = createMemoryWarehouse();
    const handler = createStoreRejectedHandler({ warehouse, clock: () => NOW, logger: createMemoryLogger() });
    await handler(
      pubsubCloudEvent({
        schema_version: 1,
        request_id: '3f1c1f7e-8a4b-4c2d-9e0f-1a2b3c4d5e6f',
        user_id: 'shopper-1',
        received_at: NOW.toISOString(),
        source: 'collect',
        rejected: [
          { index: 0, event_id: null, type: null, reason: 'event must be a JSON object', payload: '"x"' },
          { index: 2, event_id: 'e-2', type: 'product_viewed', reason: 'data.product: Required', payload: '{}' },
        ],
      }),
    );
    expect(state.rejected.map((r) => [r.event_index, r.reason, r.user_id, r.source])).toEqual([
      [0, 'event must be a JSON object', 'shopper-1', 'collect'],
      [2, 'data.product: Required', 'shopper-1', 'collect'],
    ]);
  });

  it('keeps an unreadable message as one rejected row', async () => {
    const { warehouse, state } = createMemoryWarehouse();
    const handler = createStoreRejectedHandler({ warehouse, clock: () => NOW, logger: createMemoryLogger() });
    await handler(pubsubCloudEvent('{"broken"'));
    expect(state.rejected).toMatchObject([
      { event_index: null, payload: '{"broken"', reason: expect.stringMatching(/^message is not JSON/) },
    ]);
  });
});
