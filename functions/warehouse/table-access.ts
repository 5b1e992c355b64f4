import type { WarehouseTable } from './sql-files.ts';

/**
 * What one function does in the warehouse: the tables its statements read and write, and how it reaches them —
 * `jobs` (queries, DML and loads, which are BigQuery jobs) or `streaming` (insertAll, which is not a job).
 * A table read and written is in both lists. Each function declares its own in its descriptor (`needs.warehouse`);
 * `TABLE_ACCESS` in functions/registry.ts collects them. infra/ grants each function's account exactly these tables
 * and nothing of the others, and test/warehouse/table-access.test.ts runs every one of them against the warehouse
 * and fails when a statement touches a table not listed, or a listed one is never touched.
 */
export type TableAccess = {
  via: 'jobs' | 'streaming';
  reads: readonly WarehouseTable[];
  writes: readonly WarehouseTable[];
};

/** The tables a function may only read: those it reads and never writes (writing a table lets it read it too). */
export function readOnlyTables(access: TableAccess): WarehouseTable[] {
  return access.reads.filter((table) => !access.writes.includes(table));
}
