import { afterAll, beforeAll, describe, it } from 'vitest';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { connectWarehouseZetaSql, type ZetaSql } from '../support/zetasql.ts';
import { expectRows } from './answers.ts';
import { EXPECTED, KEYS, PARAMS, TABLES } from './fixtures.ts';

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
});
