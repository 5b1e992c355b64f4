import { MAX_DELIVERY_ATTEMPTS, TOPICS } from '../events/topics.ts';

/**
 * Settings of the local stack. The token key is a development secret known to everyone who reads
 * this file: it only ever signs tokens for the emulators. Production reads its key from Secret Manager.
 * Each function's own port and schedule are in its descriptor (functions/local/local-functions.ts reads them).
 */
export const LOCAL = {
  /** `demo-` projects are emulator-only by convention: no real project can be reached with one. */
  projectId: 'demo-grocery-loop',
  tokenKey: 'local-development-only-signing-key-not-a-secret',
  /** Key of the user hash erasure keeps; production's is in Secret Manager. */
  userHashKey: 'local-development-only-user-hash-key-not-a-secret',
  tokenIssuer: 'grocery-shop',
  tokenAudience: 'learning-loop',
  /** The emulators' ports, between the functions' own. */
  emulatorPorts: { pubsub: 8085, firestore: 8086 },
  topics: TOPICS,
  /** The subscription that keeps dead letters; the functions' push subscriptions are named in their triggers. */
  subscriptions: { deadLetters: 'events-dead-letter-keep' },
  /** Delivery attempts before a message is dead-lettered (production uses the same). */
  maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS,
  /** The local warehouse: DuckDB standing in for BigQuery. */
  warehouseFile: '.local/warehouse.duckdb',
  /** Pull subscriptions the stack tails to show what was published. */
  tails: { events: 'events-local-tail', rejected: 'rejected-events-local-tail' },
} as const;
