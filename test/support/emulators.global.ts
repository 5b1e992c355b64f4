import type { TestProject } from 'vitest/node';
import { freePort, startEmulator, type RunningProcess } from '../../functions/local/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pubsubEmulatorHost: string;
    firestoreEmulatorHost: string;
  }
}

let running: RunningProcess[] = [];

/** One official Pub/Sub and one Firestore emulator for the whole run; tests keep to their own topics and documents. */
export async function setup(project: TestProject): Promise<void> {
  const [pubsub, firestore] = await Promise.all([
    startEmulator('pubsub', { port: await freePort(), projectId: 'demo-test' }),
    startEmulator('firestore', { port: await freePort(), projectId: 'demo-test' }),
  ]);
  running = [pubsub, firestore];
  project.provide('pubsubEmulatorHost', pubsub.host);
  project.provide('firestoreEmulatorHost', firestore.host);
}

export async function teardown(): Promise<void> {
  await Promise.all(running.map((p) => p.stop()));
}
