import { isDueByModel, reorderDecision, type ReorderModel, type Rhythm } from '../kernel/reorder-model.ts';
import type { Preferences, ReorderState } from './preferences.ts';

/** A due product, and how far into its usual cycle the shopper is: days since the last order ÷ mean interval. */
export type DueProduct = { sku: string; cycle: number };

/**
 * Whether a product is due again at `now`, by the reorder model in force (functions/kernel/reorder-model.ts): the
 * fitted probability that an order now buys it reaches the model's threshold. With no model (null), the default
 * rule: due from 0.9 of the mean interval since the last order until it lapses at 2 (`REORDER_RULE`).
 */
export function isReorderDue(state: ReorderState, now: Date, model: ReorderModel | null = null): boolean {
  return isDueByModel(model, state, now);
}

/** The shopper's due products, most overdue relative to each product's own rhythm first; ties by SKU. */
export function dueProducts(prefs: Preferences, now: Date, model: ReorderModel | null = null): DueProduct[] {
  const due: DueProduct[] = [];
  for (const [sku, state] of Object.entries(prefs.reorder)) {
    const decision = reorderDecision(model, state, now);
    if (decision?.due) due.push({ sku, cycle: decision.cycle });
  }
  return due.sort((a, b) => b.cycle - a.cycle || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

/** What the due rule needs of a regular item of the patterns (`patterns.regular_items`). */
export type RegularItemTiming = { purchases: number; last_purchased_at: string; avg_interval_days: number };

/** A regular item of the patterns is due by the same model as a real-time rhythm, read with the reader's clock. */
export function isRegularItemDue(item: RegularItemTiming, now: Date, model: ReorderModel | null = null): boolean {
  return isDueByModel(model, regularItemRhythm(item), now);
}

function regularItemRhythm(item: RegularItemTiming): Rhythm {
  return { orders: item.purchases, mean_interval_days: item.avg_interval_days, last_at: item.last_purchased_at };
}
