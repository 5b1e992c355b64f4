import type { ShopperPreferences } from './ports.ts';
import { noSignals, SIGNALS, signalValues, type SearchResult, type Signal, type SignalOptions, type SignalValues } from './signals.ts';

/** How much each signal's value (in [−1, 1]) adds to a result's score at strength 1. */
export type SignalWeights = Record<Signal, number>;

/**
 * The defaults, against a prior of 1, 1/2, 1/3, … (see `prior`): at strength 1 a signal of weight w
 * and value 1 lifts a result past every neighbour whose prior is less than w above its own.
 *
 * Set by what they achieved for simulated shoppers (test/sim/RESULTS.md, "Tuning"): the first weights
 * (product 0.3, brand 0.2, category 0.1, reorder_due 0.4, recent 0.15, dietary 0.2, price 0.1,
 * promotion 0.05, explicit 1) moved a learned favourite only a few places, while shoppers mostly look at
 * the first few results. Doubling every weight raised the click-through uplift of the second week from
 * +11.2% to +16.4% (mean of four seeds), and a brand weight of 1 on top of that to +18.5%: a wrong
 * guess costs the shopper one more result to pass over, a right one is what they came for.
 */
export const DEFAULT_SIGNAL_WEIGHTS: SignalWeights = {
  /** 0.6: the shopper's own history with this very product is strong evidence. */
  product: 0.6,
  /**
   * 1: brand loyalty carries over to products not tried yet, and is what a shopper's clicks say most
   * often. At value 1 a product of the favourite brand rises past every engine neighbour within 1 of
   * its prior, i.e. to the top of the results; a single click reads tanh(0.3) = 0.29 and moves it less.
   */
  brand: 1,
  /** 0.2: weak on its own — the query already chose the category, mostly. */
  category: 0.2,
  /** 0.8: a staple that is running out is what the shopper came for. */
  reorder_due: 0.8,
  /** 0.3: what the shopper touched in the last hour, the session's drift. */
  recent: 0.3,
  /** 0.4: a diet narrows what is relevant; only items carrying the tag are lifted, untagged often means unknown. */
  dietary: 0.4,
  /** 0.2: price fit, a nudge; the engine's relevance matters more than the price band. */
  price: 0.2,
  /** 0.1 × the shopper's share of units bought on promotion: promotions for those who follow them. */
  promotion: 0.1,
  /** 2: the shopper said so — a liked item goes to the top, a disliked one below every unpersonalized result. */
  explicit: 2,
};

/** Default 1: at 0 the engine's order is kept exactly; 2 doubles every signal's pull against the prior. */
export const DEFAULT_STRENGTH = 1;

export type PersonalizeOptions = SignalOptions & {
  /** Default `DEFAULT_STRENGTH`. Must be finite and ≥ 0. */
  strength?: number;
  /** Overrides of `DEFAULT_SIGNAL_WEIGHTS`; each must be finite. */
  weights?: Partial<SignalWeights>;
};

/** Why one result is where it is: `score = prior + Σ contributions`, and results are sorted by score. */
export type Explanation = {
  sku: string;
  /** 1-based, as the engine ranked it. */
  original_position: number;
  /** 1-based, as shown. */
  position: number;
  /** `prior(original_position − 1)`. */
  prior: number;
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
};

/**
 * The engine's order as a score: 1 / (1 + rank), rank 0-based. It falls fast at the top and slowly
 * further down, so personalization easily reorders the tail and needs strong evidence to displace
 * the engine's first results.
 */
export function prior(rank: number): number {
  return 1 / (1 + rank);
}

/**
 * Re-ranks the engine's results for one shopper: `score = prior(rank) + strength × Σ weight × value`,
 * highest first, ties in the engine's order. Pure and deterministic. Without preferences, with
 * learn_preferences off or at strength 0, every contribution is 0 and the engine's order is kept.
 */
export function personalize<T extends SearchResult>(results: readonly T[], preferences: ShopperPreferences | null, options: PersonalizeOptions): Personalized<T> {
  const strength = rankingStrength(options.strength);
  const weights = signalWeights(options.weights);

  const values = preferences && strength > 0 ? signalValues(preferences, results, options) : results.map(noSignals);
  const scored = results.map((result, rank) => {
    const contributions = noSignals();
    let score = prior(rank);
    for (const signal of SIGNALS) {
      const value = values[rank]?.[signal] ?? 0;
      // `+ 0` turns −0 into 0, so explanations never show a signed zero; a NaN from odd input says nothing.
      const contribution = Number.isFinite(value) ? strength * weights[signal] * value + 0 : 0;
      contributions[signal] = contribution;
      score += contribution;
    }
    return { result, rank, contributions, score };
  });

  const ordered = scored.toSorted((a, b) => b.score - a.score || a.rank - b.rank);
  return {
    results: ordered.map((s) => s.result),
    explanations: ordered.map((s, index) => ({
      sku: s.result.sku,
      original_position: s.rank + 1,
      position: index + 1,
      prior: prior(s.rank),
      contributions: s.contributions,
      score: s.score,
    })),
    applied: scored.some((s) => SIGNALS.some((signal) => s.contributions[signal] !== 0)),
  };
}

/** The strength to rank with, `DEFAULT_STRENGTH` when not given; throws unless it is finite and ≥ 0. */
export function rankingStrength(strength: number = DEFAULT_STRENGTH): number {
  if (!Number.isFinite(strength) || strength < 0) throw new RangeError(`strength must be a finite number ≥ 0, not ${strength}`);
  return strength;
}

/** The defaults with `overrides`; throws on a weight that is not a finite number. */
export function signalWeights(overrides: Partial<SignalWeights> = {}): SignalWeights {
  const weights = { ...DEFAULT_SIGNAL_WEIGHTS };
  for (const signal of SIGNALS) {
    const weight = overrides[signal];
    if (weight === undefined) continue;
    if (!Number.isFinite(weight)) throw new RangeError(`the weight of ${signal} must be a finite number, not ${weight}`);
    weights[signal] = weight;
  }
  return weights;
}
