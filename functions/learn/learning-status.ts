import { z } from 'zod';
import { REGULAR_ITEM_CONFIDENCE, type Patterns } from '../patterns/patterns.ts';
import type { PrivacySettings } from '../privacy/settings.ts';
import { strengthAt } from './affinity-strength.ts';
import type { Preferences } from './preferences.ts';

/** Brands the status names: the strongest few, as a guide shows them. */
export const TOP_BRANDS = 5;
/** Events learned from at which the evidence part of the confidence is one half; it nears 1 with many times more. */
export const EVIDENCE_HALF_EVENTS = 50;

const unit = z.number().min(0).max(1);
const instant = z.iso.datetime({ offset: true });

/**
 * What a shopper's guide shows about learning, `GET /v1/users/{userId}/learning-status`:
 * - `state`: `learning`; `not_started` while nothing has been learned or mined; `off` when the shopper
 *   switched `learn_preferences` off (then every figure is empty: nothing is kept to show);
 * - `regular_item_count`: the products bought in at least two orders, those the patterns job found and
 *   those real-time learning has seen ordered twice since;
 * - `top_brands`: the strongest brands, each with its strength in [0, 1] as the search uses it (the real-time
 *   affinity read as tanh, or the batch share, whichever is stronger); none while `learn_brands` is off;
 * - `confidence`: see `overallConfidence`;
 * - `last_updated`: the later of the latest event learned from and the patterns' `as_of`.
 */
export const LearningStatus = z.strictObject({
  user_id: z.string(),
  state: z.enum(['learning', 'not_started', 'off']),
  regular_item_count: z.int().nonnegative(),
  top_brands: z.array(z.strictObject({ name: z.string(), strength: unit })).max(TOP_BRANDS),
  confidence: z.strictObject({
    overall: unit,
    level: z.enum(['none', 'low', 'medium', 'high']),
    /** Mean confidence of the regular items (0 without any). */
    regular_items: unit,
    /** event_count / (event_count + EVIDENCE_HALF_EVENTS). */
    evidence: unit,
  }),
  event_count: z.int().nonnegative(),
  last_updated: instant.nullable(),
  last_event_at: instant.nullable(),
  patterns_as_of: instant.nullable(),
});
export type LearningStatus = z.infer<typeof LearningStatus>;

export type LearningStatusInput = {
  learned: Preferences | null;
  patterns: Patterns | null;
  privacy: Pick<PrivacySettings, 'learn_preferences' | 'learn_brands'>;
};

/**
 * The overall confidence, in [0, 1]: half how settled the shopper's habits are, half how much we have
 * seen of them. `0.5 × mean(regular item confidence) / 0.9 + 0.5 × n / (n + 50)`, n the events learned
 * from. Regular items alone would call a shopper who browses a lot but reorders nothing unknown;
 * the event count alone would trust a hundred stray views. Levels: `none` with no evidence at all,
 * then `low` below 1/3, `medium` below 2/3, `high`.
 */
export function overallConfidence(regularItemConfidences: readonly number[], eventCount: number): LearningStatus['confidence'] {
  const items = regularItemConfidences.length ? regularItemConfidences.reduce((sum, c) => sum + c, 0) / regularItemConfidences.length : 0;
  const evidence = eventCount / (eventCount + EVIDENCE_HALF_EVENTS);
  const overall = 0.5 * Math.min(1, items / REGULAR_ITEM_CONFIDENCE.max) + 0.5 * evidence;
  const level =
    eventCount === 0 && regularItemConfidences.length === 0 ? 'none' : overall < 1 / 3 ? 'low' : overall < 2 / 3 ? 'medium' : 'high';
  return { overall: round(overall), level, regular_items: round(items), evidence: round(evidence) };
}

/** The status of one shopper, from their preference document and settings, as of `now`. Pure. */
export function learningStatus(userId: string, { learned, patterns, privacy }: LearningStatusInput, now: Date): LearningStatus {
  if (!privacy.learn_preferences || (!learned && !patterns)) {
    return {
      user_id: userId,
      state: privacy.learn_preferences ? 'not_started' : 'off',
      regular_item_count: 0,
      top_brands: [],
      confidence: overallConfidence([], 0),
      event_count: 0,
      last_updated: null,
      last_event_at: null,
      patterns_as_of: null,
    };
  }
  const regular = regularItemConfidences(learned, patterns);
  const eventCount = learned?.event_count ?? 0;
  const lastEventAt = learned?.last_event_at ?? null;
  const patternsAsOf = patterns?.as_of ?? null;
  return {
    user_id: userId,
    state: 'learning',
    regular_item_count: regular.size,
    top_brands: privacy.learn_brands ? topBrands(learned, patterns, now) : [],
    confidence: overallConfidence([...regular.values()], eventCount),
    event_count: eventCount,
    last_updated: later(lastEventAt, patternsAsOf),
    last_event_at: lastEventAt,
    patterns_as_of: patternsAsOf,
  };
}

/**
 * Regular items by SKU with their confidence: the patterns' items, and products real-time learning saw
 * in at least two orders since (confidence by the same rule as the SQL). The stronger of the two counts.
 */
function regularItemConfidences(learned: Preferences | null, patterns: Patterns | null): Map<string, number> {
  const items = new Map<string, number>();
  for (const item of patterns?.regular_items ?? []) items.set(item.sku, item.confidence);
  for (const [sku, state] of Object.entries(learned?.reorder ?? {})) {
    if (state.orders < 2) continue;
    const confidence = Math.min(REGULAR_ITEM_CONFIDENCE.max, state.orders / REGULAR_ITEM_CONFIDENCE.purchasesForFull);
    items.set(sku, Math.max(items.get(sku) ?? 0, confidence));
  }
  return items;
}

/**
 * As search blends them: the affinity's strength (`strengthAt`), or the batch share, the
 * stronger; a negative affinity (recent cart removals) wins, and such a brand is nobody's favourite.
 */
function topBrands(learned: Preferences | null, patterns: Patterns | null, now: Date): LearningStatus['top_brands'] {
  const shares = new Map((patterns?.brands ?? []).map((brand) => [brand.name, brand.share]));
  const affinities = new Map<string, number>();
  if (learned) {
    const epoch = new Date(learned.epoch);
    for (const [name, affinity] of Object.entries(learned.brands)) {
      affinities.set(name, strengthAt(affinity.weight, now, epoch, learned.half_life_days));
    }
  }
  return [...new Set([...shares.keys(), ...affinities.keys()])]
    .map((name) => {
      const realTime = affinities.get(name) ?? 0;
      return { name, strength: round(realTime < 0 ? realTime : Math.min(1, Math.max(realTime, shares.get(name) ?? 0))) };
    })
    .filter((brand) => brand.strength > 0)
    .sort((a, b) => b.strength - a.strength || a.name.localeCompare(b.name))
    .slice(0, TOP_BRANDS);
}

function later(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return a ?? b;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
