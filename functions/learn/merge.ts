import { DAY_MS } from './decay.ts';
import { emptyPreferences, latest, settle, supersedes, workingCopy } from './learn.ts';
import { DEFAULT_LEARNING_CONFIG, type LearningConfig } from './learning-config.ts';
import type { Affinity, Preferences } from './preferences.ts';
import { mergeRhythms } from './reorder-state.ts';

/**
 * What was learned about an anonymous visitor, taken into the shopper they turned out to be: the shopper's
 * document as if the visitor's events had been learned into it. Every part of a document is a sum, a count, a
 * min, a max or the latest statement, and weights are stored relative to a fixed epoch, so the merge is exact:
 * learning the visitor's events and merging equals learning both streams into one document (pruning aside,
 * which `learn` documents). Pure: the inputs are never mutated.
 *
 * The merged document keeps the shopper's epoch and half-life (the visitor's, when the shopper has no document
 * yet). A visitor's weights in another epoch are rescaled exactly; under another half-life they are carried over
 * by their value at `now`, the one case that is not exact (a change of `halfLifeDays` between the two documents).
 */
export function mergePreferences(
  visitor: Preferences,
  shopper: Preferences | null,
  userId: string,
  now: Date,
  config: LearningConfig = DEFAULT_LEARNING_CONFIG,
): Preferences {
  const base = shopper ?? { ...emptyPreferences(userId, config), epoch: visitor.epoch, half_life_days: visitor.half_life_days };
  if (base.user_id !== userId) throw new Error(`the preferences of ${base.user_id} cannot be merged for ${userId}`);
  const rescale = weightIn(base, visitor, now);
  const doc = workingCopy(base);
  const taken = workingCopy(visitor);

  for (const name of ['products', 'brands', 'categories', 'dietary'] as const) {
    const into = doc.affinities[name];
    for (const [key, affinity] of taken.affinities[name]) into.set(key, sumOf(into.get(key), affinity, rescale));
  }
  for (const [category, brands] of taken.brandsByCategory) {
    const into = doc.brandsByCategory.get(category) ?? new Map<string, Affinity>();
    for (const [brand, affinity] of brands) into.set(brand, sumOf(into.get(brand), affinity, rescale));
    doc.brandsByCategory.set(category, into);
  }
  for (const name of ['brands', 'categories'] as const) {
    const into = doc.recent[name];
    for (const [key, at] of taken.recent[name]) into.set(key, latest(into.get(key) ?? null, new Date(at)));
  }
  for (const [sku, state] of taken.reorder) doc.reorder.set(sku, mergeRhythms(doc.reorder.get(sku), state));
  for (const [key, statement] of taken.explicit) {
    const known = doc.explicit.get(key);
    if (known === undefined || supersedes(statement, known)) doc.explicit.set(key, statement);
  }
  doc.eventCount += taken.eventCount;
  doc.lastEventAt = taken.lastEventAt === null ? doc.lastEventAt : latest(doc.lastEventAt, new Date(taken.lastEventAt));
  return settle(base, doc, now, config);
}

/** A visitor's stored weight in the shopper's frame. */
function weightIn(shopper: Preferences, visitor: Preferences, now: Date): (weight: number) => number {
  const [toEpoch, fromEpoch] = [Date.parse(shopper.epoch), Date.parse(visitor.epoch)];
  if (shopper.half_life_days === visitor.half_life_days) {
    // Σ s·2^((t − from)/h) · 2^((from − to)/h) = Σ s·2^((t − to)/h).
    const factor = 2 ** ((fromEpoch - toEpoch) / (shopper.half_life_days * DAY_MS));
    return (weight) => weight * factor;
  }
  const nowMs = now.getTime();
  const value = 2 ** (-(nowMs - fromEpoch) / (visitor.half_life_days * DAY_MS));
  const stored = 2 ** ((nowMs - toEpoch) / (shopper.half_life_days * DAY_MS));
  return (weight) => weight * value * stored;
}

function sumOf(known: Affinity | undefined, more: Affinity, rescale: (weight: number) => number): Affinity {
  const signals = { ...known?.signals };
  for (const [kind, count] of Object.entries(more.signals) as [keyof Affinity['signals'], number][])
    signals[kind] = (signals[kind] ?? 0) + count;
  return { weight: (known?.weight ?? 0) + rescale(more.weight), signals, last_at: latest(known?.last_at ?? null, new Date(more.last_at)) };
}
