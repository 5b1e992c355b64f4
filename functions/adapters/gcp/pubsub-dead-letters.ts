import { v1, type PubSub } from '@google-cloud/pubsub';
import type { DeadLetterQueue, Republisher, ReplayTopic } from '../../ingest/dead-letters.ts';

/**
 * The dead-letter subscription by synchronous pull (`v1.SubscriberClient`: a pull asks for what is there and
 * returns, where streaming pull would keep delivering), on the emulator when `PUBSUB_EMULATOR_HOST` says so.
 */
export async function createPubSubDeadLetterQueue(
  pubsub: PubSub,
  subscription: string,
): Promise<DeadLetterQueue & { close(): Promise<void> }> {
  const client = new v1.SubscriberClient({ ...(await pubsub.getClientConfig()) });
  const name = pubsub.subscription(subscription).name;
  return {
    async pull(max) {
      // What is there now, not what may come: a replay ends when the subscription is empty.
      const [response] = await client.pull({ subscription: name, maxMessages: max, returnImmediately: true });
      return (response.receivedMessages ?? []).flatMap((received) => {
        const message = received.message;
        if (!received.ackId || !message?.messageId) return [];
        return [
          {
            messageId: message.messageId,
            ackId: received.ackId,
            data: Buffer.from(message.data ?? ''),
            attributes: { ...(message.attributes ?? {}) },
          },
        ];
      });
    },
    async acknowledge(ackIds) {
      if (ackIds.length) await client.acknowledge({ subscription: name, ackIds: [...ackIds] });
    },
    async release(ackIds) {
      if (ackIds.length) await client.modifyAckDeadline({ subscription: name, ackIds: [...ackIds], ackDeadlineSeconds: 0 });
    },
    close: () => client.close(),
  };
}

/** Publishes a replayed message to its topic, waiting for Pub/Sub to take it. */
export function createPubSubRepublisher(pubsub: PubSub, topics: Record<ReplayTopic, string>): Republisher {
  return {
    async publish(topic, message) {
      await pubsub.topic(topics[topic]).publishMessage({ data: message.data, attributes: message.attributes });
    },
  };
}
