import { Firestore } from '@google-cloud/firestore';
import { inject } from 'vitest';

/**
 * A client for the run's Firestore emulator. Each test uses its own user ids, so tests never collide; a
 * test that must use fixed ids (`..`) or erase whatever it generates keeps to a project of its own.
 */
export function emulatorFirestore(projectId = 'demo-test'): Firestore {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  return new Firestore({ projectId });
}
