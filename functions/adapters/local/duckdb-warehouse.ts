import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBInstance,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
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

type Inserter = { statement: DuckDBPreparedStatement; table: TableDdl };

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
        await inTransaction(connection, async () => {
          for (const event of events) {
            await insertRow(inserters.events, eventRow(event, requestId));
            for (const item of orderItemRows(event)) await insertRow(inserters.order_items, item);
          }
        });
        // DuckDB refuses no single row for good: a failure is ours, thrown and retried like any other.
        return { failed: [] };
      }),

    insertRejected: (rows: readonly RejectedRow[]) =>
      serially(async () => {
        open();
        await inTransaction(connection, async () => {
          for (const row of rows) await insertRow(inserters.rejected_events, row);
        });
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
        for (const { statement } of Object.values(inserters)) statement.destroySync();
        connection.closeSync();
        instance.closeSync();
      }),
  };
}

/** Creates the table from its `sql/` file if needed, and prepares its insert. */
async function openTable(connection: DuckDBConnection, name: WarehouseTable): Promise<Inserter> {
  const table = parseTableDdl(await readTableDdl(name));
  await connection.run(renderDuckDbTable(table));
  return { table, statement: await connection.prepare(insertSql(table)) };
}

/**
 * Keyed tables skip a row whose key is stored (`ON CONFLICT DO NOTHING`); `rejected_events` has no
 * key (see dialect.ts) and skips a row whose identity is stored. Every value is a parameter, cast
 * to its column's type so that ISO strings become TIMESTAMPTZ and text becomes JSON explicitly.
 */
export function insertSql(table: TableDdl): string {
  const columns = table.columns.map((c) => quote(c.name)).join(', ');
  const values = table.columns.map((c) => `CAST($${c.name} AS ${duckDbType(c.type)})`).join(', ');
  if (duckDbKey(table.table).length > 0) {
    return `INSERT INTO ${quote(table.table)} (${columns}) VALUES (${values}) ON CONFLICT DO NOTHING`;
  }
  if (table.table !== 'rejected_events') throw new Error(`no deduplication rule for keyless table ${table.table}`);
  const same = REJECTED_ROW_IDENTITY.map((c) => {
    const column = table.columns.find((col) => col.name === c);
    if (!column) throw new Error(`${table.table}: identity column ${c} is not a column`);
    return `${quote(c)} IS NOT DISTINCT FROM CAST($${c} AS ${duckDbType(column.type)})`;
  }).join(' AND ');
  return `INSERT INTO ${quote(table.table)} (${columns}) SELECT ${values} WHERE NOT EXISTS (SELECT 1 FROM ${quote(table.table)} WHERE ${same})`;
}

async function insertRow(inserter: Inserter, row: Row): Promise<void> {
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const column of inserter.table.columns) {
    const value = row[column.name];
    if (value === undefined) throw new Error(`${inserter.table.table}: the row has no ${column.name}`);
    if (isList(value)) {
      const type = listType(column.type);
      values[column.name] = listValue(value);
      types[column.name] = type;
    } else {
      values[column.name] = value;
    }
  }
  inserter.statement.clearBindings();
  inserter.statement.bind(values, types);
  await inserter.statement.run();
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

