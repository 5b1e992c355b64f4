import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { RETAINED_TABLES } from '../../functions/retention/job.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { expectRows } from '../patterns/answers.ts';
import { connectWarehouseZetaSql, type ZetaSql } from '../support/zetasql.ts';
import { EXPIRED, loadTables, PARAMS, TABLES } from './fixtures.ts';

// ZetaSQL evaluates queries only, so the retention predicate is checked through retention_expired.sql,
// whose branches must be the DELETEs' predicates word for word.

/** The statement without comments, its whitespace collapsed. */
const normalize = (sql: string) =>
  sql
    .replace(/--[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** Each branch's table and WHERE clause in retention_expired.sql. */
async function expiredPredicates(): Promise<Map<string, string>> {
  const branches = normalize(await readSqlFile('retention_expired.sql')).split(' UNION ALL ');
  return new Map(
    branches.map((branch) => {
      const match = /FROM (\w+) AS t WHERE (.+)$/.exec(branch);
      if (!match) throw new Error(`retention_expired.sql: a branch without FROM <table> AS t WHERE: ${branch}`);
      return [match[1] ?? '', match[2] ?? ''];
    }),
  );
}

describe('the retention predicate', () => {
  it.each(RETAINED_TABLES)('sql/retain_%s.sql deletes what retention_expired.sql counts, by the same WHERE', async (table) => {
    const match = /^DELETE FROM (\w+) AS t WHERE (.+)$/.exec(normalize(await readSqlFile(`retain_${table}.sql`)));
    expect(match?.[1]).toBe(table);
    expect(match?.[2]).toBe((await expiredPredicates()).get(table));
  });

  it('counts each table in retention_expired.sql', async () => {
    expect([...(await expiredPredicates()).keys()]).toEqual([...RETAINED_TABLES]);
  });
});

describe('sql/retention_expired.sql gives the hand-worked counts', () => {
  let zeta: ZetaSql;
  let duckDb: DuckDbWarehouse;
  beforeAll(async () => {
    zeta = await connectWarehouseZetaSql();
    duckDb = await createDuckDbWarehouse(':memory:');
    await loadTables(duckDb);
  });
  afterAll(async () => {
    zeta.close();
    await duckDb.close();
  });

  it('on ZetaSQL’s reference evaluator (BigQuery’s semantics)', async () => {
    const rows = await zeta.evaluate(await readSqlFile('retention_expired.sql'), { tables: TABLES, params: PARAMS });
    expectRows(rows as SqlRow[], EXPIRED, ['table_name']);
  });

  it('on DuckDB, through the dialect bridge', async () => {
    const { rows } = await duckDb.query('retention_expired.sql', PARAMS, 'test');
    expectRows(rows, EXPIRED, ['table_name']);
  });
});
