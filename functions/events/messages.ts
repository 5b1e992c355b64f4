import { z } from 'zod';
import { ShopperId } from '../kernel/shopper-id.ts';
import { CollectedEvent } from './schema.ts';

/**
 * The two Pub/Sub message contracts between `collect` and `ingest`. One message per accepted
 * request (a batch of one shopper's events) and one per request that had rejected events.
 */
export const MESSAGE_SCHEMA_VERSION = 1;

/** What a Pub/Sub CloudEvent carries (`google.cloud.pubsub.topic.v1.messagePublished`): how every pushed message arrives. */
export type MessagePublishedData = {
  message?: { data?: string; attributes?: Record<string, string>; messageId?: string; publishTime?: string };
  subscription?: string;
};

export const EventBatchMessage = z
  .object({
    schema_version: z.literal(MESSAGE_SCHEMA_VERSION),
    request_id: z.uuid(),
    /** The shopper whose consent and tombstone ingest checks, so every event must be theirs. */
    user_id: ShopperId,
    received_at: z.iso.datetime({ offset: true }),
    events: z.array(CollectedEvent).min(1),
  })
  .superRefine((message, ctx) => {
    for (const [i, event] of message.events.entries()) {
      if (event.user_id !== message.user_id)
        ctx.addIssue({ code: 'custom', path: ['events', i, 'user_id'], message: 'must be the batch’s user_id' });
    }
  });
export type EventBatchMessage = z.infer<typeof EventBatchMessage>;

export const RejectedEvent = z.object({
  /** Position in the request (0-based), so a client can match it to what it sent. */
  index: z.int().nonnegative(),
  event_id: z.string().nullable(),
  type: z.string().nullable(),
  reason: z.string(),
  /** The event exactly as received, re-serialized as JSON. */
  payload: z.string(),
});
export type RejectedEvent = z.infer<typeof RejectedEvent>;

export const RejectedBatchMessage = z.object({
  schema_version: z.literal(MESSAGE_SCHEMA_VERSION),
  request_id: z.uuid(),
  user_id: z.string().nullable(),
  received_at: z.iso.datetime({ offset: true }),
  source: z.string(),
  rejected: z.array(RejectedEvent).min(1),
});
export type RejectedBatchMessage = z.infer<typeof RejectedBatchMessage>;

export type OutgoingMessage = { data: Buffer; attributes: Record<string, string> };

/** Attributes let subscribers filter and route without parsing the body. */
export function encodeEventBatch(message: EventBatchMessage): OutgoingMessage {
  return { data: Buffer.from(JSON.stringify(message)), attributes: eventBatchAttributes(message, message.events.length) };
}

/**
 * The same message from events already serialized, each a `CollectedEvent`'s JSON: collect writes each event once,
 * measuring it on the way, rather than serializing it again inside the whole.
 */
export function encodeSerializedEventBatch(header: Omit<EventBatchMessage, 'events'>, eventsJson: readonly string[]): OutgoingMessage {
  const fields = {
    schema_version: header.schema_version,
    request_id: header.request_id,
    user_id: header.user_id,
    received_at: header.received_at,
  };
  return {
    data: Buffer.from(`${JSON.stringify(fields).slice(0, -1)},"events":[${eventsJson.join(',')}]}`),
    attributes: eventBatchAttributes(header, eventsJson.length),
  };
}

function eventBatchAttributes(header: Omit<EventBatchMessage, 'events'>, eventCount: number): Record<string, string> {
  return {
    kind: 'events',
    schema_version: String(header.schema_version),
    request_id: header.request_id,
    user_id: header.user_id,
    event_count: String(eventCount),
  };
}

export function encodeRejectedBatch(message: RejectedBatchMessage): OutgoingMessage {
  return {
    data: Buffer.from(JSON.stringify(message)),
    attributes: {
      kind: 'rejected_events',
      schema_version: String(message.schema_version),
      request_id: message.request_id,
      source: message.source,
      rejected_count: String(message.rejected.length),
    },
  };
}
