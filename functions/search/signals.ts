import { RANKING_SIGNALS, type RankingSignal } from '../kernel/signal-weights.ts';
import { strengthAt } from '../learn/affinity-strength.ts';
import { DEFAULT_LEARNING_CONFIG } from '../learn/learning-config.ts';
import type { Affinity, Preferences } from '../learn/preferences.ts';
import { isRegularItemDue, isReorderDue } from '../learn/reorder-due.ts';
import type { Patterns } from '../patterns/patterns.ts';
import type { ShopperPreferences } from './ports.ts';

/** A result as the search engine ranked it; only `sku` is required, the other fields feed the signals. */
export type SearchResult = {
  sku: string;
  brand?: string | null;
  category?: string | null;
  /** In the shop's currency. */
  price?: number | null;
  /**
   * Where the price lies in its category, 0 = cheapest, 1 = dearest, when the catalogue knows.
   * Otherwise it is estimated from the results of the same category in this search.
   */
  price_position?: number | null;
  dietary_tags?: readonly string[] | null;
  /** The promotion the product is on, if any. */
  promotion?: string | null;
};

/** The learned signals, in the order explanations list them; their weights are beside them in the kernel. */
export const SIGNALS = RANKING_SIGNALS;
export type Signal = RankingSignal;

/** One value per signal, each in [−1, 1]: 0 says nothing, 1 is the strongest evidence for, −1 against. */
export type SignalValues = Record<Signal, number>;

export type SignalOptions = {
  now: Date;
  /** What counts as a recent interest. Default: learning's window, 1 hour. */
  recentWindowMs?: number;
};

export function noSignals(): SignalValues {
  return { product: 0, brand: 0, category: 0, reorder_due: 0, recent: 0, dietary: 0, price: 0, promotion: 0, explicit: 0 };
}

/**
 * What the shopper's preferences say about each result, in the order given. A switched-off privacy
 * flag zeroes every signal it covers, whichever source it would come from:
 * - learn_preferences: all of them;
 * - learn_brands: brand, the brand half of recent, explicit brand statements;
 * - learn_dietary: dietary, explicit dietary statements;
 * - learn_price: price, promotion;
 * - learn_schedule: reorder_due.
 * A product is due (`reorder_due` 1) when the reorder model read with the preferences holds it due, by its real-time
 * rhythm or as a regular item of the patterns (functions/learn/reorder-due.ts).
 */
export function signalValues(shopper: ShopperPreferences, results: readonly SearchResult[], options: SignalOptions): SignalValues[] {
  const { learned, patterns, privacy } = shopper;
  if (!privacy.learn_preferences) return results.map(noSignals);
  const now = options.now;
  const windowMs = options.recentWindowMs ?? DEFAULT_LEARNING_CONFIG.recentWindowMs;
  const model = shopper.reorder_model ?? null;
  const affinity = affinityReader(learned, now);
  const batch = batchLookups(patterns);
  const estimated = estimatedPricePositions(results);

  const isRecent = (map: Record<string, string> | undefined, key: string | null | undefined): boolean => {
    const at = key ? own(map, key) : undefined;
    return at !== undefined && now.getTime() - Date.parse(at) <= windowMs;
  };
  const statement = (key: string): number => {
    const action = own(learned?.explicit, key)?.action;
    return action === 'like' ? 1 : action === 'dislike' ? -1 : 0;
  };

  return results.map((result, index) => {
    const { sku } = result;
    const brand = privacy.learn_brands ? nonEmpty(result.brand) : undefined;
    const category = nonEmpty(result.category);
    const tags = privacy.learn_dietary ? [...new Set(result.dietary_tags ?? [])] : [];
    const regular = batch.regularItems.get(sku);

    const reorderState = privacy.learn_schedule ? own(learned?.reorder, sku) : undefined;
    const dueByRhythm = reorderState !== undefined && isReorderDue(reorderState, now, model);
    const dueByPattern = privacy.learn_schedule && regular !== undefined && isRegularItemDue(regular, now, model);

    const statements = [
      statement(`product:${sku}`),
      category ? statement(`category:${category}`) : 0,
      brand ? statement(`brand:${brand}`) : 0,
      ...tags.map((tag) => statement(`dietary_tag:${tag}`)),
    ];

    const price = privacy.learn_price ? batch.price : null;
    const shopperPosition = price ? (batch.categoryPricePosition.get(category ?? '') ?? price.position) : null;
    const itemPosition = finiteOrNull(result.price_position) ?? estimated[index] ?? null;

    return {
      product: blend(affinity('products', sku), regular?.confidence ?? 0),
      brand: brand ? blend(affinity('brands', brand), batch.brandShare.get(brand) ?? 0) : 0,
      category: category ? blend(affinity('categories', category), batch.categoryShare.get(category) ?? 0) : 0,
      reorder_due: dueByRhythm || dueByPattern ? 1 : 0,
      recent: 0.5 * Number(isRecent(learned?.recent.categories, category)) + 0.5 * Number(isRecent(learned?.recent.brands, brand)),
      dietary: strongest(tags.map((tag) => blend(affinity('dietary', tag), batch.dietaryConfidence.get(tag) ?? 0))),
      price: shopperPosition !== null && itemPosition !== null ? 1 - 2 * Math.abs(clamp01(itemPosition) - clamp01(shopperPosition)) : 0,
      promotion: price && nonEmpty(result.promotion) ? clamp01(price.promo_share) : 0,
      explicit: statements.includes(-1) ? -1 : statements.includes(1) ? 1 : 0,
    };
  });
}

/**
 * Real-time and batch evidence of one kind: the stronger of the two, except that a negative real-time
 * affinity (recent cart removals) wins, being newer than anything the 180-day batch saw.
 */
function blend(realTime: number, batch: number): number {
  return realTime < 0 ? realTime : Math.max(realTime, batch);
}

/** For several dietary tags: the strongest liking, or the strongest aversion when none is liked. */
function strongest(values: readonly number[]): number {
  const best = Math.max(0, ...values);
  return best > 0 ? best : Math.min(0, ...values);
}

type AffinityMap = 'products' | 'brands' | 'categories' | 'dietary';

function affinityReader(learned: Preferences | null, now: Date): (map: AffinityMap, key: string) => number {
  if (!learned) return () => 0;
  const epoch = new Date(learned.epoch);
  return (map, key) => {
    const found: Affinity | undefined = own(learned[map], key);
    return found ? strengthAt(found.weight, now, epoch, learned.half_life_days) : 0;
  };
}

function batchLookups(patterns: Patterns | null) {
  return {
    regularItems: new Map((patterns?.regular_items ?? []).map((item) => [item.sku, item])),
    brandShare: new Map((patterns?.brands ?? []).map((p) => [p.name, p.share])),
    categoryShare: new Map((patterns?.categories ?? []).map((p) => [p.name, p.share])),
    // The Wilson lower bound, not the raw share: three vegan lines out of three is not yet a diet.
    dietaryConfidence: new Map((patterns?.dietary ?? []).map((d) => [d.tag, d.confidence])),
    price: patterns?.price ?? null,
    categoryPricePosition: new Map((patterns?.price?.categories ?? []).map((c) => [c.category, c.position])),
  };
}

/**
 * Each result's price position among this search's results of its category, (price − min) / (max − min);
 * null without a category, a price, or a second distinct price to compare with.
 */
function estimatedPricePositions(results: readonly SearchResult[]): (number | null)[] {
  const ranges = new Map<string, { min: number; max: number }>();
  for (const { category, price } of results) {
    const key = nonEmpty(category);
    if (!key || !isFiniteNumber(price)) continue;
    const range = ranges.get(key);
    ranges.set(key, range ? { min: Math.min(range.min, price), max: Math.max(range.max, price) } : { min: price, max: price });
  }
  return results.map(({ category, price }) => {
    const range = ranges.get(nonEmpty(category) ?? '');
    if (!range || !isFiniteNumber(price) || range.max === range.min) return null;
    return (price - range.min) / (range.max - range.min);
  });
}

/** A record's own entry: a brand called `constructor` is data, not Object.prototype's. */
function own<V>(record: Record<string, V> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

function isFiniteNumber(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function finiteOrNull(value: number | null | undefined): number | null {
  return isFiniteNumber(value) ? value : null;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
