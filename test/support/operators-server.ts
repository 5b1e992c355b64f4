import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createFirestoreErasureStore } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { registerHttpFunction } from '../../functions/http/register.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createOperatorsHandler, type OperatorsDeps } from '../../functions/operators/handler.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { createFirestorePreferenceDocumentReader } from '../../functions/adapters/gcp/firestore-preference-document.ts';
import { emulatorFirestore } from './firestore.ts';

export const operatorsHashUser = createUserHasher('operators-test-key-0123456789abcdef0123');

/** A warehouse for routes that never query it; a dashboard request through it fails loudly. */
const NO_WAREHOUSE: OperatorsDeps['warehouse'] = {
  query: async (file) => {
    throw new Error(`no warehouse in this test (asked for ${file})`);
  },
};

let registered = 0;

/**
 * `operators` over the Firestore emulator with the real adapters, served by the Functions Framework as in
 * production; `overrides` replace any port (a DuckDB warehouse for the dashboard, failing stores).
 */
export function operatorsUnderTest(overrides: Partial<OperatorsDeps> & { now?: Date } = {}) {
  const firestore = emulatorFirestore();
  const logger = createMemoryLogger();
  const { now = new Date('2026-11-26T12:00:00.000Z'), ...ports } = overrides;
  const deps: OperatorsDeps = {
    erasures: createFirestoreErasureStore(firestore, { hashUser: operatorsHashUser }),
    documents: createFirestorePreferenceDocumentReader(firestore),
    privacy: createFirestorePrivacyStore(firestore, { hashUser: operatorsHashUser }),
    hashUser: operatorsHashUser,
    warehouse: NO_WAREHOUSE,
    clock: () => now,
    logger,
    ...ports,
  };
  const name = `operators-under-test-${++registered}`;
  registerHttpFunction(name, createOperatorsHandler(deps), { logger });
  const server: Server = getTestServer(name);
  return { server, firestore, deps, logger };
}
