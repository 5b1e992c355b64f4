import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { connectWarehouseZetaSql, type ZetaSql } from '../support/zetasql.ts';
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

// ZetaSQL's reference evaluator is BigQuery's semantics: these are the answers BigQuery would give.
// analyses.duckdb.test.ts holds the local warehouse to the same hand-worked answers.
describe('pattern analyses on ZetaSQL’s reference evaluator', () => {
  let zeta: ZetaSql;
  beforeAll(async () => {
    zeta = await connectWarehouseZetaSql();
  });
  afterAll(() => zeta.close());

  it.each(Object.keys(EXPECTED))('sql/%s.sql gives the hand-worked answer', async (analysis) => {
    const rows = await zeta.evaluate(await readSqlFile(`${analysis}.sql`), { tables: TABLES, params: PARAMS });
    expectRows(rows as SqlRow[], EXPECTED[analysis] ?? [], KEYS[analysis] ?? []);
  });

  it.each(REBOUND)('$analysis follows its parameters: $change', async ({ analysis, params, expected }) => {
    const rows = await zeta.evaluate(await readSqlFile(`${analysis}.sql`), { tables: TABLES, params });
    expectRows(rows as SqlRow[], expected(EXPECTED[analysis] ?? []), KEYS[analysis] ?? []);
  });

  it('sql/reorder_outcomes.sql learns nothing from a shopper who turned learning of their schedule off', async () => {
    const rows = await zeta.evaluate(await readSqlFile('reorder_outcomes.sql'), {
      tables: REORDER_OUTCOMES_WITHOUT_U4.tables,
      params: PARAMS,
    });
    expectRows(rows as SqlRow[], REORDER_OUTCOMES_WITHOUT_U4.expected, KEYS.reorder_outcomes ?? []);
  });

  it.each(Object.keys(STAGED))('sql/%s.sql inserts the hand-worked rows into its emptied table, and nothing else', async (file) => {
    const { table, rows, key } = STAGED[file]!;
    const { table: changed, changes } = await zeta.evaluateModify(await readSqlFile(`${file}.sql`), {
      tables: { ...TABLES, [table]: [] },
      params: PARAMS,
    });

    expect(changed).toBe(table);
    expect(changes.map((c) => c.operation)).toEqual(rows.map(() => 'INSERT'));
    expectRows(changes.map((c) => c.row) as SqlRow[], rows, key);
  });

  it.each(Object.keys(EXPECTED))(
    'sql/%s.sql gives the hand-worked answer from the lines and engagement the slice staged itself',
    async (analysis) => {
      // From events and order_items as stored, redelivered rows and u7's rows under u1's event ids included: the
      // run's staging first, then the slice's out of it.
      const stage = async (file: string, table: string, from: Record<string, SqlRow[]>) =>
        (await zeta.evaluateModify(await readSqlFile(`${file}.sql`), { tables: { ...from, [table]: [] }, params: PARAMS })).changes.map(
          (c) => c.row as SqlRow,
        );
      const run = {
        ...TABLES,
        run_order_lines_staging: await stage('stage_run_order_lines', 'run_order_lines_staging', TABLES),
        run_engagement_staging: await stage('stage_run_engagement', 'run_engagement_staging', TABLES),
      };
      const tables = {
        ...run,
        order_lines_staging: await stage('stage_order_lines', 'order_lines_staging', run),
        engagement_staging: await stage('stage_engagement', 'engagement_staging', run),
      };
      const rows = await zeta.evaluate(await readSqlFile(`${analysis}.sql`), { tables, params: PARAMS });
      expectRows(rows as SqlRow[], EXPECTED[analysis] ?? [], KEYS[analysis] ?? []);
    },
  );

  it.each(SLICE_RANGE)('sql/$file.sql stages only the slice’s range of shoppers, u3 to u4', async ({ file, table, rows, key }) => {
    const { changes } = await zeta.evaluateModify(await readSqlFile(`${file}.sql`), {
      tables: { ...TABLES, [table]: [] },
      params: { ...PARAMS, first_shopper: 'u3', last_shopper: 'u4' },
    });
    expectRows(
      changes.map((c) => c.row as SqlRow),
      rows,
      key,
    );
  });

  it('sql/price_sensitivity.sql reads no ranges staged for another @as_of', async () => {
    const stale = PRICE_RANGES.map((r) => ({ ...r, as_of: '2026-02-28T00:00:00.000Z' }));
    const rows = await zeta.evaluate(await readSqlFile('price_sensitivity.sql'), {
      tables: { ...TABLES, category_price_ranges_staging: stale },
      params: PARAMS,
    });
    expect(rows).toEqual([]);
  });

  it.each(ANALYSES)('sql/%s.sql reads no order lines or engagement staged for another @as_of', async (analysis) => {
    const stale = (rows: SqlRow[]) => rows.map((r) => ({ ...r, as_of: '2026-02-28T00:00:00.000Z' }));
    const tables = { ...TABLES, order_lines_staging: stale(ORDER_LINES), engagement_staging: stale(ENGAGEMENT) };
    expect(await zeta.evaluate(await readSqlFile(`${analysis}.sql`), { tables, params: PARAMS })).toEqual([]);
  });
});
