import type { SqlWarehouse } from '../../functions/warehouse/ports.ts';

/** The warehouse, except that executing `file` throws `message`: a job's failure at one step. */
export function failingAt(warehouse: SqlWarehouse, file: string, message: string): SqlWarehouse {
  return {
    query: (f, params, job) => warehouse.query(f, params, job),
    execute: async (f, params, job) => {
      if (f === file) throw new Error(message);
      return warehouse.execute(f, params, job);
    },
    replaceRows: (table, rows, job) => warehouse.replaceRows(table, rows, job),
  };
}
