import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { ERASED_TABLES } from '../../functions/erasure/job.ts';
import { parseTableDdl, type ColumnType, type ScalarType, type TableDdl } from '../../functions/warehouse/ddl.ts';
import type { SqlValue } from '../../functions/warehouse/ports.ts';

/**
 * Erasure is complete only if it reaches every table that can hold a shopper. This test finds them
 * itself — every CREATE TABLE file of `sql/` with a `user_id` column — so a table added later fails
 * here until the erasure job deletes it (`sql/erase_<table>.sql`, listed in ERASED_TABLES) and
 * verifies it (`sql/erasure_remaining.sql`).
 */

const SQL_DIR = new URL('../../sql/', import.meta.url);
const files = new Map(
  await Promise.all(
    (await readdir(SQL_DIR))
      .filter((name) => name.endsWith('.sql'))
      .map(async (name) => [name, await readFile(new URL(name, SQL_DIR), 'utf8')] as const),
  ),
);

/** The statement without its comments, so that a table named only in a comment does not count. */
const code = (sql: string) => sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');

const tables: TableDdl[] = [...files.values()].filter((sql) => /^\s*CREATE\s+TABLE\b/im.test(code(sql))).map((sql) => parseTableDdl(sql));
const withUserId = tables.filter((t) => t.columns.some((c) => c.name === 'user_id'));
const remaining = code(files.get('erasure_remaining.sql') ?? '');

describe('every table that can hold a shopper is erased and verified', () => {
  it('finds the tables with a user_id column in sql/', () => {
    expect(withUserId.map((t) => t.table)).toEqual(expect.arrayContaining(['events', 'order_items', 'rejected_events', 'user_patterns']));
  });

  it('the erasure job runs exactly those tables', () => {
    expect([...ERASED_TABLES].sort()).toEqual(withUserId.map((t) => t.table).sort());
  });

  for (const table of withUserId) {
    describe(table.table, () => {
      it(`has sql/erase_${table.table}.sql: a DELETE of @user_ids, with the partition filter the table requires`, () => {
        const erase = files.get(`erase_${table.table}.sql`);
        expect(erase, `sql/erase_${table.table}.sql is missing`).toBeDefined();
        const statement = code(erase ?? '');
        expect(statement).toMatch(new RegExp(`^\\s*DELETE\\s+FROM\\s+${table.table}\\s+WHERE\\b`, 'i'));
        expect(statement).toMatch(/\buser_id\s+IN\s+UNNEST\(@user_ids\)/i);
        if (table.options.require_partition_filter === true && table.partitionBy) {
          expect(statement).toMatch(new RegExp(`\\b${table.partitionBy.column}\\s*>=`, 'i'));
        }
      });

      it('is counted by sql/erasure_remaining.sql', () => {
        expect(remaining).toMatch(new RegExp(`\\bFROM\\s+${table.table}\\b`, 'i'));
        expect(remaining).toMatch(new RegExp(`'${table.table}'`));
      });
    });
  }
});

describe('the erase files and the check do what they say, table by table (DuckDB)', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
  });
  afterAll(() => warehouse.close());

  /** Rows of any table, from its DDL alone: every column filled, keys unique per shopper. */
  async function insert(table: TableDdl, userIds: readonly string[]): Promise<void> {
    const rows = userIds.map((userId) =>
      Object.fromEntries(table.columns.map((c) => [c.name, c.name === 'user_id' ? userId : sample(c.type, `${c.name}-${userId}`)])),
    );
    await warehouse.replaceRows(table.table, rows, 'test');
  }

  for (const table of withUserId) {
    it(`${table.table}: counted, then deleted for the erased shopper only`, async () => {
      await insert(table, ['erase-me', 'keep-me']);
      const params = { user_ids: ['erase-me'] };

      const before = await warehouse.query('erasure_remaining.sql', params, 'test');
      expect(before.rows).toContainEqual({ user_id: 'erase-me', table_name: table.table, remaining: 1 });
      expect(await warehouse.execute(`erase_${table.table}.sql`, params, 'test')).toMatchObject({ affectedRows: 1 });
      const after = await warehouse.query('erasure_remaining.sql', params, 'test');
      expect(after.rows.filter((r) => r.table_name === table.table)).toEqual([]);
      expect(await warehouse.sql(`SELECT user_id FROM ${table.table}`)).toEqual([{ user_id: 'keep-me' }]);
    });
  }
});

/** A value of the column's type, as the port takes it; strings are `text`, so that key columns differ between shoppers. */
function sample(type: ColumnType, text: string): SqlValue {
  const element = /^ARRAY<(.+)>$/.exec(type)?.[1];
  if (element) return [sample(element as ColumnType, text)];
  switch (type as ScalarType) {
    case 'STRING':
      return text;
    case 'INT64':
      return 1;
    case 'FLOAT64':
      return 1.5;
    case 'BOOL':
      return true;
    case 'TIMESTAMP':
      return '2026-11-20T09:00:00.000Z';
    case 'JSON':
      return '{}';
  }
}
