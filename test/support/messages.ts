import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@google-cloud/functions-framework';
import type { MessagePublishedData } from '../../functions/ingest/decode-message.ts';
import type { EventBatchMessage } from '../../functions/events/messages.ts';
import type { CollectedEvent, EventType } from '../../functions/events/schema.ts';
import { validEvent, type RawEvent } from './fixtures.ts';

/** An accepted event as collect publishes it: the client event plus the server's fields. */
export function collectedEvent(type: EventType, userId: string, at: Date, overrides: RawEvent = {}): CollectedEvent {
  const event = validEvent(type, overrides, at);
  return {
    ...event,
    user_id: userId,
    received_at: at.toISOString(),
    event_time: new Date(at.getTime() - 1000).toISOString(),
  } as CollectedEvent;
}

export function batchMessage(userId: string, events: CollectedEvent[], requestId: string = randomUUID()): EventBatchMessage {
  return {
    schema_version: 1,
    request_id: requestId,
    user_id: userId,
    received_at: events[0]?.received_at ?? new Date().toISOString(),
    events,
  };
}

/** The CloudEvent Eventarc delivers for a Pub/Sub message. */
export function pubsubCloudEvent(body: unknown, messageId: string = randomUUID()): CloudEvent<MessagePublishedData> {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    specversion: '1.0',
    id: messageId,
    source: '//pubsub.googleapis.com/projects/demo-test/topics/events',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    data: {
      message: { data: Buffer.from(data).toString('base64'), messageId, attributes: {} },
      subscription: 'projects/demo-test/subscriptions/events-ingest',
    },
  };
}
