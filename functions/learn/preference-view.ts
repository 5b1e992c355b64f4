import { currentValue } from './decay.ts';
import type { Affinity, Preferences, SignalKind } from './preferences.ts';
import { dueProducts } from './reorder-due.ts';

const TOP = 10;

export type RankedAffinity = { name: string; score: number; signals: Partial<Record<SignalKind, number>>; last_at: string };

/** What has been learned about a shopper, as they (or an operator) may read it: decayed to now, strongest first. */
export type PreferenceView = {
  user_id: string;
  event_count: number;
  last_event_at: string | null;
  products: RankedAffinity[];
  brands: RankedAffinity[];
  categories: RankedAffinity[];
  dietary: RankedAffinity[];
  recent_interests: { brands: string[]; categories: string[] };
  reorder_due: { sku: string; orders: number; mean_interval_days: number | null; next_due_at: string | null; cycle: number }[];
  explicit: { preference: string; value: string; action: string; at: string }[];
};

export function preferenceView(userId: string, preferences: Preferences | null, now: Date, recentWindowMs = 60 * 60 * 1000): PreferenceView {
  if (!preferences) {
    return { user_id: userId, event_count: 0, last_event_at: null, products: [], brands: [], categories: [], dietary: [], recent_interests: { brands: [], categories: [] }, reorder_due: [], explicit: [] };
  }
  const epoch = new Date(preferences.epoch);
  const rank = (map: Record<string, Affinity>): RankedAffinity[] =>
    Object.entries(map)
      .map(([name, a]) => ({ name, score: round(currentValue(a.weight, now, epoch, preferences.half_life_days)), signals: a.signals, last_at: a.last_at }))
      .filter((a) => a.score > 0)
      .sort((x, y) => y.score - x.score || x.name.localeCompare(y.name))
      .slice(0, TOP);
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
    categories: rank(preferences.categories),
    dietary: rank(preferences.dietary),
    recent_interests: { brands: recent(preferences.recent.brands), categories: recent(preferences.recent.categories) },
    reorder_due: dueProducts(preferences, now).map(({ sku, cycle }) => {
      const state = preferences.reorder[sku];
      return { sku, orders: state?.orders ?? 0, mean_interval_days: state?.mean_interval_days ?? null, next_due_at: state?.next_due_at ?? null, cycle: round(cycle) };
    }),
    explicit: Object.entries(preferences.explicit).map(([key, e]) => {
      const [preference = '', ...value] = key.split(':');
      return { preference, value: value.join(':'), action: e.action, at: e.at };
    }),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
