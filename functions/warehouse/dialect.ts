import { parseTableDdl, type ColumnType, type ScalarType, type TableDdl } from './ddl.ts';

/**
 * The bridge from the BigQuery DDL in `sql/` to DuckDB, for the local stack. Its rules, all of them:
 * 1. types map one to one (`DUCKDB_TYPES`); anything the parser does not know throws there;
 * 2. PARTITION BY, CLUSTER BY and OPTIONS (table and column) are storage hints and descriptions: dropped;
 * 3. NOT NULL is kept;
 * 4. the table gets the key DuckDB needs for `INSERT … ON CONFLICT DO NOTHING` (`DUCKDB_KEYS`);
 *    a table without an entry there throws, so a new table has to say how it stays idempotent;
 * 5. a staging table (`isStagingTable`) is a TEMP table: a job's scratch, refilled by every run, lives
 *    in the memory of the warehouse's one connection and is never written to the file or its log.
 */
export const DUCKDB_TYPES: Record<ScalarType, string> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  BOOL: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'JSON',
};

export const DUCKDB_KEYS: Record<string, readonly string[]> = {
  // An event is (user_id, event_id): clients make event ids, so two shoppers' events may share one.
  events: ['user_id', 'event_id'],
  order_items: ['user_id', 'event_id', 'line'],
  // No key: event_index is NULL for a whole unreadable message and key columns cannot be NULL.
  // Instead the DuckDB adapter skips a row whose REJECTED_ROW_IDENTITY (functions/warehouse/rows.ts) is stored.
  rejected_events: [],
  // A visitor is linked to one shopper at most: a resent link is the same row.
  identity_links: ['anonymous_id'],
  user_patterns: ['user_id'],
  user_patterns_staging: ['user_id'],
  job_runs: ['job', 'run_id'],
  erasure_log: ['request_id'],
  shopper_privacy_staging: ['user_id'],
  // One range per category; the table holds one run's.
  category_price_ranges_staging: ['category'],
  shopper_retention_staging: ['user_id'],
  // No key: stage_order_lines.sql and stage_engagement.sql keep one row per (user_id, event_id, line) and
  // per (user_id, event_id) themselves, and an index over a slice's million lines would cost more than it checks.
  order_lines_staging: [],
  engagement_staging: [],
  // No key, for the same reason: stage_run_order_lines.sql and stage_run_engagement.sql keep one row each themselves.
  run_order_lines_staging: [],
  run_engagement_staging: [],
  // One row per metric and slice of a window; the staging table holds one window.
  learning_metrics: ['as_of', 'window_start', 'metric', 'experiment', 'arm', 'dimension'],
  learning_metrics_staging: ['metric', 'experiment', 'arm', 'dimension'],
  // One row per cell of a fitted model's version; the staging table holds one model.
  reorder_model: ['version', 'cycle_bin', 'orders_bin', 'interval_bin'],
  reorder_model_staging: ['cycle_bin', 'orders_bin', 'interval_bin'],
  // No key: a history import may stage one event twice (a file that repeats it), which its merge statements sort out.
  import_events_staging: [],
  import_order_items_staging: [],
  import_rejected_staging: [],
};

export function duckDbType(type: ColumnType): string {
  const array = /^ARRAY<(.+)>$/.exec(type);
  const element = (array?.[1] ?? type) as ScalarType;
  const mapped = DUCKDB_TYPES[element];
  if (mapped === undefined) throw new Error(`no DuckDB type for ${type}`);
  return array ? `${mapped}[]` : mapped;
}

export function duckDbKey(table: string): readonly string[] {
  const key = DUCKDB_KEYS[table];
  if (key === undefined)
    throw new Error(`no DuckDB key declared for table ${table}: add it to DUCKDB_KEYS in functions/warehouse/dialect.ts`);
  return key;
}

/** DuckDB's CREATE TABLE for a parsed BigQuery table. */
export function renderDuckDbTable(ddl: TableDdl): string {
  const key = duckDbKey(ddl.table);
  const names = new Set(ddl.columns.map((c) => c.name));
  for (const column of key) {
    if (!names.has(column)) throw new Error(`${ddl.table}: key column ${column} is not a column`);
  }
  const lines = ddl.columns.map((c) => `  ${quote(c.name)} ${duckDbType(c.type)}${c.notNull ? ' NOT NULL' : ''}`);
  if (key.length > 0) lines.push(`  PRIMARY KEY (${key.map(quote).join(', ')})`);
  return `CREATE ${isStagingTable(ddl.table) ? 'TEMP ' : ''}TABLE IF NOT EXISTS ${quote(ddl.table)} (\n${lines.join(',\n')}\n);\n`;
}

/**
 * A table a batch job empties and loads within a run (`…_staging`): what it holds is rebuilt by the next
 * run, so the local warehouse need not keep it durable.
 */
export function isStagingTable(table: string): boolean {
  return table.endsWith('_staging');
}

/** The whole bridge: BigQuery DDL text in, DuckDB DDL text out. */
export function toDuckDbDdl(bigQueryDdl: string): string {
  return renderDuckDbTable(parseTableDdl(bigQueryDdl));
}

/** Identifiers are always quoted, so a column named like a DuckDB keyword (`position`) stays a column. */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * The bridge for queries and DML: the same `sql/` file runs on BigQuery and on DuckDB. Its rules, all of them:
 * 1. the BigQuery functions the files use that DuckDB lacks, or answers otherwise (`JSON_VALUE`), are defined
 *    per connection (`DUCKDB_PRELUDE`), under their BigQuery names and with BigQuery's results for the values
 *    the files pass them;
 * 2. named parameters change sigil, `@as_of` → `$as_of`;
 * 3. `UNNEST(array) AS name` names its column too, `UNNEST(array) AS name(name)`: in DuckDB the alias alone
 *    names a table, whose row is a struct;
 * 4. `IN UNNEST(array)` becomes `IN (SELECT UNNEST(array))`, DuckDB's way to test membership in a list.
 * Rules 2 to 4 touch code only, never string literals, quoted identifiers or comments.
 */
export const DUCKDB_PRELUDE: readonly string[] = [
  'CREATE TEMP TYPE FLOAT64 AS DOUBLE',
  'CREATE OR REPLACE TEMP MACRO unix_seconds(t) AS CAST(floor(epoch(t)) AS BIGINT)',
  'CREATE OR REPLACE TEMP MACRO timestamp_seconds(s) AS to_timestamp(s)',
  // BigQuery takes `INTERVAL n DAY` as the second argument; so does DuckDB's interval arithmetic.
  'CREATE OR REPLACE TEMP MACRO timestamp_sub(t, i) AS t - i',
  'CREATE OR REPLACE TEMP MACRO timestamp_add(t, i) AS t + i',
  'CREATE OR REPLACE TEMP MACRO safe_divide(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a / b END',
  // Integer division truncating toward zero, like BigQuery's DIV.
  'CREATE OR REPLACE TEMP MACRO div(a, b) AS a // b',
  // JSON text to a JSON value (insert_erasure_log.sql): BigQuery takes no STRING where JSON is due.
  'CREATE OR REPLACE TEMP MACRO parse_json(s) AS CAST(s AS JSON)',
  // Compact JSON text, as BigQuery writes it (metric_ctr.sql splits context.experiments from it): json() minifies.
  'CREATE OR REPLACE TEMP MACRO to_json_string(j) AS CAST(json(j) AS VARCHAR)',
  // A JSON scalar as text, NULL for an object or array: DuckDB's own json_value keeps a string's quotes.
  "CREATE OR REPLACE TEMP MACRO json_value(j, p) AS CASE WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, p) END",
  // The elements of the JSON array at the path (metric_ctr_by_position.sql: the results a search showed).
  "CREATE OR REPLACE TEMP MACRO json_query_array(j, p) AS json_extract(j, p || '[*]')",
];

export function toDuckDbQuery(bigQuerySql: string): string {
  return mapCode(bigQuerySql, (code) =>
    code
      .replace(/@([A-Za-z_]\w*)/g, (_, name: string) => `$${name}`)
      .replace(
        /\bUNNEST\(([^()]*)\)(\s+AS\s+)([A-Za-z_]\w*)\b(?!\s*\()/gi,
        (_, array: string, as: string, name: string) => `UNNEST(${array})${as}${name}(${name})`,
      )
      .replace(/\bIN\s+UNNEST\(([^()]*)\)/gi, (_, array: string) => `IN (SELECT UNNEST(${array}))`),
  );
}

/** The named parameters (`@name`) the statement uses, in order of first use. */
export function parameterNames(bigQuerySql: string): string[] {
  const names = new Set<string>();
  mapCode(bigQuerySql, (code) => {
    for (const match of code.matchAll(/@([A-Za-z_]\w*)/g)) names.add(match[1] ?? '');
    return code;
  });
  return [...names];
}

/**
 * The parameters a statement uses, from those given: a job passes its whole set to every file, and
 * neither warehouse binds a parameter the statement lacks. A missing one throws, naming it.
 */
export function usedParams<T>(bigQuerySql: string, params: { readonly [name: string]: T }, file: string): Record<string, T> {
  const used: Record<string, T> = {};
  for (const name of parameterNames(bigQuerySql)) {
    const value = params[name];
    if (value === undefined) throw new Error(`sql/${file} needs the parameter @${name}`);
    used[name] = value;
  }
  return used;
}

/**
 * Applies `transform` to the code between string literals, quoted identifiers and comments, which
 * are kept as they are. Strings follow BigQuery's rules: '…' or "…" with backslash escapes.
 */
export function mapCode(sql: string, transform: (code: string) => string): string {
  let out = '';
  let code = '';
  let i = 0;
  const keep = (end: number) => {
    out += transform(code) + sql.slice(i, end);
    code = '';
    i = end;
  };
  while (i < sql.length) {
    const ch = sql.charAt(i);
    if (ch === "'" || ch === '"' || ch === '`') {
      let end = i + 1;
      while (end < sql.length && sql.charAt(end) !== ch) end += sql.charAt(end) === '\\' ? 2 : 1;
      if (end >= sql.length) throw new Error(`unterminated ${ch} at offset ${i}`);
      keep(end + 1);
    } else if (sql.startsWith('--', i) || sql.startsWith('#', i)) {
      const newline = sql.indexOf('\n', i);
      keep(newline === -1 ? sql.length : newline);
    } else if (sql.startsWith('/*', i)) {
      const close = sql.indexOf('*/', i + 2);
      if (close === -1) throw new Error(`unterminated comment at offset ${i}`);
      keep(close + 2);
    } else {
      code += ch;
      i += 1;
    }
  }
  return out + transform(code);
}
