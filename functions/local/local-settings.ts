/**
 * Settings of the local stack. The token key is a development secret known to everyone who reads
 * this file: it only ever signs tokens for the emulators. Production reads its key from Secret Manager.
 */
export const LOCAL = {
  /** `demo-` projects are emulator-only by convention: no real project can be reached with one. */
  projectId: 'demo-grocery-loop',
  tokenKey: 'local-development-only-signing-key-not-a-secret',
  tokenIssuer: 'grocery-shop',
  tokenAudience: 'learning-loop',
  ports: { collect: 8080, pubsub: 8085, firestore: 8086 },
  topics: { events: 'events', rejected: 'rejected-events', deadLetter: 'events-dead-letter' },
  /** Pull subscriptions the stack tails to show what was published. */
  tails: { events: 'events-local-tail', rejected: 'rejected-events-local-tail' },
} as const;

export function localPorts(env: NodeJS.ProcessEnv): { collect: number; pubsub: number; firestore: number } {
  const port = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value <= 0 || value > 65_535) throw new Error(`${name} must be a TCP port, got ${env[name]}`);
    return value;
  };
  return {
    collect: port('COLLECT_PORT', LOCAL.ports.collect),
    pubsub: port('PUBSUB_EMULATOR_PORT', LOCAL.ports.pubsub),
    firestore: port('FIRESTORE_EMULATOR_PORT', LOCAL.ports.firestore),
  };
}
