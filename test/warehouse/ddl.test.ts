import { describe, expect, it } from 'vitest';
import { parseTableDdl, tokenize } from '../../functions/warehouse/ddl.ts';
import { readTableDdl, WAREHOUSE_TABLES } from '../../functions/warehouse/sql-files.ts';

describe('the BigQuery DDL parser', () => {
  it('reads columns, types, NOT NULL, column options, partitioning, clustering and table options', () => {
    const ddl = parseTableDdl(`
      -- a comment, with 'quotes' and (parentheses)
      create table if not exists visits (
        id STRING NOT NULL OPTIONS (description = 'the key, (really), it\\'s not'),
        n int64,
        tags ARRAY<STRING>,
        at TIMESTAMP NOT NULL
      )
      PARTITION BY DATE(at)
      CLUSTER BY id, n
      OPTIONS (require_partition_filter = TRUE, partition_expiration_days = 30, description = "Visits; \\"all\\" of them");
    `);

    expect(ddl).toEqual({
      table: 'visits',
      columns: [
        { name: 'id', type: 'STRING', notNull: true, options: { description: "the key, (really), it's not" } },
        { name: 'n', type: 'INT64', notNull: false, options: {} },
        { name: 'tags', type: 'ARRAY<STRING>', notNull: false, options: {} },
        { name: 'at', type: 'TIMESTAMP', notNull: true, options: {} },
      ],
      partitionBy: { column: 'at', byDate: true },
      clusterBy: ['id', 'n'],
      options: { require_partition_filter: true, partition_expiration_days: 30, description: 'Visits; "all" of them' },
    });
  });

  it('reads a table with no partitioning, clustering or options, and a backquoted name', () => {
    expect(parseTableDdl('CREATE TABLE IF NOT EXISTS `t` (a BOOL, b FLOAT64, c JSON)')).toEqual({
      table: 't',
      columns: [
        { name: 'a', type: 'BOOL', notNull: false, options: {} },
        { name: 'b', type: 'FLOAT64', notNull: false, options: {} },
        { name: 'c', type: 'JSON', notNull: false, options: {} },
      ],
      partitionBy: null,
      clusterBy: [],
      options: {},
    });
  });

  it('partitions by a plain column too', () => {
    expect(parseTableDdl('CREATE TABLE IF NOT EXISTS t (d TIMESTAMP) PARTITION BY d').partitionBy).toEqual({ column: 'd', byDate: false });
  });

  it.each(WAREHOUSE_TABLES)('parses sql/%s.sql', async (table) => {
    const ddl = parseTableDdl(await readTableDdl(table));
    expect(ddl.table).toBe(table);
    expect(ddl.columns.length).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['a qualified table name', 'CREATE TABLE IF NOT EXISTS ds.t (a STRING)', /unqualified/],
    ['CREATE without IF NOT EXISTS', 'CREATE TABLE t (a STRING)', /expected CREATE TABLE IF NOT EXISTS/],
    ['CREATE OR REPLACE, which would drop data', 'CREATE OR REPLACE TABLE t (a STRING)', /expected CREATE TABLE IF NOT EXISTS/],
    ['an unknown type', 'CREATE TABLE IF NOT EXISTS t (a NUMERIC)', /unsupported column type NUMERIC/],
    ['a STRUCT', 'CREATE TABLE IF NOT EXISTS t (a STRUCT<b STRING>)', /unsupported column type STRUCT/],
    ['a nested ARRAY', 'CREATE TABLE IF NOT EXISTS t (a ARRAY<ARRAY<STRING>>)', /unsupported column type ARRAY/],
    ['a DEFAULT clause', "CREATE TABLE IF NOT EXISTS t (a STRING DEFAULT 'x')", /expected/],
    ['a table constraint', 'CREATE TABLE IF NOT EXISTS t (a STRING, PRIMARY KEY (a) NOT ENFORCED)', /unsupported column type KEY|expected/],
    ['a column declared twice', 'CREATE TABLE IF NOT EXISTS t (a STRING, A INT64)', /declared twice/],
    ['partitioning on a missing column', 'CREATE TABLE IF NOT EXISTS t (a TIMESTAMP) PARTITION BY DATE(b)', /partition column b/],
    ['DATE() of a non-timestamp', 'CREATE TABLE IF NOT EXISTS t (a STRING) PARTITION BY DATE(a)', /needs a TIMESTAMP/],
    ['another partitioning expression', 'CREATE TABLE IF NOT EXISTS t (a TIMESTAMP) PARTITION BY TIMESTAMP_TRUNC(a, DAY)', /expected/],
    ['clustering on a missing column', 'CREATE TABLE IF NOT EXISTS t (a STRING) CLUSTER BY b', /clustering column b/],
    [
      'five clustering columns',
      'CREATE TABLE IF NOT EXISTS t (a STRING, b STRING, c STRING, d STRING, e STRING) CLUSTER BY a, b, c, d, e',
      /at most 4/,
    ],
    ['a NOT NULL array', 'CREATE TABLE IF NOT EXISTS t (a ARRAY<STRING> NOT NULL)', /cannot be NOT NULL/],
    ['an option given twice', "CREATE TABLE IF NOT EXISTS t (a STRING) OPTIONS (description = 'x', DESCRIPTION = 'y')", /given twice/],
    [
      'an option that is an expression',
      'CREATE TABLE IF NOT EXISTS t (a STRING) OPTIONS (expiration_timestamp = TIMESTAMP "2030-01-01")',
      /expected a string, number/,
    ],
    ['a second statement', 'CREATE TABLE IF NOT EXISTS t (a STRING); DROP TABLE t', /expected the end of the statement/],
    ['a # comment', '# note\nCREATE TABLE IF NOT EXISTS t (a STRING)', /unsupported character "#"/],
    ['a block comment', '/* note */ CREATE TABLE IF NOT EXISTS t (a STRING)', /unsupported character "\/"/],
    ['a triple-quoted string', "CREATE TABLE IF NOT EXISTS t (a STRING) OPTIONS (description = '''x''')", /triple-quoted/],
    ['an unterminated string', "CREATE TABLE IF NOT EXISTS t (a STRING) OPTIONS (description = 'x)", /unterminated string/],
    ['a truncated statement', 'CREATE TABLE IF NOT EXISTS t (a STRING', /found the end of the file/],
    ['an empty column list', 'CREATE TABLE IF NOT EXISTS t ()', /expected column name/],
  ])('throws on %s', (_, sql, message) => {
    expect(() => parseTableDdl(sql)).toThrow(message);
  });

  it('tokenizes words, strings, numbers and punctuation, and skips comments', () => {
    expect(tokenize("a_1 -- gone\n'x\\'y' 730 (,)")).toEqual([
      { kind: 'word', value: 'a_1', quoted: false },
      { kind: 'string', value: "x'y" },
      { kind: 'number', value: 730 },
      { kind: 'punct', value: '(' },
      { kind: 'punct', value: ',' },
      { kind: 'punct', value: ')' },
    ]);
  });
});
