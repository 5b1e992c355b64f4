import { REORDER_CELLS, REORDER_MODEL_KIND, type ReorderCellKey, type ReorderModel } from '../../functions/kernel/reorder-model.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';

/**
 * A reorder model over every cell of `REORDER_CELLS`, due where `due` says (by the cell's bins), with the probability
 * 0.9 where due and 0.1 elsewhere, as a fit would publish it; for the tests of its readers.
 */
export function reorderModelWhere(due: (cell: ReorderCellKey) => boolean, version = 'run-test'): ReorderModel {
  const cells: ReorderModel['cells'] = [];
  for (let cycle = 0; cycle <= REORDER_CELLS.cycle.length; cycle += 1) {
    for (let orders = 0; orders <= REORDER_CELLS.orders.length; orders += 1) {
      for (let interval = 0; interval <= REORDER_CELLS.interval.length; interval += 1) {
        const key = { cycle_bin: cycle, orders_bin: orders, interval_bin: interval };
        const isDue = due(key);
        cells.push({ ...key, examples: 10, bought: isDue ? 9 : 1, probability: isDue ? 0.9 : 0.1, due: isDue });
      }
    }
  }
  return {
    kind: REORDER_MODEL_KIND,
    version,
    as_of: '2026-11-01T00:00:00.000Z',
    fitted_at: '2026-11-01T03:00:00.000Z',
    threshold: 0.5,
    examples: cells.length * 10,
    bought: cells.reduce((sum, c) => sum + c.bought, 0),
    expected: { precision: 0.9, recall: 0.9, f1: 0.9 },
    cells,
  };
}

/** The cycle bin from `REORDER_CELLS.cycle` whose lower edge is `edge` (bin 0 below the first). */
export function cycleBinFrom(edge: number): number {
  const index = REORDER_CELLS.cycle.indexOf(edge as (typeof REORDER_CELLS.cycle)[number]);
  if (index < 0) throw new Error(`${edge} is no cycle edge`);
  return index + 1;
}

/** A fitted model's version as `reorder_model` rows (sql/reorder_model.sql): every cell, due where `due` says. */
export function reorderModelRows(version: string, asOf: string, due: (cell: ReorderCellKey) => boolean): SqlRow[] {
  const { cells, threshold, kind } = reorderModelWhere(due, version);
  return cells.map(({ cycle_bin, orders_bin, interval_bin, examples, bought, probability, due: isDue }) => ({
    version,
    kind,
    as_of: asOf,
    fitted_at: asOf,
    threshold,
    cycle_bin,
    orders_bin,
    interval_bin,
    examples,
    bought,
    probability,
    due: isDue,
  }));
}
