import { createHook } from 'node:async_hooks';
import { create as createDomain, type Domain } from 'node:domain';
import { afterAll, describe, expect, it } from 'vitest';
import { createPubSubEventBus } from '../../../functions/adapters/gcp/pubsub-event-bus.ts';
import { encodeEventBatch, type EventBatchMessage } from '../../../functions/events/messages.ts';
import { emulatorPubSub, freshTopic, receive } from '../../support/pubsub.ts';

const pubsub = emulatorPubSub();
afterAll(() => pubsub.close());

const batching = { maxMessages: 100, maxMilliseconds: 5, maxBytes: 1024 * 1024 };

describe('Pub/Sub event bus (emulator)', () => {
  it('publishes a message that a subscriber pulls back with its data and attributes', async () => {
    const events = await freshTopic(pubsub, 'events');
    const rejected = await freshTopic(pubsub, 'rejected');
    const bus = createPubSubEventBus(pubsub, { events: events.name, rejected: rejected.name }, batching);
    const message: EventBatchMessage = {
      schema_version: 1,
      request_id: '7c0d6f0e-2a55-4c51-9a8e-0a9b3c1f2d4e',
      user_id: 'shopper-1',
      received_at: '2026-11-26T12:00:00.000Z',
      events: [],
    };

    const id = await bus.events.publish(encodeEventBatch(message));
    const [pulled] = await receive(events.subscription, 1);

    expect(pulled?.id).toBe(id);
    expect(JSON.parse(pulled?.data.toString() ?? '')).toEqual(message);
    expect(pulled?.attributes).toMatchObject({ kind: 'events', user_id: 'shopper-1', request_id: message.request_id });
    await events.subscription.close();
    await rejected.subscription.close();
  });

  it('batches concurrent publishes and delivers every one of them', async () => {
    const events = await freshTopic(pubsub, 'events-many');
    const bus = createPubSubEventBus(pubsub, { events: events.name, rejected: events.name }, batching);
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) => bus.events.publish({ data: Buffer.from(String(i)), attributes: { n: String(i) } })),
    );
    const pulled = await receive(events.subscription, 50);
    expect(new Set(pulled.map((m) => m.id))).toEqual(new Set(ids));
    expect(pulled.map((m) => Number(m.data.toString())).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await events.subscription.close();
  });

  it('sends a batch outside the domain of the request that opened it, as the Functions Framework runs each request in one', async () => {
    const events = await freshTopic(pubsub, 'events-domain');
    const bus = createPubSubEventBus(pubsub, { events: events.name, rejected: events.name }, batching);
    const request = createDomain();
    // Promises made while a request's domain is current belong to it: the batch's timer, RPC and retries must not.
    let inRequest = 0;
    const hook = createHook({
      init: (_id, type) => {
        if (type === 'PROMISE' && (process as { domain?: Domain | null }).domain === request) inRequest += 1;
      },
    }).enable();
    try {
      await new Promise<string>((resolve, reject) =>
        request.run(() => void bus.events.publish({ data: Buffer.from('1'), attributes: { n: '1' } }).then(resolve, reject)),
      );
    } finally {
      hook.disable();
    }
    // The publish's own promise and its `then`, nothing of the send.
    expect(inRequest).toBeLessThanOrEqual(2);
    expect(await receive(events.subscription, 1)).toHaveLength(1);
    await events.subscription.close();
  });

  it('fails the publish when the topic does not exist, so collect can ask the client to retry', async () => {
    const bus = createPubSubEventBus(pubsub, { events: 'no-such-topic', rejected: 'no-such-topic' }, batching);
    await expect(bus.events.publish({ data: Buffer.from('x'), attributes: {} })).rejects.toThrow(/NOT_FOUND|not found/i);
  });
});
