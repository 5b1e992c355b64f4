import { randomUUID } from 'node:crypto';
import type { Clock } from '../kernel/ports.ts';
import type { LogFields, Logger } from '../logging/logger.ts';
import type { SqlWarehouse } from '../warehouse/ports.ts';
import { recordJobRun, type JobRunRecord } from './job-runs.ts';

/** What every batch job's run needs besides its own ports. */
export type JobRunDeps = {
  warehouse: Pick<SqlWarehouse, 'execute'>;
  clock: Clock;
  logger: Logger;
  newRunId?: () => string;
};

/** The run as its job sees it: its id, when it started, and a logger labelled with the job and the run. */
export type RunContext = { runId: string; started: Date; log: Logger };

/** The figures of a `job_runs` row that each job decides; the lifecycle adds the job, the run, its status, times and error. */
export type RunFigures = Pick<JobRunRecord, 'asOf' | 'since' | 'watermark' | 'shoppers' | 'changed' | 'resultRows' | 'bytesProcessed'>;

export type JobRun<Summary extends LogFields> = {
  /** The job's own work; what it answers is the run's summary. */
  work(): Promise<Summary>;
  /** The run's figures in `job_runs`: from its summary once it succeeded, from what it had done (null) once it failed. */
  figures(summary: Summary | null): RunFigures;
  /** The line logged once a successful run is recorded. Default: "job succeeded" with the summary. */
  succeeded?(summary: Summary): { message: string; fields: LogFields };
};

/**
 * One run of a batch job, as every job runs: a run id and a logger labelled with it; `open` prepares
 * the run (what it does there is not recorded as a failed run: nothing has started yet); then the work,
 * recorded in `job_runs` as succeeded or failed with its reason. A failed run is logged "job failed"
 * (the line the alert policy counts) and thrown on, so Cloud Scheduler retries it.
 */
export async function runJob<Summary extends LogFields>(
  deps: JobRunDeps,
  job: string,
  open: (run: RunContext) => Promise<JobRun<Summary>> | JobRun<Summary>,
): Promise<Summary> {
  const started = deps.clock();
  const runId = deps.newRunId?.() ?? randomUUID();
  const log = deps.logger.child({ job, run_id: runId });
  const run = await open({ runId, started, log });
  const record = (summary: Summary | null, error: string) =>
    recordJobRun(deps.warehouse, {
      job,
      runId,
      status: summary === null ? 'failed' : 'succeeded',
      started,
      finished: deps.clock(),
      ...run.figures(summary),
      error,
    });

  try {
    const summary = await run.work();
    await record(summary, '');
    const { message, fields } = run.succeeded?.(summary) ?? { message: 'job succeeded', fields: { ...summary } };
    log.info(message, fields);
    return summary;
  } catch (error) {
    await record(null, error instanceof Error ? error.message : String(error)).catch((recordError: unknown) =>
      log.warn('the failed run could not be recorded', { error: recordError }),
    );
    log.error('job failed', { error });
    throw error;
  }
}
