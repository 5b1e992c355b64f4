import { REORDER_RULE } from '../kernel/reorder-rule.ts';
import { DAY_MS } from './decay.ts';
import type { Preferences, ReorderState } from './preferences.ts';

/** A due product, and how far into its usual cycle the shopper is: days since the last order ÷ mean interval. */
export type DueProduct = { sku: string; cycle: number };

/** Share of the usual interval after which a product is due: `REORDER_RULE` (functions/kernel/reorder-rule.ts). */
export const DEFAULT_DUE_FRACTION = REORDER_RULE.dueFraction;

/** Mean intervals since the last order after which a product is no longer due: `REORDER_RULE`. */
export const DEFAULT_LAPSE_CYCLES = REORDER_RULE.lapseCycles;

/**
 * Due from `dueFraction` of the mean interval between orders since the last order, until it lapses at
 * `lapseCycles` mean intervals: `dueFraction × mean ≤ days since last < lapseCycles × mean`.
 */
export function isReorderDue(
  state: ReorderState,
  now: Date,
  dueFraction: number = DEFAULT_DUE_FRACTION,
  lapseCycles: number = DEFAULT_LAPSE_CYCLES,
): boolean {
  const mean = rhythmDays(state);
  if (mean === null) return false;
  const days = daysSinceLast(state, now);
  return days >= dueFraction * mean && days < lapseCycles * mean;
}

/** The shopper's due products, most overdue relative to each product's own rhythm first; ties by SKU. */
export function dueProducts(
  prefs: Preferences,
  now: Date,
  dueFraction: number = DEFAULT_DUE_FRACTION,
  lapseCycles: number = DEFAULT_LAPSE_CYCLES,
): DueProduct[] {
  const due: DueProduct[] = [];
  for (const [sku, state] of Object.entries(prefs.reorder)) {
    const mean = rhythmDays(state);
    if (mean !== null && isReorderDue(state, now, dueFraction, lapseCycles)) due.push({ sku, cycle: daysSinceLast(state, now) / mean });
  }
  return due.sort((a, b) => b.cycle - a.cycle || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

/** What the due rule needs of a regular item of the patterns (`patterns.regular_items`). */
export type RegularItemTiming = { due_at: string; last_purchased_at: string; avg_interval_days: number };

/**
 * A regular item of the patterns is due from its `due_at` until it lapses at `lapseCycles` mean
 * intervals after its last purchase: the same window as `isReorderDue`, read with the reader's clock.
 */
export function isRegularItemDue(item: RegularItemTiming, now: Date, lapseCycles: number = DEFAULT_LAPSE_CYCLES): boolean {
  const lapsesAt = Date.parse(item.last_purchased_at) + lapseCycles * item.avg_interval_days * DAY_MS;
  return Date.parse(item.due_at) <= now.getTime() && now.getTime() < lapsesAt;
}

/** The mean interval, once there is a rhythm: two orders at different times (a split order at one instant is none). */
function rhythmDays(state: ReorderState): number | null {
  return state.mean_interval_days !== null && state.mean_interval_days > 0 ? state.mean_interval_days : null;
}

function daysSinceLast(state: ReorderState, now: Date): number {
  return (now.getTime() - Date.parse(state.last_at)) / DAY_MS;
}
