import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { quote } from '../../functions/warehouse/dialect.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { expectRows } from './answers.ts';
import { ANALYSES } from '../../functions/patterns/patterns.ts';
import {
  ENGAGEMENT,
  EXPECTED,
  KEYS,
  ORDER_LINES,
  PARAMS,
  PRICE_RANGES,
  REBOUND,
  REORDER_OUTCOMES_WITHOUT_U4,
  SLICE_RANGE,
  STAGED,
  TABLES,
} from './fixtures.ts';

// The same files and fixtures as analyses.zetasql.test.ts: DuckDB, through the dialect bridge, must
// give BigQuery's answers.
describe('pattern analyses on DuckDB', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    for (const [table, rows] of Object.entries(TABLES)) await warehouse.replaceRows(table, rows, 'test');
  });
  afterAll(() => warehouse.close());

  it.each(Object.keys(EXPECTED))('sql/%s.sql gives the hand-worked answer', async (analysis) => {
    const { rows } = await warehouse.query(`${analysis}.sql`, PARAMS, 'test');
    expectRows(rows, EXPECTED[analysis] ?? [], KEYS[analysis] ?? []);
  });

  it.each(REBOUND)('$analysis follows its parameters: $change', async ({ analysis, params, expected }) => {
    const { rows } = await warehouse.query(`${analysis}.sql`, params, 'test');
    expectRows(rows, expected(EXPECTED[analysis] ?? []), KEYS[analysis] ?? []);
  });

  it('sql/reorder_outcomes.sql learns nothing from a shopper who turned learning of their schedule off', async () => {
    await warehouse.replaceRows('shopper_privacy_staging', REORDER_OUTCOMES_WITHOUT_U4.tables.shopper_privacy_staging, 'test');
    try {
      const { rows } = await warehouse.query('reorder_outcomes.sql', PARAMS, 'test');
      expectRows(rows, REORDER_OUTCOMES_WITHOUT_U4.expected, KEYS.reorder_outcomes ?? []);
    } finally {
      await warehouse.replaceRows('shopper_privacy_staging', TABLES.shopper_privacy_staging, 'test');
    }
  });
});

describe('pattern staging statements on DuckDB', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
  });
  afterAll(() => warehouse.close());

  /** The table's rows in the port's terms: TIMESTAMPs as ISO strings. */
  const rowsOf = async (table: string): Promise<SqlRow[]> =>
    (await warehouse.sql(`SELECT * FROM ${quote(table)}`)).map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([column, value]) => [
          column,
          value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? Number(value) : (value as SqlRow[string]),
        ]),
      ),
    );

  it.each(Object.keys(STAGED))('sql/%s.sql stages the hand-worked rows into its emptied table', async (file) => {
    const { table, rows, key } = STAGED[file]!;
    for (const [name, tableRows] of Object.entries(TABLES)) await warehouse.replaceRows(name, name === table ? [] : tableRows, 'test');

    const { affectedRows } = await warehouse.execute(`${file}.sql`, PARAMS, 'test');
    expect(affectedRows).toBe(rows.length);
    expectRows(await rowsOf(table), rows, key);
  });

  it.each(Object.keys(EXPECTED))(
    'sql/%s.sql gives the hand-worked answer from the lines and engagement the slice staged itself',
    async (analysis) => {
      const staging = ['run_order_lines_staging', 'run_engagement_staging', 'order_lines_staging', 'engagement_staging'];
      for (const [name, tableRows] of Object.entries(TABLES))
        await warehouse.replaceRows(name, staging.includes(name) ? [] : tableRows, 'test');
      // The run's staging first, then the slice's out of it.
      await warehouse.execute('stage_run_order_lines.sql', PARAMS, 'test');
      await warehouse.execute('stage_run_engagement.sql', PARAMS, 'test');
      await warehouse.execute('stage_order_lines.sql', PARAMS, 'test');
      await warehouse.execute('stage_engagement.sql', PARAMS, 'test');

      const { rows } = await warehouse.query(`${analysis}.sql`, PARAMS, 'test');
      expectRows(rows, EXPECTED[analysis] ?? [], KEYS[analysis] ?? []);
    },
  );

  it.each(SLICE_RANGE)('sql/$file.sql stages only the slice’s range of shoppers, u3 to u4', async ({ file, table, rows, key }) => {
    for (const [name, tableRows] of Object.entries(TABLES)) await warehouse.replaceRows(name, name === table ? [] : tableRows, 'test');

    await warehouse.execute(`${file}.sql`, { ...PARAMS, first_shopper: 'u3', last_shopper: 'u4' }, 'test');
    expectRows(await rowsOf(table), rows, key);
  });

  it('sql/price_sensitivity.sql gives the hand-worked answer from the ranges the run staged itself', async () => {
    for (const [name, tableRows] of Object.entries(TABLES))
      await warehouse.replaceRows(name, name === 'category_price_ranges_staging' ? [] : tableRows, 'test');
    await warehouse.execute('stage_category_price_ranges.sql', PARAMS, 'test');

    const { rows } = await warehouse.query('price_sensitivity.sql', PARAMS, 'test');
    expectRows(rows, EXPECTED.price_sensitivity ?? [], KEYS.price_sensitivity ?? []);
  });

  it('sql/price_sensitivity.sql reads no ranges staged for another @as_of', async () => {
    for (const [name, tableRows] of Object.entries(TABLES)) await warehouse.replaceRows(name, tableRows, 'test');
    await warehouse.replaceRows(
      'category_price_ranges_staging',
      PRICE_RANGES.map((r) => ({ ...r, as_of: '2026-02-28T00:00:00.000Z' })),
      'test',
    );

    expect((await warehouse.query('price_sensitivity.sql', PARAMS, 'test')).rows).toEqual([]);
  });

  it.each(ANALYSES)('sql/%s.sql reads no order lines or engagement staged for another @as_of', async (analysis) => {
    for (const [name, tableRows] of Object.entries(TABLES)) await warehouse.replaceRows(name, tableRows, 'test');
    for (const [table, rows] of [
      ['order_lines_staging', ORDER_LINES],
      ['engagement_staging', ENGAGEMENT],
    ] as const) {
      await warehouse.replaceRows(
        table,
        rows.map((r) => ({ ...r, as_of: '2026-02-28T00:00:00.000Z' })),
        'test',
      );
    }

    expect((await warehouse.query(`${analysis}.sql`, PARAMS, 'test')).rows).toEqual([]);
  });
});
