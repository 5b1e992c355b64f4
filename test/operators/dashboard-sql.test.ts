import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { RUNS_PER_JOB } from '../../functions/operators/dashboard-data.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { expectRows } from '../patterns/answers.ts';
import { connectWarehouseZetaSql, type ZetaSql } from '../support/zetasql.ts';
import { ANSWERS, ANSWERS_WITH_SAME_ID, loadDashboardTables, PARAMS, SAME_ID_EVENT, TABLES } from './dashboard-fixtures.ts';

const FILES = Object.keys(ANSWERS);

describe('sql/dashboard_*.sql give the hand-worked answers', () => {
  let zeta: ZetaSql;
  let duckDb: DuckDbWarehouse;
  beforeAll(async () => {
    zeta = await connectWarehouseZetaSql();
    duckDb = await createDuckDbWarehouse(':memory:');
    await loadDashboardTables(duckDb);
  });
  afterAll(async () => {
    zeta.close();
    await duckDb.close();
  });

  it.each(FILES)('%s on ZetaSQL’s reference evaluator (BigQuery’s semantics)', async (file) => {
    const answer = ANSWERS[file] ?? { rows: [], keys: [] };
    // ZetaSQL takes the duplicate row of `b` as it is: only the SQL keeps one row per (user_id, event_id).
    const rows = await zeta.evaluate(await readSqlFile(`${file}.sql`), { tables: TABLES, params: PARAMS });
    expectRows(rows as SqlRow[], answer.rows, answer.keys);
  });

  it.each(FILES)('%s on DuckDB, through the dialect bridge', async (file) => {
    const answer = ANSWERS[file] ?? { rows: [], keys: [] };
    const { rows } = await duckDb.query(`${file}.sql`, PARAMS, 'test');
    expectRows(rows, answer.rows, answer.keys);
  });

  it('lists every dashboard file of sql/', async () => {
    const files = (await readdir(new URL('../../sql/', import.meta.url)))
      .filter((f) => f.startsWith('dashboard_'))
      .map((f) => f.replace(/\.sql$/, ''));
    expect(files.sort()).toEqual([...FILES].sort());
  });

  it('answers in order: oldest first, jobs by name', async () => {
    const { rows } = await duckDb.query('dashboard_job_runs.sql', { ...PARAMS, runs_per_job: RUNS_PER_JOB }, 'test');
    expect(rows.map((r) => r.run_id)).toEqual(['e1', 'p1', 'p2', 'p3']);
  });
});

describe('sql/dashboard_*.sql count another shopper’s event under the same event_id as an event of its own', () => {
  const files = Object.keys(ANSWERS_WITH_SAME_ID);
  const tables = { ...TABLES, events: [...TABLES.events, SAME_ID_EVENT] };
  let zeta: ZetaSql;
  let duckDb: DuckDbWarehouse;
  beforeAll(async () => {
    zeta = await connectWarehouseZetaSql();
    duckDb = await createDuckDbWarehouse(':memory:');
    await duckDb.replaceRows('events', tables.events, 'test');
  });
  afterAll(async () => {
    zeta.close();
    await duckDb.close();
  });

  it.each(files)('%s on ZetaSQL’s reference evaluator', async (file) => {
    const answer = ANSWERS_WITH_SAME_ID[file] ?? { rows: [], keys: [] };
    const rows = await zeta.evaluate(await readSqlFile(`${file}.sql`), { tables, params: PARAMS });
    expectRows(rows as SqlRow[], answer.rows, answer.keys);
  });

  it.each(files)('%s on DuckDB', async (file) => {
    const answer = ANSWERS_WITH_SAME_ID[file] ?? { rows: [], keys: [] };
    const { rows } = await duckDb.query(`${file}.sql`, PARAMS, 'test');
    expectRows(rows, answer.rows, answer.keys);
  });
});
