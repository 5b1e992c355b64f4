import { reorderDecision, type ReorderModel, type Rhythm } from '../../functions/kernel/reorder-model.ts';
import { currentValue } from '../../functions/learn/decay.ts';
import type { PreferenceDocument } from '../../functions/search/index.ts';

// What the loop believes about a shopper at a moment, read from their preference document exactly as
// search reads it. No ground truth here: these are the loop's predictions, which the scorer judges.

/**
 * A product the shopper has a rhythm for, as a trip starts: whether the reorder model search reads (`model`; null: the
 * default rule) holds it due, its fitted probability (null without a model), and whether the naive rule would (bought
 * at least twice, and at least one mean interval since the last purchase). From the real-time rhythm and the patterns'
 * regular items; a product in both is due if either holds it due, at the higher probability.
 */
export type ReorderCandidate = { sku: string; due: boolean; probability: number | null; naive: boolean };

export function reorderCandidates(document: PreferenceDocument | null, now: Date, model: ReorderModel | null): ReorderCandidate[] {
  const rhythms: [string, Rhythm][] = [
    ...Object.entries(document?.learned?.reorder ?? {}),
    ...(document?.patterns?.regular_items ?? []).map((i): [string, Rhythm] => [
      i.sku,
      { orders: i.purchases, mean_interval_days: i.avg_interval_days, last_at: i.last_purchased_at },
    ]),
  ];
  const bySku = new Map<string, ReorderCandidate>();
  for (const [sku, rhythm] of rhythms) {
    const decision = reorderDecision(model, rhythm, now);
    if (decision === null) continue;
    const seen = bySku.get(sku);
    const probability =
      decision.probability === null ? (seen?.probability ?? null) : Math.max(decision.probability, seen?.probability ?? 0);
    bySku.set(sku, { sku, due: decision.due || (seen?.due ?? false), probability, naive: decision.cycle >= 1 || (seen?.naive ?? false) });
  }
  return [...bySku.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

/** Products the loop holds due at `now`, by the model search reads: search's `reorder_due`. */
export function predictedDue(document: PreferenceDocument | null, now: Date, model: ReorderModel | null = null): string[] {
  return reorderCandidates(document, now, model)
    .filter((c) => c.due)
    .map((c) => c.sku);
}

/**
 * The brand the loop would favour in each category, by the strength search uses: the real-time affinity
 * decayed to now read as tanh, or the brand's share in the patterns, whichever is stronger. A brand with
 * a negative real-time affinity is ruled out. `categoryOf` is the catalogue's brand → category.
 */
export function learnedTopBrands(
  document: PreferenceDocument | null,
  now: Date,
  categoryOf: (brand: string) => string | undefined,
): Map<string, string> {
  const strength = new Map<string, number>();
  const learned = document?.learned;
  if (learned) {
    const epoch = new Date(learned.epoch);
    for (const [brand, affinity] of Object.entries(learned.brands))
      strength.set(brand, Math.tanh(currentValue(affinity.weight, now, epoch, learned.half_life_days)));
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
    if (!current || value > current.strength || (value === current.strength && brand < current.brand))
      best.set(category, { brand, strength: value });
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
