import { IMPORT_STAGING_TABLES, type ImportStaging } from '../../history/ports.ts';
import type { DuckDbWarehouse } from './duckdb-warehouse.ts';

/** A history import's staging on the local warehouse: each slice appended through DuckDB's appender. */
export function createDuckDbImportStaging(warehouse: Pick<DuckDbWarehouse, 'appendRows' | 'replaceRows'>): ImportStaging {
  return {
    async clear() {
      for (const table of Object.values(IMPORT_STAGING_TABLES)) await warehouse.replaceRows(table, [], 'import');
    },
    async append(slice) {
      await warehouse.appendRows(IMPORT_STAGING_TABLES.events, slice.events);
      await warehouse.appendRows(IMPORT_STAGING_TABLES.orderItems, slice.orderItems);
      await warehouse.appendRows(IMPORT_STAGING_TABLES.rejected, slice.rejected);
    },
    // What was appended is in the tables already.
    async finish() {},
  };
}
