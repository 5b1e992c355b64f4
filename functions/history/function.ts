import { z } from 'zod';
import { DeadlineEnv, HistoryEnv, loadDeadlines, loadHistorySettings, loadUserHashKey, UserHashEnv } from '../config.ts';
import { defineFunction, httpFunction } from '../descriptor.ts';
import { DAY_MS } from '../learn/decay.ts';
import { learn } from '../learn/learn.ts';
import { createLogger } from '../logging/logger.ts';
import { bounded, firestoreStores, shopperStores } from '../platform.ts';
import { createHistoryHandler } from './handler.ts';
import { RESUME_WINDOW_DAYS, type ImportRecord } from './import-job.ts';

/** `history`: imports of a shop's past orders, run for operators (IAM authenticates callers), and where each stands. */
export const historyFunction = defineFunction({
  name: 'history',
  summary: 'Imports a shop’s past orders, seeds its shoppers’ preferences from them, and runs the patterns job over them.',
  trigger: { kind: 'http', callers: 'operators' },
  localPort: 8091,
  settings: {
    schema: z.object({ ...HistoryEnv.shape, ...DeadlineEnv.shape, ...UserHashEnv.shape }),
    load: (env) => ({ ...loadHistorySettings(env), deadlines: loadDeadlines(env), userHashKey: loadUserHashKey(env) }),
  },
  needs: {
    // It stages an import's rows and merges them into the ingest tables, and reads those back to seed from them.
    warehouse: {
      via: 'jobs',
      reads: ['events', 'order_items', 'rejected_events', 'import_events_staging', 'import_order_items_staging', 'import_rejected_staging'],
      writes: [
        'events',
        'order_items',
        'rejected_events',
        'import_events_staging',
        'import_order_items_staging',
        'import_rejected_staging',
      ],
    },
    // It reads shoppers' settings and tombstones (found by the hash of their id), writes their preference documents
    // and markers, and keeps each import's progress.
    firestore: 'write',
    secrets: ['USER_HASH_KEY'],
    publishes: {},
    calls: { patterns: 'PATTERNS_URL' },
    importBucket: 'IMPORT_BUCKET',
  },
  /**
   * One import at a time, on one instance, within the request that runs it (Cloud Run's longest, 3600 s; a longer one
   * is resumed by running it again). 1Gi holds a slice of rows and of shoppers (`SLICE_ROWS`, `SEED_SLICE_SHOPPERS`);
   * 4 requests at once leave room for the status polls beside the running import.
   */
  sizing: { memory: '1Gi', cpu: '1', minInstances: 0, maxInstances: 1, concurrency: 4, timeoutSeconds: 3600 },
  async create(settings, platform) {
    const logger = createLogger({ minSeverity: settings.logLevel, labels: { function: 'history' } });
    const firestore = platform.firestore(settings.projectId);
    const stores = firestoreStores(firestore);
    const { hashUser, privacy } = shopperStores(firestore, settings.userHashKey);
    const warehouse = await platform.sqlWarehouse(settings);
    const ledger = stores.importLedger<ImportRecord>();
    return httpFunction(
      createHistoryHandler({
        ...(await platform.importSources(settings, warehouse)),
        gate: stores.shopperGate(privacy, hashUser),
        warehouse,
        seeder: stores.seeder({
          learn,
          hashUser,
          markerTtlDays: settings.markerTtlDays,
          liveWindowMs: settings.maxEventAgeMs,
          resumeWindowMs: RESUME_WINDOW_DAYS * DAY_MS,
        }),
        patterns: platform.functionCaller(settings.patternsUrl),
        ledger,
        // The status route answers an operator who waits: its one read has the request path's deadline.
        status: bounded(ledger, 'imports', settings.deadlines.firestoreMs, logger),
        clock: platform.clock,
        logger,
        maxFutureSkewMs: settings.maxFutureSkewMs,
      }),
    );
  },
});
