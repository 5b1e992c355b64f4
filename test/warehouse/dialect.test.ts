import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseTableDdl } from '../../functions/warehouse/ddl.ts';
import {
  DUCKDB_PRELUDE,
  duckDbType,
  parameterNames,
  renderDuckDbTable,
  toDuckDbDdl,
  toDuckDbQuery,
  usedParams,
} from '../../functions/warehouse/dialect.ts';
import { readTableDdl, WAREHOUSE_TABLES } from '../../functions/warehouse/sql-files.ts';
import { duckDbParam } from '../../functions/adapters/local/duckdb-warehouse.ts';

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
        '  "import_id" VARCHAR,',
        '  PRIMARY KEY ("user_id", "event_id", "line")',
        ');',
        '',
      ].join('\n'),
    );
  });

  it.each([
    // An event is (user_id, event_id): clients make the ids, and two shoppers' clients may make the same one.
    ['events', 'PRIMARY KEY ("user_id", "event_id")'],
    ['order_items', 'PRIMARY KEY ("user_id", "event_id", "line")'],
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

  it.each(WAREHOUSE_TABLES)('creates %s as a TEMP table exactly when it is a job’s staging table', async (table) => {
    const ddl = toDuckDbDdl(await readTableDdl(table));
    expect(ddl.startsWith(`CREATE ${table.endsWith('_staging') ? 'TEMP ' : ''}TABLE IF NOT EXISTS "${table}" (`)).toBe(true);
  });

  it('throws for a table that has not declared how DuckDB keeps it idempotent', () => {
    expect(() => toDuckDbDdl('CREATE TABLE IF NOT EXISTS shopper_segments (day STRING NOT NULL)')).toThrow(
      /no DuckDB key declared for table shopper_segments/,
    );
  });

  it('throws when a declared key column is missing from the DDL', () => {
    expect(() => toDuckDbDdl('CREATE TABLE IF NOT EXISTS order_items (user_id STRING NOT NULL, event_id STRING NOT NULL)')).toThrow(
      /key column line is not a column/,
    );
  });

  it('throws on what the parser does not understand rather than passing it through', () => {
    expect(() => toDuckDbDdl('CREATE TABLE IF NOT EXISTS events (event_id STRING NOT NULL, amount NUMERIC)')).toThrow(
      /unsupported column type NUMERIC/,
    );
    expect(() => toDuckDbDdl('CREATE TABLE IF NOT EXISTS events (event_id STRING NOT NULL) PARTITION BY RANGE_BUCKET(x, y)')).toThrow();
  });

  it('quotes identifiers so that a column named like a keyword stays a column', () => {
    const ddl = renderDuckDbTable({
      table: 'events',
      columns: [
        { name: 'user_id', type: 'STRING', notNull: true, options: {} },
        { name: 'event_id', type: 'STRING', notNull: true, options: {} },
        { name: 'select', type: 'INT64', notNull: false, options: {} },
      ],
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

describe('the BigQuery → DuckDB query bridge', () => {
  it('changes the parameter sigil in code only, not in strings, quoted names or comments', () => {
    const sql = "SELECT @as_of, '@as_of', \"it's @x\", `a@b` -- @since\nFROM t WHERE t.x >= @since /* @y */";
    expect(toDuckDbQuery(sql)).toBe("SELECT $as_of, '@as_of', \"it's @x\", `a@b` -- @since\nFROM t WHERE t.x >= $since /* @y */");
  });

  it('keeps an escaped quote inside a string', () => {
    expect(toDuckDbQuery("SELECT 'a\\'@b', @c")).toBe("SELECT 'a\\'@b', $c");
  });

  it('names the column of an UNNEST alias, and leaves one already named alone', () => {
    expect(toDuckDbQuery('FROM l CROSS JOIN UNNEST(l.dietary_tags) AS tag GROUP BY tag')).toBe(
      'FROM l CROSS JOIN UNNEST(l.dietary_tags) AS tag(tag) GROUP BY tag',
    );
    expect(toDuckDbQuery('FROM UNNEST(x) AS t(v)')).toBe('FROM UNNEST(x) AS t(v)');
  });

  it('tests membership in a list parameter DuckDB’s way', async () => {
    expect(toDuckDbQuery('DELETE FROM t WHERE user_id IN UNNEST(@user_ids)')).toBe(
      'DELETE FROM t WHERE user_id IN (SELECT UNNEST($user_ids))',
    );
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      toDuckDbQuery("SELECT x FROM (VALUES ('a'), ('b'), ('c')) AS t(x) WHERE x IN UNNEST(@xs) ORDER BY x"),
      {
        xs: duckDbParam(['a', 'c']),
      },
    );
    expect(reader.getRowObjectsJS()).toEqual([{ x: 'a' }, { x: 'c' }]);
    connection.closeSync();
    instance.closeSync();
  });

  it('throws on an unterminated string or comment instead of guessing', () => {
    expect(() => toDuckDbQuery("SELECT 'abc")).toThrow(/unterminated '/);
    expect(() => toDuckDbQuery('SELECT 1 /* x')).toThrow(/unterminated comment/);
  });

  it('lists the parameters a statement uses and binds only those', () => {
    const sql = "SELECT * FROM t WHERE a >= @since AND b < @as_of AND c = '@not' AND d >= @since";
    expect(parameterNames(sql)).toEqual(['since', 'as_of']);
    expect(usedParams(sql, { as_of: 1, since: 2, job: 3 }, 'x.sql')).toEqual({ since: 2, as_of: 1 });
    expect(() => usedParams(sql, { as_of: 1 }, 'x.sql')).toThrow('sql/x.sql needs the parameter @since');
  });

  describe('prelude, on a real DuckDB, gives BigQuery’s results', () => {
    let instance: DuckDBInstance;
    let connection: DuckDBConnection;
    beforeAll(async () => {
      instance = await DuckDBInstance.create(':memory:');
      connection = await instance.connect();
      await connection.run("SET TimeZone = 'UTC'");
      for (const statement of DUCKDB_PRELUDE) await connection.run(statement);
    });
    afterAll(() => {
      connection.closeSync();
      instance.closeSync();
    });

    // Each expected value is what BigQuery documents for the same call.
    it.each([
      ["UNIX_SECONDS(TIMESTAMP '2008-12-25 15:30:00.900+00')", 1230219000],
      ['UNIX_SECONDS(TIMESTAMP_SECONDS(1230219000))', 1230219000],
      // 2026-03-01T00:00:00Z is 1772323200.
      ['UNIX_SECONDS(TIMESTAMP_SUB(TIMESTAMP_SECONDS(1772323200), INTERVAL 180 DAY))', 1772323200 - 180 * 86400],
      ['UNIX_SECONDS(TIMESTAMP_ADD(TIMESTAMP_SECONDS(1772323200), INTERVAL 1 DAY))', 1772323200 + 86400],
      ['SAFE_DIVIDE(1, 0)', null],
      ['SAFE_DIVIDE(3, 2)', 1.5],
      ['DIV(7, 2)', 3],
      ['DIV(-7, 2)', -3],
      ['CAST(2.5 AS FLOAT64)', 2.5],
      // JSON as the metric queries read it: compact text, scalars without quotes, arrays' elements.
      [`TO_JSON_STRING(PARSE_JSON('{"personalization": "control",  "ranking": "v2"}'))`, '{"personalization":"control","ranking":"v2"}'],
      ['TO_JSON_STRING(CAST(NULL AS JSON))', null],
      [`JSON_VALUE(PARSE_JSON('{"arm": "control"}'), '$.arm')`, 'control'],
      [`JSON_VALUE(PARSE_JSON('{"position": 3}'), '$.position')`, '3'],
      [`JSON_VALUE(PARSE_JSON('{"results": []}'), '$.results')`, null],
      [`JSON_VALUE(PARSE_JSON('{"result": {"position": 1}}'), '$.result')`, null],
      [`JSON_VALUE(PARSE_JSON('{"position": null}'), '$.position')`, null],
      [`ARRAY_LENGTH(JSON_QUERY_ARRAY(PARSE_JSON('{"results": [{"position": 1}, {"position": 2}]}'), '$.results'))`, 2],
      [`ARRAY_LENGTH(JSON_QUERY_ARRAY(PARSE_JSON('{"results": []}'), '$.results'))`, 0],
    ])('%s = %s', async (expression, expected) => {
      const reader = await connection.runAndReadAll(`SELECT ${expression} AS v`);
      const [row] = reader.getRowObjectsJS();
      const value = row?.v;
      expect(typeof value === 'bigint' ? Number(value) : value).toEqual(expected);
    });
  });
});
