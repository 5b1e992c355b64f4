/**
 * Settings of the local stack. The token key is a development secret known to everyone who reads
 * this file: it only ever signs tokens for the emulators. Production reads its key from Secret Manager.
 */
export const LOCAL = {
  /** `demo-` projects are emulator-only by convention: no real project can be reached with one. */
  projectId: 'demo-grocery-loop',
  tokenKey: 'local-development-only-signing-key-not-a-secret',
  /** Key of the user hash erasure keeps; production's is in Secret Manager. */
  userHashKey: 'local-development-only-user-hash-key-not-a-secret',
  tokenIssuer: 'grocery-shop',
  tokenAudience: 'learning-loop',
  ports: { collect: 8080, ingest: 8081, storeRejected: 8082, users: 8083, patterns: 8084, pubsub: 8085, firestore: 8086, operators: 8087, erasure: 8088, retention: 8089, metrics: 8090 },
  /**
   * How often the local scheduler runs each batch job, minutes (PATTERNS_EVERY_MINUTES, ERASURE_EVERY_MINUTES,
   * RETENTION_EVERY_MINUTES, METRICS_EVERY_MINUTES). Production: infra/config.ts.
   */
  scheduleMinutes: { patterns: 5, erasure: 5, retention: 60, metrics: 60 },
  topics: { events: 'events', rejected: 'rejected-events', deadLetter: 'events-dead-letter' },
  /** Push subscriptions, as Eventarc makes them in production, and the one that keeps dead letters. */
  subscriptions: { ingest: 'events-ingest', storeRejected: 'rejected-events-store', deadLetters: 'events-dead-letter-keep' },
  /** Delivery attempts before a message is dead-lettered (production uses the same). */
  maxDeliveryAttempts: 5,
  /** The local warehouse: DuckDB standing in for BigQuery. */
  warehouseFile: '.local/warehouse.duckdb',
  /** Pull subscriptions the stack tails to show what was published. */
  tails: { events: 'events-local-tail', rejected: 'rejected-events-local-tail' },
} as const;

export type LocalPorts = {
  collect: number;
  ingest: number;
  storeRejected: number;
  users: number;
  patterns: number;
  operators: number;
  erasure: number;
  retention: number;
  metrics: number;
  pubsub: number;
  firestore: number;
};

export function localPorts(env: NodeJS.ProcessEnv): LocalPorts {
  const port = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value <= 0 || value > 65_535) throw new Error(`${name} must be a TCP port, got ${env[name]}`);
    return value;
  };
  return {
    collect: port('COLLECT_PORT', LOCAL.ports.collect),
    ingest: port('INGEST_PORT', LOCAL.ports.ingest),
    storeRejected: port('STORE_REJECTED_PORT', LOCAL.ports.storeRejected),
    users: port('USERS_PORT', LOCAL.ports.users),
    patterns: port('PATTERNS_PORT', LOCAL.ports.patterns),
    operators: port('OPERATORS_PORT', LOCAL.ports.operators),
    erasure: port('ERASURE_PORT', LOCAL.ports.erasure),
    retention: port('RETENTION_PORT', LOCAL.ports.retention),
    metrics: port('METRICS_PORT', LOCAL.ports.metrics),
    pubsub: port('PUBSUB_EMULATOR_PORT', LOCAL.ports.pubsub),
    firestore: port('FIRESTORE_EMULATOR_PORT', LOCAL.ports.firestore),
  };
}
