import { randomUUID } from 'node:crypto';
import type { CloudEventFunction } from '@google-cloud/functions-framework';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { trackEverything } from '../../functions/collect/consent.ts';
import type { OutgoingMessage } from '../../functions/events/messages.ts';
import type { MessagePublishedData } from '../../functions/ingest/decode-message.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { collectUnderTest, tokenFor } from '../support/collect-server.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { NOW, VALID_DATA, validEvent } from '../support/fixtures.ts';
import { pubsubCloudEvent } from '../support/messages.ts';
import { hashUser } from '../support/user-hasher.ts';

// Invariant 6: an event is (user_id, event_id). Clients make event ids, so two shoppers' clients can make
// the same one; neither shopper's event may then suppress the other's, in the warehouse or in learning.

const firestore = emulatorFirestore();
let warehouse: DuckDbWarehouse;
let ingest: CloudEventFunction<MessagePublishedData>;
beforeAll(async () => {
  warehouse = await createDuckDbWarehouse(':memory:');
  const preferences = createFirestorePreferenceStore(firestore, { learn, hashUser });
  ingest = createIngestHandler({ warehouse, preferences, consent: trackEverything, clock: () => NOW, logger: createMemoryLogger() });
});
afterAll(async () => {
  await warehouse.close();
  await firestore.terminate();
});

/** Delivers a message collect published, as Pub/Sub pushes it to ingest. */
const deliver = (message: OutgoingMessage | undefined) => ingest(pubsubCloudEvent(message?.data.toString('utf8')));

function order(eventId: string, sku: string) {
  const item = { sku, name: sku, category: 'dairy', price: 2, quantity: 1 };
  return validEvent('order_completed', {
    event_id: eventId,
    data: { ...VALID_DATA.order_completed, order_id: `order-${sku}`, items: [item] },
  });
}

describe('two shoppers whose clients made the same event_id', () => {
  it('are both stored and learned from, and redelivering or resending either adds nothing', async () => {
    const { server, bus } = await collectUnderTest();
    const [v, w] = [`shopper-v-${randomUUID()}`, `shopper-w-${randomUUID()}`];
    const eventId = randomUUID();
    const send = async (userId: string, sku: string) =>
      request(server)
        .post('/v1/events')
        .set('Authorization', `Bearer ${await tokenFor(userId)}`)
        .send({ events: [order(eventId, sku)] });

    expect((await send(v, 'oat-milk')).status).toBe(202);
    expect((await send(w, 'rye-bread')).status).toBe(202);
    const [fromV, fromW] = bus.events.messages;
    await deliver(fromV);
    await deliver(fromW);

    const rows = () => warehouse.sql('SELECT user_id, type FROM events WHERE event_id = $1 ORDER BY user_id', [eventId]);
    const lines = () => warehouse.sql('SELECT user_id, sku FROM order_items WHERE event_id = $1 ORDER BY user_id', [eventId]);
    const learned = async (userId: string) => (await firestore.collection('preferences').doc(userId).get()).get('event_count') as unknown;
    expect(await rows()).toEqual([
      { user_id: v, type: 'order_completed' },
      { user_id: w, type: 'order_completed' },
    ]);
    expect(await lines()).toEqual([
      { user_id: v, sku: 'oat-milk' },
      { user_id: w, sku: 'rye-bread' },
    ]);
    expect([await learned(v), await learned(w)]).toEqual([1, 1]);

    // Pub/Sub redelivers both messages; W's client resends after a lost answer: a new request, a new message.
    await deliver(fromW);
    await deliver(fromV);
    expect((await send(w, 'rye-bread')).status).toBe(202);
    await deliver(bus.events.messages[2]);

    expect(await rows()).toHaveLength(2);
    expect(await lines()).toHaveLength(2);
    expect([await learned(v), await learned(w)]).toEqual([1, 1]);
  });
});
