import { Firestore } from '@google-cloud/firestore';
import { inject } from 'vitest';

/** A client for the run's Firestore emulator. Each test uses its own user ids, so tests never collide. */
export function emulatorFirestore(): Firestore {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  return new Firestore({ projectId: 'demo-test' });
}
