import { z } from 'zod';
import { BatchEnv, DeadlineEnv, loadDeadlines, loadOperatorsSettings, loadUserHashKey, UserHashEnv } from '../config.ts';
import { defineFunction, httpFunction } from '../descriptor.ts';
import { createLogger } from '../logging/logger.ts';
import { bounded, firestoreStores, requestDeadlines, shopperStores } from '../platform.ts';
import { createOperatorsHandler } from './handler.ts';

/** `operators`: erasure on a shopper's behalf, a shopper's learning status, and the dashboard; IAM authenticates callers. */
export const operatorsFunction = defineFunction({
  name: 'operators',
  summary: 'Lets operators erase a shopper, see what was learned about one, and chart the loop on a dashboard.',
  trigger: { kind: 'http', callers: 'operators' },
  localPort: 8087,
  settings: {
    schema: z.object({ ...BatchEnv.shape, ...DeadlineEnv.shape, ...UserHashEnv.shape }),
    load: (env) => ({ ...loadOperatorsSettings(env), deadlines: loadDeadlines(env), userHashKey: loadUserHashKey(env) }),
  },
  // It writes erasure requests and tombstones, and records and shows a request by the hash of the user id.
  needs: {
    // The dashboard's queries read these four tables, and nothing else of the warehouse.
    warehouse: { via: 'jobs', reads: ['events', 'rejected_events', 'job_runs', 'learning_metrics'], writes: [] },
    firestore: 'write',
    secrets: ['USER_HASH_KEY'],
    publishes: {},
  },
  /**
   * Called by a few people, now and then: an erasure request is a handful of Firestore writes, a status one read.
   * 10 at once on one vCPU and 2 instances are plenty, and cap what a runaway script can do; 256Mi; 60 s.
   */
  sizing: { memory: '256Mi', cpu: '1', minInstances: 0, maxInstances: 2, concurrency: 10, timeoutSeconds: 60 },
  async create(settings, platform) {
    const { deadlines } = settings;
    const logger = createLogger({ minSeverity: settings.logLevel, labels: { function: 'operators' } });
    const firestore = await platform.requestFirestore(settings.projectId, requestDeadlines(deadlines));
    const { hashUser, privacy, erasures } = shopperStores(firestore, settings.userHashKey);
    const within = <T extends object>(port: T, name: string) => bounded(port, name, deadlines.firestoreMs, logger);
    return httpFunction(
      createOperatorsHandler({
        erasures: within(erasures, 'erasures'),
        documents: within(firestoreStores(firestore).documents(), 'documents'),
        privacy: within(privacy, 'privacy'),
        hashUser,
        // The dashboard's queries, on the warehouse the batch jobs use.
        warehouse: bounded(await platform.sqlWarehouse(settings, deadlines.dashboardMs), 'warehouse', deadlines.dashboardMs, logger),
        clock: platform.clock,
        logger,
      }),
    );
  },
});
