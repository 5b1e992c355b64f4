import { z } from 'zod';
import { BatchEnv, loadBatchSettings, loadUserHashKey, UserHashEnv } from '../config.ts';
import { defineFunction, httpFunction, SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS } from '../descriptor.ts';
import { createLogger } from '../logging/logger.ts';
import { shopperStores } from '../platform.ts';
import { createErasureHandler } from './handler.ts';
import { ERASED_TABLES } from './job.ts';

/**
 * `erasure`: carries out the pending erasure requests (from shoppers through `users`, from operators through
 * `operators`) across BigQuery and Firestore, verifies that nothing of the shopper is left, and completes them.
 * A request whose rows are still in BigQuery's streaming buffer stays pending for the next run.
 */
export const erasureFunction = defineFunction({
  name: 'erasure',
  summary: 'Erases the shoppers of pending erasure requests from BigQuery and Firestore, and completes the requests.',
  /**
   * Hourly, at a quarter past. BigQuery refuses to delete rows still in its streaming buffer (up to about 90 minutes
   * after they were inserted), so a request that arrives with fresh rows stays pending and the next run tries again.
   */
  trigger: { kind: 'schedule', cron: '15 * * * *', localEveryMinutes: 5 },
  localPort: 8088,
  settings: {
    schema: z.object({ ...BatchEnv.shape, ...UserHashEnv.shape }),
    load: (env) => ({ ...loadBatchSettings(env), userHashKey: loadUserHashKey(env) }),
  },
  // What it keeps of an erased shopper, in erasure_log and the request, is the hash of their id; it updates requests
  // and deletes the shopper's documents.
  needs: {
    warehouse: {
      via: 'jobs',
      // Every table with a user_id column, each erased and then checked; erasure_log keeps each erasure's counts.
      reads: [...ERASED_TABLES, 'erasure_log'],
      writes: [...ERASED_TABLES, 'erasure_log', 'job_runs'],
    },
    firestore: 'write',
    secrets: ['USER_HASH_KEY'],
    publishes: {},
  },
  /**
   * 512Mi: a run holds only the pending requests; each deletion is a DML job BigQuery runs. 1800 s: several DML
   * statements per run, each of which may queue behind others on the same table.
   */
  sizing: { memory: '512Mi', cpu: '1', timeoutSeconds: SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS },
  async create(settings, platform) {
    const { erasures } = shopperStores(platform.firestore(settings.projectId), settings.userHashKey);
    return httpFunction(
      createErasureHandler({
        warehouse: await platform.sqlWarehouse(settings),
        erasures,
        documents: erasures,
        clock: platform.clock,
        logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'erasure' } }),
      }),
    );
  },
});
