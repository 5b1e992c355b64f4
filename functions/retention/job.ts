import { runJob } from '../jobs/lifecycle.ts';
import type { Logger } from '../logging/logger.ts';
import type { PrivacyStore } from '../privacy/ports.ts';
import { DEFAULT_PRIVACY, PrivacySettings } from '../privacy/settings.ts';
import type { SqlParams, SqlWarehouse } from '../warehouse/ports.ts';

export const JOB = 'retention';

/** The tables holding a shopper's events, each with its `sql/retain_<table>.sql`, in the order a run deletes from them. */
export const RETAINED_TABLES = ['events', 'order_items', 'rejected_events'] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

/** Retention has no watermark: every run looks at every row, so `since` and `watermark` in job_runs are the epoch. */
const EVERYTHING = new Date(0);

export type RetentionJobDeps = {
  warehouse: SqlWarehouse;
  /** Who keeps their data for other than the default 365 days. */
  privacy: Pick<PrivacyStore, 'nonDefault'>;
  clock: () => Date;
  logger: Logger;
  newRunId?: () => string;
};

export type RetentionRequest = {
  /** Rows older than each shopper's retention before this are deleted. Default: now; never later than now. */
  asOf?: Date;
};

export type RetentionRun = {
  run_id: string;
  as_of: string;
  default_retention_days: number;
  /** The shortest retention in force: no partition younger than this was touched. */
  shortest_retention_days: number;
  /** Shoppers with a retention of their own. */
  shoppers: number;
  /** Rows deleted per table (0 for a deferred table). */
  deleted: Record<RetainedTable, number>;
  /** Tables whose DELETE met rows in BigQuery's streaming buffer: the next run deletes their rows. */
  deferred: RetainedTable[];
  bytes_processed: number | null;
  ms: number;
};

/**
 * The retention job: loads `shopper_retention_staging` with every shopper whose retention_days is not
 * the default, gives each linked visitor their shopper's (whose settings govern the visitor's rows), then
 * deletes, table by table, the rows older than each shopper's retention (the default for everyone else). The tables' partition expiration (730 days, the most retention_days
 * allows) is the ceiling for all. A table whose DELETE meets BigQuery's streaming buffer is left to
 * the next run; any other failure fails the run.
 */
export async function runRetentionJob(deps: RetentionJobDeps, request: RetentionRequest = {}): Promise<RetentionRun> {
  return runJob(deps, JOB, ({ runId, started, log }) => {
    const { warehouse } = deps;
    const asOf = request.asOf ?? started;
    const defaultDays = DEFAULT_PRIVACY.retention_days;
    const deleted: Record<RetainedTable, number> = { events: 0, order_items: 0, rejected_events: 0 };
    const deferred: RetainedTable[] = [];
    let shoppers = 0;
    let bytes: number | null = null;

    const work = async (): Promise<RetentionRun> => {
      // A later as_of would delete rows still within their retention.
      if (asOf.getTime() > started.getTime()) throw new Error('as_of must not be in the future');
      const staged = await stageRetention(deps);
      shoppers = staged.length;
      const shortest = staged.reduce((min, row) => Math.min(min, row.retention_days), defaultDays);
      log.info('retention staged', { shoppers, shortest_retention_days: shortest });

      const params: SqlParams = { as_of: asOf, default_retention_days: defaultDays, shortest_retention_days: shortest };
      for (const table of RETAINED_TABLES) {
        try {
          const result = await warehouse.execute(`retain_${table}.sql`, params, JOB);
          deleted[table] = result.affectedRows;
          if (result.bytesProcessed !== null) bytes = (bytes ?? 0) + result.bytesProcessed;
          log.info(`table ${table} retained`, {
            table,
            deleted_rows: result.affectedRows,
            bytes_processed: result.bytesProcessed,
            ms: Math.round(result.ms),
          });
        } catch (error) {
          // Streamed rows are seconds old, far inside any retention (1 day at least); should BigQuery still
          // refuse the DELETE for them, the rows it was after wait a day for the next run.
          if (!inStreamingBuffer(error)) throw error;
          deferred.push(table);
          log.warn(`table ${table} deferred`, { table, error });
        }
      }

      return {
        run_id: runId,
        as_of: asOf.toISOString(),
        default_retention_days: defaultDays,
        shortest_retention_days: shortest,
        shoppers,
        deleted,
        deferred,
        bytes_processed: bytes,
        ms: Math.round(deps.clock().getTime() - started.getTime()),
      };
    };

    log.info('job started', { as_of: asOf.toISOString() });
    return {
      work,
      // Shoppers with a retention of their own; result rows: the rows deleted. Nothing is published.
      figures: () => ({
        asOf,
        since: EVERYTHING,
        watermark: EVERYTHING,
        shoppers,
        changed: 0,
        resultRows: Object.values(deleted).reduce((sum, n) => sum + n, 0),
        bytesProcessed: bytes,
      }),
    };
  });
}

/**
 * Loads every shopper with a retention of their own, always (even none, so no earlier run's row lingers), then
 * stages each linked visitor with their shopper's retention in place of any of their own. Answers the loaded rows.
 */
async function stageRetention(deps: RetentionJobDeps): Promise<{ user_id: string; retention_days: number }[]> {
  const staged = [...(await deps.privacy.nonDefault('retention_days'))].map(([userId, settings]) => {
    // A value outside 1…730 would delete too much or too little: refuse it rather than guess (no shopper named).
    const days = PrivacySettings.shape.retention_days.safeParse(settings.retention_days);
    if (!days.success) throw new Error('the privacy store answered a retention_days that is not an integer from 1 to 730');
    return { user_id: userId, retention_days: days.data };
  });
  await deps.warehouse.replaceRows('shopper_retention_staging', staged, JOB);
  if (staged.length > 0) await deps.warehouse.execute('stage_linked_retention.sql', {}, JOB);
  return staged;
}

/** BigQuery refuses DML over rows still in the streaming buffer; its message says so. */
export function inStreamingBuffer(error: unknown): boolean {
  return error instanceof Error && /streaming buffer/i.test(error.message);
}
