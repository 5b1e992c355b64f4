import type { DuckDbWarehouse } from './duckdb-warehouse.ts';

/**
 * The local warehouses this process opened, one per file: ingest and the batch jobs share it, as DuckDB
 * lets one process open a file once. DuckDB is a development dependency, loaded only when a file is opened.
 */
const opened = new Map<string, Promise<DuckDbWarehouse>>();

export function openDuckDb(setting: { path: string }): Promise<DuckDbWarehouse> {
  let warehouse = opened.get(setting.path);
  if (!warehouse) {
    warehouse = import('./duckdb-warehouse.ts').then(({ createDuckDbWarehouse }) => createDuckDbWarehouse(setting.path));
    opened.set(setting.path, warehouse);
  }
  return warehouse;
}

/**
 * Checkpoints and closes every warehouse this process opened: each file then holds all its rows, and
 * no write-ahead log is left beside it (the process that owns the files calls it when it stops).
 */
export async function closeDuckDbFiles(): Promise<void> {
  const warehouses = [...opened.values()];
  opened.clear();
  const closed = await Promise.allSettled(warehouses.map(async (warehouse) => (await warehouse).close()));
  const failed = closed.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
