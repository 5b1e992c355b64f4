import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { runRetentionJob, type RetentionJobDeps } from '../../functions/retention/job.ts';
import { failingAt } from '../support/failing-warehouse.ts';
import { collectedEvent } from '../support/messages.ts';
import { createMemoryPrivacyStore } from '../support/memory-privacy.ts';
import { AS_OF, KEPT, loadTables, STAGING, TABLES } from './fixtures.ts';

const STREAMING_BUFFER =
  'sql/retain_order_items.sql failed: invalidQuery: UPDATE or DELETE statement over table learning_loop.order_items would affect rows in the streaming buffer, which is not supported';

describe('the retention job on DuckDB', () => {
  let warehouse: DuckDbWarehouse;
  let privacy: ReturnType<typeof createMemoryPrivacyStore>;
  let deps: RetentionJobDeps & { logger: ReturnType<typeof createMemoryLogger> };

  beforeEach(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    // The job stages the retentions itself, from the privacy store.
    await loadTables(warehouse, { ...TABLES, shopper_retention_staging: [] });
    privacy = createMemoryPrivacyStore();
    await privacy.set('short', { retention_days: 30 });
    await privacy.set('long', { retention_days: 500 });
    // Settings other than retention make no difference.
    await privacy.set('dflt', { learn_brands: false });
    let runs = 0;
    deps = { warehouse, privacy, clock: () => new Date(AS_OF), logger: createMemoryLogger(), newRunId: () => `run-${(runs += 1)}` };
  });
  afterEach(() => warehouse.close());

  const remaining = async () => ({
    events: (await warehouse.sql('SELECT event_id AS id FROM events')).map((r) => r.id as string).sort(),
    order_items: (await warehouse.sql("SELECT event_id || '/' || line AS id FROM order_items")).map((r) => r.id as string).sort(),
    rejected_events: (await warehouse.sql('SELECT request_id AS id FROM rejected_events')).map((r) => r.id as string).sort(),
  });
  const runs = () => warehouse.sql('SELECT job, run_id, status, shoppers, changed, result_rows, error FROM job_runs');

  it('deletes the rows older than each shopper’s retention, and keeps those at and inside the boundary', async () => {
    const run = await runRetentionJob(deps);

    expect(run).toEqual({
      run_id: 'run-1',
      as_of: AS_OF,
      default_retention_days: 365,
      shortest_retention_days: 30,
      shoppers: 2,
      deleted: { events: 5, order_items: 4, rejected_events: 2 },
      deferred: [],
      bytes_processed: null,
      ms: 0,
    });
    expect(await remaining()).toEqual(KEPT);
    expect(await warehouse.sql('SELECT * FROM shopper_retention_staging ORDER BY user_id')).toEqual([
      { user_id: 'long', retention_days: 500n },
      { user_id: 'short', retention_days: 30n },
    ]);
    expect(await runs()).toEqual([
      { job: 'retention', run_id: 'run-1', status: 'succeeded', shoppers: 2n, changed: 0n, result_rows: 11n, error: null },
    ]);
  });

  it("judges a linked visitor's rows by their shopper's retention, and an unlinked visitor's by the default", async () => {
    await warehouse.recordLink({ anonymous_id: 'anonymous:of-short', user_id: 'short', linked_at: '2026-02-01T00:00:00.000Z' });
    // Older than short's 30 days, well inside the default.
    const january = new Date('2026-01-15T00:00:00.000Z');
    await warehouse.insertEvents(
      [collectedEvent('product_viewed', 'anonymous:of-short', january), collectedEvent('product_viewed', 'anonymous:nobody', january)],
      'r',
    );

    await runRetentionJob(deps);

    expect(await warehouse.sql("SELECT user_id FROM events WHERE user_id LIKE 'anonymous:%'")).toEqual([{ user_id: 'anonymous:nobody' }]);
    expect(await warehouse.sql("SELECT * FROM shopper_retention_staging WHERE user_id LIKE 'anonymous:%'")).toEqual([
      { user_id: 'anonymous:of-short', retention_days: 30n },
    ]);
  });

  it("holds a linked visitor to their shopper's retention, not to settings the visitor wrote under their own token", async () => {
    await warehouse.recordLink({ anonymous_id: 'anonymous:of-short', user_id: 'short', linked_at: '2026-02-01T00:00:00.000Z' });
    await warehouse.recordLink({ anonymous_id: 'anonymous:of-dflt', user_id: 'dflt', linked_at: '2026-02-01T00:00:00.000Z' });
    await privacy.set('anonymous:of-short', { retention_days: 700 });
    await privacy.set('anonymous:of-dflt', { retention_days: 1 });
    // Older than short's 30 days, younger than the default 365: of-short's goes, of-dflt's stays.
    const january = new Date('2026-01-15T00:00:00.000Z');
    await warehouse.insertEvents(
      [collectedEvent('product_viewed', 'anonymous:of-short', january), collectedEvent('product_viewed', 'anonymous:of-dflt', january)],
      'r',
    );

    await runRetentionJob(deps);

    expect(await warehouse.sql("SELECT user_id FROM events WHERE user_id LIKE 'anonymous:%'")).toEqual([{ user_id: 'anonymous:of-dflt' }]);
    expect(await warehouse.sql("SELECT * FROM shopper_retention_staging WHERE user_id LIKE 'anonymous:%'")).toEqual([
      { user_id: 'anonymous:of-short', retention_days: 30n },
    ]);
  });

  it('reads the retentions afresh each run: a shopper back on the default is judged by it', async () => {
    await warehouse.replaceRows('shopper_retention_staging', STAGING, 'test');
    await privacy.set('short', { retention_days: DEFAULT_PRIVACY.retention_days });

    // Only long has a retention of their own, longer than the default: the partition filter is 365 days.
    // short's rows are all within 365 days now; deleted are events dflt-out and long-out, order lines
    // dflt-out ×2 and long-out, and the rejected dflt-out.
    const run = await runRetentionJob(deps, { asOf: new Date(AS_OF) });
    expect(run).toMatchObject({ shoppers: 1, shortest_retention_days: 365, deleted: { events: 2, order_items: 3, rejected_events: 1 } });
    expect(await warehouse.sql('SELECT user_id FROM shopper_retention_staging')).toEqual([{ user_id: 'long' }]);
    expect((await remaining()).events).toEqual([
      'dflt-at',
      'dflt-in',
      'dflt-new',
      'long-in',
      'long-mid',
      'short-in',
      'short-in-ms',
      'short-old',
      'short-out',
      'short-out-ms',
    ]);
  });

  it('deletes nothing inside the default retention when nobody has one of their own', async () => {
    privacy.settings.clear();
    // Everyone on 365 days (before 2025-03-01T00:00 goes): events dflt-out, long-out, long-in and
    // long-mid; order lines dflt-out ×2, long-mid and long-out; the rejected dflt-out.
    const run = await runRetentionJob(deps);
    expect(run).toMatchObject({ shoppers: 0, shortest_retention_days: 365, deleted: { events: 4, order_items: 4, rejected_events: 1 } });
    expect(await warehouse.sql('SELECT count(*)::INTEGER AS n FROM shopper_retention_staging')).toEqual([{ n: 0 }]);
  });

  it('logs the rows deleted per table, naming no shopper', async () => {
    await runRetentionJob(deps);
    const entries = deps.logger.entries;
    expect(entries.find((e) => e.message === 'retention staged')).toMatchObject({ shoppers: 2, shortest_retention_days: 30 });
    expect(entries.filter((e) => /^table \w+ retained$/.test(String(e.message))).map((e) => [e.table, e.deleted_rows])).toEqual([
      ['events', 5],
      ['order_items', 4],
      ['rejected_events', 2],
    ]);
    expect(entries.at(-1)).toMatchObject({ severity: 'INFO', message: 'job succeeded' });
    expect(JSON.stringify(entries)).not.toMatch(/"(dflt|short|long)"/);
  });

  it('leaves a table whose DELETE meets the streaming buffer to the next run, and still succeeds', async () => {
    deps.warehouse = failingAt(warehouse, 'retain_order_items.sql', STREAMING_BUFFER);

    const run = await runRetentionJob(deps);
    expect(run).toMatchObject({ deleted: { events: 5, order_items: 0, rejected_events: 2 }, deferred: ['order_items'] });
    expect((await remaining()).order_items).toHaveLength(TABLES.order_items.length);
    expect(deps.logger.entries).toContainEqual(
      expect.objectContaining({ severity: 'WARNING', message: 'table order_items deferred', table: 'order_items' }),
    );
    expect(await runs()).toMatchObject([{ status: 'succeeded', result_rows: 7n }]);

    // The next run deletes them.
    deps.warehouse = warehouse;
    expect(await runRetentionJob(deps)).toMatchObject({ deleted: { events: 0, order_items: 4, rejected_events: 0 }, deferred: [] });
  });

  it('fails the run on any other error: recorded, logged and thrown, the later tables left alone', async () => {
    deps.warehouse = failingAt(warehouse, 'retain_events.sql', 'sql/retain_events.sql failed: backendError: try again');

    await expect(runRetentionJob(deps)).rejects.toThrow('backendError');
    expect(await runs()).toMatchObject([{ status: 'failed', error: 'sql/retain_events.sql failed: backendError: try again' }]);
    expect(deps.logger.entries).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'job failed' }));
    expect((await remaining()).order_items).toHaveLength(TABLES.order_items.length);
  });

  it('refuses an as_of in the future, which would delete rows still within their retention', async () => {
    await expect(runRetentionJob(deps, { asOf: new Date(Date.parse(AS_OF) + 1000) })).rejects.toThrow('as_of must not be in the future');
    expect((await remaining()).events).toHaveLength(TABLES.events.length);
  });

  it('refuses a retention_days outside 1…730 rather than delete by it', async () => {
    privacy.settings.set('broken', { ...DEFAULT_PRIVACY, retention_days: 0, updated_at: null });
    await expect(runRetentionJob(deps)).rejects.toThrow('not an integer from 1 to 730');
    expect((await remaining()).events).toHaveLength(TABLES.events.length);
    expect(JSON.stringify(deps.logger.entries)).not.toContain('broken');
  });
});
