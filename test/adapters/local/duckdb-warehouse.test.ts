import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, ROWS_PER_INSERT, type DuckDbWarehouse } from '../../../functions/adapters/local/duckdb-warehouse.ts';
import { EVENT_TYPES, type CollectedEvent } from '../../../functions/events/schema.ts';
import type { RejectedRow } from '../../../functions/warehouse/ports.ts';
import { toDuckDbDdl } from '../../../functions/warehouse/dialect.ts';
import { rejectedMessageRow } from '../../../functions/warehouse/rows.ts';
import { readTableDdl } from '../../../functions/warehouse/sql-files.ts';
import { collectedEvent, everyEventShape, minimalEvent } from '../../warehouse/samples.ts';

const REQUEST_ID = '7c0d6f0e-2a55-4c51-9a8e-0a9b3c1f2d4e';

const rejected: RejectedRow[] = [
  {
    request_id: REQUEST_ID,
    event_index: 1,
    event_id: 'e-1',
    type: 'search_performed',
    user_id: 'shopper-1',
    reason: 'data.query: too long',
    payload: '{"type":"search_performed"}',
    source: 'collect',
    received_at: '2026-11-26T12:00:00.000Z',
  },
  rejectedMessageRow({
    messageId: 'm-1',
    raw: 'not json',
    reason: 'message is not JSON',
    source: 'ingest',
    receivedAt: '2026-11-26T12:00:01Z',
  }),
];

const SHARED_EVENT_ID = '5f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** An order of one line, under the event_id both shoppers' clients made. */
function sharedIdOrder(userId: string, sku: string): CollectedEvent {
  const items = [{ sku, name: sku, category: 'c', price: 1, quantity: 1 }];
  return collectedEvent(
    'order_completed',
    { event_id: SHARED_EVENT_ID, data: { order_id: `order-${userId}`, total: 1, items } },
    undefined,
    userId,
  );
}

async function count(warehouse: DuckDbWarehouse, table: string): Promise<number> {
  const [row] = await warehouse.sql(`SELECT count(*)::INTEGER AS n FROM ${table}`);
  return Number(row?.n);
}

describe('DuckDB warehouse (in memory)', () => {
  let warehouse: DuckDbWarehouse;
  beforeEach(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
  });
  afterEach(() => warehouse.close());

  it('stores every event type, and one order_items row per ordered item', async () => {
    const events = everyEventShape();
    expect(await warehouse.insertEvents(events, REQUEST_ID)).toEqual({ failed: [] });

    const rows = await warehouse.sql('SELECT type, count(*)::INTEGER AS n FROM events GROUP BY type ORDER BY type');
    expect(rows).toEqual([...EVENT_TYPES].sort().map((type) => ({ type, n: 2 })));
    // The full order has two items, the minimal one has one.
    expect(await count(warehouse, 'order_items')).toBe(3);
  });

  it('reads back timestamps as instants, JSON as JSON, arrays as arrays, numbers and booleans as themselves', async () => {
    const search = collectedEvent('search_performed', {
      occurred_at: '2026-11-26T12:59:58.250+01:00',
      sent_at: '2026-11-26T12:00:00.000Z',
    });
    const order = collectedEvent('order_completed');
    await warehouse.insertEvents([search, order], REQUEST_ID);

    const [row] = await warehouse.sql(
      `SELECT occurred_at, event_time, personalized, position, data->>'$.query' AS query_in_data,
              experiments->>'$.personalization' AS arm, json_type(data) AS data_type
       FROM events WHERE event_id = $id`,
      { id: search.event_id },
    );
    expect(row).toEqual({
      occurred_at: new Date('2026-11-26T11:59:58.250Z'),
      event_time: new Date('2026-11-26T11:59:58.250Z'),
      personalized: true,
      position: null,
      query_in_data: 'oat milk',
      arm: 'treatment',
      data_type: 'OBJECT',
    });

    const items = await warehouse.sql('SELECT line, price, quantity, dietary_tags, brand, promotion FROM order_items ORDER BY line');
    expect(items).toEqual([
      { line: 1n, price: 2.49, quantity: 3, dietary_tags: ['vegan', 'lactose_free'], brand: 'Oatly', promotion: null },
      { line: 2n, price: 4.99, quantity: 1, dietary_tags: [], brand: null, promotion: 'BREAD10' },
    ]);
  });

  it('answers plain SQL in the port’s terms, as a file’s query does: instants and dates as text, integers as numbers', async () => {
    const rows = await warehouse.rows(
      `SELECT TIMESTAMPTZ '2026-11-26 11:59:58.25+00' AS at, DATE '2026-11-26' AS day, 42::BIGINT AS n, 0.5 AS share,
              ['a', 'b'] AS tags, NULL::VARCHAR AS missing, $flag AS flag`,
      { flag: true },
    );
    expect(rows).toEqual([
      { at: '2026-11-26T11:59:58.250Z', day: '2026-11-26', n: 42, share: 0.5, tags: ['a', 'b'], missing: null, flag: true },
    ]);
  });

  it('takes DATE(event_time) in UTC, as BigQuery does', async () => {
    const late = collectedEvent('preference_updated', {}, new Date('2026-11-26T23:30:00.000Z'));
    await warehouse.insertEvents([late], REQUEST_ID);
    const [row] = await warehouse.sql(
      "SELECT CAST(CAST(event_time AS DATE) AS VARCHAR) AS day, current_setting('TimeZone') AS zone FROM events",
    );
    expect(row).toEqual({ day: '2026-11-26', zone: 'UTC' });
  });

  it('keeps one row per event_id and per (event_id, line) when a batch is delivered again, in another order', async () => {
    const events = everyEventShape();
    await warehouse.insertEvents(events, REQUEST_ID);
    const before = await warehouse.sql('SELECT * FROM events ORDER BY event_id');
    const itemsBefore = await warehouse.sql('SELECT * FROM order_items ORDER BY event_id, line');

    await warehouse.insertEvents([...events].reverse(), REQUEST_ID);
    await warehouse.insertEvents(events.slice(3, 7), REQUEST_ID);

    expect(await warehouse.sql('SELECT * FROM events ORDER BY event_id')).toEqual(before);
    expect(await warehouse.sql('SELECT * FROM order_items ORDER BY event_id, line')).toEqual(itemsBefore);
    expect(await warehouse.sql('SELECT event_id FROM events GROUP BY event_id HAVING count(*) > 1')).toEqual([]);
  });

  it('keeps another shopper’s event under the same event_id as a row of its own, and each once however often redelivered', async () => {
    const v = sharedIdOrder('shopper-v', 'oat-milk');
    const w = sharedIdOrder('shopper-w', 'rye-bread');
    await warehouse.insertEvents([v], REQUEST_ID);
    await warehouse.insertEvents([w], REQUEST_ID);
    await warehouse.insertEvents([w, v], REQUEST_ID);

    expect(await warehouse.sql('SELECT user_id, event_id FROM events ORDER BY user_id')).toEqual([
      { user_id: 'shopper-v', event_id: SHARED_EVENT_ID },
      { user_id: 'shopper-w', event_id: SHARED_EVENT_ID },
    ]);
    expect(await warehouse.sql('SELECT user_id, sku FROM order_items ORDER BY user_id')).toEqual([
      { user_id: 'shopper-v', sku: 'oat-milk' },
      { user_id: 'shopper-w', sku: 'rye-bread' },
    ]);
  });

  it('keeps a duplicate inside one batch once', async () => {
    const event = collectedEvent('order_completed');
    await warehouse.insertEvents([event, event], REQUEST_ID);
    expect(await count(warehouse, 'events')).toBe(1);
    expect(await count(warehouse, 'order_items')).toBe(2);
  });

  it('runs concurrent calls one after another on its single connection', async () => {
    const batches = Array.from({ length: 10 }, () => [collectedEvent('cart_item_added'), collectedEvent('order_completed')]);
    await Promise.all(batches.map((batch) => warehouse.insertEvents(batch, REQUEST_ID)));
    expect(await count(warehouse, 'events')).toBe(20);
    expect(await count(warehouse, 'order_items')).toBe(20);
  });

  it('splits a large call into several INSERTs, still keeping a row repeated across them once', async () => {
    const events = Array.from({ length: 2 * ROWS_PER_INSERT + 1 }, (_, i) => {
      const event = collectedEvent(EVENT_TYPES[i % EVENT_TYPES.length] ?? 'order_completed');
      return { ...event, event_id: `${event.event_id}-${i}` };
    });
    const orders = events.filter((e) => e.type === 'order_completed').length;
    await warehouse.insertEvents([...events, events[0] as CollectedEvent], REQUEST_ID);
    expect(await count(warehouse, 'events')).toBe(events.length);
    expect(await count(warehouse, 'order_items')).toBe(2 * orders);

    const many = Array.from({ length: ROWS_PER_INSERT + 1 }, (_, i) =>
      rejectedMessageRow({ messageId: `m-${i}`, raw: 'x', reason: 'bad', source: 'ingest', receivedAt: '2026-11-26T12:00:00Z' }),
    );
    await warehouse.insertRejected([...many, many[0] as RejectedRow]);
    await warehouse.insertRejected(many.slice(-2));
    expect(await count(warehouse, 'rejected_events')).toBe(many.length);
  });

  it('writes a batch whole or not at all', async () => {
    const good = collectedEvent('order_completed');
    // Out of the contract on purpose: an item without a name breaks NOT NULL half way through the batch.
    const broken = collectedEvent('order_completed');
    if (broken.type !== 'order_completed') throw new Error('the fixture is an order');
    const unnamed = { ...broken, data: { ...broken.data, items: [{ ...broken.data.items[0], name: null }] } } as unknown as CollectedEvent;
    await expect(warehouse.insertEvents([good, unnamed], REQUEST_ID)).rejects.toThrow(/NOT NULL|null/i);
    expect(await count(warehouse, 'events')).toBe(0);
    expect(await count(warehouse, 'order_items')).toBe(0);
    // And the connection is usable afterwards.
    await warehouse.insertEvents([good], REQUEST_ID);
    expect(await count(warehouse, 'events')).toBe(1);
  });

  it('stores rejected rows, once each however often they are delivered', async () => {
    await warehouse.insertRejected(rejected);
    await warehouse.insertRejected([...rejected].reverse());
    await warehouse.insertRejected([rejected[0] as RejectedRow, rejected[0] as RejectedRow]);

    const rows = await warehouse.sql('SELECT * FROM rejected_events ORDER BY received_at');
    expect(rows).toEqual(
      rejected.map((r) => ({
        ...r,
        event_index: r.event_index === null ? null : BigInt(r.event_index),
        received_at: new Date(r.received_at),
      })),
    );
  });

  it('records a link once however often it is recorded: a visitor is linked to one shopper at most', async () => {
    const link = { anonymous_id: 'anonymous:visitor-1', user_id: 'shopper-1', linked_at: '2026-11-26T12:00:00.000Z' };
    await warehouse.recordLink(link);
    await warehouse.recordLink({ ...link, linked_at: '2026-11-26T12:00:05.000Z' });
    expect(await warehouse.sql('SELECT * FROM identity_links')).toEqual([{ ...link, linked_at: new Date(link.linked_at) }]);
  });

  it('keeps two unreadable messages apart even when neither has a request id of its own', async () => {
    const a = rejectedMessageRow({ messageId: 'unknown', raw: 'a', reason: 'bad', source: 'ingest', receivedAt: '2026-11-26T12:00:00Z' });
    const b = rejectedMessageRow({ messageId: 'unknown', raw: 'b', reason: 'bad', source: 'ingest', receivedAt: '2026-11-26T12:00:00Z' });
    await warehouse.insertRejected([a, b, a]);
    expect(await count(warehouse, 'rejected_events')).toBe(2);
  });

  it('replaces a table’s rows in one go, keeping every distinct row of a keyless table', async () => {
    await warehouse.insertRejected(rejected);
    const replacement = rejected.map((row) => ({ ...row, reason: `${row.reason} (again)` }));
    await warehouse.replaceRows('rejected_events', replacement, 'test');
    expect((await warehouse.sql('SELECT reason FROM rejected_events ORDER BY reason')).map((r) => r.reason)).toEqual(
      replacement.map((r) => r.reason).sort(),
    );
    await warehouse.replaceRows('user_patterns_staging', [], 'test');
    expect(await count(warehouse, 'user_patterns_staging')).toBe(0);
  });

  it('loads every column type in a replacement: timestamps from ISO text, JSON, lists (empty too), NULLs', async () => {
    const line = {
      event_id: 'o-1',
      line: 1,
      order_id: 'order-1',
      user_id: 'shopper-1',
      event_time: '2026-03-01T10:00:00.123Z',
      sku: 'sku-1',
      product_name: 'Oat milk',
      category: 'Dairy & Eggs',
      brand: null,
      price: 1.25,
      quantity: 2,
      promotion: 'spring',
      dietary_tags: ['vegan', 'gluten_free'],
      import_id: null,
    };
    await warehouse.replaceRows('order_items', [line, { ...line, line: 2, brand: 'Oatly', promotion: null, dietary_tags: [] }], 'test');
    await warehouse.replaceRows(
      'user_patterns_staging',
      [
        {
          user_id: 'shopper-1',
          as_of: '2026-03-02T00:00:00.000Z',
          computed_at: '2026-03-02T00:05:00.000Z',
          fingerprint: 'f',
          patterns: '{"brands":[]}',
        },
      ],
      'test',
    );

    const rows = await warehouse.sql(
      'SELECT line, event_time, brand, price, quantity, promotion, dietary_tags FROM order_items ORDER BY line',
    );
    expect(rows).toEqual([
      {
        line: 1n,
        event_time: new Date('2026-03-01T10:00:00.123Z'),
        brand: null,
        price: 1.25,
        quantity: 2,
        promotion: 'spring',
        dietary_tags: ['vegan', 'gluten_free'],
      },
      {
        line: 2n,
        event_time: new Date('2026-03-01T10:00:00.123Z'),
        brand: 'Oatly',
        price: 1.25,
        quantity: 2,
        promotion: null,
        dietary_tags: [],
      },
    ]);
    expect(await warehouse.sql("SELECT patterns->>'$.brands' AS brands, as_of FROM user_patterns_staging")).toEqual([
      { brands: '[]', as_of: new Date('2026-03-02T00:00:00.000Z') },
    ]);
  });

  it('frees the memory of the rows a staging table held when they are replaced', async () => {
    const memory = async () =>
      Number((await warehouse.sql('SELECT sum(memory_usage_bytes)::BIGINT AS bytes FROM duckdb_memory()'))[0]?.bytes);
    const rows = (load: number) =>
      Array.from({ length: 20_000 }, (_, i) => ({
        user_id: `shopper-${load}-${i}`,
        as_of: '2026-06-01T00:00:00.000Z',
        computed_at: '2026-06-01T00:05:00.000Z',
        fingerprint: 'f',
        patterns: JSON.stringify({ n: 'x'.repeat(500) }),
      }));
    await warehouse.replaceRows('user_patterns_staging', rows(0), 'test');
    const once = await memory();
    for (let load = 1; load <= 5; load++) await warehouse.replaceRows('user_patterns_staging', rows(load), 'test');

    expect(await count(warehouse, 'user_patterns_staging')).toBe(20_000);
    // Five more loads of 10 MB: kept, the deleted rows would add about 50 MB.
    expect(await memory()).toBeLessThan(once + 20 * 2 ** 20);
  });

  it('leaves the earlier rows in place when a replacement fails part way', async () => {
    const row = {
      user_id: 'shopper-1',
      learn_preferences: true,
      learn_brands: true,
      learn_price: true,
      learn_schedule: true,
      learn_dietary: true,
    };
    await warehouse.replaceRows('shopper_privacy_staging', [row], 'test');
    await expect(
      warehouse.replaceRows(
        'shopper_privacy_staging',
        [
          { ...row, user_id: 'shopper-2' },
          { ...row, user_id: 'shopper-3', learn_price: undefined as never },
        ],
        'test',
      ),
    ).rejects.toThrow(/no learn_price/);
    expect((await warehouse.sql('SELECT user_id FROM shopper_privacy_staging')).map((r) => r.user_id)).toEqual(['shopper-1']);
  });

  it('refuses work after close', async () => {
    await warehouse.close();
    await expect(warehouse.insertEvents([minimalEvent('product_viewed')], REQUEST_ID)).rejects.toThrow(/closed/);
  });
});

describe('DuckDB warehouse (file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warehouse-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps rows across reopening, creates no second copy of the tables and stays idempotent', async () => {
    const path = join(dir, 'warehouse.duckdb');
    const events = EVENT_TYPES.map((type) => collectedEvent(type));

    const first = await createDuckDbWarehouse(path);
    await first.insertEvents(events, REQUEST_ID);
    await first.insertRejected(rejected);
    await first.close();

    const second = await createDuckDbWarehouse(path);
    await second.insertEvents([...events].reverse(), REQUEST_ID);
    await second.insertRejected(rejected);
    expect(await count(second, 'events')).toBe(EVENT_TYPES.length);
    expect(await count(second, 'order_items')).toBe(2);
    expect(await count(second, 'rejected_events')).toBe(2);
    await second.close();
  });

  it('keeps no staging rows in the file, and drops a staging table an older file stored', async () => {
    const path = join(dir, 'staging.duckdb');
    // A file from before staging tables were TEMP: a stored staging table with a shopper in it.
    const older = await DuckDBInstance.create(path);
    const connection = await older.connect();
    await connection.run('CREATE TABLE shopper_privacy_staging (user_id VARCHAR)');
    await connection.run("INSERT INTO shopper_privacy_staging VALUES ('shopper-old')");
    connection.closeSync();
    older.closeSync();

    const first = await createDuckDbWarehouse(path);
    expect(await count(first, 'shopper_privacy_staging')).toBe(0);
    const flags = { learn_preferences: true, learn_brands: true, learn_price: true, learn_schedule: true, learn_dietary: true };
    await first.replaceRows('shopper_privacy_staging', [{ user_id: 'shopper-1', ...flags }], 'test');
    await first.insertEvents([collectedEvent('product_viewed')], REQUEST_ID);
    expect(await count(first, 'shopper_privacy_staging')).toBe(1);
    expect(await first.sql("SELECT database_name, temporary FROM duckdb_tables() WHERE table_name = 'shopper_privacy_staging'")).toEqual([
      { database_name: 'temp', temporary: true },
    ]);
    await first.close();

    const second = await createDuckDbWarehouse(path);
    expect(await count(second, 'events')).toBe(1);
    expect(await count(second, 'shopper_privacy_staging')).toBe(0);
    await second.close();
  });

  it('rebuilds a table an older file keyed by event_id alone with the declared key, keeping its rows', async () => {
    const path = join(dir, 'older-key.duckdb');
    const first = await createDuckDbWarehouse(path);
    await first.insertEvents([sharedIdOrder('shopper-v', 'oat-milk')], REQUEST_ID);
    await first.close();
    // As the file was before an event was (user_id, event_id): the same rows, keyed by event_id (and line).
    const older = await DuckDBInstance.create(path);
    const connection = await older.connect();
    for (const [table, key] of [
      ['events', '"event_id"'],
      ['order_items', '"event_id", "line"'],
    ] as const) {
      await connection.run(`ALTER TABLE ${table} RENAME TO stored`);
      await connection.run(toDuckDbDdl(await readTableDdl(table)).replace(/PRIMARY KEY \(.*\)/, `PRIMARY KEY (${key})`));
      await connection.run(`INSERT INTO ${table} SELECT * FROM stored`);
      await connection.run('DROP TABLE stored');
    }
    connection.closeSync();
    older.closeSync();

    const reopened = await createDuckDbWarehouse(path);
    const keys =
      "SELECT table_name, constraint_column_names AS key FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' AND table_name IN ('events', 'order_items') ORDER BY table_name";
    expect(await reopened.sql(keys)).toEqual([
      { table_name: 'events', key: ['user_id', 'event_id'] },
      { table_name: 'order_items', key: ['user_id', 'event_id', 'line'] },
    ]);
    await reopened.insertEvents([sharedIdOrder('shopper-w', 'rye-bread'), sharedIdOrder('shopper-v', 'oat-milk')], REQUEST_ID);
    expect(await reopened.sql('SELECT user_id, sku FROM order_items ORDER BY user_id')).toEqual([
      { user_id: 'shopper-v', sku: 'oat-milk' },
      { user_id: 'shopper-w', sku: 'rye-bread' },
    ]);
    expect(await count(reopened, 'events')).toBe(2);
    expect(await reopened.sql("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%rekey%'")).toEqual([]);
    await reopened.close();
  });

  it('adds to a table an older file made the nullable columns declared since, its rows holding NULL', async () => {
    const path = join(dir, 'older-columns.duckdb');
    const first = await createDuckDbWarehouse(path);
    await first.insertEvents([sharedIdOrder('shopper-x', 'oat-milk')], REQUEST_ID);
    await first.close();
    // As the file was before history imports: events and order_items without import_id.
    const older = await DuckDBInstance.create(path);
    const connection = await older.connect();
    for (const table of ['events', 'order_items']) await connection.run(`ALTER TABLE ${table} DROP COLUMN import_id`);
    connection.closeSync();
    older.closeSync();

    const reopened = await createDuckDbWarehouse(path);
    await reopened.insertEvents([sharedIdOrder('shopper-y', 'rye-bread')], REQUEST_ID);
    expect(await reopened.sql('SELECT user_id, import_id FROM events ORDER BY user_id')).toEqual([
      { user_id: 'shopper-x', import_id: null },
      { user_id: 'shopper-y', import_id: null },
    ]);
    expect(await reopened.sql('SELECT user_id, sku, import_id FROM order_items ORDER BY user_id')).toEqual([
      { user_id: 'shopper-x', sku: 'oat-milk', import_id: null },
      { user_id: 'shopper-y', sku: 'rye-bread', import_id: null },
    ]);
    await reopened.close();
  });

  it('gathers a large write in its log instead of checkpointing it at once, and keeps it across reopening', async () => {
    const path = join(dir, 'patterns.duckdb');
    const warehouse = await createDuckDbWarehouse(path);
    // About 20 MB of patterns: past DuckDB's default threshold of 16 MB, which would have checkpointed them.
    const patterns = JSON.stringify({
      regular_items: Array.from({ length: 100 }, (_, i) => ({ sku: `sku-${i}`, product_name: 'x'.repeat(60) })),
    });
    const rows = Array.from({ length: 2_000 }, (_, i) => ({
      user_id: `shopper-${i}`,
      as_of: '2026-06-01T00:00:00.000Z',
      computed_at: '2026-06-01T00:05:00.000Z',
      fingerprint: `f-${i}`,
      patterns,
    }));
    expect(rows.length * patterns.length).toBeGreaterThan(16 * 2 ** 20);
    await warehouse.replaceRows('user_patterns_staging', rows, 'test');
    expect(await warehouse.execute('merge_user_patterns.sql', {}, 'test')).toMatchObject({ affectedRows: rows.length });
    expect(statSync(`${path}.wal`).size).toBeGreaterThan(16 * 2 ** 20);
    await warehouse.close();
    // Closing checkpoints: the rows are in the file, and the log is gone.
    expect(existsSync(`${path}.wal`)).toBe(false);
    const reopened = await createDuckDbWarehouse(path);
    expect(await count(reopened, 'user_patterns')).toBe(rows.length);
    await reopened.close();
  });

  it('checkpoints on demand: the log is moved into the file and emptied', async () => {
    const path = join(dir, 'checkpoint.duckdb');
    const warehouse = await createDuckDbWarehouse(path);
    await warehouse.insertEvents([collectedEvent('order_completed')], REQUEST_ID);
    expect(statSync(`${path}.wal`).size).toBeGreaterThan(0);

    await warehouse.checkpoint();
    expect(existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0).toBe(0);
    expect(await count(warehouse, 'events')).toBe(1);
    await warehouse.close();
  });

  it('compacts: no byte of a deleted shopper is left in the file or its log, and everything else is as it was', async () => {
    const path = join(dir, 'compact.duckdb');
    const erased = 'shopper-erased-5b0e1c7d';
    const kept = 'shopper-kept-2f9a4e61';
    const bytesOf = (needle: string) => [path, `${path}.wal`].filter((f) => existsSync(f) && readFileSync(f).includes(Buffer.from(needle)));
    const warehouse = await createDuckDbWarehouse(path);
    const keptEvents = [collectedEvent('order_completed', {}, undefined, kept), collectedEvent('product_viewed', {}, undefined, kept)];
    await warehouse.insertEvents(
      [collectedEvent('order_completed', {}, undefined, erased), collectedEvent('product_viewed', {}, undefined, erased)],
      REQUEST_ID,
    );
    await warehouse.insertEvents(keptEvents, REQUEST_ID);
    // Checkpointed before the delete, as any earlier run's rows would be: the row groups on disk hold both shoppers.
    await warehouse.checkpoint();
    expect(bytesOf(erased)).toEqual([path]);
    // A patterns run's staging rows, between two of its statements: compaction must not lose them.
    await warehouse.replaceRows(
      'user_patterns_staging',
      [{ user_id: kept, as_of: '2026-06-01T00:00:00.000Z', computed_at: '2026-06-01T00:05:00.000Z', fingerprint: 'f', patterns: '{}' }],
      'test',
    );
    for (const table of ['events', 'order_items']) await warehouse.execute(`erase_${table}.sql`, { user_ids: [erased] }, 'test');

    // A checkpoint alone leaves the deleted rows' bytes in the file.
    await warehouse.checkpoint();
    expect(bytesOf(erased)).toEqual([path]);

    await warehouse.compact();
    expect(bytesOf(erased)).toEqual([]);
    expect(bytesOf(kept)).toEqual([path]);
    expect(await count(warehouse, 'events')).toBe(2);
    expect(await count(warehouse, 'order_items')).toBe(2);
    expect(await count(warehouse, 'user_patterns_staging')).toBe(1);
    // The keys came along: a redelivered event is still stored once; a new one is kept across reopening.
    await warehouse.insertEvents([...keptEvents, collectedEvent('search_performed', {}, undefined, kept)], REQUEST_ID);
    expect(await count(warehouse, 'events')).toBe(3);
    expect(await count(warehouse, 'order_items')).toBe(2);
    await warehouse.close();

    expect(existsSync(`${path}.compacted`)).toBe(false);
    const reopened = await createDuckDbWarehouse(path);
    expect(await count(reopened, 'events')).toBe(3);
    await reopened.close();
  });
});
