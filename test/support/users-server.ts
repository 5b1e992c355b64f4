import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createFirestoreErasureStore } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestoreIdentityLinks } from '../../functions/adapters/gcp/firestore-identity-links.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { createJwtVerifier } from '../../functions/http/bearer-auth.ts';
import { registerHttpFunction } from '../../functions/http/register.ts';
import { mergePreferences } from '../../functions/learn/merge.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { createFirestorePreferenceDocumentReader } from '../../functions/adapters/gcp/firestore-preference-document.ts';
import { createFirestoreReorderModelReader } from '../../functions/adapters/gcp/firestore-reorder-model.ts';
import { createUsersHandler, type UsersDeps } from '../../functions/users/handler.ts';
import { emulatorFirestore } from './firestore.ts';
import { createMemoryLinkWarehouse } from './memory-warehouse.ts';
import { NOW, TEST_TOKEN } from './fixtures.ts';

export const hashUser = createUserHasher('test-user-hash-key-that-is-long-enough-0123');

let registered = 0;

/** `users` over the Firestore emulator with the real adapters, served by the Functions Framework as in production. */
export async function usersUnderTest(overrides: Partial<UsersDeps> = {}) {
  const firestore = emulatorFirestore();
  const logger = createMemoryLogger();
  const deps: UsersDeps = {
    verifier: await createJwtVerifier({ ...TEST_TOKEN, clockToleranceSec: 30 }),
    documents: createFirestorePreferenceDocumentReader(firestore),
    privacy: createFirestorePrivacyStore(firestore, { hashUser }),
    erasures: createFirestoreErasureStore(firestore, { hashUser }),
    hashUser,
    links: createFirestoreIdentityLinks(firestore, { merge: mergePreferences }),
    linkWarehouse: createMemoryLinkWarehouse().warehouse,
    reorderModel: createFirestoreReorderModelReader(firestore),
    clock: () => NOW,
    logger,
    corsOrigins: '*',
    ...overrides,
  };
  const name = `users-under-test-${++registered}`;
  registerHttpFunction(name, createUsersHandler(deps), { logger });
  const server: Server = getTestServer(name);
  return { server, firestore, deps, logger };
}
