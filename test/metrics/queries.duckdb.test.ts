import { afterAll, beforeAll, describe, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { METRIC_QUERIES } from '../../functions/metrics/job.ts';
import { expectRows } from '../patterns/answers.ts';
import {
  EXPECTED,
  EXPECTED_TWO_DAYS,
  EXPECTED_WITH_SAME_IDS,
  KEYS,
  PARAMS,
  TABLES,
  TABLES_WITH_SAME_IDS,
  TWO_DAYS,
  WITH_MODEL,
  WITHOUT_LAPSE,
} from './fixtures.ts';

// The same files and fixtures as queries.zetasql.test.ts: DuckDB, through the dialect bridge, must
// give BigQuery's answers.
describe('metric queries on DuckDB', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    for (const [table, rows] of Object.entries(TABLES)) await warehouse.replaceRows(table, rows, 'test');
  });
  afterAll(() => warehouse.close());

  it.each(METRIC_QUERIES)('sql/%s.sql gives the hand-worked answer', async (query) => {
    const { rows } = await warehouse.query(`${query}.sql`, PARAMS, 'test');
    expectRows(rows, EXPECTED[query] ?? [], KEYS);
  });

  it('sql/metric_reorder.sql judges by the reorder rule bound to it: without the lapse, more is due', async () => {
    const { rows } = await warehouse.query('metric_reorder.sql', WITHOUT_LAPSE.params, 'test');
    expectRows(rows, WITHOUT_LAPSE.expected, KEYS);
  });

  it('sql/metric_reorder.sql judges by the reorder model in force as the window began, once one is fitted', async () => {
    await warehouse.replaceRows('reorder_model', WITH_MODEL.tables.reorder_model, 'test');
    try {
      const { rows } = await warehouse.query('metric_reorder.sql', PARAMS, 'test');
      expectRows(rows, WITH_MODEL.expected, KEYS);
    } finally {
      await warehouse.replaceRows('reorder_model', [], 'test');
    }
  });

  it('sql/metric_cart.sql gives one avg_cart_value row per day of a longer window', async () => {
    const { rows } = await warehouse.query('metric_cart.sql', TWO_DAYS, 'test');
    expectRows(rows, EXPECTED_TWO_DAYS, KEYS);
  });
});

describe('metric queries on DuckDB, with another shopper’s events under the same event ids', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    for (const [table, rows] of Object.entries(TABLES_WITH_SAME_IDS)) await warehouse.replaceRows(table, rows, 'test');
  });
  afterAll(() => warehouse.close());

  it.each(METRIC_QUERIES)('sql/%s.sql counts them as that shopper’s own', async (query) => {
    const { rows } = await warehouse.query(`${query}.sql`, PARAMS, 'test');
    expectRows(rows, EXPECTED_WITH_SAME_IDS[query] ?? [], KEYS);
  });
});
