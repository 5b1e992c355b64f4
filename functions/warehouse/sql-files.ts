import { readFile } from 'node:fs/promises';
import { expandSqlMacros } from './sql-macros.ts';

/** The tables the ingest path writes, each declared by `sql/<table>.sql`. */
export const INGEST_TABLES = ['events', 'order_items', 'rejected_events'] as const;
export type IngestTable = (typeof INGEST_TABLES)[number];

/** The tables functions write by streaming inserts: ingest's, and the links `users` records. */
export const STREAMED_TABLES = [...INGEST_TABLES, 'identity_links'] as const;
export type StreamedTable = (typeof STREAMED_TABLES)[number];

/** Every warehouse table, each declared by `sql/<table>.sql`, in creation order: the streamed ones, then the batch jobs'. */
export const WAREHOUSE_TABLES = [
  ...STREAMED_TABLES,
  'user_patterns',
  'user_patterns_staging',
  'job_runs',
  'erasure_log',
  'shopper_privacy_staging',
  'category_price_ranges_staging',
  'run_order_lines_staging',
  'run_engagement_staging',
  'order_lines_staging',
  'engagement_staging',
  'shopper_retention_staging',
  'learning_metrics',
  'learning_metrics_staging',
  'reorder_model',
  'reorder_model_staging',
  'import_events_staging',
  'import_order_items_staging',
  'import_rejected_staging',
] as const;
export type WarehouseTable = (typeof WAREHOUSE_TABLES)[number];

/**
 * `sql/` sits two folders above this file both in the repository and in the build output
 * (`dist/functions/warehouse/` → `dist/sql/`), so the build has to copy `sql/` into `dist/`.
 */
const SQL_DIR = new URL('../../sql/', import.meta.url);

/**
 * Reads one file of `sql/` by its plain name, e.g. `events.sql`, with its macros expanded
 * (functions/warehouse/sql-macros.ts): what every engine runs, and every test checks.
 */
export async function readSqlFile(name: string): Promise<string> {
  // A plain name only: the file is always one of ours, never a path from input.
  if (!/^[a-z0-9_]+\.sql$/.test(name)) throw new Error(`not a sql/ file name: ${name}`);
  return expandSqlMacros(await readFile(new URL(name, SQL_DIR), 'utf8'));
}

export function readTableDdl(table: WarehouseTable): Promise<string> {
  return readSqlFile(`${table}.sql`);
}
