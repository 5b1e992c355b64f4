import type { ClientEvent } from '../../functions/events/schema.ts';
import type { Catalog, Product, Random } from './catalog.ts';
import type { IdealObserver } from './ideal.ts';
import { acceptable, appeal, dueStaples, examined, queryFor, type Need, type ShopperTruth } from './shoppers.ts';

// Rankings that read the shoppers' hidden truth, to measure how far any ranker could lift the click-through
// on the same result sets: the ceiling the loop's uplift is judged against. They only read the behaviour
// model (shoppers.ts); the shoppers choose exactly as they do for the loop's order.

/** What a ranking may be told about one search beside its results: everything, and each ranking picks what it reads. */
export type RankContext = {
  truth: ShopperTruth;
  /** What the search is for: hidden from any real ranker, which sees only the query. */
  need: Need;
  query: string;
  /** The ideal observer of the shopper's trips so far (ideal.ts). */
  ideal: IdealObserver;
  /** Every event the shopper sent before this trip, as the loop received them. */
  history: readonly ClientEvent[];
  at: Date;
  catalog: Catalog;
};

/** Orders one search's results (the engine's, or the loop's order of them) for the shopper. */
export type Ranking = (context: RankContext, shown: readonly Product[]) => Product[];

export const RANKERS = ['loop', 'oracle', 'shopper', 'informed'] as const;
export type Ranker = (typeof RANKERS)[number];

/** The chance that the cascade (`chooseClick`) ends in a click on this order: 1 − Π (1 − examined(i) · appeal). */
export function expectedClick(truth: ShopperTruth, need: Need, shown: readonly Product[]): number {
  return 1 - shown.reduce((missed, product, i) => missed * (1 - examined(i + 1) * appeal(truth, need, product)), 1);
}

/** The expected reciprocal rank of the click on this order (0 without one): what MRR averages. */
export function expectedReciprocalRank(truth: ShopperTruth, need: Need, shown: readonly Product[]): number {
  let reached = 1;
  let sum = 0;
  shown.forEach((product, i) => {
    const click = examined(i + 1) * appeal(truth, need, product);
    sum += (reached * click) / (i + 1);
    reached *= 1 - click;
  });
  return sum;
}

/** Sorted by score, best first; equal scores keep the order given (the engine's), also when sums in another order round apart. */
function byScore(shown: readonly Product[], score: (product: Product) => number): Product[] {
  return shown
    .map((product, i) => ({ product, i, s: Math.round(score(product) * 1e9) / 1e9 }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.product);
}

/**
 * The full oracle: by the shopper's true appeal for this very need, best first. Examination falls with position and
 * the cascade clicks the first examined result that appeals, so exchanging any pair out of this order lowers the
 * chance of a click (exchange argument: (e₁ − e₂)(a₁ − a₂) ≥ 0): no ranking of the same results does better.
 */
export function oracleOrder(truth: ShopperTruth, need: Need, shown: readonly Product[]): Product[] {
  return byScore(shown, (product) => appeal(truth, need, product));
}

export const fullOracle: Ranking = ({ truth, need }, shown) => oracleOrder(truth, need, shown);

/**
 * The shopper oracle: every hidden parameter of the shopper (favourites, habits, staples and when they are due), but
 * only the query of the search, not what it is for. It ranks by the appeal expected over the needs that could have
 * typed this query, weighted as `tripNeeds` and `queryFor` make them: each due staple of the query's category (typed as
 * the category 70%, with its variant 20%, its brand 10%), an ordinary need (one to three a trip) and an idle search (up
 * to two) in one of the shopper's categories. What it loses against the full oracle is what no ranker reading only the
 * query can know.
 */
export const shopperOracle: Ranking = ({ truth, query, at, catalog }, shown) => {
  const needs = needsBehind(catalog, truth, query, at);
  return byScore(shown, (product) => needs.reduce((sum, { need, weight }) => sum + weight * appeal(truth, need, product), 0));
};

/** The needs that could have typed `query` and their relative chances. */
function needsBehind(catalog: Catalog, truth: ShopperTruth, query: string, at: Date): { need: Need; weight: number }[] {
  const categories = truth.categories.filter((c) => query === c || query.endsWith(` ${c}`));
  const category = categories.sort((a, b) => b.length - a.length)[0];
  if (category === undefined) return [];
  const perCategory = 1 / truth.categories.length;
  const needs: { need: Need; weight: number }[] =
    query === category
      ? [
          { need: { kind: 'need', category }, weight: 2 * perCategory },
          { need: { kind: 'browse', category }, weight: perCategory },
        ]
      : [];
  for (const staple of dueStaples(truth, at.getTime())) {
    const product = catalog.bySku.get(staple.sku);
    if (product === undefined || product.category !== category) continue;
    const need: Need = { kind: 'staple', product };
    // `queryFor` draws one number: below 0.7 the category, below 0.9 with the variant, else with the brand.
    const weight = QUERY_ROLLS.filter(({ roll }) => queryFor(fixed(roll), need) === query).reduce((sum, { share }) => sum + share, 0);
    if (weight > 0) needs.push({ need, weight });
  }
  return needs;
}

const QUERY_ROLLS = [
  { roll: 0, share: 0.7 },
  { roll: 0.8, share: 0.2 },
  { roll: 0.95, share: 0.1 },
];

/** A random source that always draws `value`. */
function fixed(value: number): Random {
  return { next: () => value, int: (lo) => lo, pick: (items) => items[0] as never, chance: (p) => value < p };
}

/** The earliest a staple comes due after it was bought: the shortest interval less the two days' margin (shoppers.ts). */
const STAPLE_DUE_AFTER_DAYS = 5;
const DAY_MS = 86_400_000;

/**
 * The informed oracle: what a learner that read every event perfectly could know. It knows the behaviour model and the
 * parameters the ideal observer is given (habits, organic, price sensitivity, loyalty), the ideal observer's posterior
 * over the favourite brand, and the shopper's orders so far; not the favourites themselves, not which purchases are
 * staples or their intervals, and not what this search is for. A product already ordered, that the shopper would take,
 * and bought at least as long ago as a staple can come due, goes first (the most ordered, then the longest ago); the
 * rest follow by their appeal to an ordinary need expected over the posterior.
 */
export const informedOracle: Ranking = (context, shown) => informedRanking(context, context.truth, shown);

/**
 * The informed oracle without the shopper's parameters: a typical shopper's (no strict habits, no taste for organic, the
 * middle of the price sensitivity and loyalty ranges of `buildShoppers`) in their place. Only the favourite's posterior
 * (which the ideal observer still forms with the true parameters) and the orders are the shopper's own.
 */
export const posteriorOnlyOracle: Ranking = (context, shown) =>
  informedRanking(context, { ...context.truth, strictTags: [], likesOrganic: false, priceSensitivity: 0.5, loyalty: 0.75 }, shown);

function informedRanking({ need, ideal, history, at }: RankContext, known: ShopperTruth, shown: readonly Product[]): Product[] {
  const orders = orderedSoFar(history);
  const category = need.kind === 'staple' ? need.product.category : need.category;
  const ordinary: Need = { kind: 'need', category };
  const supposing = (brand: string): ShopperTruth => ({ ...known, favouriteBrand: new Map([[category, brand]]), staples: [] });
  const shoppers = [...ideal.chances(category)].map(([brand, chance]) => ({ shopper: supposing(brand), chance }));
  return byScore(shown, (product) => {
    const bought = orders.get(product.sku);
    const sinceDays = bought ? (at.getTime() - bought.last) / DAY_MS : 0;
    if (bought && acceptable(product, known) && sinceDays >= STAPLE_DUE_AFTER_DAYS) return 2 + bought.times + sinceDays / 1000;
    return shoppers.reduce((sum, { shopper, chance }) => sum + chance * appeal(shopper, ordinary, product), 0);
  });
}

/** Per SKU ordered in `history`: how many orders held it, and the last one's time. */
function orderedSoFar(history: readonly ClientEvent[]): Map<string, { times: number; last: number }> {
  const orders = new Map<string, { times: number; last: number }>();
  for (const event of history) {
    if (event.type !== 'order_completed') continue;
    const time = Date.parse(event.occurred_at);
    for (const item of event.data.items) {
      const seen = orders.get(item.sku);
      orders.set(item.sku, { times: (seen?.times ?? 0) + 1, last: Math.max(seen?.last ?? time, time) });
    }
  }
  return orders;
}

/** The ranking a `--ranker` name stands for; null for the loop's own. */
export function rankingOf(ranker: Ranker): Ranking | null {
  if (ranker === 'oracle') return fullOracle;
  if (ranker === 'shopper') return shopperOracle;
  if (ranker === 'informed') return informedOracle;
  return null;
}
