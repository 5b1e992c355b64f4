/**
 * The Pub/Sub topics of the loop, by what they carry. Production (infra/messaging.ts) and the local stack create
 * them under these names, and collect publishes to them by default.
 */
export const TOPICS = { events: 'events', rejected: 'rejected-events', deadLetter: 'events-dead-letter' } as const;

/** A topic the functions publish to or are pushed from: the dead-letter topic is Pub/Sub's alone. */
export type Topic = Exclude<keyof typeof TOPICS, 'deadLetter'>;

/** Every `Topic`. */
export const FUNCTION_TOPICS: readonly Topic[] = ['events', 'rejected'];

/** Deliveries of one pushed message before Pub/Sub moves it to the dead-letter topic, in production and locally. */
export const MAX_DELIVERY_ATTEMPTS = 5;
