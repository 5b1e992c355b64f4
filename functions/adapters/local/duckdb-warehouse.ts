import { existsSync, renameSync, rmSync } from 'node:fs';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBInstance,
  DuckDBTypeId,
  LIST,
  VARCHAR,
  listValue,
  timestampTZValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBListType,
  type DuckDBResultReader,
  type DuckDBType,
  type DuckDBValue,
  type JS,
} from '@duckdb/node-api';
import type { CollectedEvent } from '../../events/schema.ts';
import { parseTableDdl, type ColumnType, type ScalarType, type TableDdl } from '../../warehouse/ddl.ts';
import {
  DUCKDB_PRELUDE,
  duckDbKey,
  duckDbType,
  isStagingTable,
  quote,
  renderDuckDbTable,
  toDuckDbQuery,
  usedParams,
} from '../../warehouse/dialect.ts';
import type { LinkWarehouse, RejectedRow, SqlCost, SqlParams, SqlRow, SqlValue, SqlWarehouse, Warehouse } from '../../warehouse/ports.ts';
import { eventRow, orderItemRows, REJECTED_ROW_IDENTITY } from '../../warehouse/rows.ts';
import { readSqlFile, readTableDdl, WAREHOUSE_TABLES, type StreamedTable, type WarehouseTable } from '../../warehouse/sql-files.ts';

export type QueryParams = DuckDBValue[] | Record<string, DuckDBValue>;

/** The local warehouse: the `Warehouse` and `SqlWarehouse` ports, plus plain DuckDB SQL for tests and tools. */
export type DuckDbWarehouse = Warehouse &
  LinkWarehouse &
  SqlWarehouse & {
    /** DuckDB SQL as it is. Rows as JS values: TIMESTAMPTZ → Date, BIGINT → bigint, arrays → arrays, JSON → its text. */
    sql(sql: string, params?: QueryParams): Promise<Record<string, JS>[]>;
    /** DuckDB SQL as it is, its rows in the port's terms and read the same way as a file's `query` reads them. */
    rows(sql: string, params?: QueryParams): Promise<SqlRow[]>;
    /**
     * Adds `rows` to a staging table of `sql/` through DuckDB's appender, keeping what it holds (`replaceRows` empties it
     * first): a history import stages its file slice by slice. Values as `replaceRows` takes them.
     */
    appendRows(table: string, rows: readonly SqlRow[]): Promise<SqlCost>;
    /** Moves what the write-ahead log holds into the file, and empties the log. */
    checkpoint(): Promise<void>;
    /**
     * Rewrites the file from what it holds now, so that no byte of a deleted row is left in it: DuckDB keeps
     * deleted rows inside their row groups and never overwrites the blocks a checkpoint frees. In memory, it only checkpoints.
     */
    compact(): Promise<SqlCost>;
    /** Checkpoints, then closes: the file alone holds everything, and the log is gone. */
    close(): Promise<void>;
  };

type RowValue = string | number | boolean | null | readonly string[];
type Row = { readonly [column: string]: RowValue };

/** A table's insert: its DDL, and what makes two rows the same row (its key, or the rejected-row identity). */
type Inserter = { table: TableDdl; identity: readonly string[] };

/** How much write-ahead log DuckDB gathers before it checkpoints into the file (its default is 16 MB). */
export const CHECKPOINT_THRESHOLD = '1GB';

/** Rows per INSERT statement: a few thousand parameters at most (25 columns × 400 rows = 10,000). */
export const ROWS_PER_INSERT = 400;

/**
 * DuckDB standing in for BigQuery (local stack and tests; never deployed). `path` is a file, or
 * `:memory:`. The tables come from the same `sql/` files as BigQuery's, through the dialect bridge.
 */
export async function createDuckDbWarehouse(path: string): Promise<DuckDbWarehouse> {
  const file = path === ':memory:' ? null : path;
  // A file is attached rather than opened as the instance's own database: compacting swaps it for a
  // rewritten copy, which DuckDB can do only to an attached one. The connection, with its TEMP staging
  // tables and macros, outlives the swap. Spilled temp data stays beside the file, as when it was opened.
  const instance = await DuckDBInstance.create(':memory:', file ? { temp_directory: `${file}.tmp` } : {});
  const connection = await instance.connect();
  if (file) await attachFile(connection, file);
  // BigQuery's DATE(timestamp) is taken in UTC; the local answers must match.
  await connection.run("SET TimeZone = 'UTC'");
  // A checkpoint rewrites every row group a committed statement touched. The patterns job's staging
  // loads and merge touch rows all over user_patterns, so at DuckDB's default (a checkpoint whenever the
  // write-ahead log passes 16 MB) each of them rewrote the whole table: about 5 s apiece at 100,000
  // shoppers (test/bench/RESULTS.md). A larger log lets a run's writes be checkpointed together.
  await connection.run(`SET checkpoint_threshold = '${CHECKPOINT_THRESHOLD}'`);

  const [database] = (await connection.runAndReadAll('SELECT current_database() AS name')).getRowObjectsJS();
  const databaseName = database?.name;
  if (typeof databaseName !== 'string') throw new Error('DuckDB named no current database');
  for (const table of WAREHOUSE_TABLES) await createTable(connection, databaseName, table);
  for (const statement of DUCKDB_PRELUDE) await connection.run(statement);
  const inserters: Record<StreamedTable, Inserter> = {
    events: await openTable(connection, 'events'),
    order_items: await openTable(connection, 'order_items'),
    rejected_events: await openTable(connection, 'rejected_events'),
    identity_links: await openTable(connection, 'identity_links'),
  };
  const jobTables = new Map<string, TableDdl>();
  for (const table of WAREHOUSE_TABLES) jobTables.set(table, parseTableDdl(await readTableDdl(table)));

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
        const itemRows = events.flatMap((event) => orderItemRows(event));
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

    recordLink: (row) =>
      serially(async () => {
        open();
        await inTransaction(connection, () => insertRows(connection, inserters.identity_links, [row]));
      }),

    sql: (sql: string, params?: QueryParams) =>
      serially(async () => {
        open();
        const reader = await connection.runAndReadAll(sql, params);
        return reader.getRowObjectsJS();
      }),

    rows: async (sql: string, params?: QueryParams) => {
      const reader = await serially(async () => {
        open();
        return connection.runAndReadAll(sql, params);
      });
      return sqlRows(reader);
    },

    query: async (file: string, params: SqlParams) => {
      const { reader, ms } = await serially(async () => {
        open();
        const started = performance.now();
        return { reader: await runFile(connection, file, params), ms: performance.now() - started };
      });
      // The result is whole in the reader: turning it into rows leaves the connection free for the next query.
      const converting = performance.now();
      const rows = sqlRows(reader);
      return { rows, bytesProcessed: null, ms: ms + performance.now() - converting };
    },

    execute: (file: string, params: SqlParams) =>
      serially(async () => {
        open();
        const started = performance.now();
        const reader = await runFile(connection, file, params);
        return { affectedRows: reader.rowsChanged, bytesProcessed: null, ms: performance.now() - started };
      }),

    replaceRows: (table: string, rows: readonly SqlRow[]) =>
      serially(async () => {
        open();
        const ddl = jobTables.get(table);
        if (!ddl) throw new Error(`not a table of sql/: ${table}`);
        const started = performance.now();
        await inTransaction(connection, async () => {
          if (isStagingTable(table)) {
            // A TEMP table keeps the memory of deleted rows until it is dropped: emptied by DELETE, a
            // staging table would grow by every run's rows for as long as the warehouse is open.
            await connection.run(`DROP TABLE temp.main.${quote(table)}`);
            await connection.run(renderDuckDbTable(ddl));
          } else {
            await connection.run(`DELETE FROM ${quote(table)}`);
          }
          // A keyless table (rejected_events) keeps every row given: a row is then the same row only in all its columns.
          const key = duckDbKey(table);
          await appendRows(connection, ddl, uniqueRows(key.length > 0 ? key : ddl.columns.map((c) => c.name), rows.map(rowValues)));
        });
        return { bytesProcessed: null, ms: performance.now() - started };
      }),

    appendRows: (table: string, rows: readonly SqlRow[]) =>
      serially(async () => {
        open();
        const ddl = jobTables.get(table);
        if (!ddl || !isStagingTable(table)) throw new Error(`not a staging table of sql/: ${table}`);
        const started = performance.now();
        await inTransaction(connection, () => appendRows(connection, ddl, rows.map(rowValues)));
        return { bytesProcessed: null, ms: performance.now() - started };
      }),

    checkpoint: () =>
      serially(async () => {
        open();
        await connection.run('CHECKPOINT');
      }),

    compact: () =>
      serially(async () => {
        open();
        const started = performance.now();
        if (file) await compactFile(connection, file);
        else await connection.run('CHECKPOINT');
        return { bytesProcessed: null, ms: performance.now() - started };
      }),

    close: () =>
      serially(async () => {
        if (closed) return;
        closed = true;
        try {
          // DuckDB checkpoints on close too, unless told otherwise; here it is not left to a default.
          await connection.run('CHECKPOINT');
        } finally {
          connection.closeSync();
          instance.closeSync();
        }
      }),
  };
}

/** The catalog name the warehouse file is attached under, and that of the instance's own (empty, in memory) database. */
const FILE_DATABASE = 'warehouse';
const MEMORY_DATABASE = 'memory';
const COMPACTED_DATABASE = 'warehouse_compacted';

async function attachFile(connection: DuckDBConnection, file: string): Promise<void> {
  await connection.run(`ATTACH ${literal(file)} AS ${FILE_DATABASE}`);
  await connection.run(`USE ${FILE_DATABASE}`);
}

/**
 * Copies the file's tables into a new file (`COPY FROM DATABASE`, DuckDB's documented way to reclaim the
 * space of deleted rows), checkpointed, and puts it in the old one's place. Nothing of a row deleted
 * before the copy is in the new file; the old one is replaced whole. If the copy fails the old file stays.
 */
async function compactFile(connection: DuckDBConnection, file: string): Promise<void> {
  const copy = `${file}.compacted`;
  const removeCopy = () => [copy, `${copy}.wal`].forEach((leftover) => rmSync(leftover, { force: true }));
  removeCopy();
  await connection.run(`CHECKPOINT ${FILE_DATABASE}`);
  await connection.run(`ATTACH ${literal(copy)} AS ${COMPACTED_DATABASE}`);
  try {
    await connection.run(`COPY FROM DATABASE ${FILE_DATABASE} TO ${COMPACTED_DATABASE}`);
    await connection.run(`CHECKPOINT ${COMPACTED_DATABASE}`);
  } catch (error) {
    await connection.run(`DETACH ${COMPACTED_DATABASE}`);
    removeCopy();
    throw error;
  }
  await connection.run(`DETACH ${COMPACTED_DATABASE}`);
  await connection.run(`USE ${MEMORY_DATABASE}`);
  await connection.run(`DETACH ${FILE_DATABASE}`);
  try {
    // A log left beside the file would be replayed onto the copy when it is attached.
    if (existsSync(`${file}.wal`)) throw new Error(`${file}.wal is still there after a checkpoint: the file is not replaced`);
    renameSync(copy, file);
  } finally {
    await attachFile(connection, file);
    removeCopy();
  }
}

/** A string literal of DuckDB SQL. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Creates the table from its `sql/` file in `database` if needed. A staging table is a TEMP table (dialect.ts); a file
 * written before that may still hold it as a stored table, with an old run's shoppers in it, which the
 * TEMP table would hide from every statement, erasure's included: it is dropped first.
 */
async function createTable(connection: DuckDBConnection, database: string, name: WarehouseTable): Promise<void> {
  if (isStagingTable(name)) await connection.run(`DROP TABLE IF EXISTS ${quote(database)}.main.${quote(name)}`);
  const ddl = parseTableDdl(await readTableDdl(name));
  await connection.run(renderDuckDbTable(ddl));
  if (isStagingTable(name)) return;
  await keepDeclaredColumns(connection, database, ddl);
  await keepDeclaredKey(connection, database, ddl);
}

/**
 * A stored table an older file made may lack a column declared since (`import_id`, when history imports came):
 * a nullable column is added, its rows holding NULL, as BigQuery adds one to a deployed table. A NOT NULL column
 * has no value for the stored rows, so a file that lacks one is refused, naming it.
 */
async function keepDeclaredColumns(connection: DuckDBConnection, database: string, ddl: TableDdl): Promise<void> {
  const reader = await connection.runAndReadAll(
    "SELECT column_name AS name FROM duckdb_columns() WHERE database_name = $database AND schema_name = 'main' AND table_name = $table",
    { database, table: ddl.table },
  );
  const stored = new Set(reader.getRowObjectsJS().flatMap((row) => (typeof row.name === 'string' ? [row.name] : [])));
  for (const column of ddl.columns.filter((c) => !stored.has(c.name))) {
    if (column.notNull)
      throw new Error(`${ddl.table}: the file has no ${column.name}, which is NOT NULL and cannot be added to stored rows`);
    await connection.run(
      `ALTER TABLE ${quote(database)}.main.${quote(ddl.table)} ADD COLUMN ${quote(column.name)} ${duckDbType(column.type)}`,
    );
  }
}

/**
 * `CREATE TABLE IF NOT EXISTS` leaves a stored table as an older file made it. A file from when events were
 * keyed by event_id alone would go on dropping another shopper's event under a used id, so a table whose
 * primary key is not the declared one is rebuilt with it, its rows copied, in one transaction.
 */
async function keepDeclaredKey(connection: DuckDBConnection, database: string, ddl: TableDdl): Promise<void> {
  const reader = await connection.runAndReadAll(
    "SELECT constraint_column_names AS key FROM duckdb_constraints() WHERE database_name = $database AND schema_name = 'main' AND table_name = $table AND constraint_type = 'PRIMARY KEY'",
    { database, table: ddl.table },
  );
  const [current] = reader.getRowObjectsJS();
  if (JSON.stringify(current?.key ?? []) === JSON.stringify(duckDbKey(ddl.table))) return;
  const stored = (name: string) => `${quote(database)}.main.${quote(name)}`;
  const previous = `${ddl.table}_before_rekey`;
  const columns = ddl.columns.map((c) => quote(c.name)).join(', ');
  await inTransaction(connection, async () => {
    await connection.run(`ALTER TABLE ${stored(ddl.table)} RENAME TO ${quote(previous)}`);
    await connection.run(renderDuckDbTable(ddl));
    await connection.run(`INSERT INTO ${stored(ddl.table)} (${columns}) SELECT ${columns} FROM ${stored(previous)}`);
    await connection.run(`DROP TABLE ${stored(previous)}`);
  });
}

/** A streamed table's inserter; checks that `insertSql` knows how to keep the table idempotent. */
async function openTable(connection: DuckDBConnection, name: StreamedTable): Promise<Inserter> {
  const table = parseTableDdl(await readTableDdl(name));
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
  const unique = uniqueRows(inserter.identity, rows);
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

/** The rows less any repeat of an earlier one's identity: the first one wins, as a stored row would. */
function uniqueRows(identity: readonly string[], rows: readonly Row[]): Row[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = JSON.stringify(identity.map((c) => row[c] ?? null));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Loads rows into a table through DuckDB's appender, which writes whole column chunks: several times
 * faster than INSERT statements for a staging load of tens of thousands of rows. The appender works
 * in the connection's open transaction, so a failed load leaves nothing behind. Unlike `insertRows`
 * there is no ON CONFLICT: a row whose key is stored fails the load.
 */
async function appendRows(connection: DuckDBConnection, table: TableDdl, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const appender = await connection.createAppender(table.table);
  try {
    const writers = table.columns.map((column) => ({ column, append: columnAppender(appender, column.type) }));
    for (const row of rows) {
      for (const { column, append } of writers) {
        const value = row[column.name];
        if (value === undefined) throw new Error(`${table.table}: the row has no ${column.name}`);
        if (value === null) appender.appendNull();
        else append(value);
      }
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** How a value of the port goes into a column of `type`: TIMESTAMP from its ISO text, JSON as its text. */
function columnAppender(appender: DuckDBAppender, type: ColumnType): (value: Exclude<RowValue, null>) => void {
  if (type.startsWith('ARRAY<')) {
    const list = listType(type);
    return (value) => appender.appendList(listValue([...(value as readonly string[])]), list);
  }
  switch (type as ScalarType) {
    case 'STRING':
    case 'JSON':
      return (value) => appender.appendVarchar(String(value));
    case 'INT64':
      return (value) => appender.appendBigInt(BigInt(value as number));
    case 'FLOAT64':
      return (value) => appender.appendDouble(value as number);
    case 'BOOL':
      return (value) => appender.appendBoolean(value as boolean);
    case 'TIMESTAMP':
      return (value) => {
        const ms = Date.parse(String(value));
        if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${String(value)}`);
        appender.appendTimestampTZ(timestampTZValue(BigInt(ms) * 1000n));
      };
    default:
      throw new Error(`cannot append to a ${type} column`);
  }
}

function isList(value: RowValue): value is readonly string[] {
  return Array.isArray(value);
}

/** An empty list has no element type of its own, so the column's is given. */
function listType(type: ColumnType): DuckDBListType {
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

/** Runs a file of `sql/` through the dialect bridge, binding the port's parameters with their BigQuery types. */
async function runFile(connection: DuckDBConnection, file: string, params: SqlParams): Promise<DuckDBResultReader> {
  const text = await readSqlFile(file);
  const sql = toDuckDbQuery(text);
  const values: Record<string, DuckDBValue> = {};
  for (const [name, value] of Object.entries(usedParams(text, params, file))) values[name] = duckDbParam(value);
  try {
    return await connection.runAndReadAll(sql, values);
  } catch (error) {
    throw new Error(`sql/${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The port's parameter rules: Date → TIMESTAMPTZ, integer → BIGINT, number → DOUBLE, string[] → VARCHAR[]. */
export function duckDbParam(value: SqlParams[string]): DuckDBValue {
  if (value instanceof Date) return timestampTZValue(BigInt(value.getTime()) * 1000n);
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return listValue([...value]);
}

/**
 * Rows in the port's `SqlValue` terms, the same as BigQuery's adapter answers them. Read column by
 * column: DuckDB hands a whole column over at once, and each column's conversion is chosen once,
 * which for hundreds of thousands of rows is about twice as fast as converting row objects.
 */
function sqlRows(reader: DuckDBResultReader): SqlRow[] {
  const names = reader.columnNames();
  const types = reader.columnTypes();
  const columns = reader.getColumnsJS().map((values, i) => {
    const isDate = types[i]?.typeId === DuckDBTypeId.DATE;
    return values.map((value) => sqlValue(value, isDate));
  });
  const rows = new Array<SqlRow>(reader.currentRowCount);
  for (let r = 0; r < rows.length; r++) {
    const row: SqlRow = {};
    for (let c = 0; c < names.length; c++) row[names[c] as string] = (columns[c] as SqlValue[])[r] as SqlValue;
    rows[r] = row;
  }
  return rows;
}

function sqlValue(value: JS, isDate: boolean): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new Error(`integer ${value} is beyond a safe JS number`);
    return Number(value);
  }
  if (value instanceof Date) return isDate ? value.toISOString().slice(0, 10) : value.toISOString();
  if (Array.isArray(value)) return value.map((element) => sqlValue(element, isDate));
  throw new Error(`no SqlValue for a ${typeof value} result value`);
}

/** A staging row as the inserter takes it: scalars as they are, arrays of strings as lists. */
function rowValues(row: SqlRow): Row {
  const out: Record<string, RowValue> = {};
  for (const [column, value] of Object.entries(row)) {
    if (Array.isArray(value)) out[column] = value.map(String);
    else out[column] = value;
  }
  return out;
}

function createQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const result = tail.then(task, task);
    tail = result.catch(() => undefined);
    return result;
  };
}
