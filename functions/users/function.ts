import { z } from 'zod';
import {
  DeadlineEnv,
  loadDeadlines,
  loadUserHashKey,
  loadUsersSettings,
  loadWarehouseSettings,
  TokenEnv,
  UserHashEnv,
  WarehouseEnv,
} from '../config.ts';
import { defineFunction, httpFunction } from '../descriptor.ts';
import { createJwtVerifier } from '../http/bearer-auth.ts';
import { mergePreferences } from '../learn/merge.ts';
import { createLogger } from '../logging/logger.ts';
import { bounded, firestoreStores, identityLinks, requestDeadlines, shopperStores } from '../platform.ts';
import { createUsersHandler } from './handler.ts';

/** `users`: a shopper's own preferences, learning status, privacy settings and erasure requests, with their token. */
export const usersFunction = defineFunction({
  name: 'users',
  summary: 'Lets a shopper see what was learned about them, change their privacy settings and have it all erased.',
  trigger: { kind: 'http', callers: 'shoppers' },
  localPort: 8083,
  settings: {
    schema: z.object({ ...TokenEnv.shape, ...WarehouseEnv.shape, ...DeadlineEnv.shape, ...UserHashEnv.shape }),
    load: (env) => ({
      ...loadUsersSettings(env),
      warehouse: loadWarehouseSettings(env).warehouse,
      deadlines: loadDeadlines(env),
      userHashKey: loadUserHashKey(env),
    }),
  },
  // It writes privacy settings, erasure requests and links (the merge of a visitor's preferences with them), hashes
  // the user id of an erasure request, and records each link in the warehouse.
  needs: {
    warehouse: { via: 'streaming', reads: [], writes: ['identity_links'] },
    firestore: 'write',
    secrets: ['TOKEN_KEY', 'USER_HASH_KEY'],
    publishes: {},
  },
  /**
   * One Firestore read by document id per request, mostly waiting: 80 at once on one vCPU. 256Mi: a
   * preference document is at most 1 MiB (Firestore's limit), so 80 in flight fit beside the runtime.
   * 10 instances (800 reads in flight) cap cost and the read rate on Firestore; 30 s is ample for one read,
   * and a hung request gives its slot back sooner.
   */
  sizing: { memory: '256Mi', cpu: '1', minInstances: 0, maxInstances: 10, concurrency: 80, timeoutSeconds: 30 },
  async create(settings, platform) {
    const { deadlines } = settings;
    const logger = createLogger({ minSeverity: settings.logLevel, labels: { function: 'users' } });
    const firestore = await platform.requestFirestore(settings.projectId, requestDeadlines(deadlines));
    const { hashUser, privacy, erasures } = shopperStores(firestore, settings.userHashKey);
    const preferences = firestoreStores(firestore);
    const within = <T extends object>(port: T, name: string) => bounded(port, name, deadlines.firestoreMs, logger);
    const warehouse = await platform.eventWarehouse(settings);
    return httpFunction(
      createUsersHandler({
        verifier: await createJwtVerifier(settings.token),
        documents: within(preferences.documents(), 'documents'),
        privacy: within(privacy, 'privacy'),
        erasures: within(erasures, 'erasures'),
        hashUser,
        links: within(identityLinks(firestore, mergePreferences), 'links'),
        linkWarehouse: bounded(warehouse, 'warehouse', deadlines.warehouseInsertMs, logger),
        reorderModel: within(preferences.reorderModels().reader, 'reorderModel'),
        clock: platform.clock,
        logger,
        corsOrigins: settings.corsOrigins,
      }),
    );
  },
});
