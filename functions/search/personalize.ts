import type { ShopperPreferences } from './ports.ts';
import { DEFAULT_RANKING_WEIGHTS, prior, RANKING_SIGNALS, type RankingWeights } from '../kernel/signal-weights.ts';
import { noSignals, signalValues, type SearchResult, type SignalOptions, type SignalValues } from './signals.ts';

export { prior } from '../kernel/signal-weights.ts';

/** Default 1: at 0 the engine's order is kept exactly; 2 doubles every signal's pull against the prior. */
export const DEFAULT_STRENGTH = 1;

export type PersonalizeOptions = SignalOptions & {
  /** Default `DEFAULT_STRENGTH`. Must be finite and ≥ 0. */
  strength?: number;
  /** Overrides of `DEFAULT_RANKING_WEIGHTS` (functions/kernel/signal-weights.ts); each must be finite. */
  weights?: Partial<RankingWeights>;
  /**
   * How much the engine's order counts against the signals: `score = priorWeight × prior + …`. Default 1, the hand-set
   * weights' unit; a fitted version sets it to the engine's relevance it measured, 0 when none (the engine's order then
   * only breaks ties). Finite and ≥ 0.
   */
  priorWeight?: number;
};

/** Why one result is where it is: `score = priorWeight × prior + Σ contributions`, and results are sorted by score. */
export type Explanation = {
  sku: string;
  /** 1-based, as the engine ranked it. */
  original_position: number;
  /** 1-based, as shown. */
  position: number;
  /** `prior(original_position − 1)`. */
  prior: number;
  /** Each signal's value in [−1, 1] (`signalValues`), before strength and weight; all 0 when none was read. */
  values: SignalValues;
  /** strength × weight × value, per signal; 0 for a signal that said nothing or was switched off. */
  contributions: SignalValues;
  score: number;
};

export type Personalized<T> = {
  /** The results in their new order. */
  results: T[];
  /** One per result, in the new order. */
  explanations: Explanation[];
  /** Whether any learned signal touched any result (the order may still be the engine's). */
  applied: boolean;
  /**
   * Whether the signals were read for these results (preferences given, strength above 0): only then do the
   * explanations' `values` say what placed each result, and the search event lists them.
   */
  signalsRead: boolean;
};

/**
 * Re-ranks the engine's results for one shopper: `score = priorWeight × prior(rank) + strength × Σ weight × value`,
 * highest first, ties in the engine's order. Pure and deterministic. Without preferences, with
 * learn_preferences off or at strength 0, every contribution is 0 and the engine's order is kept.
 */
export function personalize<T extends SearchResult>(
  results: readonly T[],
  preferences: ShopperPreferences | null,
  options: PersonalizeOptions,
): Personalized<T> {
  const strength = rankingStrength(options.strength);
  const weights = rankingWeights(options.weights);
  const priorWeight = rankingPriorWeight(options.priorWeight);

  const signalsRead = preferences !== null && strength > 0;
  const values = signalsRead ? signalValues(preferences, results, options) : results.map(noSignals);
  const scored = results.map((result, rank) => {
    const contributions = noSignals();
    let score = priorWeight * prior(rank);
    for (const signal of RANKING_SIGNALS) {
      const value = values[rank]?.[signal] ?? 0;
      // `+ 0` turns −0 into 0, so explanations never show a signed zero; a NaN from odd input says nothing.
      const contribution = Number.isFinite(value) ? strength * weights[signal] * value + 0 : 0;
      contributions[signal] = contribution;
      score += contribution;
    }
    return { result, rank, values: values[rank] ?? noSignals(), contributions, score };
  });

  const ordered = scored.toSorted((a, b) => b.score - a.score || a.rank - b.rank);
  return {
    results: ordered.map((s) => s.result),
    explanations: ordered.map((s, index) => ({
      sku: s.result.sku,
      original_position: s.rank + 1,
      position: index + 1,
      prior: prior(s.rank),
      values: s.values,
      contributions: s.contributions,
      score: s.score,
    })),
    applied: scored.some((s) => RANKING_SIGNALS.some((signal) => s.contributions[signal] !== 0)),
    signalsRead,
  };
}

/** The strength to rank with, `DEFAULT_STRENGTH` when not given; throws unless it is finite and ≥ 0. */
export function rankingStrength(strength: number = DEFAULT_STRENGTH): number {
  if (!Number.isFinite(strength) || strength < 0) throw new RangeError(`strength must be a finite number ≥ 0, not ${strength}`);
  return strength;
}

/** The engine order's weight, 1 when not given; throws unless it is finite and ≥ 0. */
export function rankingPriorWeight(weight = 1): number {
  if (!Number.isFinite(weight) || weight < 0) throw new RangeError(`the prior weight must be a finite number ≥ 0, not ${weight}`);
  return weight;
}

/** The defaults with `overrides`; throws on a weight that is not a finite number. */
export function rankingWeights(overrides: Partial<RankingWeights> = {}): RankingWeights {
  const weights = { ...DEFAULT_RANKING_WEIGHTS };
  for (const signal of RANKING_SIGNALS) {
    const weight = overrides[signal];
    if (weight === undefined) continue;
    if (!Number.isFinite(weight)) throw new RangeError(`the weight of ${signal} must be a finite number, not ${weight}`);
    weights[signal] = weight;
  }
  return weights;
}
