import type { JobRequest } from '../jobs/http-handler.ts';
import { runJob } from '../jobs/lifecycle.ts';
import type { Logger } from '../logging/logger.ts';
import type { ErasureStore, PendingErasure } from '../privacy/ports.ts';
import type { SqlRow, SqlWarehouse } from '../warehouse/ports.ts';
import type { ShopperDocuments } from './ports.ts';

export const JOB = 'erasure';

/**
 * Every warehouse table with a `user_id` column, each erased by `sql/erase_<table>.sql` and checked by
 * `sql/erasure_remaining.sql`. test/erasure/coverage.test.ts fails when a table of `sql/` with a
 * `user_id` column is missing here or from either file.
 */
export const ERASED_TABLES = [
  'events',
  'order_items',
  'rejected_events',
  'user_patterns',
  'user_patterns_staging',
  'shopper_privacy_staging',
  'shopper_retention_staging',
  'run_order_lines_staging',
  'run_engagement_staging',
  'order_lines_staging',
  'engagement_staging',
  'import_events_staging',
  'import_order_items_staging',
  'import_rejected_staging',
  // Last: the others find a shopper's linked visitors through it.
  'identity_links',
] as const;
export type ErasedTable = (typeof ERASED_TABLES)[number];

export type ErasureJobDeps = {
  warehouse: SqlWarehouse;
  erasures: ErasureStore;
  documents: ShopperDocuments;
  clock: () => Date;
  logger: Logger;
  newRunId?: () => string;
};

export type ErasureRun = {
  run_id: string;
  /** Pending requests worked on. */
  requests: number;
  /** Those completed: nothing of the shopper is left. */
  completed: number;
  /** Those left pending for a later run, with the reason on the request. */
  deferred: number;
  /** Rows each DELETE removed, all shoppers of the run together (its affected rows). */
  rows_deleted: Partial<Record<ErasedTable, number>>;
  /** Tables whose DELETE could not run this time: rows still in BigQuery's streaming buffer. */
  skipped_tables: ErasedTable[];
  /** Rows the two counts answered. */
  result_rows: number;
  bytes_processed: number | null;
  ms: number;
};

/** BigQuery refuses DML on rows streamed in the last ~30 minutes; such a table is skipped, not a failure. */
const STREAMING_BUFFER = /streaming buffer/i;

type Counts = Map<string, Map<ErasedTable, number>>;

/** Shoppers whose preference documents are deleted at once (each a recursive delete of a few documents). */
const PARALLEL_DOCUMENT_DELETES = 20;

/** Shoppers per run, oldest requests first: keeps @user_ids well under BigQuery's request size; the rest wait for the next run. */
export const MAX_SHOPPERS_PER_RUN = 10_000;

/**
 * The erasure job: every pending request at once, set-based — one count, one DELETE per table and one
 * verifying count for all their shoppers together, never one statement per shopper.
 *
 * 1. count each shopper's rows per table (`erasure_remaining.sql`): what the DELETEs will remove, per
 *    shopper (a set-based DELETE's affected rows are the table's total, not any one shopper's);
 * 2. run each `erase_<table>.sql`, which erase the visitors linked to a shopper with them. A table whose rows are
 *    still in BigQuery's streaming buffer is skipped this run, the others still run; any other error fails the run
 *    (and Cloud Scheduler retries). `identity_links` goes last, and keeps the links of a shopper who had rows in a
 *    skipped table: the others find a shopper's visitors through it, and will again in the next run;
 * 3. delete the shoppers' and their linked visitors' preference documents again: a late ingest or a patterns run
 *    may have written them since the request; then compact the warehouse where it has such a step
 *    (`SqlWarehouse.compact`);
 * 4. count again: a shopper with nothing left anywhere, whose rows were in no skipped table, is
 *    completed — an `erasure_log` row (the hash, never the id) first, then the request, so a failure in
 *    between logs it twice at worst (the insert skips a logged request) and never completes it unlogged;
 *    the others are deferred with the reason and the rows deleted so far.
 * The run is recorded in `job_runs`. Logs name requests and hashes, never a user id.
 */
export async function runErasureJob(deps: ErasureJobDeps, _request: JobRequest = {}): Promise<ErasureRun> {
  return runJob(deps, JOB, ({ runId, started, log }) => {
    const { warehouse, erasures } = deps;
    // What the run has done so far: its summary when it ends, however it ends.
    const progress = {
      requests: 0,
      completed: 0,
      deferred: 0,
      rows_deleted: {} as Partial<Record<ErasedTable, number>>,
      skipped: new Map<ErasedTable, string>(),
      rows: 0,
      bytes: null as number | null,
    };
    let nothingPending = false;
    const addCost = (bytes: number | null) => {
      if (bytes !== null) progress.bytes = (progress.bytes ?? 0) + bytes;
    };
    const summary = (): ErasureRun => ({
      run_id: runId,
      requests: progress.requests,
      completed: progress.completed,
      deferred: progress.deferred,
      rows_deleted: progress.rows_deleted,
      skipped_tables: [...progress.skipped.keys()],
      result_rows: progress.rows,
      bytes_processed: progress.bytes,
      ms: Math.round(deps.clock().getTime() - started.getTime()),
    });

    const work = async (): Promise<ErasureRun> => {
      const pending = oldestShoppers(await erasures.pending(), MAX_SHOPPERS_PER_RUN);
      if (pending.length === 0) {
        // Nothing to scan or delete: only the run's record, so the history shows the job ran.
        nothingPending = true;
        return summary();
      }
      progress.requests = pending.length;
      const userIds = [...new Set(pending.map((p) => p.user_id))];
      log.info('erasing', {
        requests: pending.length,
        shoppers: userIds.length,
        request_ids: pending.slice(0, 100).map((p) => p.request_id),
      });

      const count = async (when: string): Promise<Counts> => {
        const result = await warehouse.query('erasure_remaining.sql', { user_ids: userIds }, JOB);
        progress.rows += result.rows.length;
        addCost(result.bytesProcessed);
        log.info(`rows counted ${when}`, { rows: result.rows.length, bytes_processed: result.bytesProcessed, ms: Math.round(result.ms) });
        return countsOf(result.rows);
      };

      const found = await count('before the deletes');
      const { skipped } = progress;
      /** Whether a shopper had no rows in the tables skipped so far. */
      const clear = (userId: string) => [...skipped.keys()].every((table) => (found.get(userId)?.get(table) ?? 0) === 0);
      // Shoppers whose links a skipped table still needs: the others find a shopper's linked visitors through them.
      const keptLinks = new Set<string>();
      for (const table of ERASED_TABLES) {
        let ids = userIds;
        if (table === 'identity_links') {
          ids = userIds.filter(clear);
          for (const userId of userIds) if (!clear(userId)) keptLinks.add(userId);
          if (keptLinks.size > 0)
            log.info(`table ${table} kept for shoppers whose rows a skipped table holds`, { table, shoppers: keptLinks.size });
          if (ids.length === 0) continue;
        }
        try {
          const result = await warehouse.execute(`erase_${table}.sql`, { user_ids: ids }, JOB);
          progress.rows_deleted[table] = result.affectedRows;
          addCost(result.bytesProcessed);
          log.info(`table ${table} erased`, {
            table,
            rows_deleted: result.affectedRows,
            bytes_processed: result.bytesProcessed,
            ms: Math.round(result.ms),
          });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (!STREAMING_BUFFER.test(message)) throw error;
          skipped.set(table, message);
          // BigQuery's words go to the log; the request (which the shopper reads) gets ours.
          log.warn(`table ${table} skipped: rows in the streaming buffer`, { table, error: message });
        }
      }
      const documentIds = [...new Set(pending.flatMap((p) => [p.user_id, ...p.linked_ids]))];
      for (let i = 0; i < documentIds.length; i += PARALLEL_DOCUMENT_DELETES) {
        await Promise.all(documentIds.slice(i, i + PARALLEL_DOCUMENT_DELETES).map((userId) => deps.documents.deleteAll(userId)));
      }
      // Before any request is completed: a deleted row can outlive its DELETE in storage (DuckDB's file).
      if (warehouse.compact) {
        const compacted = await warehouse.compact();
        log.info('warehouse compacted', { ms: Math.round(compacted.ms) });
      }
      const left = await count('after the deletes');

      for (const request of pending) {
        const had = found.get(request.user_id) ?? new Map<ErasedTable, number>();
        const remaining = left.get(request.user_id) ?? new Map<ErasedTable, number>();
        const blocked = [...skipped.keys()].filter((table) => (had.get(table) ?? 0) > 0);
        const soFar = accumulate(request, had, [...skipped.keys(), ...(keptLinks.has(request.user_id) ? ['identity_links' as const] : [])]);
        const now = deps.clock();
        if (remaining.size === 0 && blocked.length === 0) {
          await logErasure(warehouse, request, soFar, now);
          await erasures.completed(request.request_id, soFar, now);
          progress.completed += 1;
          log.info('erasure request completed', {
            request_id: request.request_id,
            user_hash: request.user_hash,
            rows_deleted: soFar,
            attempts: request.attempts + 1,
          });
        } else {
          const reason = deferralReason(blocked, remaining);
          await erasures.deferred(request.request_id, reason, now, soFar);
          progress.deferred += 1;
          log.warn('erasure request deferred', {
            request_id: request.request_id,
            user_hash: request.user_hash,
            reason,
            attempts: request.attempts + 1,
          });
        }
      }
      return summary();
    };

    log.info('job started');
    return {
      work,
      // No watermark: the job works on whatever is pending, so as_of, since and watermark are its start.
      // Shoppers: the requests worked on; changed: those completed.
      figures: () => ({
        asOf: started,
        since: started,
        watermark: started,
        shoppers: progress.requests,
        changed: progress.completed,
        resultRows: progress.rows,
        bytesProcessed: progress.bytes,
      }),
      succeeded: (run) => ({ message: nothingPending ? 'no pending erasure requests' : 'job succeeded', fields: { ...run } }),
    };
  });
}

/** The oldest requests (they come oldest first) whose shoppers number at most `max`; every request of a shopper taken goes too. */
function oldestShoppers(pending: readonly PendingErasure[], max: number): PendingErasure[] {
  const shoppers = new Set<string>();
  return pending.filter((request) => {
    if (!shoppers.has(request.user_id) && shoppers.size >= max) return false;
    shoppers.add(request.user_id);
    return true;
  });
}

/** `erasure_remaining.sql`'s rows as shopper → table → rows. */
function countsOf(rows: readonly SqlRow[]): Counts {
  const counts: Counts = new Map();
  for (const row of rows) {
    const userId = String(row.user_id);
    const table = String(row.table_name) as ErasedTable;
    const n = Number(row.remaining);
    if (n <= 0) continue;
    let tables = counts.get(userId);
    if (!tables) counts.set(userId, (tables = new Map<ErasedTable, number>()));
    tables.set(table, (tables.get(table) ?? 0) + n);
  }
  return counts;
}

/**
 * The request's rows deleted over every run so far: earlier runs' (kept on the request) plus this
 * run's — what the shopper had in each table whose DELETE ran. Each request of a shopper who asked
 * twice counts the rows the run deleted for that shopper.
 */
function accumulate(
  request: PendingErasure,
  had: ReadonlyMap<ErasedTable, number>,
  skipped: Iterable<ErasedTable>,
): Record<string, number> {
  const notRun = new Set(skipped);
  const soFar: Record<string, number> = {};
  for (const table of ERASED_TABLES) {
    const now = notRun.has(table) ? 0 : (had.get(table) ?? 0);
    soFar[table] = (request.rows_deleted?.[table] ?? 0) + now;
  }
  return soFar;
}

function deferralReason(blocked: readonly ErasedTable[], remaining: ReadonlyMap<ErasedTable, number>): string {
  if (blocked.length > 0) return `rows still in BigQuery's streaming buffer (${blocked.join(', ')}); a later run deletes them`;
  // Rows written between the DELETE and the check (a late delivery): the next run deletes them too.
  const tables = [...remaining].map(([table, n]) => `${table}: ${n}`).join(', ');
  return `rows still there after the deletes (${tables}); a later run deletes them`;
}

async function logErasure(
  warehouse: SqlWarehouse,
  request: PendingErasure,
  rowsDeleted: Record<string, number>,
  completedAt: Date,
): Promise<void> {
  await warehouse.execute(
    'insert_erasure_log.sql',
    {
      request_id: request.request_id,
      user_hash: request.user_hash,
      requested_by: request.requested_by,
      requested_at: new Date(request.requested_at),
      completed_at: completedAt,
      attempts: request.attempts + 1,
      rows_deleted: JSON.stringify(rowsDeleted),
    },
    JOB,
  );
}
