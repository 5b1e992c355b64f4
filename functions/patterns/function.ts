import { z } from 'zod';
import { BatchEnv, loadBatchSettings, loadUserHashKey, parseEnv, UserHashEnv, type BatchSettings } from '../config.ts';
import { defineFunction, httpFunction, SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS } from '../descriptor.ts';
import { createLogger } from '../logging/logger.ts';
import { firestoreStores, shopperStores } from '../platform.ts';
import { createPatternsHandler } from './handler.ts';
import { SLICE_SHOPPERS } from './job.ts';

/** What the patterns job reads beyond every batch job, with its defaults. */
export const PatternsEnv = BatchEnv.extend({
  /** Minutes after collect an event is surely in the warehouse; each run starts that far back. Default 15. */
  PATTERNS_SETTLE_MINUTES: z.coerce.number().nonnegative().default(15),
  /** Shoppers the job computes together; its memory grows with it. Default 20,000. */
  PATTERNS_SLICE_SHOPPERS: z.coerce.number().int().positive().default(SLICE_SHOPPERS),
});

export type PatternsSettings = BatchSettings & { settleMs: number; sliceShoppers: number };

/** The settings of the scheduled `patterns` job. */
export function loadPatternsSettings(env: NodeJS.ProcessEnv): PatternsSettings {
  const e = parseEnv(PatternsEnv, env);
  return { ...loadBatchSettings(env), settleMs: e.PATTERNS_SETTLE_MINUTES * 60_000, sliceShoppers: e.PATTERNS_SLICE_SHOPPERS };
}

/** `patterns`: the pattern queries of sql/ over the shoppers with new events, published to their preference documents. */
export const patternsFunction = defineFunction({
  name: 'patterns',
  summary: 'Computes the purchase patterns of shoppers with new events and publishes the changed ones to Firestore.',
  /** Nightly at 03:00 UTC, outside European shopping hours; locally every 5 minutes. */
  trigger: { kind: 'schedule', cron: '0 3 * * *', localEveryMinutes: 5 },
  localPort: 8084,
  settings: {
    schema: z.object({ ...PatternsEnv.shape, ...UserHashEnv.shape }),
    load: (env) => ({ ...loadPatternsSettings(env), userHashKey: loadUserHashKey(env) }),
  },
  // It reads each shopper's privacy settings, falling back to an erased shopper's tombstone (found by the hash of
  // their id), and writes the patterns into the preference documents; it verifies no shopper token.
  needs: {
    warehouse: {
      via: 'jobs',
      // Active shoppers and the run's staged lines and engagement come from events and order_items, a linked visitor's
      // as their shopper's (identity_links); each slice copies its own out of the run's; job_runs holds the watermark.
      reads: [
        'events',
        'order_items',
        'identity_links',
        'job_runs',
        'user_patterns',
        'user_patterns_staging',
        'shopper_privacy_staging',
        'run_order_lines_staging',
        'run_engagement_staging',
        'order_lines_staging',
        'engagement_staging',
        'category_price_ranges_staging',
        'reorder_model',
        'reorder_model_staging',
      ],
      writes: [
        'user_patterns',
        'user_patterns_staging',
        'shopper_privacy_staging',
        'run_order_lines_staging',
        'run_engagement_staging',
        'order_lines_staging',
        'engagement_staging',
        'category_price_ranges_staging',
        'reorder_model',
        'reorder_model_staging',
        'job_runs',
      ],
    },
    firestore: 'write',
    secrets: ['USER_HASH_KEY'],
    publishes: {},
  },
  /**
   * 2Gi: a run holds the pattern rows of one slice of the shoppers it processes (`PATTERNS_SLICE_SHOPPERS`) in memory
   * to assemble, fingerprint and load them; 1 vCPU, since the work is mostly waiting on BigQuery and Firestore.
   * 1800 s is Cloud Scheduler's longest wait for an HTTP target: a longer run would be given up on, and retried,
   * while it still ran.
   */
  sizing: { memory: '2Gi', cpu: '1', timeoutSeconds: SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS },
  async create(settings, platform) {
    const firestore = platform.firestore(settings.projectId);
    const { privacy, erasures } = shopperStores(firestore, settings.userHashKey);
    return httpFunction(
      createPatternsHandler({
        warehouse: await platform.sqlWarehouse(settings),
        publisher: firestoreStores(firestore).patterns(),
        reorderModels: firestoreStores(firestore).reorderModels().publisher,
        privacy,
        erasures,
        clock: platform.clock,
        logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'patterns' } }),
        settleMs: settings.settleMs,
        sliceShoppers: settings.sliceShoppers,
      }),
    );
  },
});
