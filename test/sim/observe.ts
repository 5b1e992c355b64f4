import { currentValue } from '../../functions/learn/decay.ts';
import { isRegularItemDue, isReorderDue } from '../../functions/learn/reorder-due.ts';
import type { PreferenceDocument, SignalOptions } from '../../functions/search/index.ts';

// What the loop believes about a shopper at a moment, read from their preference document exactly as
// search reads it. No ground truth here: these are the loop's predictions, which the scorer judges.

/** The due rule as search is configured with it (`SignalOptions`); learning's defaults when not given. */
export type DueRule = Pick<SignalOptions, 'dueFraction' | 'lapseCycles'>;

/** Products the loop holds due at `now`: the real-time reorder rhythm, or a regular item past its due_at and not yet lapsed (search's `reorder_due`). */
export function predictedDue(document: PreferenceDocument | null, now: Date, rule: DueRule = {}): string[] {
  const due = new Set<string>();
  for (const [sku, state] of Object.entries(document?.learned?.reorder ?? {})) if (isReorderDue(state, now, rule.dueFraction, rule.lapseCycles)) due.add(sku);
  for (const item of document?.patterns?.regular_items ?? []) if (isRegularItemDue(item, now, rule.lapseCycles)) due.add(item.sku);
  return [...due].sort();
}

/**
 * The brand the loop would favour in each category, by the strength search uses: the real-time affinity
 * decayed to now read as tanh, or the brand's share in the patterns, whichever is stronger. A brand with
 * a negative real-time affinity is ruled out. `categoryOf` is the catalogue's brand → category.
 */
export function learnedTopBrands(document: PreferenceDocument | null, now: Date, categoryOf: (brand: string) => string | undefined): Map<string, string> {
  const strength = new Map<string, number>();
  const learned = document?.learned;
  if (learned) {
    const epoch = new Date(learned.epoch);
    for (const [brand, affinity] of Object.entries(learned.brands)) strength.set(brand, Math.tanh(currentValue(affinity.weight, now, epoch, learned.half_life_days)));
  }
  for (const brand of document?.patterns?.brands ?? []) {
    const realTime = strength.get(brand.name);
    if (realTime === undefined || (realTime >= 0 && brand.share > realTime)) strength.set(brand.name, brand.share);
  }
  const best = new Map<string, { brand: string; strength: number }>();
  for (const [brand, value] of strength) {
    const category = categoryOf(brand);
    if (category === undefined || !(value > 0)) continue;
    const current = best.get(category);
    if (!current || value > current.strength || (value === current.strength && brand < current.brand)) best.set(category, { brand, strength: value });
  }
  return new Map([...best].map(([category, b]) => [category, b.brand]));
}

/**
 * How much the loop has seen of each category's brands: the brand signals counted in the shopper's
 * real-time brand affinities (clicks, cart adds, ordered lines, views), summed per category. Read from
 * the document only, to break the scorer's brand accuracy down by the evidence behind each guess.
 */
export function brandEvidence(document: PreferenceDocument | null, categoryOf: (brand: string) => string | undefined): Map<string, number> {
  const evidence = new Map<string, number>();
  for (const [brand, affinity] of Object.entries(document?.learned?.brands ?? {})) {
    const category = categoryOf(brand);
    if (category === undefined) continue;
    const { click = 0, cart_add: cartAdd = 0, order = 0, view = 0 } = affinity.signals;
    evidence.set(category, (evidence.get(category) ?? 0) + click + cartAdd + order + view);
  }
  return evidence;
}
