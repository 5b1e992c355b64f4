import { afterAll, beforeAll, describe, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { expectRows } from './answers.ts';
import { EXPECTED, KEYS, PARAMS, TABLES } from './fixtures.ts';

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
});
