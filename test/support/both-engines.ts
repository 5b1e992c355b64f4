import { afterAll, beforeAll, describe, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import type { SqlParams, SqlRow } from '../../functions/warehouse/ports.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { expectRows } from '../patterns/answers.ts';
import { connectWarehouseZetaSql, type ZetaSql } from './zetasql.ts';

export type HandWorked = {
  tables: Record<string, SqlRow[]>;
  params: SqlParams;
  expected: SqlRow[];
  /** The columns that name a row, to match answers whatever their order. */
  keys: string[];
};

/**
 * A `sql/` file's hand-worked answer, held on ZetaSQL's reference evaluator (BigQuery's semantics) and on DuckDB
 * (the local warehouse), with the same tables and parameters: `what` says what the answer is.
 */
export function describeOnBothEngines(file: string, what: string, worked: HandWorked): void {
  describe(`sql/${file}`, () => {
    let zeta: ZetaSql;
    let duck: DuckDbWarehouse;
    beforeAll(async () => {
      zeta = await connectWarehouseZetaSql();
      duck = await createDuckDbWarehouse(':memory:');
      for (const [table, rows] of Object.entries(worked.tables)) await duck.replaceRows(table, rows, 'test');
    });
    afterAll(async () => {
      zeta.close();
      await duck.close();
    });

    it(`${what}, on ZetaSQL (BigQuery’s semantics)`, async () => {
      const rows = await zeta.evaluate(await readSqlFile(file), { tables: worked.tables, params: worked.params });
      expectRows(rows as SqlRow[], worked.expected, worked.keys);
    });

    it('gives the same answer on DuckDB', async () => {
      const { rows } = await duck.query(file, worked.params, 'test');
      expectRows(rows, worked.expected, worked.keys);
    });
  });
}
