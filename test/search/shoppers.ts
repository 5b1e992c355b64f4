import { emptyPreferences } from '../../functions/learn/learn.ts';
import type { Affinity, Preferences } from '../../functions/learn/preferences.ts';
import type { Patterns, PriceSensitivity, RegularItem } from '../../functions/patterns/patterns.ts';
import type { PersonalizationFlags, ShopperPreferences } from '../../functions/search/ports.ts';
import type { SearchResult } from '../../functions/search/signals.ts';

export const SHOPPER = 'shopper-1';
export const NOW = new Date('2026-11-26T12:00:00.000Z');
export const DAY_MS = 86_400_000;
export const daysBefore = (days: number) => new Date(NOW.getTime() - days * DAY_MS).toISOString();

/** A real-time reorder rhythm of three orders a week apart, the last `lastDaysAgo` days before NOW. */
export const weeklyRhythm = (lastDaysAgo: number) => ({
  orders: 3,
  quantity: 3,
  first_at: daysBefore(lastDaysAgo + 14),
  last_at: daysBefore(lastDaysAgo),
  mean_interval_days: 7,
  next_due_at: daysBefore(lastDaysAgo - 7),
});
export const minutesBefore = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

export const ALL_ON: PersonalizationFlags = {
  learn_preferences: true,
  learn_brands: true,
  learn_price: true,
  learn_schedule: true,
  learn_dietary: true,
};

/**
 * A learned document whose epoch is NOW, so a stored weight is its current value: an affinity of
 * weight 0.9 reads 0.9 at NOW, which keeps hand-computed expectations simple.
 */
export function learned(overrides: Partial<Preferences> = {}): Preferences {
  return { ...emptyPreferences(SHOPPER), epoch: NOW.toISOString(), ...overrides };
}

export function affinity(weight: number): Affinity {
  return { weight, signals: { order: 1 }, last_at: NOW.toISOString() };
}

export function patterns(overrides: Partial<Patterns> = {}): Patterns {
  return {
    as_of: NOW.toISOString(),
    regular_items: [],
    brands: [],
    categories: [],
    price: null,
    schedule: null,
    dietary: [],
    bought_together: [],
    ...overrides,
  };
}

export function regularItem(sku: string, overrides: Partial<RegularItem> = {}): RegularItem {
  return {
    sku,
    product_name: `Product ${sku}`,
    category: 'dairy',
    brand: null,
    purchases: 4,
    avg_quantity: 1,
    avg_interval_days: 7,
    frequency: 'weekly',
    confidence: 0.4,
    interval_cv: 0.1,
    last_purchased_at: daysBefore(3),
    next_due_at: daysBefore(-4),
    due_at: daysBefore(-3.3),
    ...overrides,
  };
}

export function priceSensitivity(overrides: Partial<PriceSensitivity> = {}): PriceSensitivity {
  return { units: 40, position: 0.5, index: 1, promo_share: 0, class: 'mid_range', categories: [], ...overrides };
}

export function shopper(
  parts: { learned?: Preferences | null; patterns?: Patterns | null; privacy?: Partial<PersonalizationFlags> } = {},
): ShopperPreferences {
  return { learned: parts.learned ?? null, patterns: parts.patterns ?? null, privacy: { ...ALL_ON, ...parts.privacy } };
}

/** Plain results a, b, c, … in the engine's order; `extra` adds fields to some of them by SKU. */
export function results(count: number, extra: Record<string, Partial<SearchResult>> = {}): SearchResult[] {
  return Array.from({ length: count }, (_, i) => {
    const sku = String.fromCharCode(97 + i);
    return { sku, ...extra[sku] };
  });
}

export const skus = (list: readonly { sku: string }[]) => list.map((r) => r.sku).join('');
