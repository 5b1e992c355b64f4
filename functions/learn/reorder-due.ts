import { DAY_MS } from './decay.ts';
import type { Preferences, ReorderState } from './preferences.ts';

/** A due product, and how far into its usual cycle the shopper is: days since the last order ÷ mean interval. */
export type DueProduct = { sku: string; cycle: number };

/** Share of the usual interval after which a product is due: suggest milk a little before it runs out. */
export const DEFAULT_DUE_FRACTION = 0.9;

/** Due when the days since the last order reach `dueFraction` of the mean interval between orders. */
export function isReorderDue(state: ReorderState, now: Date, dueFraction: number = DEFAULT_DUE_FRACTION): boolean {
  const mean = rhythmDays(state);
  return mean !== null && daysSinceLast(state, now) >= dueFraction * mean;
}

/** The shopper's due products, most overdue relative to each product's own rhythm first; ties by SKU. */
export function dueProducts(prefs: Preferences, now: Date, dueFraction: number = DEFAULT_DUE_FRACTION): DueProduct[] {
  const due: DueProduct[] = [];
  for (const [sku, state] of Object.entries(prefs.reorder)) {
    const mean = rhythmDays(state);
    if (mean !== null && isReorderDue(state, now, dueFraction)) due.push({ sku, cycle: daysSinceLast(state, now) / mean });
  }
  return due.sort((a, b) => b.cycle - a.cycle || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

/** The mean interval, once there is a rhythm: two orders at different times (a split order at one instant is none). */
function rhythmDays(state: ReorderState): number | null {
  return state.mean_interval_days !== null && state.mean_interval_days > 0 ? state.mean_interval_days : null;
}

function daysSinceLast(state: ReorderState, now: Date): number {
  return (now.getTime() - Date.parse(state.last_at)) / DAY_MS;
}
