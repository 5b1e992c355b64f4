import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tableSpec, tableSpecs } from '../../infra/bigquery-tables.ts';
import { parseTableDdl, type TableDdl } from '../../functions/warehouse/ddl.ts';
import { WAREHOUSE_TABLES } from '../../functions/warehouse/sql-files.ts';
import { named, objectAt, ofType, PROJECT, runProgram, TYPES, type Registered } from './run-program.ts';

const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
const DAY_MS = 86_400_000;

/**
 * Tables of events grow with time and are partitioned by day. These hold one row per shopper, per category
 * or per run and are looked up by shopper, category or job, never by a time range, so partitions by time
 * would narrow no statement.
 */
const UNPARTITIONED = {
  user_patterns: 'one row per shopper, rewritten in place by MERGE',
  user_patterns_staging: 'one row per shopper of the latest run, replaced by each run',
  job_runs: 'one row per job run, a few a day',
  erasure_log: 'one row per completed erasure request',
  shopper_privacy_staging: 'one row per shopper of the latest patterns run, replaced by each run',
  category_price_ranges_staging: 'one row per category of the latest patterns run, replaced by each run',
  order_lines_staging: 'one slice of a patterns run, replaced by each slice and emptied after the run',
  engagement_staging: 'one slice of a patterns run, replaced by each slice and emptied after the run',
  shopper_retention_staging: 'one row per shopper with their own retention, replaced by each run',
  learning_metrics_staging: 'one row per metric and slice of the latest metrics run, replaced by each run',
  reorder_model: 'a few hundred rows per fitted model, one model a day, read by version',
  reorder_model_staging: 'the cells of the latest fitted model, replaced by each run',
  import_events_staging: 'one history import, replaced by each import and emptied after its merge',
  import_order_items_staging: 'one history import, replaced by each import and emptied after its merge',
  import_rejected_staging: 'one history import, replaced by each import and emptied after its merge',
  identity_links: 'one row per visitor who logged in, read whole by every statement that resolves linked visitors',
} as const;

/** How the tables of the batch jobs are clustered: by the key every statement on them looks rows up by. */
const BATCH_TABLE_CLUSTERING = {
  user_patterns: ['user_id'],
  user_patterns_staging: ['user_id'],
  job_runs: ['job'],
  erasure_log: ['request_id'],
  shopper_privacy_staging: ['user_id'],
  category_price_ranges_staging: ['category'],
  // A slice of a patterns run reads its own range of shoppers out of the run's staging: only their blocks.
  run_order_lines_staging: ['user_id'],
  run_engagement_staging: ['user_id'],
  order_lines_staging: ['user_id'],
  engagement_staging: ['user_id'],
  shopper_retention_staging: ['user_id'],
  learning_metrics: ['metric'],
  learning_metrics_staging: ['metric'],
  reorder_model: ['version'],
  // The merge looks staged events up by (user_id, event_id); the rejected rows are merged by their source's import.
  import_events_staging: ['user_id', 'event_id'],
  import_order_items_staging: ['user_id', 'event_id'],
  import_rejected_staging: ['source'],
  identity_links: ['anonymous_id'],
} as const;

/** The DDL of `sql/<table>.sql`, parsed by the functions' own parser. */
function ddlOf(table: string): TableDdl {
  return parseTableDdl(readFileSync(path.join(SQL_DIR, `${table}.sql`), 'utf8'));
}

type Field = { name: string; type: string; mode: string; description?: string };

function schemaOf(table: Registered): Field[] {
  const parsed: unknown = JSON.parse(String(table.inputs.schema));
  if (!Array.isArray(parsed)) throw new Error(`${table.name}: schema is not a list`);
  return parsed.map((field) => {
    const f = objectAt(field);
    return {
      name: String(f.name),
      type: String(f.type),
      mode: String(f.mode),
      ...(f.description === undefined ? {} : { description: f.description as string }),
    };
  });
}

describe('BigQuery warehouse', () => {
  let resources: Registered[];
  let tables: Registered[];
  beforeAll(async () => {
    resources = await runProgram();
    tables = ofType(resources, TYPES.table);
  });

  it('keeps the tables in dataset learning_loop, in the EU, never emptied on destroy', () => {
    expect(named(resources, TYPES.dataset, 'dataset').inputs).toMatchObject({
      project: PROJECT,
      datasetId: 'learning_loop',
      location: 'EU',
      deleteContentsOnDestroy: false,
    });
  });

  it('declares every table the ingest path writes, each protected from deletion', () => {
    expect(tables.map((t) => t.inputs.tableId)).toEqual(expect.arrayContaining([...WAREHOUSE_TABLES]));
    for (const table of tables)
      expect(table.inputs).toMatchObject({ project: PROJECT, datasetId: 'learning_loop', deletionProtection: true });
  });

  it('gives each table the columns, modes and descriptions of its sql/ file', () => {
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) {
      const ddl = ddlOf(String(table.inputs.tableId));
      const schema = schemaOf(table);

      expect(schema.map((f) => f.name)).toEqual(ddl.columns.map((c) => c.name));
      expect(schema.map((f) => f.mode)).toEqual(
        ddl.columns.map((c) => (c.type.startsWith('ARRAY<') ? 'REPEATED' : c.notNull ? 'REQUIRED' : 'NULLABLE')),
      );
      expect(schema.map((f) => f.description)).toEqual(ddl.columns.map((c) => c.options.description));
      expect(table.inputs.description).toBe(ddl.options.description);
    }
  });

  it('declares the tables of the batch jobs too', () => {
    expect(tables.map((t) => t.inputs.tableId)).toEqual(expect.arrayContaining(Object.keys(UNPARTITIONED)));
  });

  it('partitions each table its DDL partitions by day on the column it names, expiring partitions as it says', () => {
    const partitioned = tables.filter((t) => ddlOf(String(t.inputs.tableId)).partitionBy !== null);

    expect(partitioned.map((t) => t.inputs.tableId)).toEqual(expect.arrayContaining(['events', 'order_items', 'rejected_events']));
    for (const table of partitioned) {
      const ddl = ddlOf(String(table.inputs.tableId));
      const days = ddl.options.partition_expiration_days;

      expect(ddl.partitionBy, String(table.inputs.tableId)).toMatchObject({ byDate: true });
      expect(table.inputs.timePartitioning).toEqual({
        type: 'DAY',
        field: ddl.partitionBy?.column,
        ...(typeof days === 'number' ? { expirationMs: days * DAY_MS } : {}),
      });
    }
  });

  it('leaves unpartitioned exactly the tables of one row per shopper, per category or per run, and asks no partition filter of them', () => {
    const unpartitioned = tables.filter((t) => t.inputs.timePartitioning === undefined);

    expect(unpartitioned.map((t) => String(t.inputs.tableId)).sort()).toEqual(Object.keys(UNPARTITIONED).sort());
    for (const table of unpartitioned) {
      expect(ddlOf(String(table.inputs.tableId)).partitionBy, String(table.inputs.tableId)).toBeNull();
      expect(table.inputs.requirePartitionFilter, String(table.inputs.tableId)).toBe(false);
    }
  });

  it('requires a partition filter on every table partitioned by event time, and wherever its DDL does', () => {
    const byEventTime = tables.filter((t) => objectAt(t.inputs.timePartitioning ?? {}).field === 'event_time');

    // Every pattern query scans these: an unfiltered query would read the whole history.
    expect(byEventTime.map((t) => String(t.inputs.tableId)).sort()).toEqual(['events', 'order_items']);
    for (const table of byEventTime) expect(table.inputs.requirePartitionFilter, String(table.inputs.tableId)).toBe(true);
    for (const table of tables) {
      expect(table.inputs.requirePartitionFilter).toBe(ddlOf(String(table.inputs.tableId)).options.require_partition_filter === true);
    }
  });

  it.each(['run_order_lines_staging', 'run_engagement_staging'])(
    'drops what %s holds a day after the run staged it, whatever a run left behind',
    (tableId) => {
      // Shoppers' purchases and clicks: the run empties the table and the erasure job deletes from it, and the
      // partition's expiry removes what a failed run left there within two days, well inside retention and erasure.
      expect(named(resources, TYPES.table, tableId).inputs.timePartitioning).toEqual({
        type: 'DAY',
        field: 'staged_at',
        expirationMs: DAY_MS,
      });
    },
  );

  it('clusters each table as its DDL does', () => {
    for (const table of tables) {
      const { clusterBy } = ddlOf(String(table.inputs.tableId));
      expect(table.inputs.clusterings ?? []).toEqual(clusterBy);
    }
  });

  it.each(Object.entries(BATCH_TABLE_CLUSTERING))('clusters %s by %j', (tableId, columns) => {
    expect(named(resources, TYPES.table, tableId).inputs.clusterings).toEqual(columns);
  });
});

describe('tableSpec', () => {
  const spec = (sql: string) => tableSpec(parseTableDdl(sql));
  const table = (columns: string, tail = '') => `CREATE TABLE IF NOT EXISTS t (${columns}) ${tail}`;

  it.each([
    ['STRING', 'STRING'],
    ['INT64', 'INTEGER'],
    ['FLOAT64', 'FLOAT'],
    ['BOOL', 'BOOLEAN'],
    ['TIMESTAMP', 'TIMESTAMP'],
    ['JSON', 'JSON'],
  ])('writes %s as the tables API names it, %s', (sqlType, apiType) => {
    expect(spec(table(`c ${sqlType}`)).schema).toEqual([{ name: 'c', type: apiType, mode: 'NULLABLE' }]);
  });

  it('maps NOT NULL to REQUIRED and ARRAY<X> to a REPEATED X', () => {
    expect(spec(table("a STRING NOT NULL, tags ARRAY<STRING> OPTIONS (description = 'Tags.')")).schema).toEqual([
      { name: 'a', type: 'STRING', mode: 'REQUIRED' },
      { name: 'tags', type: 'STRING', mode: 'REPEATED', description: 'Tags.' },
    ]);
  });

  it('maps partitioning, its expiry, the partition filter, clustering and the description', () => {
    const sql = table(
      'at TIMESTAMP NOT NULL, u STRING',
      "PARTITION BY DATE(at) CLUSTER BY u OPTIONS (require_partition_filter = TRUE, partition_expiration_days = 2, description = 'D.')",
    );

    expect(spec(sql)).toEqual({
      tableId: 't',
      description: 'D.',
      schema: [
        { name: 'at', type: 'TIMESTAMP', mode: 'REQUIRED' },
        { name: 'u', type: 'STRING', mode: 'NULLABLE' },
      ],
      timePartitioning: { type: 'DAY', field: 'at', expirationMs: 2 * DAY_MS },
      requirePartitionFilter: true,
      clusterings: ['u'],
    });
  });

  it.each([
    ['an unknown table option', table('at TIMESTAMP', "PARTITION BY DATE(at) OPTIONS (friendly_name = 'x')"), /table option friendly_name/],
    ['an unknown column option', table("c STRING OPTIONS (rounding_mode = 'x')"), /t\.c: column option rounding_mode/],
    ['partitioning on a bare column', table('at TIMESTAMP', 'PARTITION BY at'), /only PARTITION BY DATE/],
    ['a partition filter without partitions', table('at TIMESTAMP', 'OPTIONS (require_partition_filter = TRUE)'), /need PARTITION BY/],
    [
      'a partition filter that is not a boolean',
      table('at TIMESTAMP', "PARTITION BY DATE(at) OPTIONS (require_partition_filter = 'yes')"),
      /must be a boolean/,
    ],
    [
      'a fractional partition expiry',
      table('at TIMESTAMP', 'PARTITION BY DATE(at) OPTIONS (partition_expiration_days = 1.5)'),
      /whole number of days/,
    ],
    ['a description that is not text', table('c STRING OPTIONS (description = 3)'), /t\.c: description must be a string/],
  ])('refuses %s', (_case, sql, message) => {
    expect(() => spec(sql)).toThrow(message);
  });
});

describe('tableSpecs', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function sqlDir(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'sql-'));
    dirs.push(dir);
    for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(dir, name), sql);
    return dir;
  }

  it('reads every CREATE TABLE file, leaving queries to the jobs', () => {
    const dir = sqlDir({
      'b.sql': '-- b\nCREATE TABLE IF NOT EXISTS b (x STRING)',
      'a.sql': 'CREATE TABLE IF NOT EXISTS a (x INT64)',
      'top_products.sql': '-- a query\nSELECT sku, COUNT(*) FROM order_items GROUP BY sku',
      'notes.txt': 'not sql',
    });

    expect(tableSpecs(dir).map((t) => t.tableId)).toEqual(['a', 'b']);
  });

  it('names the file whose DDL it cannot map', () => {
    const dir = sqlDir({ 'events.sql': 'CREATE TABLE IF NOT EXISTS events (at TIMESTAMP) PARTITION BY at' });

    expect(() => tableSpecs(dir)).toThrow(/^sql\/events\.sql: .*PARTITION BY DATE/);
  });

  it('names the file whose DDL does not parse', () => {
    const dir = sqlDir({ 'events.sql': 'CREATE TABLE IF NOT EXISTS events (at GEOGRAPHY)' });

    expect(() => tableSpecs(dir)).toThrow(/^sql\/events\.sql: unsupported column type GEOGRAPHY/);
  });

  it('refuses a table declared in a file of another name, which the functions would not find', () => {
    const dir = sqlDir({ 'event.sql': 'CREATE TABLE IF NOT EXISTS events (x STRING)' });

    expect(() => tableSpecs(dir)).toThrow(/sql\/event\.sql: declares table events, so it must be named events\.sql/);
  });

  it('maps every file of the real sql/ folder', () => {
    expect(tableSpecs(SQL_DIR).map((t) => t.tableId)).toEqual(expect.arrayContaining([...WAREHOUSE_TABLES]));
  });
});
