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
// gap between the two is what better learning could still win.

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

export function idealObserver(catalog: Catalog, truth: ShopperTruth): IdealObserver {
  // Per shopped category: each acceptable brand's log-likelihood of everything seen so far.
  const logLikelihood = new Map<string, Map<string, number>>();
  const acceptableIn = new Map<string, Product[]>();
  for (const category of truth.categories) {
    const products = (catalog.byCategory.get(category) ?? []).filter((p) => acceptable(p, truth));
    acceptableIn.set(category, products);
    logLikelihood.set(category, new Map(products.map((p) => [p.brand, 0])));
  }
  const staples = new Set(truth.staples.map((s) => s.sku));
  const seenStaples = new Set<string>();
  const add = (category: string, brand: string, logP: number) => {
    const byBrand = logLikelihood.get(category);
    const current = byBrand?.get(brand);
    if (byBrand && current !== undefined) byBrand.set(brand, current + logP);
  };
  /** The same shopper, with `brand` as their favourite in `category`. */
  const supposing = (category: string, brand: string): ShopperTruth => ({
    ...truth,
    favouriteBrand: new Map(truth.favouriteBrand).set(category, brand),
  });

  return {
    searched(need, shown, clicked) {
      // The cascade (`chooseClick`): results passed over down to the click, then the click; or all passed over.
      const looked = clicked === null ? shown : shown.slice(0, clicked);
      const categories = new Set(looked.map((p) => p.category).filter((c) => logLikelihood.has(c)));
      for (const category of categories) {
        for (const brand of logLikelihood.get(category)?.keys() ?? []) {
          const shopper = supposing(category, brand);
          let logP = 0;
          looked.forEach((product, i) => {
            const clickChance = examined(i + 1) * appeal(shopper, need, product);
            logP += Math.log(i + 1 === clicked ? clickChance : 1 - clickChance);
          });
          add(category, brand, logP);
        }
      }
    },

    ordered(products) {
      for (const product of products) {
        if (!staples.has(product.sku) || seenStaples.has(product.sku)) continue;
        seenStaples.add(product.sku);
        const options = acceptableIn.get(product.category) ?? [];
        for (const brand of logLikelihood.get(product.category)?.keys() ?? [])
          add(product.category, brand, Math.log(stapleChance(options, brand, product, truth.loyalty)));
      }
    },

    favourite(category) {
      const byBrand = logLikelihood.get(category);
      if (!byBrand) return null;
      let best: string | null = null;
      let bestLog = Number.NEGATIVE_INFINITY;
      // Ties go to the first brand in code-unit order, as the oracle's do.
      for (const [brand, logP] of [...byBrand].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (logP > bestLog) [best, bestLog] = [brand, logP];
      }
      return best;
    },

    chances(category) {
      const byBrand = logLikelihood.get(category) ?? new Map<string, number>();
      const top = Math.max(...byBrand.values());
      const weights = [...byBrand].map(([brand, logP]) => [brand, Math.exp(logP - top)] as const);
      const total = weights.reduce((sum, [, w]) => sum + w, 0);
      return new Map(weights.map(([brand, w]) => [brand, w / total]));
    },
  };
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
