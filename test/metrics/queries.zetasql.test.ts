import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_QUERIES } from '../../functions/metrics/job.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { connectWarehouseZetaSql, type ZetaSql } from '../support/zetasql.ts';
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
  wilson,
  WITH_MODEL,
  WITHOUT_LAPSE,
} from './fixtures.ts';

// ZetaSQL's reference evaluator is BigQuery's semantics: these are the answers BigQuery would give.
// queries.duckdb.test.ts holds the local warehouse to the same hand-worked answers.
describe('metric queries on ZetaSQL’s reference evaluator', () => {
  let zeta: ZetaSql;
  beforeAll(async () => {
    zeta = await connectWarehouseZetaSql();
  });
  afterAll(() => zeta.close());

  it('has a hand-worked answer for every metric query the job runs', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...METRIC_QUERIES].sort());
  });

  it.each(METRIC_QUERIES)('sql/%s.sql gives the hand-worked answer', async (query) => {
    const rows = await zeta.evaluate(await readSqlFile(`${query}.sql`), { tables: TABLES, params: PARAMS });
    expectRows(rows as SqlRow[], EXPECTED[query] ?? [], KEYS);
  });

  it('sql/metric_reorder.sql judges by the reorder rule bound to it: without the lapse, more is due', async () => {
    const rows = await zeta.evaluate(await readSqlFile('metric_reorder.sql'), { tables: TABLES, params: WITHOUT_LAPSE.params });
    expectRows(rows as SqlRow[], WITHOUT_LAPSE.expected, KEYS);
  });

  it('sql/metric_reorder.sql judges by the reorder model in force as the window began, once one is fitted', async () => {
    const rows = await zeta.evaluate(await readSqlFile('metric_reorder.sql'), { tables: WITH_MODEL.tables, params: PARAMS });
    expectRows(rows as SqlRow[], WITH_MODEL.expected, KEYS);
  });

  it('sql/metric_cart.sql gives one avg_cart_value row per day of a longer window', async () => {
    const rows = await zeta.evaluate(await readSqlFile('metric_cart.sql'), { tables: TABLES, params: TWO_DAYS });
    expectRows(rows as SqlRow[], EXPECTED_TWO_DAYS, KEYS);
  });

  it.each(METRIC_QUERIES)('sql/%s.sql counts another shopper’s events under the same event ids as that shopper’s own', async (query) => {
    const rows = await zeta.evaluate(await readSqlFile(`${query}.sql`), { tables: TABLES_WITH_SAME_IDS, params: PARAMS });
    expectRows(rows as SqlRow[], EXPECTED_WITH_SAME_IDS[query] ?? [], KEYS);
  });

  it('answers no row for a window without data, rather than rows of 0 / 0', async () => {
    const empty = { ...PARAMS, as_of: new Date('2025-01-02T00:00:00Z'), window_start: new Date('2025-01-01T00:00:00Z') };
    for (const query of METRIC_QUERIES) {
      expect(await zeta.evaluate(await readSqlFile(`${query}.sql`), { tables: TABLES, params: empty }), query).toEqual([]);
    }
  });
});

describe('the Wilson interval the answers are worked out with', () => {
  it('matches the formula worked by hand', () => {
    // 4 of 9: p = 0.4444, z²/n = 3.8416 / 9 = 0.42684; centre (0.4444 + 0.21342) / 1.42684 = 0.46107;
    // half-width 1.96 · √(0.4444 · 0.5556 / 9 + 3.8416 / 324) / 1.42684 = 1.96 · 0.19822 / 1.42684 = 0.27229.
    expect(wilson(4, 9).ci_low).toBeCloseTo(0.18878, 4);
    expect(wilson(4, 9).ci_high).toBeCloseTo(0.73336, 4);
    // All of n: the upper end is 1 exactly; none of n: the lower end is 0.
    expect(wilson(3, 3).ci_high).toBeCloseTo(1, 12);
    expect(wilson(0, 3).ci_low).toBeCloseTo(0, 12);
  });
});
