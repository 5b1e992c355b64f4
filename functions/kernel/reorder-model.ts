import { z } from 'zod';
import { REORDER_RULE } from './reorder-rule.ts';

/**
 * When a product bought on a rhythm is due again, as a probability fitted to what shoppers did: the share of
 * orders that bought a product, among the orders placed when it stood in the same cell of
 * - how far into its own rhythm the shopper is: days since the last purchase ÷ the mean interval (`cycle`);
 * - how many orders bought it (`orders`): two orders may be chance, ten are a habit;
 * - the mean interval itself, in days (`interval`): a rhythm of two days is rarely one.
 * The patterns job counts each cell's orders and purchases from the warehouse (sql/reorder_outcomes.sql, the
 * sufficient statistics) and fits the table (`fitReorderModel`); search, the reorder metric and the shoppers' views
 * all decide with `isDueByModel`. Until a table is fitted, `REORDER_RULE` decides (its 0.9 and 2 are cycle edges).
 */
export const REORDER_CELLS = {
  /** Lower edges of the cycle bins after the first (bin 0 is below 0.5). */
  cycle: [0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2, 3],
  /** Lower edges of the orders bins after the first (bin 0 is two orders: fewer make no rhythm). */
  orders: [3, 4, 6, 10],
  /** Lower edges of the mean-interval bins after the first, days (bin 0 is under 4 days). */
  interval: [4, 7, 14, 28],
} as const;

/**
 * How the table is fitted:
 * - `fitDays`: orders of this many days before the run's as_of are the examples (each judged on the purchases
 *   before it): recent behaviour, and a bounded join of orders × products on BigQuery;
 * - `priorExamples`: a cell's rate is shrunk towards its parent's (cycle and orders; then cycle alone; then every
 *   example) as if it had this many more examples at the parent's rate, so a cell seen a few times says little;
 * - `minBought`: a run whose examples hold fewer purchases than this fits nothing, and the table in force stays.
 */
export const REORDER_FIT = { fitDays: 28, priorExamples: 10, minBought: 50 } as const;

/** The version of the features and cells above; a table of another shape is never read as this one. */
export const REORDER_MODEL_KIND = 'reorder-cells-v1';

export type ReorderCellKey = { cycle_bin: number; orders_bin: number; interval_bin: number };
/** A cell's counts, as sql/reorder_outcomes.sql answers them: orders judged, and of those the ones that bought. */
export type ReorderOutcome = ReorderCellKey & { examples: number; bought: number };

const count = z.number().int().nonnegative();
const unit = z.number().min(0).max(1);

export const ReorderCell = z.strictObject({
  cycle_bin: count,
  orders_bin: count,
  interval_bin: count,
  examples: count,
  bought: count,
  /** The smoothed share of orders that bought the product, in the cell. */
  probability: unit,
  /** probability ≥ the model's threshold. */
  due: z.boolean(),
});
export type ReorderCell = z.infer<typeof ReorderCell>;

/** The fitted table, as stored with the run (`reorder_model`) and published (`learning_models/reorder`). */
export const ReorderModel = z.strictObject({
  kind: z.literal(REORDER_MODEL_KIND),
  /** The patterns run that fitted it. */
  version: z.string().min(1),
  /** Orders before this instant were the examples. */
  as_of: z.iso.datetime({ offset: true }),
  fitted_at: z.iso.datetime({ offset: true }),
  /** A product is due where its cell's probability reaches this: the one that maximizes the expected F1. */
  threshold: unit,
  examples: count,
  bought: count,
  /** What the fit expects of its own decisions, at its probabilities. */
  expected: z.strictObject({ precision: unit, recall: unit, f1: unit }),
  /** Every cell of `REORDER_CELLS`, seen or not. */
  cells: z.array(ReorderCell),
});
export type ReorderModel = z.infer<typeof ReorderModel>;

/** Reads the reorder model in force; null before the patterns job first fitted one. Search's port, Firestore's adapter. */
export interface ReorderModelReader {
  read(): Promise<ReorderModel | null>;
}

/** What a decision reads of a product's rhythm: real-time learning's reorder state and a regular item both give it. */
export type Rhythm = { orders: number; mean_interval_days: number | null; last_at: string };

const DAY_MS = 86_400_000;

/** The bin of `value` among ascending lower `edges`: how many edges it reaches. */
export function binOf(value: number, edges: readonly number[]): number {
  let bin = 0;
  while (bin < edges.length && value >= (edges[bin] ?? Infinity)) bin += 1;
  return bin;
}

function binCount(edges: readonly number[]): number {
  return edges.length + 1;
}

/** The cell of a rhythm at `now`; null without a rhythm (fewer than two orders, or two at one instant). */
export function reorderCell(rhythm: Rhythm, now: Date): (ReorderCellKey & { cycle: number }) | null {
  const mean = rhythm.mean_interval_days;
  if (rhythm.orders < 2 || mean === null || !(mean > 0)) return null;
  const cycle = (now.getTime() - Date.parse(rhythm.last_at)) / DAY_MS / mean;
  return {
    cycle,
    cycle_bin: binOf(cycle, REORDER_CELLS.cycle),
    orders_bin: binOf(rhythm.orders, REORDER_CELLS.orders),
    interval_bin: binOf(mean, REORDER_CELLS.interval),
  };
}

function keyOf(cell: ReorderCellKey): string {
  return `${cell.cycle_bin}/${cell.orders_bin}/${cell.interval_bin}`;
}

const lookups = new WeakMap<ReorderModel, Map<string, ReorderCell>>();

function cellOf(model: ReorderModel, key: ReorderCellKey): ReorderCell | undefined {
  let byKey = lookups.get(model);
  if (!byKey) {
    byKey = new Map(model.cells.map((c) => [keyOf(c), c]));
    lookups.set(model, byKey);
  }
  return byKey.get(keyOf(key));
}

/** A rhythm's decision at `now`: by the fitted table, or by `REORDER_RULE` while none is fitted (`model` null). */
export function reorderDecision(
  model: ReorderModel | null,
  rhythm: Rhythm,
  now: Date,
): { due: boolean; cycle: number; probability: number | null } | null {
  const cell = reorderCell(rhythm, now);
  if (cell === null) return null;
  if (model === null)
    return { due: cell.cycle >= REORDER_RULE.dueFraction && cell.cycle < REORDER_RULE.lapseCycles, cycle: cell.cycle, probability: null };
  const fitted = cellOf(model, cell);
  return { due: fitted?.due ?? false, cycle: cell.cycle, probability: fitted?.probability ?? null };
}

/** Whether a product with this rhythm is due at `now`: the one rule search, the metric and the views decide by. */
export function isDueByModel(model: ReorderModel | null, rhythm: Rhythm, now: Date): boolean {
  return reorderDecision(model, rhythm, now)?.due ?? false;
}

/**
 * The table from the cells' counts: each cell's share of orders that bought, shrunk towards its parent
 * (`REORDER_FIT.priorExamples`), then the threshold that maximizes the F1 expected at these probabilities:
 * cells from the most probable down are due while adding one raises 2·E[hits] / (E[due] + E[purchases]).
 * Null when the counts hold fewer than `REORDER_FIT.minBought` purchases: too few to fit.
 */
export function fitReorderModel(
  outcomes: readonly ReorderOutcome[],
  meta: { version: string; asOf: Date; fittedAt: Date },
): ReorderModel | null {
  const sum = (rows: readonly ReorderOutcome[]) =>
    rows.reduce((t, r) => ({ examples: t.examples + r.examples, bought: t.bought + r.bought }), { examples: 0, bought: 0 });
  const total = sum(outcomes);
  if (total.bought < REORDER_FIT.minBought) return null;
  const m = REORDER_FIT.priorExamples;
  const shrink = (counts: { examples: number; bought: number }, parent: number) => (counts.bought + m * parent) / (counts.examples + m);
  const overall = (total.bought + 1) / (total.examples + 2);
  const byCycle = new Map<number, number>();
  const byCycleOrders = new Map<string, number>();
  const cells: Omit<ReorderCell, 'due'>[] = [];
  for (let cycle = 0; cycle < binCount(REORDER_CELLS.cycle); cycle += 1) {
    const inCycle = outcomes.filter((o) => o.cycle_bin === cycle);
    byCycle.set(cycle, shrink(sum(inCycle), overall));
    for (let orders = 0; orders < binCount(REORDER_CELLS.orders); orders += 1) {
      const inOrders = inCycle.filter((o) => o.orders_bin === orders);
      const parent = shrink(sum(inOrders), byCycle.get(cycle) ?? overall);
      byCycleOrders.set(`${cycle}/${orders}`, parent);
      for (let interval = 0; interval < binCount(REORDER_CELLS.interval); interval += 1) {
        const counts = sum(inOrders.filter((o) => o.interval_bin === interval));
        cells.push({ cycle_bin: cycle, orders_bin: orders, interval_bin: interval, ...counts, probability: shrink(counts, parent) });
      }
    }
  }
  const { threshold, expected } = maximumExpectedF1(cells);
  return {
    kind: REORDER_MODEL_KIND,
    version: meta.version,
    as_of: meta.asOf.toISOString(),
    fitted_at: meta.fittedAt.toISOString(),
    threshold,
    examples: total.examples,
    bought: total.bought,
    expected,
    cells: cells.map((c) => ({ ...c, probability: round(c.probability), due: round(c.probability) >= threshold })),
  };
}

/**
 * The threshold over the cells' (rounded) probabilities whose due cells maximize the expected F1; ties go to the
 * higher threshold (fewer, surer predictions). Expected hits are Σ examples × probability over due cells.
 */
function maximumExpectedF1(cells: readonly Omit<ReorderCell, 'due'>[]): { threshold: number; expected: ReorderModel['expected'] } {
  const purchases = cells.reduce((t, c) => t + c.examples * c.probability, 0);
  const levels = [...new Set(cells.filter((c) => c.examples > 0).map((c) => round(c.probability)))].sort((a, b) => b - a);
  let best = { threshold: 1, expected: { precision: 0, recall: 0, f1: 0 } };
  let due = 0;
  let hits = 0;
  for (const level of levels) {
    for (const c of cells) {
      if (round(c.probability) !== level) continue;
      due += c.examples;
      hits += c.examples * c.probability;
    }
    const f1 = (2 * hits) / (due + purchases);
    if (f1 > best.expected.f1)
      best = { threshold: level, expected: { precision: round(hits / due), recall: round(hits / purchases), f1: round(f1) } };
  }
  return best;
}

/** Six decimals: the stored and published table reads the same on every engine and in every test. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** `binOf` as SQL: the bin of `value` among the edges of `REORDER_CELLS`, written as a CASE (sql-macros.ts). */
export function sqlBinOf(value: string, edges: readonly number[]): string {
  const whens = edges.map((edge, bin) => `WHEN ${value} < ${edge} THEN ${bin}`).join(' ');
  return `(CASE ${whens} ELSE ${edges.length} END)`;
}

/** The lower edge of `bin` among the edges of `REORDER_CELLS`, 0 for the first bin, as a SQL CASE (sql-macros.ts). */
export function sqlBinFrom(bin: string, edges: readonly number[]): string {
  const whens = edges.map((edge, index) => `WHEN ${index + 1} THEN ${edge}`).join(' ');
  return `(CASE ${bin} ${whens} ELSE 0 END)`;
}
