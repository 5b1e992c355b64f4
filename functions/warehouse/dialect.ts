import { parseTableDdl, type ColumnType, type ScalarType, type TableDdl } from './ddl.ts';

/**
 * The bridge from the BigQuery DDL in `sql/` to DuckDB, for the local stack. Its rules, all of them:
 * 1. types map one to one (`DUCKDB_TYPES`); anything the parser does not know throws there;
 * 2. PARTITION BY, CLUSTER BY and OPTIONS (table and column) are storage hints and descriptions: dropped;
 * 3. NOT NULL is kept;
 * 4. the table gets the key DuckDB needs for `INSERT … ON CONFLICT DO NOTHING` (`DUCKDB_KEYS`);
 *    a table without an entry there throws, so a new table has to say how it stays idempotent.
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
  events: ['event_id'],
  order_items: ['event_id', 'line'],
  // No key: event_index is NULL for a whole unreadable message and key columns cannot be NULL.
  // Instead the DuckDB adapter skips a row whose REJECTED_ROW_IDENTITY (functions/warehouse/rows.ts) is stored.
  rejected_events: [],
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
  if (key === undefined) throw new Error(`no DuckDB key declared for table ${table}: add it to DUCKDB_KEYS in functions/warehouse/dialect.ts`);
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
  return `CREATE TABLE IF NOT EXISTS ${quote(ddl.table)} (\n${lines.join(',\n')}\n);\n`;
}

/** The whole bridge: BigQuery DDL text in, DuckDB DDL text out. */
export function toDuckDbDdl(bigQueryDdl: string): string {
  return renderDuckDbTable(parseTableDdl(bigQueryDdl));
}

/** Identifiers are always quoted, so a column named like a DuckDB keyword (`position`) stays a column. */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
