import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTableDdl, type ColumnDdl, type ScalarType, type TableDdl } from '../functions/warehouse/ddl.ts';

/** One column of a BigQuery table schema, as the tables API takes it. */
export type SchemaField = {
  name: string;
  type: string;
  mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  description?: string;
};

/** What a `CREATE TABLE` file of `sql/` declares, in the terms of `gcp.bigquery.Table`. */
export type TableSpec = {
  tableId: string;
  description?: string;
  schema: SchemaField[];
  timePartitioning?: { type: 'DAY'; field: string; expirationMs?: number };
  requirePartitionFilter: boolean;
  clusterings: string[];
};

/**
 * Standard SQL type → the name the tables API answers with. Declaring the answer's names keeps the
 * provider from seeing a schema change on every run (it compares the JSON as written).
 */
const API_TYPE = new Map<string, string>(
  Object.entries({
    STRING: 'STRING',
    INT64: 'INTEGER',
    FLOAT64: 'FLOAT',
    BOOL: 'BOOLEAN',
    TIMESTAMP: 'TIMESTAMP',
    JSON: 'JSON',
  } satisfies Record<ScalarType, string>),
);

const DAY_MS = 86_400_000;

/**
 * The table a parsed DDL declares. Throws on anything it does not map, rather than deploying a table
 * that differs from the one the same file creates elsewhere (DuckDB, `createTables`).
 */
export function tableSpec(ddl: TableDdl): TableSpec {
  const { description, require_partition_filter: requireFilter, partition_expiration_days: expirationDays, ...unknown } = ddl.options;
  refuseUnknown(`${ddl.table}: table option`, unknown);
  const requirePartitionFilter = optional(`${ddl.table}: require_partition_filter`, requireFilter, 'boolean') ?? false;
  const days = optional(`${ddl.table}: partition_expiration_days`, expirationDays, 'number');
  if (days !== undefined && !(days > 0 && Number.isInteger(days))) {
    throw new Error(`${ddl.table}: partition_expiration_days must be a whole number of days above 0, got ${days}`);
  }

  let timePartitioning: TableSpec['timePartitioning'];
  if (ddl.partitionBy) {
    if (!ddl.partitionBy.byDate) {
      throw new Error(`${ddl.table}: only PARTITION BY DATE(column) is mapped, got PARTITION BY ${ddl.partitionBy.column}`);
    }
    timePartitioning = { type: 'DAY', field: ddl.partitionBy.column, ...(days === undefined ? {} : { expirationMs: days * DAY_MS }) };
  } else if (requirePartitionFilter || days !== undefined) {
    throw new Error(`${ddl.table}: require_partition_filter and partition_expiration_days need PARTITION BY`);
  }

  const tableDescription = optional(`${ddl.table}: description`, description, 'string');
  return {
    tableId: ddl.table,
    ...(tableDescription === undefined ? {} : { description: tableDescription }),
    schema: ddl.columns.map((column) => schemaField(ddl.table, column)),
    ...(timePartitioning ? { timePartitioning } : {}),
    requirePartitionFilter,
    clusterings: ddl.clusterBy,
  };
}

function schemaField(table: string, column: ColumnDdl): SchemaField {
  const where = `${table}.${column.name}`;
  const { description, ...unknown } = column.options;
  refuseUnknown(`${where}: column option`, unknown);
  const array = /^ARRAY<(\w+)>$/.exec(column.type);
  const type = API_TYPE.get(array?.[1] ?? column.type);
  if (type === undefined) throw new Error(`${where}: no BigQuery type is mapped for ${column.type}`);
  const mode = array ? 'REPEATED' : column.notNull ? 'REQUIRED' : 'NULLABLE';
  const text = optional(`${where}: description`, description, 'string');
  return { name: column.name, type, mode, ...(text === undefined ? {} : { description: text }) };
}

function refuseUnknown(what: string, options: Record<string, unknown>): void {
  const names = Object.keys(options);
  if (names.length > 0) throw new Error(`${what} ${names.join(', ')} is not mapped to the BigQuery table`);
}

type Kinds = { string: string; number: number; boolean: boolean };

function optional<K extends keyof Kinds>(what: string, value: unknown, kind: K): Kinds[K] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== kind) throw new Error(`${what} must be a ${kind}, got ${JSON.stringify(value)}`);
  return value as Kinds[K];
}

/** A file of `sql/` is a table definition when it starts with `CREATE TABLE`; the others are queries and DML. */
function isTableDefinition(sql: string): boolean {
  const code = sql.replace(/^(\s*--[^\n]*\n?)*/, '');
  return /^\s*CREATE\s+TABLE\b/i.test(code);
}

/**
 * Every table declared in `sqlDir`, sorted by table name. Each must be in `<table>.sql`, the name the
 * functions read it by; a file that cannot be mapped throws, naming the file.
 */
export function tableSpecs(sqlDir: string): TableSpec[] {
  const files = readdirSync(sqlDir)
    .filter((file) => file.endsWith('.sql'))
    .sort();
  return files.flatMap((file) => {
    const sql = readFileSync(path.join(sqlDir, file), 'utf8');
    if (!isTableDefinition(sql)) return [];
    try {
      const spec = tableSpec(parseTableDdl(sql));
      if (`${spec.tableId}.sql` !== file) throw new Error(`declares table ${spec.tableId}, so it must be named ${spec.tableId}.sql`);
      return [spec];
    } catch (error) {
      throw new Error(`sql/${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  });
}
