import { BatchEnv, loadBatchSettings } from '../config.ts';
import { defineFunction, httpFunction, SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS } from '../descriptor.ts';
import { createLogger } from '../logging/logger.ts';
import { firestoreStores } from '../platform.ts';
import { createRetentionHandler } from './handler.ts';

/**
 * `retention`: deletes each shopper's rows older than their `retention_days`, for the shoppers whose setting differs
 * from the default (loaded into `shopper_retention_staging`).
 */
export const retentionFunction = defineFunction({
  name: 'retention',
  summary: "Deletes the rows each shopper's retention_days no longer allows.",
  /** Daily at 02:30 UTC, before `patterns` at 03:00, so that patterns are not computed from expired events. */
  trigger: { kind: 'schedule', cron: '30 2 * * *', localEveryMinutes: 60 },
  localPort: 8089,
  settings: { schema: BatchEnv, load: loadBatchSettings },
  // It only reads privacy settings, by their retention_days, never a tombstone: it knows shoppers by their ids alone
  // and reads no secret.
  needs: {
    warehouse: {
      via: 'jobs',
      reads: ['shopper_retention_staging', 'identity_links'],
      writes: ['events', 'order_items', 'rejected_events', 'shopper_retention_staging', 'job_runs'],
    },
    firestore: 'read',
    secrets: [],
    publishes: {},
  },
  /** 512Mi: a run holds the shoppers whose retention differs from the default; the deletions are DML jobs. */
  sizing: { memory: '512Mi', cpu: '1', timeoutSeconds: SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS },
  async create(settings, platform) {
    return httpFunction(
      createRetentionHandler({
        warehouse: await platform.sqlWarehouse(settings),
        privacy: { nonDefault: firestoreStores(platform.firestore(settings.projectId)).nonDefaultPrivacy },
        clock: platform.clock,
        logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'retention' } }),
      }),
    );
  },
});
