import type { PubSub } from '@google-cloud/pubsub';
import type { EventBus, MessagePublisher } from '../../collect/ports.ts';

export type PublishBatching = { maxMessages: number; maxMilliseconds: number; maxBytes: number };

/**
 * The official client batches publishes from concurrent requests into one RPC. `collect` awaits
 * every publish before answering, so `maxMilliseconds` is added to a lone request's latency and is
 * kept small (see test/bench/RESULTS.md for the measurement behind the default).
 */
export function createPubSubEventBus(
  pubsub: PubSub,
  topics: { events: string; rejected: string },
  batching: PublishBatching,
): EventBus {
  return {
    events: topicPublisher(pubsub, topics.events, batching),
    rejected: topicPublisher(pubsub, topics.rejected, batching),
  };
}

function topicPublisher(pubsub: PubSub, name: string, batching: PublishBatching): MessagePublisher {
  const topic = pubsub.topic(name, { batching });
  return { publish: (message) => topic.publishMessage({ data: message.data, attributes: message.attributes }) };
}
