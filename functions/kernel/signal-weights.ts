/**
 * Every weight the loop gives evidence, in one module: how far one event moves a shopper's real-time
 * affinities (`LEARNING_SIGNALS`), how the patterns job scores brands and categories (`BATCH_PREFERENCE_SCORE`,
 * which the SQL receives as query parameters), and how far each signal moves a search result
 * (`DEFAULT_RANKING_WEIGHTS`). The docs' weight tables are checked against it (test/kernel/signal-weights.test.ts).
 * It lives in the kernel because learn/, patterns/ and search/ all read it, and none of them may import another's.
 */

/** How strongly one event moves each affinity map; 0 means the event says nothing about that map. */
export type LearningSignals = { product: number; brand: number; category: number; dietary: number };

/** The kinds of evidence real-time learning weighs, each per product (or per order item). */
export type LearningEvent = 'shown' | 'view' | 'click' | 'cart_add' | 'cart_remove' | 'order';

/** The signal strengths of real-time learning, from the product guide. */
export const LEARNING_SIGNALS: Readonly<Record<LearningEvent, LearningSignals>> = {
  /**
   * A search result shown at position 1, scaled by 1 / position below it (the chance it was looked at, as unbiased
   * learning to rank commonly models it): weak evidence against its brand, for a shopper who looked and did not take it.
   * The result clicked was shown too; its click outweighs this six times. Said of the brand only: the query chose
   * the category, and a product passed over today may be bought when it runs out.
   */
  shown: { product: 0, brand: -0.05, category: 0, dietary: 0 },
  /** Looking is weak evidence; a glance says nothing about diet. */
  view: { product: 0.1, brand: 0.1, category: 0.1, dietary: 0 },
  /** A click on a search result is a choice among alternatives. */
  click: { product: 0.3, brand: 0.3, category: 0.2, dietary: 0 },
  /**
   * Intent to buy. One add counts once whatever its quantity (pack sizes say more about the household
   * than the taste); a cart update that raises the quantity counts as an add scaled by the added share,
   * `(new − old) / new`.
   */
  cart_add: { product: 0.7, brand: 0.6, category: 0.5, dietary: 0.5 },
  /**
   * Half an add, negative: taking something out is weaker evidence than putting it in. A quantity
   * decrease counts as a remove scaled by the removed share, `(old − new) / old`, so emptying a line is
   * one full remove.
   */
  cart_remove: { product: -0.35, brand: -0.3, category: -0.25, dietary: -0.25 },
  /**
   * "Regularly buys", per distinct product in the order, not scaled by quantity: repeat orders, not big
   * ones, show a habit (quantity feeds the reorder rhythm instead).
   */
  order: { product: 0.9, brand: 0.8, category: 0.7, dietary: 0.5 },
};

/**
 * How the patterns job scores a shopper's brands (and, alike, categories) over the 180 days before its
 * `@as_of`: `score = purchase × order lines + cart_add × cart adds + click × result clicks`, counted from
 * `minScore`, the `kept` strongest per shopper. `brand_preferences.sql` and `category_preferences.sql`
 * take these as query parameters (`PREFERENCE_SCORE_PARAMS`, functions/patterns/patterns.ts).
 *
 * Not `LEARNING_SIGNALS`' brand and category strengths, though they look alike (an order there is 0.8 for
 * the brand and 0.7 for the category, not 0.9): these weigh undecayed counts against a threshold, and
 * search reads them only as shares of the shopper's total, while those are increments of a decaying sum
 * read through tanh. Each set was chosen on its own; making them one would change the patterns found.
 */
export const BATCH_PREFERENCE_SCORE = {
  weights: { purchase: 0.9, cart_add: 0.6, click: 0.3 },
  /** A single purchase (or two) is not a preference; three are, and so are two with a click. */
  minScore: 2,
  /** Brands kept per shopper, and categories. */
  kept: 10,
} as const;

/** The signals a search result is ranked by, in the order explanations list them. */
export const RANKING_SIGNALS = [
  'product',
  'brand',
  'category',
  'reorder_due',
  'recent',
  'dietary',
  'price',
  'promotion',
  'explicit',
] as const;
export type RankingSignal = (typeof RANKING_SIGNALS)[number];

/**
 * The engine's order as a score: 1 / (1 + rank), rank 0-based. It falls fast at the top and slowly
 * further down, so personalization easily reorders the tail and needs strong evidence to displace
 * the engine's first results. Here, beside the weights, because the weights are in its units.
 */
export function prior(rank: number): number {
  return 1 / (1 + rank);
}

/** How much each signal's value (in [−1, 1]) adds to a result's score at strength 1. */
export type RankingWeights = Record<RankingSignal, number>;

/**
 * The ranking's defaults, against a prior of 1, 1/2, 1/3, … (see `prior`, functions/search/personalize.ts):
 * at strength 1 a signal of weight w and value 1 lifts a result past every neighbour whose prior is less
 * than w above its own.
 *
 * Set by what they achieved for simulated shoppers (test/sim/RESULTS.md, "Tuning"): the first weights
 * (product 0.3, brand 0.2, category 0.1, reorder_due 0.4, recent 0.15, dietary 0.2, price 0.1,
 * promotion 0.05, explicit 1) moved a learned favourite only a few places, while shoppers mostly look at
 * the first few results. Doubling every weight raised the click-through uplift of the second week from
 * +11.2% to +16.4% (mean of four seeds), and a brand weight of 1 on top of that to +18.5%: a wrong
 * guess costs the shopper one more result to pass over, a right one is what they came for.
 */
export const DEFAULT_RANKING_WEIGHTS: Readonly<RankingWeights> = {
  /** The shopper's own history with this very product is strong evidence. */
  product: 0.6,
  /**
   * Brand loyalty carries over to products not tried yet, and is what a shopper's clicks say most
   * often. At value 1 a product of the favourite brand rises past every engine neighbour within 1 of
   * its prior, i.e. to the top of the results; a single click reads tanh(0.3) = 0.29 and moves it less.
   */
  brand: 1,
  /** Weak on its own: the query already chose the category, mostly. */
  category: 0.2,
  /** A staple that is running out is what the shopper came for. */
  reorder_due: 0.8,
  /** What the shopper touched in the last hour, the session's drift. */
  recent: 0.3,
  /** A diet narrows what is relevant; only items carrying the tag are lifted, untagged often means unknown. */
  dietary: 0.4,
  /** Price fit, a nudge; the engine's relevance matters more than the price band. */
  price: 0.2,
  /** × the shopper's share of units bought on promotion: promotions for those who follow them. */
  promotion: 0.1,
  /** The shopper said so: a liked item goes to the top, a disliked one below every unpersonalized result. */
  explicit: 2,
};
