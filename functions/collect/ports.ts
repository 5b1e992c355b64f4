import type { ClientEvent } from '../events/schema.ts';
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

export type Identity = { userId: string };
export type AuthOutcome = { ok: true; identity: Identity } | { ok: false; reason: string };

/** Checks the shopper's bearer token; the user id is taken from it, never from the body. */
export interface TokenVerifier {
  verify(token: string): Promise<AuthOutcome>;
}

export type ConsentDecision = { track: true } | { track: false; reason: string };

/**
 * Decides per event whether the shopper lets it be tracked. Answers one decision per event,
 * in order. The privacy settings feature plugs in here.
 */
export interface ConsentPolicy {
  decide(userId: string, events: readonly ClientEvent[]): Promise<ConsentDecision[]>;
}

export type Clock = () => Date;
