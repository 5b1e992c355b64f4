import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { REORDER_RULE_PARAMS } from '../../functions/kernel/reorder-rule.ts';
import type { SqlParams, SqlRow } from '../../functions/warehouse/ports.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { expectRows } from '../patterns/answers.ts';
import { eventsRow, orderItemsRow } from '../support/warehouse-rows.ts';
import { connectWarehouseZetaSql, type ZetaSql } from '../support/zetasql.ts';

/*
 * The pattern, metric and erasure SQL read a linked visitor's rows as their shopper's, on BigQuery's semantics
 * (ZetaSQL's reference evaluator) and on DuckDB alike, with the same hand-worked answers.
 *
 * | who                      | rows                                                                          |
 * | anonymous:v1 → shopper-1 | search q-v (09:00), cart add in session sv (10:30), order e-dup (08:00), an earlier order e-v (02-25) |
 * | shopper-1                | the click on q-v (09:05), order e-dup again (the client resent it after login), order o-1 in sv (11:00) |
 * | anonymous:w1, not linked | search q-w (10:00), never clicked                                             |
 * | anonymous:x1 → shopper-3 | a view on 02-20; linked on 03-01 12:00                                        |
 *
 * The link of anonymous:v1 is recorded twice, as a resent link can be in BigQuery (DuckDB's key keeps one, as its
 * insert does: `links` below is how many an engine holds). Without the links, q-v would
 * have no click, the cart in sv would be abandoned, e-dup would count twice, and shopper-1's lines would lack e-v.
 */
const WINDOW_START = '2026-03-01T00:00:00.000Z';
const AS_OF = '2026-03-02T00:00:00.000Z';
const PARAMS: SqlParams = {
  as_of: new Date(AS_OF),
  window_start: new Date(WINDOW_START),
  since: new Date(WINDOW_START),
  staged_at: new Date(AS_OF),
  user_ids: ['shopper-1'],
  ...REORDER_RULE_PARAMS,
};
const [S, V, W, T, X] = ['shopper-1', 'anonymous:v1', 'anonymous:w1', 'shopper-3', 'anonymous:x1'];
const at = (time: string) => `2026-03-01T${time}:00.000Z`;

const order = (eventId: string, userId: string, time: string, total: number) =>
  eventsRow({
    event_id: eventId,
    type: 'order_completed',
    user_id: userId,
    event_time: time,
    session_id: 'sv',
    order_id: `order-${eventId}`,
    order_total: total,
  });
const line = (eventId: string, userId: string, time: string, sku: string) =>
  orderItemsRow({ event_id: eventId, line: 1, user_id: userId, event_time: time, sku, category: 'dairy', price: 2, quantity: 1 });

const TABLES: Record<string, SqlRow[]> = {
  events: [
    eventsRow({
      event_id: 'vs1',
      type: 'search_performed',
      user_id: V,
      event_time: at('09:00'),
      search_id: 'q-v',
      query: 'milk',
      personalized: false,
      data: '{"results":[{"sku":"milk","position":1}]}',
    }),
    eventsRow({
      event_id: 'sc1',
      type: 'search_result_clicked',
      user_id: S,
      event_time: at('09:05'),
      search_id: 'q-v',
      position: 1,
      sku: 'milk',
    }),
    eventsRow({
      event_id: 'va1',
      type: 'cart_item_added',
      user_id: V,
      event_time: at('10:30'),
      session_id: 'sv',
      sku: 'milk',
      quantity: 1,
    }),
    order('e-dup', V, at('08:00'), 5),
    order('e-dup', S, at('08:00'), 5),
    order('o-1', S, at('11:00'), 10),
    eventsRow({
      event_id: 'ws1',
      type: 'search_performed',
      user_id: W,
      event_time: at('10:00'),
      search_id: 'q-w',
      query: 'tea',
      personalized: false,
      data: '{"results":[{"sku":"tea","position":1}]}',
    }),
    eventsRow({ event_id: 'xv1', type: 'product_viewed', user_id: X, event_time: '2026-02-20T10:00:00.000Z', sku: 'tea' }),
  ],
  order_items: [
    line('e-dup', V, at('08:00'), 'milk'),
    line('e-dup', S, at('08:00'), 'milk'),
    line('e-v', V, '2026-02-25T08:00:00.000Z', 'tea'),
    line('o-1', S, at('11:00'), 'bread'),
  ],
  identity_links: [
    { anonymous_id: V, user_id: S, linked_at: at('09:02') },
    { anonymous_id: V, user_id: S, linked_at: at('09:02') },
    { anonymous_id: X, user_id: T, linked_at: at('12:00') },
  ],
  shopper_privacy_staging: [
    { user_id: S, learn_preferences: true, learn_brands: true, learn_price: true, learn_schedule: true, learn_dietary: true },
  ],
};

/** The hand-worked answer of each query, in the columns it is judged by, given the rows of anonymous:v1's link. */
const QUERIES: { file: string; columns: string[]; expected: (links: number) => SqlRow[] }[] = [
  // The visitor's search is the shopper's, so the shopper's click counts for it.
  {
    file: 'metric_ctr',
    columns: ['dimension', 'numerator', 'denominator'],
    expected: () => [
      { dimension: '', numerator: 1, denominator: 2 },
      { dimension: 'not_personalized', numerator: 1, denominator: 2 },
    ],
  },
  // The shopper's click ranks the visitor's search first: a reciprocal rank of 1, and 0 for q-w, never clicked.
  {
    file: 'metric_search_quality',
    columns: ['metric', 'dimension', 'value', 'numerator', 'denominator'],
    expected: () => [
      { metric: 'mrr', dimension: '', value: 0.5, numerator: 1, denominator: 2 },
      { metric: 'mrr', dimension: 'not_personalized', value: 0.5, numerator: 1, denominator: 2 },
    ],
  },
  // The visitor's cart in sv ended in the shopper's order in sv; e-dup is one order, not two.
  {
    file: 'metric_cart',
    columns: ['metric', 'dimension', 'value', 'numerator', 'denominator'],
    expected: () => [
      { metric: 'cart_abandonment_rate', dimension: '', value: 0, numerator: 0, denominator: 1 },
      { metric: 'avg_cart_value', dimension: '2026-03-01', value: 7.5, numerator: 15, denominator: 2 },
    ],
  },
  // shopper-1 through the visitor's events (and their own); shopper-3, who linked a visitor since @since.
  { file: 'active_shoppers', columns: ['user_id'], expected: () => [{ user_id: S }, { user_id: W }, { user_id: T }] },
  // Every row of shopper-1's and of the visitor linked to them, counted as shopper-1's.
  {
    file: 'erasure_remaining',
    columns: ['user_id', 'table_name', 'remaining'],
    expected: (links) => [
      { user_id: S, table_name: 'events', remaining: 6 },
      { user_id: S, table_name: 'order_items', remaining: 4 },
      { user_id: S, table_name: 'shopper_privacy_staging', remaining: 1 },
      { user_id: S, table_name: 'identity_links', remaining: links },
    ],
  },
];

/** The staged lines of shopper-1: the visitor's among them, e-dup once. */
const STAGED_LINES = [
  { user_id: S, event_id: 'e-dup', sku: 'milk' },
  { user_id: S, event_id: 'e-v', sku: 'tea' },
  { user_id: S, event_id: 'o-1', sku: 'bread' },
];
/** What erase_events.sql deletes for shopper-1: their events and the visitor's, none of anyone else's. */
const ERASED_EVENTS = 6;

const pick = (rows: SqlRow[], columns: string[]) => rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null])));

describe("a linked visitor's rows are their shopper's (ZetaSQL's reference evaluator)", () => {
  let zeta: ZetaSql;
  beforeAll(async () => {
    zeta = await connectWarehouseZetaSql();
  });
  afterAll(() => zeta.close());

  it.each(QUERIES)('$file gives the hand-worked answer', async ({ file, columns, expected }) => {
    const rows = await zeta.evaluate(await readSqlFile(`${file}.sql`), { tables: TABLES, params: PARAMS });
    expectRows(pick(rows as SqlRow[], columns), expected(2), columns);
  });

  it("sql/stage_run_order_lines.sql stages the visitor's lines as the shopper's, a resent one once", async () => {
    const { changes } = await zeta.evaluateModify(await readSqlFile('stage_run_order_lines.sql'), {
      tables: { ...TABLES, run_order_lines_staging: [] },
      params: PARAMS,
    });
    expectRows(pick(changes.map((c) => c.row) as SqlRow[], ['user_id', 'event_id', 'sku']), STAGED_LINES, ['event_id']);
  });

  it("sql/erase_events.sql deletes the shopper's events and the visitor's", async () => {
    const { changes } = await zeta.evaluateModify(await readSqlFile('erase_events.sql'), { tables: TABLES, params: PARAMS });
    expect(changes.filter((c) => c.operation === 'DELETE')).toHaveLength(ERASED_EVENTS);
  });
});

describe("a linked visitor's rows are their shopper's (DuckDB)", () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
  });
  afterAll(() => warehouse.close());
  const load = async () => {
    for (const table of ['events', 'order_items', 'identity_links', 'shopper_privacy_staging', 'run_order_lines_staging']) {
      await warehouse.replaceRows(table, TABLES[table] ?? [], 'test');
    }
  };

  it.each(QUERIES)('$file gives the hand-worked answer', async ({ file, columns, expected }) => {
    await load();
    const { rows } = await warehouse.query(`${file}.sql`, PARAMS, 'test');
    expectRows(pick(rows, columns), expected(1), columns);
  });

  it("sql/stage_run_order_lines.sql stages the visitor's lines as the shopper's, a resent one once", async () => {
    await load();
    await warehouse.execute('stage_run_order_lines.sql', PARAMS, 'test');
    expectRows(await warehouse.rows('SELECT user_id, event_id, sku FROM run_order_lines_staging'), STAGED_LINES, ['event_id']);
  });

  it("sql/erase_events.sql deletes the shopper's events and the visitor's, and, the links erased too, erasure_remaining.sql finds only the tables still to erase", async () => {
    await load();
    expect(await warehouse.execute('erase_events.sql', PARAMS, 'test')).toMatchObject({ affectedRows: ERASED_EVENTS });
    expect((await warehouse.rows('SELECT DISTINCT user_id FROM events ORDER BY user_id')).map((r) => r.user_id)).toEqual([W, X]);
    await warehouse.execute('erase_identity_links.sql', PARAMS, 'test');
    const { rows } = await warehouse.query('erasure_remaining.sql', PARAMS, 'test');
    expect(pick(rows, ['table_name']).sort((a, b) => String(a.table_name).localeCompare(String(b.table_name)))).toEqual([
      { table_name: 'order_items' },
      { table_name: 'shopper_privacy_staging' },
    ]);
  });
});
