import type { Catalog, Product } from './catalog.ts';
import { acceptable, appeal, examined, type Need, type ShopperTruth } from './shoppers.ts';

// The scorer's ideal observer: the most any learner could make of a shopper's trips when naming their
// favourite brand in a category. It knows the behaviour model (shoppers.ts) and every hidden parameter of
// the shopper except the favourite brands: loyalty, price sensitivity, habits, and which of their purchases
// are staples. It sees every search's results as shown, the click or none, and each staple the first time
// it is ordered. Its answer is the brand with the highest posterior probability, from a uniform prior over
// the category's acceptable brands (how `buildShoppers` picks a favourite).
//
// No loop can see as much: the model, the parameters and the staples' labels are hidden from it. So its
// accuracy over the loop's judged pairs is an upper bound on any learner reading the same events, and the
// gap between the two is what better learning could still win. Told less (`IdealEvidence`), it measures what each
// piece of its knowledge is worth (test/sim/brand-gap.ts).

export type IdealObserver = {
  /** A search the shopper made for `need`, its results in the order shown, and the 1-based click or null. */
  searched(need: Need, shown: readonly Product[], clicked: number | null): void;
  /** An order: each staple in it the observer has not seen yet is evidence of the favourite it was chosen under. */
  ordered(products: readonly Product[]): void;
  /** The most probable favourite brand in `category`, or null for a category the shopper does not buy from. */
  favourite(category: string): string | null;
  /** Each acceptable brand's posterior chance of being the favourite in `category` (empty for a category not bought from). */
  chances(category: string): Map<string, number>;
};

/**
 * What the observer may use, to measure what each kind of evidence is worth (all of it by default):
 * - `skips`: the results passed over above a click (or all of them, without one);
 * - `clicks`: the searches at all; `staples`: each staple's first order;
 * - `needs`: which need a search was for, `known`; `repeat`, read from the events as the loop could (a click on a product
 *   ordered before is taken as a search for it, anything else as an ordinary need); or `unknown`, every search an
 *   ordinary need;
 * - `parameters`: the shopper's loyalty, price sensitivity and organic pull, `known`; `means`, the population's; or
 *   `marginal`, summed over a grid of them weighted as `buildShoppers` draws them (the belief of an observer who
 *   knows how shoppers are drawn but not this shopper's draw). Strict habits stay known: they decide the candidates.
 */
export type IdealEvidence = {
  skips: boolean;
  clicks: boolean;
  staples: boolean;
  needs: 'known' | 'repeat' | 'unknown';
  parameters: 'known' | 'means' | 'marginal';
};

export const ALL_EVIDENCE: Readonly<IdealEvidence> = { skips: true, clicks: true, staples: true, needs: 'known', parameters: 'known' };

type Hypothesis = { truth: ShopperTruth; logPrior: number; logLikelihood: Map<string, Map<string, number>> };

/** The parameter settings the observer weighs: the truth, the population's means, or a grid over `buildShoppers`' draws. */
function hypotheses(actual: ShopperTruth, parameters: IdealEvidence['parameters']): { truth: ShopperTruth; logPrior: number }[] {
  if (parameters === 'known') return [{ truth: actual, logPrior: 0 }];
  if (parameters === 'means') return [{ truth: { ...actual, loyalty: 0.75, priceSensitivity: 0.5, likesOrganic: false }, logPrior: 0 }];
  // About the middles of the thirds of each uniform range (loyalty 0.55–0.95, price sensitivity 0–1); organic 15%.
  const grid: { truth: ShopperTruth; logPrior: number }[] = [];
  for (const loyalty of [0.6, 0.75, 0.9])
    for (const priceSensitivity of [1 / 6, 0.5, 5 / 6])
      for (const likesOrganic of [false, true])
        grid.push({ truth: { ...actual, loyalty, priceSensitivity, likesOrganic }, logPrior: Math.log(likesOrganic ? 0.15 : 0.85) });
  return grid;
}

function logSumExp(values: readonly number[]): number {
  const top = Math.max(...values);
  if (top === Number.NEGATIVE_INFINITY) return top;
  return top + Math.log(values.reduce((sum, v) => sum + Math.exp(v - top), 0));
}

export function idealObserver(catalog: Catalog, actual: ShopperTruth, evidence: IdealEvidence = ALL_EVIDENCE): IdealObserver {
  // Per parameter setting and shopped category: each acceptable brand's log-likelihood of everything seen so far.
  const acceptableIn = new Map<string, Product[]>();
  for (const category of actual.categories)
    acceptableIn.set(
      category,
      (catalog.byCategory.get(category) ?? []).filter((p) => acceptable(p, actual)),
    );
  const worlds: Hypothesis[] = hypotheses(actual, evidence.parameters).map((h) => ({
    ...h,
    logLikelihood: new Map([...acceptableIn].map(([category, products]) => [category, new Map(products.map((p) => [p.brand, 0]))])),
  }));
  const staples = new Set(actual.staples.map((s) => s.sku));
  const seenStaples = new Set<string>();
  const ordered = new Set<string>();
  const add = (world: Hypothesis, category: string, brand: string, logP: number) => {
    const byBrand = world.logLikelihood.get(category);
    const current = byBrand?.get(brand);
    if (byBrand && current !== undefined) byBrand.set(brand, current + logP);
  };
  /** The same shopper, with `brand` as their favourite in `category`. */
  const supposing = (truth: ShopperTruth, category: string, brand: string): ShopperTruth => ({
    ...truth,
    favouriteBrand: new Map(truth.favouriteBrand).set(category, brand),
  });
  const needOf = (actualNeed: Need, shown: readonly Product[], clicked: number | null): Need => {
    if (evidence.needs === 'known') return actualNeed;
    const product = clicked === null ? undefined : shown[clicked - 1];
    if (evidence.needs === 'repeat' && product && ordered.has(product.sku)) return { kind: 'staple', product };
    return { kind: 'need', category: shown[0]?.category ?? '' };
  };

  return {
    searched(actualNeed, shown, clicked) {
      if (!evidence.clicks) return;
      const need = needOf(actualNeed, shown, clicked);
      // The cascade (`chooseClick`): results passed over down to the click, then the click; or all passed over.
      const looked = clicked === null ? shown : shown.slice(0, clicked);
      const categories = new Set(looked.map((p) => p.category).filter((c) => acceptableIn.has(c)));
      for (const world of worlds)
        for (const category of categories) {
          for (const brand of world.logLikelihood.get(category)?.keys() ?? []) {
            const shopper = supposing(world.truth, category, brand);
            let logP = 0;
            looked.forEach((product, i) => {
              const clickChance = examined(i + 1) * appeal(shopper, need, product);
              // Floored: a model that is not told the need may find a click impossible under every favourite.
              if (i + 1 === clicked) logP += Math.log(Math.max(clickChance, 1e-9));
              else if (evidence.skips) logP += Math.log(1 - clickChance);
            });
            add(world, category, brand, logP);
          }
        }
    },

    ordered(products) {
      for (const product of products) {
        ordered.add(product.sku);
        if (!evidence.staples || !staples.has(product.sku) || seenStaples.has(product.sku)) continue;
        seenStaples.add(product.sku);
        const options = acceptableIn.get(product.category) ?? [];
        for (const world of worlds)
          for (const brand of world.logLikelihood.get(product.category)?.keys() ?? [])
            add(world, product.category, brand, Math.log(stapleChance(options, brand, product, world.truth.loyalty)));
      }
    },

    favourite(category) {
      const logP = logPosterior(category);
      if (logP === null) return null;
      let best: string | null = null;
      let bestLog = Number.NEGATIVE_INFINITY;
      // Ties go to the first brand in code-unit order, as the oracle's do.
      for (const [brand, value] of [...logP].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (value > bestLog) [best, bestLog] = [brand, value];
      }
      return best;
    },

    chances(category) {
      const byBrand = logPosterior(category) ?? new Map<string, number>();
      const top = Math.max(...byBrand.values());
      const weights = [...byBrand].map(([brand, logP]) => [brand, Math.exp(logP - top)] as const);
      const total = weights.reduce((sum, [, w]) => sum + w, 0);
      return new Map(weights.map(([brand, w]) => [brand, w / total]));
    },
  };

  /** Each brand's log-posterior in `category`, up to a constant, or null for a category the shopper does not buy from. */
  function logPosterior(category: string): Map<string, number> | null {
    const brands = worlds[0]?.logLikelihood.get(category);
    if (!brands) return null;
    // Summed over the parameter settings, each weighed by what it makes of the other categories.
    const rest = worlds.map(
      (world) =>
        world.logPrior +
        [...world.logLikelihood].reduce((sum, [c, byBrand]) => (c === category ? sum : sum + logSumExp([...byBrand.values()])), 0),
    );
    return new Map(
      [...brands.keys()].map((brand) => [
        brand,
        logSumExp(worlds.map((world, i) => (rest[i] ?? 0) + (world.logLikelihood.get(category)?.get(brand) ?? 0))),
      ]),
    );
  }
}

/**
 * The chance that `buildShoppers` picks `product` as a staple of its category when `favourite` is the
 * favourite brand: every favourite-brand product is a candidate, every other one with chance 1 − loyalty,
 * and one candidate is picked alike.
 */
export function stapleChance(options: readonly Product[], favourite: string, product: Product, loyalty: number): number {
  const ofFavourite = options.filter((p) => p.brand === favourite).length;
  const others = options.length - ofFavourite;
  if (product.brand === favourite) return expectedInverse(ofFavourite, others, 1 - loyalty);
  return (1 - loyalty) * expectedInverse(ofFavourite + 1, others - 1, 1 - loyalty);
}

/** E[1 / (base + X)] for X ~ Binomial(n, p): the chance of being the one picked among the candidates. */
function expectedInverse(base: number, n: number, p: number): number {
  let sum = 0;
  let ways = 1;
  for (let k = 0; k <= n; k++) {
    if (base + k > 0) sum += (ways * p ** k * (1 - p) ** (n - k)) / (base + k);
    ways = (ways * (n - k)) / (k + 1);
  }
  return sum;
}
