import type { OutgoingMessage } from '../events/messages.ts';

/** Publishes one message to one topic; resolves once the message is durably accepted. */
export interface MessagePublisher {
  publish(message: OutgoingMessage): Promise<string>;
}

/** Where `collect` sends what it accepted and what it rejected. */
export interface EventBus {
  events: MessagePublisher;
  rejected: MessagePublisher;
}
