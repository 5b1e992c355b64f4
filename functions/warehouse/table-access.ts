import type { WarehouseTable } from './sql-files.ts';

/**
 * What one function does in the warehouse: the tables its statements read and write, and how it reaches them —
 * `jobs` (queries, DML and loads, which are BigQuery jobs) or `streaming` (insertAll, which is not a job).
 * A table read and written is in both lists.
 */
export type TableAccess = {
  via: 'jobs' | 'streaming';
  reads: readonly WarehouseTable[];
  writes: readonly WarehouseTable[];
};

/**
 * Every function that touches the warehouse, by the name `functions/index.ts` registers it under, with the tables
 * it touches. `infra/` grants each function's account exactly these tables and nothing of the others, and
 * test/warehouse/table-access.test.ts runs every one of them against the warehouse and fails when a statement
 * touches a table not listed here, or a listed one is never touched.
 */
export const TABLE_ACCESS = {
  ingest: { via: 'streaming', reads: [], writes: ['events', 'order_items', 'rejected_events'] },
  storeRejected: { via: 'streaming', reads: [], writes: ['rejected_events'] },
  patterns: {
    via: 'jobs',
    // Active shoppers and their staged lines and engagement come from events and order_items; job_runs holds the watermark.
    reads: [
      'events',
      'order_items',
      'job_runs',
      'user_patterns',
      'user_patterns_staging',
      'shopper_privacy_staging',
      'order_lines_staging',
      'engagement_staging',
      'category_price_ranges_staging',
    ],
    writes: [
      'user_patterns',
      'user_patterns_staging',
      'shopper_privacy_staging',
      'order_lines_staging',
      'engagement_staging',
      'category_price_ranges_staging',
      'job_runs',
    ],
  },
  erasure: {
    via: 'jobs',
    reads: [
      'events',
      'order_items',
      'rejected_events',
      'user_patterns',
      'user_patterns_staging',
      'shopper_privacy_staging',
      'shopper_retention_staging',
      'order_lines_staging',
      'engagement_staging',
      'erasure_log',
    ],
    writes: [
      'events',
      'order_items',
      'rejected_events',
      'user_patterns',
      'user_patterns_staging',
      'shopper_privacy_staging',
      'shopper_retention_staging',
      'order_lines_staging',
      'engagement_staging',
      'erasure_log',
      'job_runs',
    ],
  },
  retention: {
    via: 'jobs',
    reads: ['shopper_retention_staging'],
    writes: ['events', 'order_items', 'rejected_events', 'shopper_retention_staging', 'job_runs'],
  },
  metrics: {
    via: 'jobs',
    reads: ['events', 'order_items', 'user_patterns', 'learning_metrics_staging'],
    writes: ['learning_metrics_staging', 'learning_metrics', 'job_runs'],
  },
  operators: { via: 'jobs', reads: ['events', 'rejected_events', 'job_runs', 'learning_metrics'], writes: [] },
} as const satisfies Record<string, TableAccess>;

export type WarehouseFunction = keyof typeof TABLE_ACCESS;

/** The tables a function may only read: those it reads and never writes (writing a table lets it read it too). */
export function readOnlyTables(access: TableAccess): WarehouseTable[] {
  return access.reads.filter((table) => !access.writes.includes(table));
}
