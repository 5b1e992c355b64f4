import { randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { BigQueryJobError } from '../../functions/adapters/gcp/bigquery-sql.ts';
import { createFirestoreErasureStore } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { ERASED_TABLES, runErasureJob, type ErasureJobDeps } from '../../functions/erasure/job.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import type { SqlWarehouse } from '../../functions/warehouse/ports.ts';
import { collectedEvent } from '../support/messages.ts';

// The erasure job on DuckDB and the real Firestore erasure store (emulator). The Firestore project is
// this file's own: the job works on every pending request there, and must not see other tests'.
let firestore: Firestore;
beforeAll(() => {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  firestore = new Firestore({ projectId: `demo-erasure-job-${randomUUID().slice(0, 8)}` });
});
afterAll(() => firestore.terminate());

const hashUser = createUserHasher('erasure-job-test-key-0123456789abcdef0');
const REQUESTED = new Date('2026-11-26T12:00:00.000Z');
const EVENT_AT = new Date('2026-11-20T09:00:00.000Z');

/** BigQuery's own words when a DELETE meets rows streamed in the last half hour, as our adapter throws them. */
function streamingBufferError(table: string): BigQueryJobError {
  return new BigQueryJobError(`sql/erase_${table}.sql`, [
    {
      reason: 'invalidQuery',
      message: `UPDATE or DELETE statement over table demo-project.learning_loop.${table} would affect rows in the streaming buffer, which is not supported`,
    },
  ]);
}

/** The warehouse, failing the files in `failOnce` (or `compact`) once each with the given error, and recording what ran. */
function withFailures(warehouse: SqlWarehouse, failOnce: Map<string, Error>): SqlWarehouse & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    query: (file, params, job) => (ran.push(file), warehouse.query(file, params, job)),
    async execute(file, params, job) {
      ran.push(file);
      const error = failOnce.get(file);
      if (error) {
        failOnce.delete(file);
        throw error;
      }
      return warehouse.execute(file, params, job);
    },
    replaceRows: (table, rows, job) => warehouse.replaceRows(table, rows, job),
    async compact() {
      ran.push('compact');
      const error = failOnce.get('compact');
      if (error) {
        failOnce.delete('compact');
        throw error;
      }
      if (!warehouse.compact) throw new Error('the warehouse under test compacts');
      return warehouse.compact();
    },
  };
}

type Shopper = { id: string; orders: number };

/**
 * Rows of each shopper in every table holding a user id: a product view and `orders` orders (two
 * lines each), a rejected event, an unreadable message naming them, patterns, the staging rows (a patterns
 * run's, and a history import's) and a link.
 */
async function seed(warehouse: DuckDbWarehouse, shoppers: readonly Shopper[]): Promise<void> {
  for (const { id, orders } of shoppers) {
    const events = [
      collectedEvent('product_viewed', id, EVENT_AT),
      ...Array.from({ length: orders }, () => collectedEvent('order_completed', id, EVENT_AT)),
    ];
    await warehouse.insertEvents(events, `request-${id}`);
    const received_at = EVENT_AT.toISOString();
    await warehouse.insertRejected([
      {
        request_id: `r-${id}`,
        event_index: 0,
        event_id: randomUUID(),
        type: 'cart_item_added',
        user_id: id,
        reason: 'data: required',
        payload: '{}',
        source: 'collect',
        received_at,
      },
      {
        request_id: `m-${id}`,
        event_index: null,
        event_id: null,
        type: null,
        user_id: null,
        reason: 'not a batch',
        payload: `{"user_id":"${id}","events":7}`,
        source: 'ingest',
        received_at,
      },
    ]);
  }
  const patterns = shoppers.map(({ id }) => ({
    user_id: id,
    as_of: EVENT_AT.toISOString(),
    computed_at: EVENT_AT.toISOString(),
    fingerprint: `f-${id}`,
    patterns: '{}',
  }));
  await warehouse.replaceRows('user_patterns', patterns, 'test');
  await warehouse.replaceRows('user_patterns_staging', patterns, 'test');
  await warehouse.replaceRows(
    'shopper_privacy_staging',
    shoppers.map(({ id }) => ({
      user_id: id,
      learn_preferences: true,
      learn_brands: true,
      learn_price: true,
      learn_schedule: true,
      learn_dietary: true,
    })),
    'test',
  );
  await warehouse.replaceRows(
    'shopper_retention_staging',
    shoppers.map(({ id }) => ({ user_id: id, retention_days: 30 })),
    'test',
  );
  // A patterns run staged the shoppers' order lines and one click each for the night, and a slice copied them.
  await warehouse.sql(
    'INSERT INTO run_order_lines_staging SELECT user_id, event_id, line, event_time, sku, product_name, category, brand, price, quantity, promotion, dietary_tags, event_time, event_time FROM order_items',
  );
  await warehouse.sql(
    "INSERT INTO run_engagement_staging SELECT user_id, event_id, 'search_result_clicked', event_time, category, brand, event_time, event_time FROM events WHERE type = 'product_viewed'",
  );
  await warehouse.sql(
    'INSERT INTO order_lines_staging SELECT user_id, event_id, line, event_time, sku, product_name, category, brand, price, quantity, promotion, dietary_tags, event_time FROM order_items',
  );
  await warehouse.sql(
    "INSERT INTO engagement_staging SELECT user_id, event_id, 'search_result_clicked', event_time, category, brand, event_time FROM events WHERE type = 'product_viewed'",
  );
  // A history import was staging the same rows when the erasure came.
  await warehouse.sql('INSERT INTO import_events_staging SELECT *, 1 FROM events');
  await warehouse.sql('INSERT INTO import_order_items_staging SELECT *, 1 FROM order_items');
  await warehouse.sql('INSERT INTO import_rejected_staging SELECT * FROM rejected_events');
  // Each shopper linked the visitor they were before logging in.
  for (const { id } of shoppers)
    await warehouse.recordLink({ anonymous_id: `anonymous:${id}`, user_id: id, linked_at: EVENT_AT.toISOString() });
}

/** A shopper's rows per table, by user_id (and, for unreadable messages, by the id in the payload). */
async function rowsOf(warehouse: DuckDbWarehouse, userId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ERASED_TABLES) {
    const extra =
      table === 'rejected_events' || table === 'import_rejected_staging' ? ` OR (user_id IS NULL AND payload LIKE '%"' || $1 || '"%')` : '';
    const [row] = await warehouse.sql(`SELECT count(*)::INTEGER AS n FROM ${table} WHERE user_id = $1${extra}`, [userId]);
    counts[table] = Number(row?.n);
  }
  return counts;
}

const SEEDED = (orders: number) => ({
  events: 1 + orders,
  order_items: 2 * orders,
  rejected_events: 2,
  user_patterns: 1,
  user_patterns_staging: 1,
  shopper_privacy_staging: 1,
  shopper_retention_staging: 1,
  run_order_lines_staging: 2 * orders,
  run_engagement_staging: 1,
  order_lines_staging: 2 * orders,
  engagement_staging: 1,
  import_events_staging: 1 + orders,
  import_order_items_staging: 2 * orders,
  import_rejected_staging: 2,
  identity_links: 1,
});
const NONE = Object.fromEntries(ERASED_TABLES.map((t) => [t, 0]));

describe('the erasure job (DuckDB, Firestore emulator)', () => {
  let warehouse: DuckDbWarehouse;
  let failOnce: Map<string, Error>;
  let sql: ReturnType<typeof withFailures>;
  let now: Date;
  let deps: ErasureJobDeps & { logger: ReturnType<typeof createMemoryLogger> };
  let store: ReturnType<typeof createFirestoreErasureStore>;

  beforeEach(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    failOnce = new Map();
    sql = withFailures(warehouse, failOnce);
    now = new Date(REQUESTED.getTime() + 3_600_000);
    store = createFirestoreErasureStore(firestore, { hashUser });
    let runs = 0;
    deps = {
      warehouse: sql,
      erasures: store,
      documents: store,
      clock: () => now,
      logger: createMemoryLogger(),
      newRunId: () => `run-${(runs += 1)}`,
    };
  });
  afterEach(async () => {
    // Nothing of one test stays pending for the next: the job works on every pending request.
    for (const p of await store.pending()) await store.completed(p.request_id, {}, now);
    await warehouse.close();
  });

  const newShopper = (orders = 1): Shopper => ({ id: `shopper-${randomUUID()}`, orders });
  const jobRuns = () =>
    warehouse.sql("SELECT run_id, status, shoppers, changed, error FROM job_runs WHERE job = 'erasure' ORDER BY started_at, run_id");
  const erasureLog = () =>
    warehouse.sql(
      'SELECT request_id, user_hash, requested_by, requested_at, completed_at, attempts, CAST(rows_deleted AS VARCHAR) AS rows_deleted FROM erasure_log ORDER BY request_id',
    );

  it('erases every row of the shopper in every table, leaves the other shopper alone, completes the request and logs it by hash', async () => {
    const [erased, kept] = [newShopper(2), newShopper(1)];
    await seed(warehouse, [erased, kept]);
    expect(await rowsOf(warehouse, erased.id)).toEqual(SEEDED(2));
    const { request_id } = await store.request(erased.id, 'shopper', REQUESTED);

    const run = await runErasureJob(deps);

    expect(run).toMatchObject({ run_id: 'run-1', requests: 1, completed: 1, deferred: 0, skipped_tables: [] });
    expect(run.rows_deleted).toEqual(SEEDED(2));
    expect(await rowsOf(warehouse, erased.id)).toEqual(NONE);
    expect(await rowsOf(warehouse, kept.id)).toEqual(SEEDED(1));
    expect(await store.get(request_id)).toMatchObject({
      state: 'completed',
      completed_at: now.toISOString(),
      attempts: 1,
      rows_deleted: SEEDED(2),
      last_error: null,
    });
    expect(await store.pending()).toEqual([]);

    const log = await erasureLog();
    expect(log).toEqual([
      {
        request_id,
        user_hash: hashUser(erased.id),
        requested_by: 'shopper',
        requested_at: REQUESTED,
        completed_at: now,
        attempts: 1n,
        rows_deleted: JSON.stringify(SEEDED(2)),
      },
    ]);
    expect(JSON.stringify(log, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(erased.id);
    expect(await jobRuns()).toMatchObject([{ run_id: 'run-1', status: 'succeeded', shoppers: 1n, changed: 1n, error: null }]);
    // The logs tell the story by request and hash, never by the shopper's id.
    expect(deps.logger.entries.map((e) => e.message)).toEqual(
      expect.arrayContaining(['erasing', 'erasure request completed', 'job succeeded']),
    );
    expect(JSON.stringify(deps.logger.entries)).not.toContain(erased.id);
  });

  it("erases the rows of the visitor linked to the shopper in every table, as the shopper's", async () => {
    const [erased, visitor] = [newShopper(1), { id: `anonymous:${randomUUID()}`, orders: 1 }];
    // The visitor has rows everywhere a shopper has them; their own link rows name them as a shopper would.
    await seed(warehouse, [erased, visitor]);
    await warehouse.recordLink({ anonymous_id: visitor.id, user_id: erased.id, linked_at: EVENT_AT.toISOString() });
    await store.request(erased.id, 'shopper', REQUESTED);

    const run = await runErasureJob(deps);

    expect(run).toMatchObject({ requests: 1, completed: 1, deferred: 0 });
    // Left: only the link seed() made for a visitor of the visitor, which names no erased id as a visitor.
    expect(await rowsOf(warehouse, visitor.id)).toEqual({ ...NONE, identity_links: 1 });
    expect(await rowsOf(warehouse, erased.id)).toEqual(NONE);
  });

  it('deletes all pending shoppers with one statement per table, not one per shopper', async () => {
    const shoppers = [newShopper(), newShopper(), newShopper()];
    await seed(warehouse, shoppers);
    for (const s of shoppers) await store.request(s.id, 'shopper', REQUESTED);

    expect(await runErasureJob(deps)).toMatchObject({ requests: 3, completed: 3 });
    expect(sql.ran.filter((f) => f.startsWith('erase_'))).toEqual(ERASED_TABLES.map((t) => `erase_${t}.sql`));
    expect(sql.ran.filter((f) => f === 'erasure_remaining.sql')).toHaveLength(2);
    for (const s of shoppers) expect(await rowsOf(warehouse, s.id)).toEqual(NONE);
    // Each request counts its own shopper's rows, not the statement's total.
    for (const row of await erasureLog()) expect(JSON.parse(row.rows_deleted as string)).toEqual(SEEDED(1));
  });

  it('defers a request whose rows are in the streaming buffer, runs the other tables, and completes it later with every run’s counts', async () => {
    const shopper = newShopper(2);
    await seed(warehouse, [shopper]);
    const { request_id } = await store.request(shopper.id, 'shopper', REQUESTED);
    failOnce.set('erase_order_items.sql', streamingBufferError('order_items'));

    const first = await runErasureJob(deps);
    expect(first).toMatchObject({ requests: 1, completed: 0, deferred: 1, skipped_tables: ['order_items'] });
    // Every other table was erased; only the order lines wait, and the shopper's links, which name the visitors whose
    // lines the next run erases with theirs.
    expect(await rowsOf(warehouse, shopper.id)).toEqual({ ...NONE, order_items: 4, identity_links: 1 });
    const deferred = await store.get(request_id);
    expect(deferred).toMatchObject({ state: 'pending', attempts: 1, rows_deleted: { ...SEEDED(2), order_items: 0, identity_links: 0 } });
    expect(deferred?.last_error).toBe("rows still in BigQuery's streaming buffer (order_items); a later run deletes them");
    expect(deps.logger.entries).toContainEqual(
      expect.objectContaining({
        severity: 'WARNING',
        table: 'order_items',
        error: expect.stringContaining('would affect rows in the streaming buffer'),
      }),
    );
    expect(await erasureLog()).toEqual([]);
    expect(deps.logger.entries).toContainEqual(
      expect.objectContaining({ severity: 'WARNING', message: 'erasure request deferred', request_id }),
    );

    now = new Date(now.getTime() + 3_600_000);
    const second = await runErasureJob(deps);
    expect(second).toMatchObject({ requests: 1, completed: 1, skipped_tables: [] });
    expect(await rowsOf(warehouse, shopper.id)).toEqual(NONE);
    expect(await store.get(request_id)).toMatchObject({ state: 'completed', attempts: 2, rows_deleted: SEEDED(2), last_error: null });
    const [logged] = await erasureLog();
    expect(logged).toMatchObject({ request_id, attempts: 2n });
    expect(JSON.parse(logged?.rows_deleted as string)).toEqual(SEEDED(2));
    expect(await jobRuns()).toMatchObject([
      { run_id: 'run-1', status: 'succeeded', shoppers: 1n, changed: 0n },
      { run_id: 'run-2', status: 'succeeded', shoppers: 1n, changed: 1n },
    ]);
  });

  it('completes a shopper who had nothing in the skipped table while deferring the one who had', async () => {
    const [buyer, browser] = [newShopper(1), newShopper(0)];
    await seed(warehouse, [buyer, browser]);
    const buying = await store.request(buyer.id, 'shopper', REQUESTED);
    const browsing = await store.request(browser.id, 'operator', REQUESTED);
    failOnce.set('erase_order_items.sql', streamingBufferError('order_items'));

    expect(await runErasureJob(deps)).toMatchObject({ requests: 2, completed: 1, deferred: 1 });
    expect(await store.get(buying.request_id)).toMatchObject({ state: 'pending' });
    expect(await store.get(browsing.request_id)).toMatchObject({ state: 'completed', rows_deleted: SEEDED(0) });
  });

  it('deletes a preference document written again after the request (a late ingest or a patterns run)', async () => {
    const shopper = newShopper();
    await seed(warehouse, [shopper]);
    await store.request(shopper.id, 'shopper', REQUESTED);
    const preferences = firestore.collection('preferences').doc(shopper.id);
    await preferences.set({ user_id: shopper.id, patterns: { as_of: REQUESTED.toISOString() } });
    await preferences
      .collection('applied')
      .doc('5')
      .set({ ids: { late: 1 } });

    await runErasureJob(deps);
    expect((await preferences.get()).exists).toBe(false);
    expect(await preferences.listCollections()).toEqual([]);
  });

  it('compacts the warehouse after its deletes and before it completes a request; a failed compaction completes nothing', async () => {
    const shopper = newShopper();
    await seed(warehouse, [shopper]);
    const { request_id } = await store.request(shopper.id, 'shopper', REQUESTED);
    failOnce.set('compact', new Error('no space left on device'));

    await expect(runErasureJob(deps)).rejects.toThrow('no space left on device');
    expect(await store.get(request_id)).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await erasureLog()).toEqual([]);

    sql.ran.length = 0;
    expect(await runErasureJob(deps)).toMatchObject({ completed: 1 });
    const at = (file: string) => sql.ran.indexOf(file);
    expect(at('compact')).toBeGreaterThan(at(`erase_${ERASED_TABLES.at(-1)}.sql`));
    expect(at('compact')).toBeLessThan(sql.ran.lastIndexOf('erasure_remaining.sql'));
    expect(at('compact')).toBeLessThan(at('insert_erasure_log.sql'));
    expect(deps.logger.entries).toContainEqual(expect.objectContaining({ message: 'warehouse compacted' }));
  });

  it('with nothing pending, runs no statement but the run’s record and says so', async () => {
    const run = await runErasureJob(deps);
    expect(run).toMatchObject({ requests: 0, completed: 0, rows_deleted: {} });
    expect(sql.ran).toEqual(['insert_job_run.sql']);
    expect(deps.logger.entries).toContainEqual(expect.objectContaining({ message: 'no pending erasure requests' }));
  });

  it('fails the run on any other error: logged for the alert, recorded, the request left pending as it was', async () => {
    const shopper = newShopper();
    await seed(warehouse, [shopper]);
    const { request_id } = await store.request(shopper.id, 'shopper', REQUESTED);
    failOnce.set('erase_events.sql', new BigQueryJobError('sql/erase_events.sql', [{ reason: 'backendError', message: 'Backend error' }]));

    await expect(runErasureJob(deps)).rejects.toThrow('backendError');
    expect(deps.logger.entries).toContainEqual(
      expect.objectContaining({
        severity: 'ERROR',
        message: 'job failed',
        'logging.googleapis.com/labels': { job: 'erasure', run_id: 'run-1' },
      }),
    );
    expect(await jobRuns()).toMatchObject([{ run_id: 'run-1', status: 'failed', error: expect.stringContaining('backendError') }]);
    expect(await store.get(request_id)).toMatchObject({ state: 'pending', attempts: 0 });
    expect(JSON.stringify(deps.logger.entries)).not.toContain(shopper.id);

    // The next run (Cloud Scheduler's retry) finishes it.
    expect(await runErasureJob(deps)).toMatchObject({ completed: 1 });
    expect(await rowsOf(warehouse, shopper.id)).toEqual(NONE);
  });
});
