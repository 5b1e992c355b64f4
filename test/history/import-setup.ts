import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { inject } from 'vitest';
import { createFirestoreErasureStore } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestoreImportLedger } from '../../functions/adapters/gcp/firestore-import-ledger.ts';
import { createFirestorePatternPublisher } from '../../functions/adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestoreHistorySeeder } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { createFirestoreShopperGate } from '../../functions/adapters/gcp/firestore-shopper-gate.ts';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';
import { createDuckDbImportStaging } from '../../functions/adapters/local/duckdb-import-staging.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createLocalHistoryFiles } from '../../functions/adapters/local/local-history-files.ts';
import {
  planImport,
  runImport,
  RESUME_WINDOW_DAYS,
  type ImportDeps,
  type ImportReport,
  type ImportRequest,
} from '../../functions/history/import-job.ts';
import type { HistorySeeder } from '../../functions/history/ports.ts';
import { DAY_MS } from '../../functions/learn/decay.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createFirestoreReorderModelPublisher } from '../../functions/adapters/gcp/firestore-reorder-model.ts';
import { runPatternsJob } from '../../functions/patterns/job.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';

/**
 * A history import on the real parts, in this process: DuckDB in memory, the Firestore emulator (a project of its
 * own per setup), the privacy and erasure stores, the seeder and the patterns job. Only where the stack would call
 * the patterns function over HTTP, the job runs here, on the same warehouse.
 */
export type ImportBench = {
  warehouse: DuckDbWarehouse;
  firestore: Firestore;
  deps: ImportDeps;
  privacy: ReturnType<typeof createFirestorePrivacyStore>;
  erasures: ReturnType<typeof createFirestoreErasureStore>;
  /** Writes `text` to a file of its own and answers its absolute path. */
  file(name: string, text: string): string;
  /** Plans and runs an import of the request, as the import function does. */
  run(request: ImportRequest, overrides?: Partial<ImportDeps>): Promise<{ report: ImportReport; resumed: boolean }>;
  /** The learned part of a shopper's preference document, and its patterns. */
  document(userId: string): Promise<Record<string, unknown> | null>;
  close(): Promise<void>;
};

export const HASH_KEY = 'history-import-test-key-0123456789abcdef';
export const LIVE_WINDOW_MS = 30 * DAY_MS;

export async function importBench(now: Date): Promise<ImportBench> {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  const firestore = new Firestore({ projectId: `demo-history-${randomUUID().slice(0, 8)}`, ignoreUndefinedProperties: true });
  const warehouse = await createDuckDbWarehouse(':memory:');
  const hashUser = createUserHasher(HASH_KEY);
  const privacy = createFirestorePrivacyStore(firestore, { hashUser });
  const erasures = createFirestoreErasureStore(firestore, { hashUser });
  const logger = createMemoryLogger();
  const clock = () => now;
  const seeder: HistorySeeder = createFirestoreHistorySeeder(firestore, {
    learn,
    hashUser,
    markerTtlDays: 8,
    liveWindowMs: LIVE_WINDOW_MS,
    resumeWindowMs: RESUME_WINDOW_DAYS * DAY_MS,
  });
  const patternsDeps = {
    warehouse,
    publisher: createFirestorePatternPublisher(firestore),
    reorderModels: createFirestoreReorderModelPublisher(firestore),
    privacy,
    erasures,
    clock,
    logger,
    settleMs: 0,
  };
  const deps: ImportDeps = {
    files: createLocalHistoryFiles(),
    gate: createFirestoreShopperGate(firestore, { privacy, hashUser }),
    staging: createDuckDbImportStaging(warehouse),
    warehouse,
    seeder,
    patterns: { run: async (request) => runPatternsJob(patternsDeps, request) },
    ledger: createFirestoreImportLedger(firestore),
    clock,
    logger,
    maxFutureSkewMs: 300_000,
    sliceRows: 3,
    seedSliceShoppers: 2,
  };
  const dir = mkdtempSync(join(tmpdir(), 'history-import-'));
  return {
    warehouse,
    firestore,
    deps,
    privacy,
    erasures,
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    async run(request, overrides = {}) {
      const all = { ...deps, ...overrides };
      const { record, resumed } = await planImport(all, request);
      return { report: await runImport(all, record), resumed };
    },
    async document(userId) {
      const snapshot = await shopperRefs(firestore, userId).preferences.get();
      return snapshot.exists ? (snapshot.data() ?? null) : null;
    },
    async close() {
      await warehouse.close();
      await firestore.terminate();
    },
  };
}
