import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWarehouseZetaSql, type ZetaRow, type ZetaSql } from '../support/zetasql.ts';

/** The ZetaSQL evaluator harness itself, over the real warehouse DDL, against hand-written results. */

let zeta: ZetaSql;

beforeAll(async () => {
  zeta = await connectWarehouseZetaSql();
});

afterAll(() => zeta?.close());

/** An `events` row with every NOT NULL column filled; the nullable ones are left out (NULL). */
function event(id: string, type: string, user: string, eventTime: string, fields: ZetaRow = {}): ZetaRow {
  return {
    event_id: id,
    type,
    user_id: user,
    session_id: `s-${user}`,
    request_id: `r-${id}`,
    occurred_at: eventTime,
    sent_at: eventTime,
    received_at: eventTime,
    event_time: eventTime,
    data: '{}',
    ...fields,
  };
}

function orderItem(id: string, line: number, sku: string, tags: string[] | null): ZetaRow {
  return {
    event_id: id,
    line,
    order_id: `o-${id}`,
    user_id: 'u1',
    event_time: '2026-03-01T10:00:00Z',
    sku,
    product_name: sku,
    category: 'dairy',
    price: 1.25,
    quantity: 2,
    dietary_tags: tags,
  };
}

const EVENTS = [
  event('e1', 'search_performed', 'u1', '2026-03-01T09:00:00Z', { query: 'milk', data: '{"query":"milk","results":3}' }),
  // A redelivery of e1, received later.
  event('e1', 'search_performed', 'u1', '2026-03-01T09:00:00Z', { received_at: '2026-03-01T09:05:00Z', data: '{"query":"milk","results":3}' }),
  event('e2', 'product_viewed', 'u1', '2026-03-01T09:30:00.250Z', { sku: 'sku-1', experiments: { ranking: 'b' } }),
  event('e3', 'product_viewed', 'u2', '2026-03-02T11:00:00+01:00', { sku: 'sku-2' }),
  event('e4', 'search_performed', 'u2', '2026-03-03T00:00:00Z', { query: 'bread' }),
];

describe('ZetaSQL evaluator harness', () => {
  it('counts and groups with a TIMESTAMP parameter given as a Date', async () => {
    const rows = await zeta.evaluate(
      `SELECT type, COUNT(*) AS events, COUNT(DISTINCT user_id) AS shoppers
       FROM events WHERE event_time < @as_of GROUP BY type ORDER BY type`,
      { tables: { events: EVENTS }, params: { as_of: new Date('2026-03-02T12:00:00Z') } },
    );
    expect(rows).toEqual([
      { type: 'product_viewed', events: 2, shoppers: 2 },
      { type: 'search_performed', events: 2, shoppers: 1 },
    ]);
  });

  it('takes a TIMESTAMP parameter as an ISO string with an explicit type, and returns TIMESTAMPs as ISO strings', async () => {
    const rows = await zeta.evaluate(
      `SELECT event_id, received_at FROM events WHERE event_time >= @since
       QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY received_at DESC) = 1
       ORDER BY event_id`,
      { tables: { events: EVENTS }, params: { since: '2026-03-01T09:00:00Z' }, types: { since: 'TIMESTAMP' } },
    );
    // e1 kept once (the later delivery); e3's +01:00 offset normalized to UTC; e2's milliseconds kept.
    expect(rows).toEqual([
      { event_id: 'e1', received_at: '2026-03-01T09:05:00.000Z' },
      { event_id: 'e2', received_at: '2026-03-01T09:30:00.250Z' },
      { event_id: 'e3', received_at: '2026-03-02T10:00:00.000Z' },
      { event_id: 'e4', received_at: '2026-03-03T00:00:00.000Z' },
    ]);
  });

  it('reads JSON columns, given as text or as objects, and returns JSON parsed', async () => {
    const rows = await zeta.evaluate(
      `SELECT event_id, JSON_VALUE(data, '$.query') AS query, LAX_INT64(data.results) AS results, experiments, data
       FROM events WHERE event_id IN ('e1', 'e2')
       QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY received_at) = 1
       ORDER BY event_id`,
      { tables: { events: EVENTS } },
    );
    expect(rows).toEqual([
      { event_id: 'e1', query: 'milk', results: 3, experiments: null, data: { query: 'milk', results: 3 } },
      { event_id: 'e2', query: null, results: null, experiments: { ranking: 'b' }, data: {} },
    ]);
  });

  it('reads ARRAY<STRING> columns of order_items, a NULL array being empty as in BigQuery', async () => {
    const items = [orderItem('o1', 1, 'oat-milk', ['vegan', 'gluten_free']), orderItem('o1', 2, 'cheese', null), orderItem('o2', 1, 'tofu', ['vegan'])];
    const bySku = await zeta.evaluate(
      `SELECT sku, dietary_tags, ARRAY_LENGTH(dietary_tags) AS tags, 'vegan' IN UNNEST(dietary_tags) AS vegan
       FROM order_items ORDER BY sku`,
      { tables: { order_items: items } },
    );
    expect(bySku).toEqual([
      { sku: 'cheese', dietary_tags: [], tags: 0, vegan: false },
      { sku: 'oat-milk', dietary_tags: ['vegan', 'gluten_free'], tags: 2, vegan: true },
      { sku: 'tofu', dietary_tags: ['vegan'], tags: 1, vegan: true },
    ]);

    const byTag = await zeta.evaluate(
      `SELECT tag, SUM(quantity) AS units, ARRAY_AGG(sku ORDER BY sku) AS skus
       FROM order_items, UNNEST(dietary_tags) AS tag WHERE tag IN UNNEST(@tags) GROUP BY tag ORDER BY tag`,
      { tables: { order_items: items }, params: { tags: ['vegan', 'gluten_free'] } },
    );
    expect(byTag).toEqual([
      { tag: 'gluten_free', units: 2, skus: ['oat-milk'] },
      { tag: 'vegan', units: 4, skus: ['oat-milk', 'tofu'] },
    ]);
  });

  it('converts every result type, with DATE() in UTC and INTERVAL arithmetic like BigQuery', async () => {
    const [row] = await zeta.evaluate(
      `SELECT DATE(TIMESTAMP '2026-03-01 02:00:00+00') AS day, TIMESTAMP '2026-03-01 10:00:00.123456+00' AS micros,
         @n AS n, 9007199254740993 AS big, @x AS x, @ok AS ok, CAST(NULL AS STRING) AS nothing,
         STRUCT(1 AS a, ['x'] AS b) AS s, [STRUCT(DATE '2026-03-01' AS d)] AS list, @day AS param_day,
         @at - INTERVAL 36 HOUR AS earlier`,
      { params: { n: 42, x: 0.5, ok: true, day: '2026-02-28', at: new Date('2026-03-01T10:00:00Z') }, types: { day: 'DATE' } },
    );
    expect(row).toEqual({
      day: '2026-03-01',
      micros: '2026-03-01T10:00:00.123456Z',
      n: 42,
      big: 9007199254740993n,
      x: 0.5,
      ok: true,
      nothing: null,
      s: { a: 1, b: ['x'] },
      list: [{ d: '2026-03-01' }],
      param_day: '2026-02-28',
      earlier: '2026-02-27T22:00:00.000Z',
    });
  });

  it('treats tables left out as empty', async () => {
    expect(await zeta.evaluate('SELECT COUNT(*) AS n FROM rejected_events')).toEqual([{ n: 0 }]);
  });

  it('evaluates an INSERT … SELECT, answering the rows it inserted by the table\'s columns, and a DELETE, answering how many rows it deleted', async () => {
    const items = [orderItem('o1', 1, 'oat-milk', ['vegan']), orderItem('o1', 2, 'cheese', null), orderItem('o2', 1, 'tofu', null)];
    const inserted = await zeta.evaluateModify(
      `INSERT INTO category_price_ranges_staging (category, low, high, mean, as_of)
       SELECT category, MIN(price), MAX(price), AVG(price * quantity), @as_of FROM order_items GROUP BY category`,
      { tables: { order_items: items }, params: { as_of: new Date('2026-03-02T00:00:00Z') } },
    );
    expect(inserted).toEqual({
      table: 'category_price_ranges_staging',
      changes: [{ operation: 'INSERT', row: { category: 'dairy', low: 1.25, high: 1.25, mean: 2.5, as_of: '2026-03-02T00:00:00.000Z' } }],
    });

    const deleted = await zeta.evaluateModify("DELETE FROM order_items WHERE sku != 'cheese'", { tables: { order_items: items } });
    expect(deleted).toEqual({
      table: 'order_items',
      changes: [
        { operation: 'DELETE', row: {} },
        { operation: 'DELETE', row: {} },
      ],
    });
  });

  it('refuses fixtures and results it cannot represent faithfully', async () => {
    await expect(zeta.evaluate('SELECT 1', { tables: { event: [] } })).rejects.toThrow(/event is not a table/);
    await expect(zeta.evaluate('SELECT 1', { tables: { events: [{ ...EVENTS[0], typo: 1 }] } })).rejects.toThrow(
      /events\[0\] has typo, which is not a column/,
    );
    await expect(zeta.evaluate('SELECT 1', { tables: { events: [{ ...EVENTS[0], position: '3' }] } })).rejects.toThrow(
      /events\[0\]\.position should be a INT64/,
    );
    await expect(zeta.evaluate('SELECT @t AS t', { params: { t: null } })).rejects.toThrow(/give it in types/);
    await expect(zeta.evaluate('SELECT 1, 2 AS two')).rejects.toThrow(/output column 1 has no name/);
    await expect(zeta.evaluate('SELECT nope FROM events')).rejects.toThrow(/Unrecognized name: nope/);
  });
});
