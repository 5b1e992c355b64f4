import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { parseTableDdl } from '../../functions/warehouse/ddl.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { readSqlFile, readTableDdl, WAREHOUSE_TABLES } from '../../functions/warehouse/sql-files.ts';
import { connectZetaSql, type ZetaSql } from '../support/zetasql.ts';
import { expectRows } from './answers.ts';
import { EXPECTED, KEYS, PARAMS, TABLES } from './fixtures.ts';

// ZetaSQL's reference evaluator is BigQuery's semantics: these are the answers BigQuery would give.
// analyses.duckdb.test.ts holds the local warehouse to the same hand-worked answers.
describe('pattern analyses on ZetaSQL’s reference evaluator', () => {
  let zeta: ZetaSql;
  beforeAll(async () => {
    const tables = await Promise.all(WAREHOUSE_TABLES.map(async (t) => parseTableDdl(await readTableDdl(t))));
    zeta = await connectZetaSql(inject('zetasqlPort'), tables);
  });
  afterAll(() => zeta.close());

  it.each(Object.keys(EXPECTED))('sql/%s.sql gives the hand-worked answer', async (analysis) => {
    const rows = await zeta.evaluate(await readSqlFile(`${analysis}.sql`), { tables: TABLES, params: PARAMS });
    expectRows(rows as SqlRow[], EXPECTED[analysis] ?? [], KEYS[analysis] ?? []);
  });
});
