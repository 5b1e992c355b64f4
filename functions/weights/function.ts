import { BatchEnv, loadBatchSettings } from '../config.ts';
import { defineFunction, httpFunction, SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS } from '../descriptor.ts';
import { createLogger } from '../logging/logger.ts';
import { firestoreStores } from '../platform.ts';
import { createWeightsHandler } from './handler.ts';

/**
 * `weights`: every day, the ranking weights fitted to the last four weeks of the control arm's clicks, saved as a
 * version in Firestore and made the challenger against the current weights (docs/weights.md).
 */
export const weightsFunction = defineFunction({
  name: 'weights',
  summary: 'Fits the ranking weights to the control arm’s clicks and saves them as the challenger version in Firestore.',
  /** Daily at 05:00 UTC: after `metrics` (04:00), so that the nightly jobs do not run side by side. */
  trigger: { kind: 'schedule', cron: '0 5 * * *', localEveryMinutes: 60 },
  localPort: 8095,
  settings: { schema: BatchEnv, load: loadBatchSettings },
  // Aggregates over the warehouse; in Firestore only the weights' versions and rollout, no shopper's document.
  needs: {
    warehouse: { via: 'jobs', reads: ['events'], writes: ['job_runs'] },
    firestore: 'write',
    secrets: [],
    publishes: {},
  },
  /** 512Mi: a run holds a few thousand grouped counts and an 11 × 11 system; the query is a BigQuery job. */
  sizing: { memory: '512Mi', cpu: '1', timeoutSeconds: SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS },
  async create(settings, platform) {
    return httpFunction(
      createWeightsHandler({
        warehouse: await platform.sqlWarehouse(settings),
        store: firestoreStores(platform.firestore(settings.projectId)).weights(),
        clock: platform.clock,
        logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'weights' } }),
      }),
    );
  },
});
