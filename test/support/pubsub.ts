import { randomUUID } from 'node:crypto';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { inject } from 'vitest';

/** A client for the run's Pub/Sub emulator (started once in the global setup). */
export function emulatorPubSub(): PubSub {
  process.env.PUBSUB_EMULATOR_HOST = inject('pubsubEmulatorHost');
  return new PubSub({ projectId: 'demo-test' });
}

/** A fresh topic with one pull subscription, so test files never see each other's messages. */
export async function freshTopic(pubsub: PubSub, prefix: string) {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const [topic] = await pubsub.createTopic(name);
  const [subscription] = await topic.createSubscription(`${name}-sub`);
  return { name, topic, subscription };
}

/** Waits until `count` messages arrive on the subscription (acking them), or fails after `timeoutMs`. */
export function receive(subscription: ReturnType<PubSub['subscription']>, count: number, timeoutMs = 10_000): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const received: Message[] = [];
    const timer = setTimeout(() => {
      subscription.removeListener('message', onMessage);
      reject(new Error(`received ${received.length} of ${count} messages within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: Message) => {
      message.ack();
      received.push(message);
      if (received.length === count) {
        clearTimeout(timer);
        subscription.removeListener('message', onMessage);
        resolve(received);
      }
    };
    subscription.on('message', onMessage);
  });
}
