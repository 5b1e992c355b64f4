import { describe, expect, it } from 'vitest';
import {
  binOf,
  fitReorderModel,
  isDueByModel,
  REORDER_CELLS,
  REORDER_FIT,
  ReorderModel,
  reorderCell,
  type ReorderOutcome,
} from '../../functions/kernel/reorder-model.ts';
import { REORDER_RULE } from '../../functions/kernel/reorder-rule.ts';
import { SQL_MACROS } from '../../functions/warehouse/sql-macros.ts';

const META = { version: 'run-7', asOf: new Date('2026-03-01T00:00:00.000Z'), fittedAt: new Date('2026-03-01T03:00:00.000Z') };
const NOW = new Date('2026-03-01T00:00:00.000Z');
const daysBefore = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

/** Every cell: 10 cycle bins × 5 orders bins × 5 interval bins. */
const CELLS = (REORDER_CELLS.cycle.length + 1) * (REORDER_CELLS.orders.length + 1) * (REORDER_CELLS.interval.length + 1);

describe('the reorder model’s cells', () => {
  it('bin a value by the lower edges it reaches: an edge belongs to the bin above it', () => {
    expect([0.49, 0.5, 0.89, 0.9, 1, 1.99, 2, 3, 40].map((x) => binOf(x, REORDER_CELLS.cycle))).toEqual([0, 1, 2, 3, 4, 7, 8, 9, 9]);
    expect([2, 3, 4, 5, 6, 9, 10, 50].map((n) => binOf(n, REORDER_CELLS.orders))).toEqual([0, 1, 2, 2, 3, 3, 4, 4]);
    expect([1, 4, 6.9, 7, 14, 28, 90].map((d) => binOf(d, REORDER_CELLS.interval))).toEqual([0, 1, 1, 2, 3, 4, 4]);
  });

  it('are binned in SQL by the same edges (REORDER_*_BIN expand to the CASE of these edges)', () => {
    expect(SQL_MACROS.REORDER_ORDERS_BIN?.('r.orders')).toBe(
      '(CASE WHEN r.orders < 3 THEN 0 WHEN r.orders < 4 THEN 1 WHEN r.orders < 6 THEN 2 WHEN r.orders < 10 THEN 3 ELSE 4 END)',
    );
    expect(SQL_MACROS.REORDER_FIT_DAYS?.()).toBe(String(REORDER_FIT.fitDays));
  });

  it('give a cycle bin’s lower edge in SQL (REORDER_CYCLE_FROM), 0 for the first bin', () => {
    expect(SQL_MACROS.REORDER_CYCLE_FROM?.('m.cycle_bin')).toBe(
      '(CASE m.cycle_bin WHEN 1 THEN 0.5 WHEN 2 THEN 0.75 WHEN 3 THEN 0.9 WHEN 4 THEN 1 WHEN 5 THEN 1.1 WHEN 6 THEN 1.25 WHEN 7 THEN 1.5 WHEN 8 THEN 2 WHEN 9 THEN 3 ELSE 0 END)',
    );
  });

  it('place a rhythm by days since its last order ÷ its interval, its orders and its interval; no rhythm, no cell', () => {
    // 3 orders every 7 days, last 7 days ago: one whole cycle in.
    expect(reorderCell({ orders: 3, mean_interval_days: 7, last_at: daysBefore(7) }, NOW)).toEqual({
      cycle: 1,
      cycle_bin: 4,
      orders_bin: 1,
      interval_bin: 2,
    });
    expect(reorderCell({ orders: 1, mean_interval_days: null, last_at: daysBefore(7) }, NOW)).toBeNull();
    // Two orders at one instant.
    expect(reorderCell({ orders: 2, mean_interval_days: 0, last_at: daysBefore(7) }, NOW)).toBeNull();
  });

  it('decide by the default rule while no model is fitted: due from 0.9 of the interval until 2 ×', () => {
    const due = (days: number) => isDueByModel(null, { orders: 2, mean_interval_days: 10, last_at: daysBefore(days) }, NOW);
    expect(REORDER_RULE).toEqual({ dueFraction: 0.9, lapseCycles: 2 });
    expect([8.9, 9, 19.9, 20].map(due)).toEqual([false, true, true, false]);
  });
});

describe('fitting the reorder model', () => {
  // Bought in 80 of 100 orders one interval in (cycle bin 4), in 20 of 100 at 2–3 intervals (bin 8); two orders, 7 days.
  const outcomes: ReorderOutcome[] = [
    { cycle_bin: 4, orders_bin: 0, interval_bin: 2, examples: 100, bought: 80 },
    { cycle_bin: 8, orders_bin: 0, interval_bin: 2, examples: 100, bought: 20 },
  ];

  it('shrinks each cell’s share towards its parent’s by 10 examples, cell ← cycle and orders ← cycle ← all', () => {
    const model = fitReorderModel(outcomes, META);
    if (model === null) throw new Error('no model fitted');
    const cell = (cycle: number, orders: number, interval: number) =>
      model.cells.find((c) => c.cycle_bin === cycle && c.orders_bin === orders && c.interval_bin === interval);
    // All: (100 + 1) / (200 + 2) = 0.5. Cycle 4: (80 + 10 × 0.5) / 110 = 0.772727; with two orders: (80 + 7.72727) / 110 = 0.797521;
    // the cell: (80 + 7.97521) / 110 = 0.799775. Cycle 8: 25 / 110 = 0.227273 → 22.27273 / 110 = 0.202479 → 22.02479 / 110 = 0.200225.
    expect(cell(4, 0, 2)).toEqual({
      cycle_bin: 4,
      orders_bin: 0,
      interval_bin: 2,
      examples: 100,
      bought: 80,
      probability: 0.799775,
      due: true,
    });
    expect(cell(8, 0, 2)).toMatchObject({ examples: 100, bought: 20, probability: 0.200225, due: false });
    // A cell never seen takes its parent's rate: another interval at cycle 4 and two orders, then cycle 4 alone, then all.
    expect(cell(4, 0, 4)).toMatchObject({ examples: 0, probability: 0.797521, due: false });
    expect(cell(4, 3, 0)).toMatchObject({ examples: 0, probability: 0.772727 });
    expect(cell(0, 0, 0)).toMatchObject({ examples: 0, probability: 0.5 });
    expect(model.cells).toHaveLength(CELLS);
  });

  it('holds due the cells that maximize the expected F1: cycle bin 4 alone (F1 0.80), not with bin 8 as well (0.67)', () => {
    const model = fitReorderModel(outcomes, META);
    // Σ examples × probability = 79.9775 + 20.0225 = 100 expected purchases. Bin 4: 2 × 79.9775 / (100 + 100); both: 200 / 300.
    expect(model).toMatchObject({
      kind: 'reorder-cells-v1',
      version: 'run-7',
      as_of: META.asOf.toISOString(),
      fitted_at: META.fittedAt.toISOString(),
      examples: 200,
      bought: 100,
    });
    expect(model?.threshold).toBe(0.799775);
    expect(model?.expected).toEqual({ precision: 0.799775, recall: 0.799775, f1: 0.799775 });
    expect(model?.cells.filter((c) => c.due).map((c) => [c.cycle_bin, c.orders_bin, c.interval_bin])).toEqual([[4, 0, 2]]);
    expect(ReorderModel.parse(model)).toEqual(model);
  });

  it('decides by the fitted cells: due one interval in, not two and a half', () => {
    const model = fitReorderModel(outcomes, META);
    const rhythm = (days: number) => ({ orders: 2, mean_interval_days: 7, last_at: daysBefore(days) });
    expect(isDueByModel(model, rhythm(7.2), NOW)).toBe(true);
    expect(isDueByModel(model, rhythm(17.5), NOW)).toBe(false);
    // The default rule would hold 6.3 days in due (0.9); the model's cycle bin 3 is not.
    expect(isDueByModel(model, rhythm(6.5), NOW)).toBe(false);
  });

  it(`fits nothing from fewer than ${REORDER_FIT.minBought} purchases: the model in force stays`, () => {
    expect(
      fitReorderModel([{ cycle_bin: 4, orders_bin: 0, interval_bin: 2, examples: 100, bought: REORDER_FIT.minBought - 1 }], META),
    ).toBeNull();
    expect(
      fitReorderModel([{ cycle_bin: 4, orders_bin: 0, interval_bin: 2, examples: 100, bought: REORDER_FIT.minBought }], META),
    ).not.toBeNull();
  });
});
