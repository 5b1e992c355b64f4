import { readdir, readFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toDuckDbQuery } from '../../functions/warehouse/dialect.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { expandSqlMacros, SQL_MACROS, Z_95 } from '../../functions/warehouse/sql-macros.ts';
import { connectZetaSql, type ZetaSql } from '../support/zetasql.ts';

const SQL_DIR = new URL('../../sql/', import.meta.url);
const files = await Promise.all(
  (await readdir(SQL_DIR))
    .filter((name) => name.endsWith('.sql'))
    .map(async (name) => ({ name, text: await readFile(new URL(name, SQL_DIR), 'utf8') })),
);

describe('the macros of sql/', () => {
  it('write the Wilson bounds of a share p of n once, with z = 1.96 and z² = 3.8416', () => {
    expect(Z_95).toBe(1.96);
    expect(expandSqlMacros('SELECT WILSON_LOWER(p, n) AS ci_low, WILSON_UPPER(p, n) AS ci_high')).toBe(
      'SELECT (p + 3.8416 / (2 * n) - 1.96 * SQRT(p * (1 - p) / n + 3.8416 / (4 * n * n))) / (1 + 3.8416 / n) AS ci_low, ' +
        '(p + 3.8416 / (2 * n) + 1.96 * SQRT(p * (1 - p) / n + 3.8416 / (4 * n * n))) / (1 + 3.8416 / n) AS ci_high',
    );
    expect(expandSqlMacros('SELECT m - Z_95() * s AS low')).toBe('SELECT m - 1.96 * s AS low');
  });

  it('write the days of history and the minutes of attribution once', () => {
    expect(expandSqlMacros('WHERE t >= TIMESTAMP_SUB(@as_of, INTERVAL HISTORY_DAYS() DAY)')).toBe(
      'WHERE t >= TIMESTAMP_SUB(@as_of, INTERVAL 180 DAY)',
    );
    expect(expandSqlMacros('WHERE t < TIMESTAMP_ADD(@as_of, INTERVAL ATTRIBUTION_MINUTES() MINUTE)')).toBe(
      'WHERE t < TIMESTAMP_ADD(@as_of, INTERVAL 30 MINUTE)',
    );
  });

  it('take a name as written and any other argument in parentheses, commas inside calls included', () => {
    const expanded = expandSqlMacros('SELECT WILSON_LOWER(t.share, IF(n > 0, n, 1)) AS c FROM t');
    expect(expanded).toContain('(t.share + 3.8416 / (2 * (IF(n > 0, n, 1)))');
    expect(expanded).not.toContain('WILSON_LOWER');
  });

  it('take a query parameter as written, as a name', () => {
    expect(expandSqlMacros('WHERE user_id IN LINKED_VISITORS(@user_ids)')).toBe(
      'WHERE user_id IN (SELECT anonymous_id FROM identity_links WHERE user_id IN UNNEST(@user_ids))',
    );
  });

  it("read a table with each linked visitor's user_id replaced by their shopper's, one link per visitor", () => {
    const links = '(SELECT anonymous_id, MIN(user_id) AS user_id FROM identity_links GROUP BY anonymous_id)';
    expect(expandSqlMacros('FROM SHOPPER_EVENTS() AS e')).toBe(
      `FROM (SELECT t.* REPLACE (COALESCE(l.user_id, t.user_id) AS user_id) FROM events AS t LEFT JOIN ${links} AS l ON l.anonymous_id = t.user_id) AS e`,
    );
    expect(expandSqlMacros('FROM SHOPPER_ORDER_ITEMS() AS i')).toContain('FROM order_items AS t LEFT JOIN');
  });

  it('leave string literals and comments alone', () => {
    const sql = "SELECT 'WILSON_LOWER(p, n)' AS s -- WILSON_UPPER(p, n)\n/* Z_95() */ FROM t";
    expect(expandSqlMacros(sql)).toBe(sql);
  });

  it('refuse a call with the wrong arguments, or not closed', () => {
    expect(() => expandSqlMacros('SELECT WILSON_LOWER(p) FROM t')).toThrow(/WILSON_LOWER takes 2 arguments/);
    expect(() => expandSqlMacros('SELECT WILSON_UPPER(p, , n) FROM t')).toThrow(/WILSON_UPPER takes 2 arguments/);
    expect(() => expandSqlMacros("SELECT WILSON_LOWER(p, 'n') FROM t")).toThrow(/WILSON_LOWER\( is not closed/);
  });

  it('are the one home of their numbers: no file of sql/ writes them itself, and readSqlFile leaves no call unexpanded', async () => {
    const macroCall = new RegExp(`\\b(${Object.keys(SQL_MACROS).join('|')})\\s*\\(`);
    for (const { name, text } of files) {
      const code = text.replace(/--[^\n]*/g, '');
      expect(code, name).not.toMatch(/\b1\.96\b|\b3\.8416\b|INTERVAL\s+180\s+DAY|INTERVAL\s+30\s+MINUTE/i);
      expect((await readSqlFile(name)).replace(/--[^\n]*/g, ''), name).not.toMatch(macroCall);
    }
    expect(files.filter(({ text }) => /WILSON_LOWER\(/.test(text)).map(({ name }) => name)).toContain('dietary_patterns.sql');
  });
});

describe('the Wilson bounds on both engines', () => {
  // 4 of 9, worked by hand in test/metrics/queries.zetasql.test.ts: [0.18878, 0.73336].
  const QUERY = expandSqlMacros('SELECT WILSON_LOWER(4 / 9, 9) AS low, WILSON_UPPER(4 / 9, 9) AS high, WILSON_LOWER(3 / 3, 3) AS sure');
  let zeta: ZetaSql;
  beforeAll(async () => {
    zeta = await connectZetaSql(inject('zetasqlPort'), []);
  });
  afterAll(() => zeta.close());

  it('ZetaSQL (BigQuery) gives the hand-worked interval', async () => {
    const [row] = await zeta.evaluate(QUERY);
    expect(row?.low).toBeCloseTo(0.18878, 4);
    expect(row?.high).toBeCloseTo(0.73336, 4);
    expect(row?.sure).toBeCloseTo(0.43849, 4);
  });

  it('DuckDB gives the same', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const [row] = (await connection.runAndReadAll(toDuckDbQuery(QUERY))).getRowObjectsJS();
      const [bigQuery] = await zeta.evaluate(QUERY);
      for (const column of ['low', 'high', 'sure']) expect(Number(row?.[column]), column).toBeCloseTo(Number(bigQuery?.[column]), 12);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
