import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseTableDdl } from '../../functions/warehouse/ddl.ts';
import { duckDbType, renderDuckDbTable, toDuckDbDdl } from '../../functions/warehouse/dialect.ts';
import { readTableDdl, WAREHOUSE_TABLES } from '../../functions/warehouse/sql-files.ts';

describe('the BigQuery → DuckDB DDL bridge', () => {
  it.each([
    ['STRING', 'VARCHAR'],
    ['INT64', 'BIGINT'],
    ['FLOAT64', 'DOUBLE'],
    ['BOOL', 'BOOLEAN'],
    ['TIMESTAMP', 'TIMESTAMPTZ'],
    ['JSON', 'JSON'],
    ['ARRAY<STRING>', 'VARCHAR[]'],
    ['ARRAY<INT64>', 'BIGINT[]'],
  ] as const)('maps %s to %s', (bigQuery, duckDb) => {
    expect(duckDbType(bigQuery)).toBe(duckDb);
  });

  it('turns order_items into a keyed DuckDB table without partitioning, clustering or options', async () => {
    expect(toDuckDbDdl(await readTableDdl('order_items'))).toBe(
      [
        'CREATE TABLE IF NOT EXISTS "order_items" (',
        '  "event_id" VARCHAR NOT NULL,',
        '  "line" BIGINT NOT NULL,',
        '  "order_id" VARCHAR NOT NULL,',
        '  "user_id" VARCHAR NOT NULL,',
        '  "event_time" TIMESTAMPTZ NOT NULL,',
        '  "sku" VARCHAR NOT NULL,',
        '  "product_name" VARCHAR NOT NULL,',
        '  "category" VARCHAR NOT NULL,',
        '  "brand" VARCHAR,',
        '  "price" DOUBLE NOT NULL,',
        '  "quantity" DOUBLE NOT NULL,',
        '  "promotion" VARCHAR,',
        '  "dietary_tags" VARCHAR[],',
        '  PRIMARY KEY ("event_id", "line")',
        ');',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['events', 'PRIMARY KEY ("event_id")'],
    ['order_items', 'PRIMARY KEY ("event_id", "line")'],
  ] as const)('keys %s by %s', async (table, key) => {
    expect(toDuckDbDdl(await readTableDdl(table))).toContain(key);
  });

  it('gives rejected_events no key: event_index is NULL for a whole unreadable message', async () => {
    expect(toDuckDbDdl(await readTableDdl('rejected_events'))).not.toContain('PRIMARY KEY');
  });

  it.each(WAREHOUSE_TABLES)('keeps every column of %s with its NOT NULL and drops every BigQuery-only clause', async (table) => {
    const bigQuery = parseTableDdl(await readTableDdl(table));
    const duckDb = toDuckDbDdl(await readTableDdl(table));
    const lines = duckDb.split('\n').map((line) => line.trim().replace(/,$/, ''));
    for (const column of bigQuery.columns) {
      expect(lines).toContain(`"${column.name}" ${duckDbType(column.type)}${column.notNull ? ' NOT NULL' : ''}`);
    }
    expect(duckDb).not.toMatch(/PARTITION|CLUSTER|OPTIONS|description|INT64|FLOAT64|STRING|TIMESTAMP[^T]/);
  });

  it('throws for a table that has not declared how DuckDB keeps it idempotent', () => {
    expect(() => toDuckDbDdl('CREATE TABLE IF NOT EXISTS user_patterns (user_id STRING NOT NULL)')).toThrow(/no DuckDB key declared for table user_patterns/);
  });

  it('throws when a declared key column is missing from the DDL', () => {
    expect(() => toDuckDbDdl('CREATE TABLE IF NOT EXISTS order_items (event_id STRING NOT NULL)')).toThrow(/key column line is not a column/);
  });

  it('throws on what the parser does not understand rather than passing it through', () => {
    expect(() => toDuckDbDdl('CREATE TABLE IF NOT EXISTS events (event_id STRING NOT NULL, amount NUMERIC)')).toThrow(/unsupported column type NUMERIC/);
    expect(() => toDuckDbDdl('CREATE TABLE IF NOT EXISTS events (event_id STRING NOT NULL) PARTITION BY RANGE_BUCKET(x, y)')).toThrow();
  });

  it('quotes identifiers so that a column named like a keyword stays a column', () => {
    const ddl = renderDuckDbTable({
      table: 'events',
      columns: [{ name: 'event_id', type: 'STRING', notNull: true, options: {} }, { name: 'select', type: 'INT64', notNull: false, options: {} }],
      partitionBy: null,
      clusterBy: [],
      options: {},
    });
    expect(ddl).toContain('"select" BIGINT');
  });

  describe('on a real DuckDB', () => {
    let instance: DuckDBInstance;
    let connection: DuckDBConnection;
    beforeAll(async () => {
      instance = await DuckDBInstance.create(':memory:');
      connection = await instance.connect();
    });
    afterAll(() => {
      connection.closeSync();
      instance.closeSync();
    });

    it.each(WAREHOUSE_TABLES)('creates %s with the mapped types and nullability, twice without error', async (table) => {
      const sql = toDuckDbDdl(await readTableDdl(table));
      await connection.run(sql);
      await connection.run(sql);
      const reader = await connection.runAndReadAll(
        'SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $table ORDER BY ordinal_position',
        { table },
      );
      const expected = parseTableDdl(await readTableDdl(table)).columns.map((c) => ({
        column_name: c.name,
        data_type: duckDbType(c.type).replace('TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE'),
        is_nullable: c.notNull ? 'NO' : 'YES',
      }));
      expect(reader.getRowObjectsJson()).toEqual(expected);
    });
  });
});
