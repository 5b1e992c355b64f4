import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { trackEverything } from '../../functions/collect/consent.ts';
import { encodeEventBatch } from '../../functions/events/messages.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import type { PreferenceStore } from '../../functions/ingest/ports.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createMemoryWarehouse } from '../support/memory-warehouse.ts';
import { batchMessage, collectedEvent } from '../support/messages.ts';
import { emulatorPubSub, freshTopic, receive } from '../support/pubsub.ts';

// Invariant 2: nothing is lost silently. A message ingest can never process ends on the dead-letter
// topic after the delivery attempts run out, where a subscription keeps it.

const pubsub = emulatorPubSub();
const servers: ReturnType<typeof getTestServer>[] = [];
afterAll(async () => {
  for (const server of servers) server.close();
  await pubsub.close();
});

async function serveIngest(name: string, preferences: PreferenceStore) {
  const { warehouse, state } = createMemoryWarehouse();
  ff.cloudEvent(name, createIngestHandler({ warehouse, preferences, consent: trackEverything, clock: () => new Date(), logger: createMemoryLogger() }));
  const server = getTestServer(name);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, state };
}

describe('push delivery to ingest (emulator)', () => {
  it('delivers a Pub/Sub push to the function as Eventarc does, and acknowledges it', async () => {
    const applied: string[] = [];
    const { url, state } = await serveIngest('ingest-push', {
      apply: async (_user, events) => {
        applied.push(...events.map((e) => e.event_id));
        return { applied: events.length, alreadyApplied: 0 };
      },
    });
    const events = await freshTopic(pubsub, 'events-push');
    await events.subscription.close();
    await events.topic.createSubscription(`${events.name}-ingest`, { pushConfig: { pushEndpoint: url } });
    const event = collectedEvent('product_viewed', 'shopper-push', new Date());
    await events.topic.publishMessage(encodeEventBatch(batchMessage('shopper-push', [event])));

    const deadline = Date.now() + 15_000;
    while (applied.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(applied).toEqual([event.event_id]);
    expect([...state.events.keys()]).toEqual([event.event_id]);
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
