import type { Domain } from 'node:domain';
import type { PubSub } from '@google-cloud/pubsub';
import type { EventBus, MessagePublisher } from '../../collect/ports.ts';

export type PublishBatching = { maxMessages: number; maxMilliseconds: number; maxBytes: number };

/**
 * The official client batches publishes from concurrent requests into one RPC. `collect` awaits
 * every publish before answering, so `maxMilliseconds` is added to a lone request's latency and is
 * kept small (see test/bench/RESULTS.md for the measurement behind the default).
 *
 * `timeoutMs` bounds each publish RPC, the client's retries of it included (gax caps every attempt and
 * the retry budget at a call's `timeout`); without it an RPC waits 60 s and is retried for 600 s.
 */
export function createPubSubEventBus(
  pubsub: PubSub,
  topics: { events: string; rejected: string },
  batching: PublishBatching,
  options: { timeoutMs?: number } = {},
): EventBus {
  return {
    events: topicPublisher(pubsub, topics.events, batching, options.timeoutMs),
    rejected: topicPublisher(pubsub, topics.rejected, batching, options.timeoutMs),
  };
}

function topicPublisher(pubsub: PubSub, name: string, batching: PublishBatching, timeoutMs: number | undefined): MessagePublisher {
  const topic = pubsub.topic(name, { batching, ...(timeoutMs === undefined ? {} : { gaxOpts: { timeout: timeoutMs } }) });
  return { publish: (message) => outsideRequestDomain(() => topic.publishMessage({ data: message.data, attributes: message.attributes })) };
}

/**
 * Runs `work` outside the Functions Framework's per-request domain. A batch is shared by every request in it, yet its
 * timer and RPC would belong to whichever request opened it: a failure of the send would be answered on that
 * request's response, and every promise of the gRPC call would pay the domain's async hook (about 4 µs each).
 */
function outsideRequestDomain<T>(work: () => T): T {
  const { domain } = process as { domain?: Domain | null };
  if (!domain) return work();
  domain.exit();
  try {
    return work();
  } finally {
    domain.enter();
  }
}
