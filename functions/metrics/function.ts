import { BatchEnv, loadBatchSettings } from '../config.ts';
import { defineFunction, httpFunction, SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS } from '../descriptor.ts';
import { createLogger } from '../logging/logger.ts';
import { createMetricsHandler } from './handler.ts';

/**
 * `metrics`: every day, the learning metrics of the day before (CTR by experiment arm and by position, the mean
 * reciprocal rank of clicks and the position of what was bought by arm, reorder precision and recall, brand accuracy,
 * cart abandonment and value, coverage) into `learning_metrics`, each also logged as a "learning metric" entry for
 * Cloud Monitoring.
 */
export const metricsFunction = defineFunction({
  name: 'metrics',
  summary:
    'Measures the learning loop over the day before: CTR by experiment arm and position, MRR and bought position by arm, reorder precision and recall, brand accuracy, carts, coverage.',
  /**
   * Daily at 04:00 UTC: it measures the whole UTC day before, whose late clicks and orders (counted up to 00:30) are
   * in the warehouse by then; an hour after `patterns`, so that the nightly jobs do not run side by side.
   */
  trigger: { kind: 'schedule', cron: '0 4 * * *', localEveryMinutes: 60 },
  localPort: 8090,
  settings: { schema: BatchEnv, load: loadBatchSettings },
  // Aggregates over the warehouse alone: no Firestore, no user ids, no hash key.
  needs: {
    warehouse: {
      via: 'jobs',
      // A linked visitor's events and lines count as their shopper's (identity_links).
      reads: ['events', 'order_items', 'identity_links', 'user_patterns', 'reorder_model', 'learning_metrics_staging'],
      writes: ['learning_metrics_staging', 'learning_metrics', 'job_runs'],
    },
    firestore: 'none',
    secrets: [],
    publishes: {},
  },
  /** 512Mi: a run holds a few dozen metric rows; the queries are BigQuery jobs. */
  sizing: { memory: '512Mi', cpu: '1', timeoutSeconds: SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS },
  async create(settings, platform) {
    return httpFunction(
      createMetricsHandler({
        warehouse: await platform.sqlWarehouse(settings),
        clock: platform.clock,
        logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'metrics' } }),
      }),
    );
  },
});
