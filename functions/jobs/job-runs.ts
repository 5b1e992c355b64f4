import type { SqlWarehouse } from '../warehouse/ports.ts';

/** Longest error kept in `job_runs`: the reason, not a stack. */
export const MAX_ERROR_LENGTH = 1024;

/**
 * One row of `job_runs`, as every batch job records its runs, succeeded or failed. What `shoppers`,
 * `changed` and `since`/`watermark` mean is each job's own (see its `recordRun`).
 */
export type JobRunRecord = {
  job: string;
  runId: string;
  status: 'succeeded' | 'failed';
  asOf: Date;
  since: Date;
  watermark: Date;
  started: Date;
  finished: Date;
  shoppers: number;
  changed: number;
  resultRows: number;
  /** Null where the warehouse does not say (DuckDB). */
  bytesProcessed: number | null;
  /** Empty for a run that succeeded. The reason only: the jobs' messages and BigQuery's name files and tables, never shoppers. */
  error: string;
};

/** Inserts the run's row through `insert_job_run.sql`. */
export async function recordJobRun(warehouse: Pick<SqlWarehouse, 'execute'>, run: JobRunRecord): Promise<void> {
  await warehouse.execute(
    'insert_job_run.sql',
    {
      job: run.job,
      run_id: run.runId,
      status: run.status,
      as_of: run.asOf,
      since: run.since,
      watermark: run.watermark,
      started_at: run.started,
      finished_at: run.finished,
      shoppers: run.shoppers,
      changed: run.changed,
      result_rows: run.resultRows,
      // The file turns these two back into NULL: a parameter cannot be a typed NULL.
      bytes_processed: run.bytesProcessed ?? -1,
      error: run.error.slice(0, MAX_ERROR_LENGTH),
    },
    run.job,
  );
}
