import type { Logger } from '../logging/logger.ts';

/** A message the push subscriptions gave up on, as the dead-letter subscription holds it. */
export type DeadLetter = { messageId: string; ackId: string; data: Buffer; attributes: Record<string, string> };

/** The subscription that keeps dead letters (`events-dead-letter-keep`), pulled from as an operator asks. */
export interface DeadLetterQueue {
  /** Up to `max` messages, each held from other pulls until acknowledged, released, or its ack deadline passes. */
  pull(max: number): Promise<DeadLetter[]>;
  acknowledge(ackIds: readonly string[]): Promise<void>;
  /** Gives messages back to the subscription at once (a dry run's, or one whose re-publishing failed). */
  release(ackIds: readonly string[]): Promise<void>;
}

/** Where a dead letter goes back to: the topic its kind of message is published on. */
export type ReplayTopic = 'events' | 'rejected';

export interface Republisher {
  publish(topic: ReplayTopic, message: { data: Buffer; attributes: Record<string, string> }): Promise<void>;
}

/** What collect's `kind` attribute names (functions/events/messages.ts), and the topic each goes back to. */
const TOPIC_OF_KIND: Record<string, ReplayTopic> = { events: 'events', rejected_events: 'rejected' };

/** Attributes Pub/Sub adds when it dead-letters a message: not the message's own, so they do not travel again. */
const DEAD_LETTER_ATTRIBUTE = /^CloudPubSubDeadLetter/;

/** Messages pulled at once. */
export const PULL_BATCH = 100;

export type ReplayOutcome = {
  dry_run: boolean;
  /** Distinct dead letters looked at. */
  pulled: number;
  /** Re-published, per topic (in a dry run: would be). */
  republished: Record<ReplayTopic, number>;
  /** Acknowledged on the dead-letter subscription, each once re-published. */
  acknowledged: number;
  /** Left where they are: a kind no topic takes (the message is still there to inspect). */
  kept: number;
};

/**
 * Replays dead letters after a fix: each is pulled from the dead-letter subscription, re-published, as it was, to the
 * topic of its kind (accepted batches to `events`, rejected ones to `rejected-events`), and acknowledged only once
 * that publish succeeded. A message whose publish fails is given back and the replay stops, so nothing is lost. Event
 * ids make a replay harmless to repeat: ingest learns and stores an event once, however often it is delivered. A dry
 * run only counts, and gives every message back.
 */
export async function replayDeadLetters(
  deps: { queue: DeadLetterQueue; republisher: Republisher; logger: Logger },
  options: { limit: number; dryRun: boolean },
): Promise<ReplayOutcome> {
  const outcome: ReplayOutcome = { dry_run: options.dryRun, pulled: 0, republished: { events: 0, rejected: 0 }, acknowledged: 0, kept: 0 };
  const seen = new Set<string>();
  const held: string[] = [];
  try {
    while (outcome.pulled < options.limit) {
      const batch = await deps.queue.pull(Math.min(PULL_BATCH, options.limit - outcome.pulled));
      // A message seen before came back past its ack deadline (or was given back): the run has dealt with it.
      const fresh = batch.filter((m) => !seen.has(m.messageId));
      held.push(...batch.filter((m) => seen.has(m.messageId)).map((m) => m.ackId));
      if (fresh.length === 0) break;
      for (const [i, message] of fresh.entries()) {
        seen.add(message.messageId);
        outcome.pulled += 1;
        const topic = TOPIC_OF_KIND[message.attributes.kind ?? ''];
        if (!topic) {
          outcome.kept += 1;
          held.push(message.ackId);
          continue;
        }
        if (options.dryRun) {
          outcome.republished[topic] += 1;
          held.push(message.ackId);
          continue;
        }
        const attributes = Object.fromEntries(Object.entries(message.attributes).filter(([name]) => !DEAD_LETTER_ATTRIBUTE.test(name)));
        try {
          await deps.republisher.publish(topic, { data: message.data, attributes });
        } catch (error) {
          // This message and the rest of the batch go back now, not when their ack deadline passes.
          held.push(...fresh.slice(i).map((m) => m.ackId));
          deps.logger.error('a dead letter could not be re-published; it stays on the subscription, and the replay stops', {
            message_id: message.messageId,
            error,
          });
          throw error;
        }
        outcome.republished[topic] += 1;
        await deps.queue.acknowledge([message.ackId]);
        outcome.acknowledged += 1;
      }
    }
  } finally {
    if (held.length) await deps.queue.release(held);
  }
  deps.logger.info('dead letters replayed', { ...outcome });
  return outcome;
}
