import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { MAX_ERROR_LENGTH, recordJobRun, type JobRunRecord } from '../../functions/jobs/job-runs.ts';

const run: JobRunRecord = {
  job: 'patterns',
  runId: 'run-1',
  status: 'succeeded',
  asOf: new Date('2026-03-02T00:00:00.000Z'),
  since: new Date('2026-03-01T00:00:00.000Z'),
  watermark: new Date('2026-03-01T23:45:00.000Z'),
  started: new Date('2026-03-02T03:00:00.000Z'),
  finished: new Date('2026-03-02T03:01:30.000Z'),
  shoppers: 12,
  changed: 3,
  resultRows: 480,
  bytesProcessed: 1_000_000,
  error: '',
};

describe('recordJobRun', () => {
  let warehouse: DuckDbWarehouse;
  beforeEach(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
  });
  afterEach(() => warehouse.close());

  const rows = () =>
    warehouse.sql(
      'SELECT job, run_id, status, since, watermark, shoppers, changed, result_rows, bytes_processed, error FROM job_runs ORDER BY run_id',
    );

  it('stores a succeeded run as given, with no error', async () => {
    await recordJobRun(warehouse, run);
    expect(await rows()).toEqual([
      {
        job: 'patterns',
        run_id: 'run-1',
        status: 'succeeded',
        since: run.since,
        watermark: run.watermark,
        shoppers: 12n,
        changed: 3n,
        result_rows: 480n,
        bytes_processed: 1_000_000n,
        error: null,
      },
    ]);
  });

  it('stores unknown bytes as NULL and keeps only the first 1,024 characters of an error', async () => {
    await recordJobRun(warehouse, {
      ...run,
      runId: 'run-2',
      status: 'failed',
      bytesProcessed: null,
      error: `sql/x.sql: ${'e'.repeat(2000)}`,
    });
    const [failed] = await rows();
    expect(failed).toMatchObject({ run_id: 'run-2', status: 'failed', bytes_processed: null });
    expect(failed?.error as string).toHaveLength(MAX_ERROR_LENGTH);
    expect(failed?.error as string).toMatch(/^sql\/x\.sql: e+$/);
  });
});
