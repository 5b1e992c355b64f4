import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { runJob, type JobRunDeps, type RunFigures } from '../../functions/jobs/lifecycle.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { failingAt } from '../support/failing-warehouse.ts';

const STARTED = new Date('2026-03-02T03:00:00.000Z');
const FIGURES: RunFigures = {
  asOf: STARTED,
  since: new Date(0),
  watermark: STARTED,
  shoppers: 4,
  changed: 2,
  resultRows: 9,
  bytesProcessed: null,
};

describe('runJob: the lifecycle every batch job shares', () => {
  let warehouse: DuckDbWarehouse;
  let logger: ReturnType<typeof createMemoryLogger>;
  let deps: JobRunDeps;
  beforeEach(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    logger = createMemoryLogger();
    deps = { warehouse, clock: () => STARTED, logger, newRunId: () => 'run-1' };
  });
  afterEach(() => warehouse.close());

  const jobRuns = () => warehouse.sql('SELECT job, run_id, status, shoppers, changed, result_rows, error FROM job_runs');
  const lines = () => logger.entries.map((e) => [e.severity, e.message, e['logging.googleapis.com/labels']]);

  it('records a run that succeeded, logs it with the job and run labels, and answers its summary', async () => {
    const summary = await runJob(deps, 'demo', ({ runId, started }) => ({
      work: async () => ({ run_id: runId, started: started.toISOString() }),
      figures: (done) => ({ ...FIGURES, changed: done ? 2 : 0 }),
    }));
    expect(summary).toEqual({ run_id: 'run-1', started: STARTED.toISOString() });
    expect(await jobRuns()).toEqual([
      { job: 'demo', run_id: 'run-1', status: 'succeeded', shoppers: 4n, changed: 2n, result_rows: 9n, error: null },
    ]);
    expect(lines()).toEqual([['INFO', 'job succeeded', { job: 'demo', run_id: 'run-1' }]]);
    expect(logger.entries[0]).toMatchObject({ run_id: 'run-1', started: STARTED.toISOString() });
  });

  it('logs the line a job names for its success instead', async () => {
    await runJob(deps, 'demo', () => ({
      work: async () => ({ n: 0 }),
      figures: () => FIGURES,
      succeeded: () => ({ message: 'nothing to do', fields: {} }),
    }));
    expect(lines()).toEqual([['INFO', 'nothing to do', { job: 'demo', run_id: 'run-1' }]]);
  });

  it('records a failed run with its reason and the figures so far, logs "job failed", and throws on', async () => {
    const failure = new Error('sql/x.sql: boom');
    const run = runJob(deps, 'demo', () => ({
      work: async () => Promise.reject(failure),
      figures: (done) => ({ ...FIGURES, changed: done ? 2 : 0 }),
    }));
    await expect(run).rejects.toBe(failure);
    expect(await jobRuns()).toEqual([
      { job: 'demo', run_id: 'run-1', status: 'failed', shoppers: 4n, changed: 0n, result_rows: 9n, error: 'sql/x.sql: boom' },
    ]);
    expect(lines()).toEqual([['ERROR', 'job failed', { job: 'demo', run_id: 'run-1' }]]);
  });

  it('still throws the run’s own failure when the failed run cannot be recorded', async () => {
    const failure = new Error('sql/x.sql: boom');
    const run = runJob({ ...deps, warehouse: failingAt(warehouse, 'insert_job_run.sql', 'warehouse gone') }, 'demo', () => ({
      work: async () => Promise.reject(failure),
      figures: () => FIGURES,
    }));
    await expect(run).rejects.toBe(failure);
    expect(lines().map(([severity, message]) => [severity, message])).toEqual([
      ['WARNING', 'the failed run could not be recorded'],
      ['ERROR', 'job failed'],
    ]);
  });

  it('records nothing when the run fails while it is prepared, before any work', async () => {
    const failure = new Error('the watermark could not be read');
    await expect(runJob(deps, 'demo', async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await jobRuns()).toEqual([]);
  });
});
