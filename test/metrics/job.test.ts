import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { MAX_WINDOW_DAYS, METRIC_QUERIES, runMetricsJob, startOfDay, type MetricsJobDeps } from '../../functions/metrics/job.ts';
import { failingAt } from '../support/failing-warehouse.ts';
import { expectRows } from '../patterns/answers.ts';
import { AS_OF, BOUGHT_WITHOUT_ORDER_LINES, EXPECTED, EXPECTED_TWO_DAYS, KEYS, TABLES, TWO_DAYS, WINDOW_START } from './fixtures.ts';

/** Every row the metric queries answer for the fixture's day. */
const DAY_ROWS = Object.values(EXPECTED).flat();
/** The job runs at 04:00 the next day, as scheduled. */
const RUN_AT = '2026-03-02T04:00:00.000Z';

describe('the metrics job on DuckDB', () => {
  let warehouse: DuckDbWarehouse;
  let deps: MetricsJobDeps & { logger: ReturnType<typeof createMemoryLogger> };

  beforeEach(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    for (const [table, rows] of Object.entries(TABLES)) await warehouse.replaceRows(table, rows, 'test');
    let runs = 0;
    deps = { warehouse, clock: () => new Date(RUN_AT), logger: createMemoryLogger(), newRunId: () => `run-${(runs += 1)}` };
  });
  afterEach(() => warehouse.close());

  const stored = (where = 'TRUE') => readStored(warehouse, where);
  const jobRuns = () =>
    warehouse.sql('SELECT job, run_id, status, as_of::VARCHAR AS as_of, since::VARCHAR AS since, result_rows, error FROM job_runs');

  it('measures the day before its run by default, and stores one row per metric and slice', async () => {
    const run = await runMetricsJob(deps);

    expect(run).toMatchObject({
      run_id: 'run-1',
      as_of: AS_OF,
      window_start: WINDOW_START,
      rows: DAY_ROWS.length,
      bytes_processed: null,
      ms: 0,
    });
    expectRows(
      run.metrics.map((m) => ({ ...m, as_of: AS_OF, window_start: WINDOW_START })),
      DAY_ROWS,
      KEYS,
    );
    expectRows(await stored(), DAY_ROWS, KEYS);
    expect(await warehouse.sql('SELECT DISTINCT run_id, computed_at::VARCHAR AS computed_at FROM learning_metrics')).toEqual([
      { run_id: 'run-1', computed_at: '2026-03-02 04:00:00+00' },
    ]);
    expect(await jobRuns()).toEqual([
      {
        job: 'metrics',
        run_id: 'run-1',
        status: 'succeeded',
        as_of: '2026-03-02 00:00:00+00',
        since: '2026-03-01 00:00:00+00',
        result_rows: BigInt(DAY_ROWS.length),
        error: null,
      },
    ]);
  });

  it('replaces the window’s rows when run again: no row twice, and a metric without data any more is gone', async () => {
    await runMetricsJob(deps);
    // Late news: the orders were erased. Reorder and brand metrics of the day have nothing left to measure, and
    // a product bought only in an order no longer counts where its search showed it.
    await warehouse.sql('DELETE FROM order_items');

    const again = await runMetricsJob(deps);
    const without = [
      ...DAY_ROWS.filter((r) => !['reorder_precision', 'reorder_recall', 'brand_accuracy', 'bought_position'].includes(String(r.metric))),
      ...BOUGHT_WITHOUT_ORDER_LINES,
    ];
    expect(again.rows).toBe(without.length);
    expectRows(await stored(), without, KEYS);
    expect(await warehouse.sql('SELECT DISTINCT run_id FROM learning_metrics')).toEqual([{ run_id: 'run-2' }]);
  });

  it('backfills another window beside it, leaving the stored windows alone', async () => {
    await runMetricsJob(deps);
    const backfill = await runMetricsJob(deps, { asOf: TWO_DAYS.as_of, windowStart: TWO_DAYS.window_start });

    expect(backfill).toMatchObject({ as_of: AS_OF, window_start: TWO_DAYS.window_start.toISOString() });
    expectRows(await stored(`window_start = TIMESTAMPTZ '${WINDOW_START}'`), DAY_ROWS, KEYS);
    const twoDays = await stored(`window_start = TIMESTAMPTZ '${TWO_DAYS.window_start.toISOString()}'`);
    expectRows(
      twoDays.filter((r) => r.metric === 'cart_abandonment_rate' || r.metric === 'avg_cart_value'),
      EXPECTED_TWO_DAYS,
      KEYS,
    );
  });

  it('takes a window length in days', async () => {
    const run = await runMetricsJob(deps, { asOf: new Date(AS_OF), windowDays: 2 });
    expect(run.window_start).toBe(TWO_DAYS.window_start.toISOString());
  });

  it('logs each stored row as a "learning metric", for the log-based metrics, and a summary', async () => {
    const run = await runMetricsJob(deps);
    const entries = deps.logger.entries;
    const metrics = entries.filter((e) => e.message === 'learning metric');

    expect(metrics).toHaveLength(run.rows);
    expect(metrics).toContainEqual(
      expect.objectContaining({
        severity: 'INFO',
        metric: 'ctr',
        experiment: 'personalization',
        arm: 'control',
        dimension: '',
        value: 1 / 3,
        numerator: 1,
        denominator: 3,
        as_of: AS_OF,
        window_start: WINDOW_START,
        'logging.googleapis.com/labels': { job: 'metrics', run_id: 'run-1' },
      }),
    );
    // Logged only once stored.
    const merged = entries.findIndex((e) => e.message === 'metrics merged');
    expect(merged).toBeGreaterThan(-1);
    expect(entries.findIndex((e) => e.message === 'learning metric')).toBeGreaterThan(merged);
    expect(entries.filter((e) => /^query metric_\w+ done$/.test(String(e.message)))).toHaveLength(METRIC_QUERIES.length);
    expect(entries.at(-1)).toMatchObject({ message: 'job succeeded', rows: run.rows, as_of: AS_OF });
    expect(entries.at(-1)).not.toHaveProperty('metrics');
    // Aggregates only: no shopper is named.
    expect(JSON.stringify(entries)).not.toMatch(/"u\d"/);
  });

  it('fails the run when a step fails: recorded, logged and thrown, the stored rows left as they were', async () => {
    await runMetricsJob(deps);
    deps.warehouse = failingAt(warehouse, 'merge_learning_metrics.sql', 'sql/merge_learning_metrics.sql failed: backendError: try again');

    await expect(runMetricsJob(deps)).rejects.toThrow('backendError');
    expect((await jobRuns()).map((r) => [r.run_id, r.status, r.error])).toEqual([
      ['run-1', 'succeeded', null],
      ['run-2', 'failed', 'sql/merge_learning_metrics.sql failed: backendError: try again'],
    ]);
    expect(deps.logger.entries).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'job failed' }));
    // Nothing was stored, so nothing of the failed run is charted.
    const ofRun = (runId: string) =>
      deps.logger.entries.filter((e) => e.message === 'learning metric' && JSON.stringify(e).includes(`"run_id":"${runId}"`));
    expect(ofRun('run-1')).toHaveLength(DAY_ROWS.length);
    expect(ofRun('run-2')).toEqual([]);
    expect(await warehouse.sql('SELECT DISTINCT run_id FROM learning_metrics')).toEqual([{ run_id: 'run-1' }]);
  });

  it.each([
    ['an as_of in the future', { asOf: new Date('2026-03-02T04:00:01Z') }, 'as_of must not be in the future'],
    ['a window that starts at its end', { asOf: new Date(AS_OF), windowStart: new Date(AS_OF) }, 'the window must start before as_of'],
    ['a window longer than a quarter', { asOf: new Date(AS_OF), windowDays: MAX_WINDOW_DAYS + 1 }, `at most ${MAX_WINDOW_DAYS} days`],
  ])('refuses %s, and records the refusal', async (_case, request, message) => {
    await expect(runMetricsJob(deps, request)).rejects.toThrow(message);
    expect(await jobRuns()).toMatchObject([{ status: 'failed', error: expect.stringContaining(message) }]);
    expect(await readStored(warehouse)).toEqual([]);
  });
});

describe('startOfDay', () => {
  it('is 00:00 UTC of the instant’s day', () => {
    expect(startOfDay(new Date('2026-03-02T23:59:59.999Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(startOfDay(new Date('2026-03-02T00:00:00.000Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });
});

/** learning_metrics rows in the metric queries' shape (as the port answers values), for expectRows. */
async function readStored(warehouse: DuckDbWarehouse, where = 'TRUE') {
  const rows = await warehouse.sql(
    `SELECT as_of, window_start, metric, experiment, arm, dimension, value, numerator, denominator, ci_low, ci_high FROM learning_metrics WHERE ${where}`,
  );
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([column, value]) => [
        column,
        value instanceof Date ? value.toISOString() : (value as string | number | null),
      ]),
    ),
  );
}
