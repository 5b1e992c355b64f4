import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBInstance,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
  type JS,
} from '@duckdb/node-api';
import type { CollectedEvent } from '../../events/schema.ts';
import { parseTableDdl, type ColumnType, type TableDdl } from '../../warehouse/ddl.ts';
import { duckDbKey, duckDbType, quote, renderDuckDbTable } from '../../warehouse/dialect.ts';
import type { RejectedRow, Warehouse } from '../../warehouse/ports.ts';
import { eventRow, orderItemRows, REJECTED_ROW_IDENTITY } from '../../warehouse/rows.ts';
import { readTableDdl, type WarehouseTable } from '../../warehouse/sql-files.ts';

export type QueryParams = DuckDBValue[] | Record<string, DuckDBValue>;

/** The local warehouse: the `Warehouse` port, plus plain SQL for tests and the local batch jobs. */
export type DuckDbWarehouse = Warehouse & {
  /** Rows as JS values: TIMESTAMPTZ → Date, BIGINT → bigint, arrays → arrays, JSON → its text. */
  query(sql: string, params?: QueryParams): Promise<Record<string, JS>[]>;
  close(): Promise<void>;
};

type RowValue = string | number | boolean | null | readonly string[];
type Row = { readonly [column: string]: RowValue };

/** A table's insert: its DDL, and what makes two rows the same row (its key, or the rejected-row identity). */
type Inserter = { table: TableDdl; identity: readonly string[] };

/** Rows per INSERT statement: a few thousand parameters at most (25 columns × 400 rows = 10,000). */
export const ROWS_PER_INSERT = 400;

/**
 * DuckDB standing in for BigQuery (local stack and tests; never deployed). `path` is a file, or
 * `:memory:`. The tables come from the same `sql/` files as BigQuery's, through the dialect bridge.
 */
export async function createDuckDbWarehouse(path: string): Promise<DuckDbWarehouse> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  // BigQuery's DATE(timestamp) is taken in UTC; the local answers must match.
  await connection.run("SET TimeZone = 'UTC'");

  const inserters: Record<WarehouseTable, Inserter> = {
    events: await openTable(connection, 'events'),
    order_items: await openTable(connection, 'order_items'),
    rejected_events: await openTable(connection, 'rejected_events'),
  };

  // One connection runs one statement or transaction at a time; concurrent callers queue here.
  const serially = createQueue();
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('the DuckDB warehouse is closed');
  };

  return {
    insertEvents: (events: readonly CollectedEvent[], requestId: string) =>
      serially(async () => {
        open();
        const eventRows = events.map((event) => eventRow(event, requestId));
        const itemRows = events.flatMap(orderItemRows);
        await inTransaction(connection, async () => {
          await insertRows(connection, inserters.events, eventRows);
          await insertRows(connection, inserters.order_items, itemRows);
        });
        // DuckDB refuses no single row for good: a failure is ours, thrown and retried like any other.
        return { failed: [] };
      }),

    insertRejected: (rows: readonly RejectedRow[]) =>
      serially(async () => {
        open();
        await inTransaction(connection, () => insertRows(connection, inserters.rejected_events, rows));
      }),

    query: (sql: string, params?: QueryParams) =>
      serially(async () => {
        open();
        const reader = await connection.runAndReadAll(sql, params);
        return reader.getRowObjectsJS();
      }),

    close: () =>
      serially(async () => {
        if (closed) return;
        closed = true;
        connection.closeSync();
        instance.closeSync();
      }),
  };
}

/** Creates the table from its `sql/` file if needed; checks that `insertSql` knows how to keep it idempotent. */
async function openTable(connection: DuckDBConnection, name: WarehouseTable): Promise<Inserter> {
  const table = parseTableDdl(await readTableDdl(name));
  await connection.run(renderDuckDbTable(table));
  insertSql(table, 1);
  const key = duckDbKey(name);
  return { table, identity: key.length > 0 ? key : REJECTED_ROW_IDENTITY };
}

/**
 * One INSERT of `rows` rows. Keyed tables skip a row whose key is stored (`ON CONFLICT DO NOTHING`);
 * `rejected_events` has no key (see dialect.ts) and skips a row whose identity is stored. Every
 * value is a positional parameter (`$1` … `$rows × columns`, row after row), cast to its column's
 * type so that ISO strings become TIMESTAMPTZ and text becomes JSON explicitly.
 */
export function insertSql(table: TableDdl, rows: number): string {
  const columns = table.columns.map((c) => quote(c.name)).join(', ');
  const width = table.columns.length;
  const tuples = Array.from(
    { length: rows },
    (_, r) => `(${table.columns.map((c, i) => `CAST($${r * width + i + 1} AS ${duckDbType(c.type)})`).join(', ')})`,
  ).join(', ');
  if (duckDbKey(table.table).length > 0) {
    return `INSERT INTO ${quote(table.table)} (${columns}) VALUES ${tuples} ON CONFLICT DO NOTHING`;
  }
  if (table.table !== 'rejected_events') throw new Error(`no deduplication rule for keyless table ${table.table}`);
  const same = REJECTED_ROW_IDENTITY.map((c) => {
    if (!table.columns.some((col) => col.name === c)) throw new Error(`${table.table}: identity column ${c} is not a column`);
    return `stored.${quote(c)} IS NOT DISTINCT FROM input.${quote(c)}`;
  }).join(' AND ');
  return (
    `INSERT INTO ${quote(table.table)} (${columns}) SELECT ${columns} FROM (VALUES ${tuples}) AS input (${columns}) ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${quote(table.table)} AS stored WHERE ${same})`
  );
}

/**
 * Inserts the rows, at most `ROWS_PER_INSERT` per statement. A row repeated within the call is sent
 * once (the first one wins, as a stored row would): one statement cannot skip a row it adds itself.
 */
async function insertRows(connection: DuckDBConnection, inserter: Inserter, rows: readonly Row[]): Promise<void> {
  const { table } = inserter;
  const seen = new Set<string>();
  const unique = rows.filter((row) => {
    const identity = JSON.stringify(inserter.identity.map((c) => row[c] ?? null));
    if (seen.has(identity)) return false;
    seen.add(identity);
    return true;
  });
  for (let start = 0; start < unique.length; start += ROWS_PER_INSERT) {
    const chunk = unique.slice(start, start + ROWS_PER_INSERT);
    const values: DuckDBValue[] = [];
    // Sparse: only lists get a type (an empty list has none of its own); DuckDB infers the others.
    const types: DuckDBType[] = [];
    for (const row of chunk) {
      for (const column of table.columns) {
        const value = row[column.name];
        if (value === undefined) throw new Error(`${table.table}: the row has no ${column.name}`);
        if (isList(value)) {
          types[values.length] = listType(column.type);
          values.push(listValue(value));
        } else {
          values.push(value);
        }
      }
    }
    await connection.run(insertSql(table, chunk.length), values, types);
  }
}

function isList(value: RowValue): value is readonly string[] {
  return Array.isArray(value);
}

/** An empty list has no element type of its own, so the column's is given. */
function listType(type: ColumnType): DuckDBType {
  switch (type) {
    case 'ARRAY<STRING>':
      return LIST(VARCHAR);
    case 'ARRAY<INT64>':
      return LIST(BIGINT);
    case 'ARRAY<FLOAT64>':
      return LIST(DOUBLE);
    case 'ARRAY<BOOL>':
      return LIST(BOOLEAN);
    default:
      throw new Error(`cannot bind a list to a ${type} column`);
  }
}

async function inTransaction(connection: DuckDBConnection, work: () => Promise<void>): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await work();
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK');
    throw error;
  }
}

function createQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const result = tail.then(task, task);
    tail = result.catch(() => undefined);
    return result;
  };
}

