import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { DocumentData } from '@google-cloud/firestore';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { trackEverything } from '../../functions/collect/consent.ts';
import { encodeEventBatch } from '../../functions/events/messages.ts';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createDuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import { learn } from '../../functions/learn/learn.ts';
import type { Warehouse } from '../../functions/warehouse/ports.ts';
import type { PreferenceStore } from '../../functions/ingest/ports.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createMemoryWarehouse } from '../support/memory-warehouse.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { batchMessage, collectedEvent } from '../support/messages.ts';
import { emulatorPubSub, freshTopic, receive } from '../support/pubsub.ts';
import { hashUser } from '../support/user-hasher.ts';

// Invariant 2: nothing is lost silently. A message ingest can never process ends on the dead-letter
// topic after the delivery attempts run out, where a subscription keeps it.

const pubsub = emulatorPubSub();
const servers: ReturnType<typeof getTestServer>[] = [];
afterAll(async () => {
  for (const server of servers) server.close();
  await pubsub.close();
});

async function serveIngest(name: string, preferences: PreferenceStore, warehouse: Warehouse = createMemoryWarehouse().warehouse) {
  ff.cloudEvent(
    name,
    createIngestHandler({ warehouse, preferences, consent: trackEverything, clock: () => new Date(), logger: createMemoryLogger() }),
  );
  const server = getTestServer(name);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('push delivery to ingest (emulators)', () => {
  it('publish → push → ingest → a Firestore document and DuckDB rows, as on the local stack', async () => {
    const firestore = emulatorFirestore();
    const warehouse = await createDuckDbWarehouse(':memory:');
    const preferences = createFirestorePreferenceStore(firestore, { learn, hashUser });
    const { url } = await serveIngest('ingest-push', preferences, warehouse);
    const events = await freshTopic(pubsub, 'events-push');
    await events.subscription.close();
    await events.topic.createSubscription(`${events.name}-ingest`, { pushConfig: { pushEndpoint: url } });
    const user = `shopper-${randomUUID()}`;
    const sent = [collectedEvent('product_viewed', user, new Date()), collectedEvent('order_completed', user, new Date())];
    await events.topic.publishMessage(encodeEventBatch(batchMessage(user, sent)));

    const deadline = Date.now() + 15_000;
    let document: DocumentData | undefined;
    while (!document && Date.now() < deadline) {
      document = (await firestore.collection('preferences').doc(user).get()).data();
      if (!document) await new Promise((r) => setTimeout(r, 100));
    }
    expect(document).toMatchObject({ user_id: user, event_count: 2 });
    const rows = await warehouse.sql('SELECT type FROM events WHERE user_id = $1 ORDER BY type', [user]);
    expect(rows.map((r) => r.type)).toEqual(['order_completed', 'product_viewed']);
    expect(await warehouse.sql('SELECT sku FROM order_items WHERE user_id = $1', [user])).toHaveLength(2);
    await warehouse.close();
    await firestore.terminate();
  });

  it('dead-letters a message that fails on every delivery, with its delivery count', async () => {
    let attempts = 0;
    const { url } = await serveIngest('ingest-poison', {
      apply: async () => {
        attempts += 1;
        throw new Error('always failing');
      },
    });
    const deadLetters = await freshTopic(pubsub, 'dead-letters');
    const events = await freshTopic(pubsub, 'events-poison');
    await events.subscription.close();
    await events.topic.createSubscription(`${events.name}-ingest`, {
      pushConfig: { pushEndpoint: url },
      deadLetterPolicy: { deadLetterTopic: deadLetters.topic.name, maxDeliveryAttempts: 5 },
      retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 2 } },
    });
    const poison = encodeEventBatch(batchMessage('shopper-poison', [collectedEvent('product_viewed', 'shopper-poison', new Date())]));
    await events.topic.publishMessage(poison);

    const [dead] = await receive(deadLetters.subscription, 1, 45_000);
    expect(dead?.data.toString()).toBe(poison.data.toString());
    expect(dead?.attributes).toMatchObject({ CloudPubSubDeadLetterSourceDeliveryCount: '5', request_id: poison.attributes.request_id });
    expect(attempts).toBe(5);
    await deadLetters.subscription.close();
  }, 60_000);
});
