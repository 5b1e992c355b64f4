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
  /** How often the local scheduler runs each batch job, minutes (`LOCAL_ENV.scheduleMinutes`). Production: infra/config.ts. */
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

/** The local stack's own environment variables: what each moves or changes. docs/local.md lists them. */
export const LOCAL_ENV = {
  ports: {
    collect: 'COLLECT_PORT',
    ingest: 'INGEST_PORT',
    storeRejected: 'STORE_REJECTED_PORT',
    users: 'USERS_PORT',
    patterns: 'PATTERNS_PORT',
    operators: 'OPERATORS_PORT',
    erasure: 'ERASURE_PORT',
    retention: 'RETENTION_PORT',
    metrics: 'METRICS_PORT',
    pubsub: 'PUBSUB_EMULATOR_PORT',
    firestore: 'FIRESTORE_EMULATOR_PORT',
  },
  scheduleMinutes: { patterns: 'PATTERNS_EVERY_MINUTES', erasure: 'ERASURE_EVERY_MINUTES', retention: 'RETENTION_EVERY_MINUTES', metrics: 'METRICS_EVERY_MINUTES' },
  warehouseFile: 'WAREHOUSE_FILE',
} as const satisfies { ports: Record<keyof typeof LOCAL.ports, string>; scheduleMinutes: Record<keyof typeof LOCAL.scheduleMinutes, string>; warehouseFile: string };

/** Every environment variable the local stack reads for itself (the functions' own are `SETTING_NAMES`). */
export const LOCAL_SETTING_NAMES: readonly string[] = [...Object.values(LOCAL_ENV.ports), ...Object.values(LOCAL_ENV.scheduleMinutes), LOCAL_ENV.warehouseFile];

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
  const port = (service: keyof typeof LOCAL.ports) => {
    const name = LOCAL_ENV.ports[service];
    const value = Number(env[name] ?? LOCAL.ports[service]);
    if (!Number.isInteger(value) || value <= 0 || value > 65_535) throw new Error(`${name} must be a TCP port, got ${env[name]}`);
    return value;
  };
  return {
    collect: port('collect'),
    ingest: port('ingest'),
    storeRejected: port('storeRejected'),
    users: port('users'),
    patterns: port('patterns'),
    operators: port('operators'),
    erasure: port('erasure'),
    retention: port('retention'),
    metrics: port('metrics'),
    pubsub: port('pubsub'),
    firestore: port('firestore'),
  };
}
