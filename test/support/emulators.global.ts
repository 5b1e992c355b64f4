import type { TestProject } from 'vitest/node';
import { freePort, startEmulator, type RunningProcess } from '../../functions/local/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pubsubEmulatorHost: string;
  }
}

let pubsub: RunningProcess | undefined;

/** One official Pub/Sub emulator for the whole run; each test file uses its own topics. */
export async function setup(project: TestProject): Promise<void> {
  pubsub = await startEmulator('pubsub', { port: await freePort(), projectId: 'demo-test' });
  project.provide('pubsubEmulatorHost', pubsub.host);
}

export async function teardown(): Promise<void> {
  await pubsub?.stop();
}
