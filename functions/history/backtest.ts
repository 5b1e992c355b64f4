import type { CollectedEvent } from '../events/schema.ts';
import { strengthAt } from '../learn/affinity-strength.ts';
import { learn } from '../learn/learn.ts';
import type { Preferences } from '../learn/preferences.ts';
import { isRegularItemDue, isReorderDue } from '../learn/reorder-due.ts';
import type { ReorderModel } from '../kernel/reorder-model.ts';
import type { Logger } from '../logging/logger.ts';
import { BEGINNING, runPatternsJob } from '../patterns/job.ts';
import type { Patterns } from '../patterns/patterns.ts';
import { DEFAULT_PRIVACY } from '../privacy/settings.ts';
import type { SqlWarehouse } from '../warehouse/ports.ts';
import { eventRow, orderItemRows } from '../warehouse/rows.ts';
import { storedEvent } from './stored-event.ts';

/** Shoppers replayed together: their history is read, learned and run through the patterns job at once. */
export const BACKTEST_SLICE_SHOPPERS = 2_000;

/** A fresh warehouse of the backtest's own for the patterns job (DuckDB in memory): never the production one's staging tables. */
export type ScratchWarehouse = SqlWarehouse & { close(): Promise<void> };

export type BacktestDeps = {
  /** The warehouse whose history is replayed; only read. */
  history: Pick<SqlWarehouse, 'query'>;
  scratch: () => Promise<ScratchWarehouse>;
  logger: Logger;
  sliceShoppers?: number;
  /** Called after each slice with the shoppers replayed so far. */
  onProgress?: (shoppers: number) => void;
};

/** Predictions scored against what was ordered: per-prediction precision and recall (micro), their F1, and the mean F1 per order. */
export type ReorderScore = {
  /** Products predicted due at the next order. */
  predicted: number;
  /** Of those, the ones the next order held. */
  hits: number;
  /** Products of the next orders bought before the cutoff: the reorders a prediction could name. */
  reorders: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** F1 of each order's predicted and reordered products, averaged over the orders (Instacart's own measure; an order with neither counts 1). */
  mean_order_f1: number | null;
};

export type BrandScore = { judged: number; hits: number; rate: number | null };

export type BacktestResult = {
  until: string;
  /** Shoppers who ordered before the cutoff and after it: the ones scored, each on their next order. */
  shoppers: number;
  reorder: {
    loop: ReorderScore;
    baseline: ReorderScore;
    lift: { precision: number | null; recall: number | null; f1: number | null; mean_order_f1: number | null };
  };
  brand: { loop: BrandScore; baseline: BrandScore; by_category: { category: string; loop: BrandScore; baseline: BrandScore }[] };
  ms: number;
};

/** One shopper's next order as the backtest judges it. */
type Judged = {
  predicted: Set<string>;
  baseline: Set<string>;
  ordered: Set<string>;
  boughtBefore: Set<string>;
  brands: { category: string; loop: boolean | null; baseline: boolean | null }[];
};

/**
 * The backtest: the warehouse's history before `until` replayed through the loop's own code — real-time learning
 * (`learn`), the patterns job (its SQL, on a warehouse of its own) and the reorder rule search ranks by — and each
 * shopper's next order predicted and scored against what they ordered: the products due then (reorder precision,
 * recall and F1) and, per category, the brand the loop would favour. Beside each figure the naive baseline: a product
 * bought at least twice and at least one mean interval since the last purchase; the brand bought most in the category.
 */
export async function runBacktest(deps: BacktestDeps, until: Date): Promise<BacktestResult> {
  const started = Date.now();
  const limit = deps.sliceShoppers ?? BACKTEST_SLICE_SHOPPERS;
  const judged: Judged[] = [];
  for (let after = ''; ;) {
    const page = (await deps.history.query('backtest_shoppers.sql', { until, after, limit }, 'backtest')).rows;
    if (page.length === 0) break;
    after = String(page.at(-1)?.user_id);
    const userIds = page.map((row) => String(row.user_id));
    judged.push(...(await replaySlice(deps, userIds, until)));
    deps.onProgress?.(judged.length);
    deps.logger.info('backtest slice replayed', { shoppers: judged.length });
  }
  return { until: until.toISOString(), shoppers: judged.length, ...scoreAll(judged), ms: Date.now() - started };
}

async function replaySlice(deps: BacktestDeps, userIds: string[], until: Date): Promise<Judged[]> {
  const byShopper = new Map<string, CollectedEvent[]>(userIds.map((id) => [id, []]));
  for (const row of (await deps.history.query('backtest_events.sql', { until, user_ids: userIds }, 'backtest')).rows) {
    const event = storedEvent(row);
    byShopper.get(event.user_id)?.push(event);
  }
  const next = new Map<string, CollectedEvent>();
  for (const row of (await deps.history.query('backtest_next_orders.sql', { until, user_ids: userIds }, 'backtest')).rows) {
    const event = storedEvent(row);
    next.set(event.user_id, event);
  }
  const { patterns, model } = await replayPatterns(deps, byShopper, until);
  const judged: Judged[] = [];
  for (const [userId, events] of byShopper) {
    const order = next.get(userId);
    if (order?.type !== 'order_completed') continue;
    // Learned as live learning would have, at the cutoff: what search would read at the next order.
    const learned = learn(null, userId, events, until);
    judged.push(judge(learned, patterns.get(userId) ?? null, model, events, order));
  }
  return judged;
}

/**
 * The patterns job itself over the slice's history, on a warehouse of its own, as of the cutoff: the slice's patterns,
 * and the reorder model it fitted from the slice's orders before the cutoff (null when they were too few).
 */
async function replayPatterns(
  deps: BacktestDeps,
  byShopper: ReadonlyMap<string, readonly CollectedEvent[]>,
  until: Date,
): Promise<{ patterns: Map<string, Patterns>; model: ReorderModel | null }> {
  const scratch = await deps.scratch();
  try {
    const events = [...byShopper.values()].flat();
    // The rows as the warehouse held them; the job reads them again from its own copy.
    await scratch.replaceRows(
      'events',
      events.map((e) => ({ ...eventRow(e, e.received_at) })),
      'backtest',
    );
    await scratch.replaceRows(
      'order_items',
      events.flatMap((e) => orderItemRows(e)),
      'backtest',
    );
    const published = new Map<string, Patterns>();
    let model: ReorderModel | null = null;
    await runPatternsJob(
      {
        warehouse: scratch,
        publisher: {
          publish: (entries) => {
            for (const { userId, patterns } of entries) published.set(userId, patterns);
            return Promise.resolve({ written: entries.length });
          },
        },
        reorderModels: {
          publish: (fitted) => {
            model = fitted;
            return Promise.resolve();
          },
        },
        // The warehouse keeps only what each shopper let be tracked; the replay has no settings of its own to read.
        privacy: { readMany: (ids) => Promise.resolve(new Map(ids.map((id) => [id, { ...DEFAULT_PRIVACY, updated_at: null }]))) },
        erasures: { pending: () => Promise.resolve([]) },
        clock: () => until,
        logger: deps.logger,
        settleMs: 0,
      },
      { asOf: until, since: BEGINNING },
    );
    return { patterns: published, model };
  } finally {
    await scratch.close();
  }
}

/** One shopper's predictions at their next order, beside the baseline's, and the brands per category. */
function judge(
  learned: Preferences,
  patterns: Patterns | null,
  model: ReorderModel | null,
  history: readonly CollectedEvent[],
  order: Extract<CollectedEvent, { type: 'order_completed' }>,
): Judged {
  const at = new Date(order.event_time);
  // Due as search ranks it (functions/search/signals.ts), by the model the replayed job fitted: by the real-time
  // rhythm, or as a regular item of the patterns.
  const predicted = new Set<string>();
  for (const [sku, state] of Object.entries(learned.reorder)) if (isReorderDue(state, at, model)) predicted.add(sku);
  for (const item of patterns?.regular_items ?? []) if (isRegularItemDue(item, at, model)) predicted.add(item.sku);

  const purchases = new Map<string, number[]>();
  const brandCounts = new Map<string, Map<string, number>>();
  for (const event of history) {
    if (event.type !== 'order_completed') continue;
    const time = Date.parse(event.event_time);
    for (const item of new Map(event.data.items.map((i) => [i.sku, i])).values()) {
      purchases.set(item.sku, [...(purchases.get(item.sku) ?? []), time]);
      if (item.brand === undefined) continue;
      const inCategory = brandCounts.get(item.category) ?? new Map<string, number>();
      inCategory.set(item.brand, (inCategory.get(item.brand) ?? 0) + 1);
      brandCounts.set(item.category, inCategory);
    }
  }
  const baseline = new Set<string>();
  for (const [sku, times] of purchases) {
    if (times.length < 2) continue;
    const mean = (Math.max(...times) - Math.min(...times)) / (times.length - 1);
    if (mean > 0 && at.getTime() - Math.max(...times) >= mean) baseline.add(sku);
  }

  const ordered = new Set(order.data.items.map((i) => i.sku));
  const orderedBrands = new Map<string, Set<string>>();
  for (const item of order.data.items)
    if (item.brand !== undefined) orderedBrands.set(item.category, (orderedBrands.get(item.category) ?? new Set()).add(item.brand));
  const brands = [...orderedBrands].map(([category, bought]) => {
    const candidates = [...(brandCounts.get(category)?.keys() ?? [])];
    const loop = topBrand(candidates, (brand) => brandStrength(learned, patterns, brand, at));
    const counted = topBrand(candidates, (brand) => brandCounts.get(category)?.get(brand) ?? 0);
    return { category, loop: loop === null ? null : bought.has(loop), baseline: counted === null ? null : bought.has(counted) };
  });
  return { predicted, baseline, ordered, boughtBefore: new Set(purchases.keys()), brands };
}

/** How much the loop favours a brand at `at`, as search reads it: the real-time affinity's strength or the patterns' share, whichever is stronger. */
function brandStrength(learned: Preferences, patterns: Patterns | null, brand: string, at: Date): number {
  const affinity = Object.hasOwn(learned.brands, brand) ? learned.brands[brand] : undefined;
  const realTime = affinity ? strengthAt(affinity.weight, at, new Date(learned.epoch), learned.half_life_days) : Number.NEGATIVE_INFINITY;
  const share = patterns?.brands.find((b) => b.name === brand)?.share ?? Number.NEGATIVE_INFINITY;
  return Math.max(realTime, share);
}

/** The best-scored brand above 0; ties go to the smaller name. Null when none scores above 0. */
function topBrand(brands: readonly string[], score: (brand: string) => number): string | null {
  let best: { brand: string; score: number } | null = null;
  for (const brand of [...brands].sort()) {
    const value = score(brand);
    if (value > 0 && (best === null || value > best.score)) best = { brand, score: value };
  }
  return best?.brand ?? null;
}

function scoreAll(judged: readonly Judged[]): Pick<BacktestResult, 'reorder' | 'brand'> {
  const loop = reorderScore(judged, (j) => j.predicted);
  const baseline = reorderScore(judged, (j) => j.baseline);
  const difference = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  const categories = [...new Set(judged.flatMap((j) => j.brands.map((b) => b.category)))].sort();
  const brandsOf = (pick: (b: Judged['brands'][number]) => boolean | null, category?: string) =>
    brandScore(judged.flatMap((j) => j.brands.filter((b) => category === undefined || b.category === category).map(pick)));
  return {
    reorder: {
      loop,
      baseline,
      lift: {
        precision: difference(loop.precision, baseline.precision),
        recall: difference(loop.recall, baseline.recall),
        f1: difference(loop.f1, baseline.f1),
        mean_order_f1: difference(loop.mean_order_f1, baseline.mean_order_f1),
      },
    },
    brand: {
      loop: brandsOf((b) => b.loop),
      baseline: brandsOf((b) => b.baseline),
      by_category: categories
        .map((category) => ({ category, loop: brandsOf((b) => b.loop, category), baseline: brandsOf((b) => b.baseline, category) }))
        // A category neither could name a brand in (none bought there before) says nothing.
        .filter((c) => c.loop.judged + c.baseline.judged > 0),
    },
  };
}

function reorderScore(judged: readonly Judged[], predictedOf: (j: Judged) => Set<string>): ReorderScore {
  let predicted = 0;
  let hits = 0;
  let reorders = 0;
  let f1Sum = 0;
  for (const j of judged) {
    const guess = predictedOf(j);
    const reordered = [...j.ordered].filter((sku) => j.boughtBefore.has(sku));
    const hit = [...guess].filter((sku) => j.ordered.has(sku)).length;
    predicted += guess.size;
    hits += hit;
    reorders += reordered.length;
    f1Sum += guess.size === 0 && reordered.length === 0 ? 1 : (f1(ratio(hit, guess.size), ratio(hit, reordered.length)) ?? 0);
  }
  const precision = ratio(hits, predicted);
  const recall = ratio(hits, reorders);
  return { predicted, hits, reorders, precision, recall, f1: f1(precision, recall), mean_order_f1: ratio(f1Sum, judged.length) };
}

function brandScore(outcomes: readonly (boolean | null)[]): BrandScore {
  const judged = outcomes.filter((o) => o !== null);
  const hits = judged.filter(Boolean).length;
  return { judged: judged.length, hits, rate: ratio(hits, judged.length) };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

function f1(precision: number | null, recall: number | null): number | null {
  if (precision === null || recall === null) return null;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}
