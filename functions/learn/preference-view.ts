import type { Patterns } from '../patterns/patterns.ts';
import { currentValue } from './decay.ts';
import type { PreferenceDocument } from './preference-document.ts';
import type { Affinity, SignalKind } from './preferences.ts';
import { dueProducts } from './reorder-due.ts';
import type { ReorderModel } from '../kernel/reorder-model.ts';

/**
 * How much of a preference document the view shows, so an answer stays small whatever was learned:
 * - `ranked`: products, brands, categories and dietary tags each, strongest first;
 * - `brandsPerCategory`: brands shown per category, strongest first;
 * - `brandCategories`: categories whose brands are shown, those with the strongest favourite first.
 */
export const PREFERENCE_VIEW_LIMITS = { ranked: 10, brandsPerCategory: 3, brandCategories: 30 } as const;

export type RankedAffinity = { name: string; score: number; signals: Partial<Record<SignalKind, number>>; last_at: string };

/** What has been learned about a shopper, as they (or an operator) may read it: decayed to now, strongest first. */
export type PreferenceView = {
  user_id: string;
  event_count: number;
  last_event_at: string | null;
  products: RankedAffinity[];
  /** The brands overall, as search weighs a result's brand. */
  brands: RankedAffinity[];
  /** Per category, its brands: the favourite of each category, though it may lead in no other. */
  brands_by_category: { category: string; brands: RankedAffinity[] }[];
  categories: RankedAffinity[];
  dietary: RankedAffinity[];
  recent_interests: { brands: string[]; categories: string[] };
  reorder_due: { sku: string; orders: number; mean_interval_days: number | null; next_due_at: string | null; cycle: number }[];
  explicit: { preference: string; value: string; action: string; at: string }[];
  /** What the patterns job last published for the shopper, as stored; null before its first run for them. */
  patterns: Patterns | null;
};

/** What was learned about a shopper and what the patterns job found, decayed to `now`; empty without a document. */
/**
 * `reorderModel` is the model in force (`learning_models/reorder`): the view's due products are the ones search
 * would offer again; without one, the default rule decides, as it does for search.
 */
export function preferenceView(
  userId: string,
  document: PreferenceDocument | null,
  now: Date,
  reorderModel: ReorderModel | null = null,
  recentWindowMs = 60 * 60 * 1000,
): PreferenceView {
  const patterns = document?.patterns ?? null;
  const preferences = document?.learned;
  if (!preferences) {
    return {
      user_id: userId,
      event_count: 0,
      last_event_at: null,
      products: [],
      brands: [],
      brands_by_category: [],
      categories: [],
      dietary: [],
      recent_interests: { brands: [], categories: [] },
      reorder_due: [],
      explicit: [],
      patterns,
    };
  }
  const epoch = new Date(preferences.epoch);
  const rank = (map: Record<string, Affinity>, top: number = PREFERENCE_VIEW_LIMITS.ranked): RankedAffinity[] =>
    Object.entries(map)
      .map(([name, a]) => ({
        name,
        score: round(currentValue(a.weight, now, epoch, preferences.half_life_days)),
        signals: a.signals,
        last_at: a.last_at,
      }))
      .filter((a) => a.score > 0)
      .sort(strongestFirst)
      .slice(0, top);
  const brandsByCategory = Object.entries(preferences.brands_by_category ?? {})
    .map(([category, brands]) => ({ category, brands: rank(brands, PREFERENCE_VIEW_LIMITS.brandsPerCategory) }))
    .filter((c) => c.brands.length > 0)
    .sort((x, y) =>
      strongestFirst({ name: x.category, score: x.brands[0]?.score ?? 0 }, { name: y.category, score: y.brands[0]?.score ?? 0 }),
    )
    .slice(0, PREFERENCE_VIEW_LIMITS.brandCategories);
  const recent = (map: Record<string, string>) =>
    Object.entries(map)
      .filter(([, at]) => now.getTime() - Date.parse(at) <= recentWindowMs)
      .sort(([, a], [, b]) => Date.parse(b) - Date.parse(a))
      .map(([name]) => name);
  return {
    user_id: userId,
    event_count: preferences.event_count,
    last_event_at: preferences.last_event_at,
    products: rank(preferences.products),
    brands: rank(preferences.brands),
    brands_by_category: brandsByCategory,
    categories: rank(preferences.categories),
    dietary: rank(preferences.dietary),
    recent_interests: { brands: recent(preferences.recent.brands), categories: recent(preferences.recent.categories) },
    reorder_due: dueProducts(preferences, now, reorderModel).map(({ sku, cycle }) => {
      const state = preferences.reorder[sku];
      return {
        sku,
        orders: state?.orders ?? 0,
        mean_interval_days: state?.mean_interval_days ?? null,
        next_due_at: state?.next_due_at ?? null,
        cycle: round(cycle),
      };
    }),
    explicit: Object.entries(preferences.explicit).map(([key, e]) => {
      const [preference = '', ...value] = key.split(':');
      return { preference, value: value.join(':'), action: e.action, at: e.at };
    }),
    patterns,
  };
}

/** Higher score first; equal scores by name, so the order never depends on how the document was stored. */
function strongestFirst(x: { name: string; score: number }, y: { name: string; score: number }): number {
  return y.score - x.score || x.name.localeCompare(y.name);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
