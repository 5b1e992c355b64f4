/** How strongly one event moves each affinity map; 0 means the event says nothing about that map. */
export type SignalWeights = { product: number; brand: number; category: number; dietary: number };

/** Every knob of real-time learning. Each field's doc says its default and why. */
export type LearningConfig = {
  /** Signal strengths per kind of evidence, per product (or per order item), from the product guide. */
  signals: {
    /** Default 0.1 on product, brand and category: looking is weak evidence; dietary 0, a glance says nothing about diet. */
    view: SignalWeights;
    /** Default product 0.3, brand 0.3, category 0.2: a click on a search result is a choice among alternatives. */
    click: SignalWeights;
    /**
     * Default product 0.7, brand 0.6, category 0.5, dietary 0.5: intent to buy. One add counts once
     * whatever its quantity (pack sizes say more about the household than the taste); a cart update
     * that raises the quantity counts as an add scaled by the added share, `(new − old) / new`.
     */
    cart_add: SignalWeights;
    /**
     * Default product −0.35, brand −0.3, category −0.25, dietary −0.25: half an add, negative, because
     * taking something out is weaker evidence than putting it in. A quantity decrease counts as a
     * remove scaled by the removed share, `(old − new) / old`, so emptying a line is one full remove.
     */
    cart_remove: SignalWeights;
    /**
     * Default product 0.9 ("regularly buys"), brand 0.8, category 0.7, dietary 0.5, per distinct product
     * in the order, not scaled by quantity: repeat orders, not big ones, show a habit (quantity feeds
     * the reorder rhythm instead).
     */
    order: SignalWeights;
  };
  /** Default 14 days: a fortnight-old click counts half, which follows a weekly or bi-weekly grocery rhythm. */
  halfLifeDays: number;
  /**
   * Default `2026-01-01T00:00:00.000Z`: the fixed instant weights are scaled to. Applies to new
   * documents only; a document keeps the epoch and half-life it was written with (see `learn`).
   */
  epoch: string;
  /** Default 1 hour, ms: a brand or category touched within this window is a "recent interest" of the session. */
  recentWindowMs: number;
  /**
   * Most entries kept per map, so a document stays far below Firestore's 1 MiB. Affinities keep the
   * strongest current |value|, recent interests and reorder state the latest, explicit statements the latest.
   * Defaults: products 200, brands 50, categories 50, dietary 20, recentBrands 20, recentCategories 20,
   * reorder 200 (a big household buys a few hundred distinct products), explicit 100.
   */
  topK: {
    products: number;
    brands: number;
    categories: number;
    dietary: number;
    recentBrands: number;
    recentCategories: number;
    reorder: number;
    explicit: number;
  };
  /**
   * Default 0.01: an affinity whose current |value| is below this is removed — a tenth of a single
   * view, too weak to change a ranking. Entries carrying an explicit statement are kept regardless.
   */
  pruneBelow: number;
};

export const DEFAULT_LEARNING_CONFIG: LearningConfig = {
  signals: {
    view: { product: 0.1, brand: 0.1, category: 0.1, dietary: 0 },
    click: { product: 0.3, brand: 0.3, category: 0.2, dietary: 0 },
    cart_add: { product: 0.7, brand: 0.6, category: 0.5, dietary: 0.5 },
    cart_remove: { product: -0.35, brand: -0.3, category: -0.25, dietary: -0.25 },
    order: { product: 0.9, brand: 0.8, category: 0.7, dietary: 0.5 },
  },
  halfLifeDays: 14,
  epoch: '2026-01-01T00:00:00.000Z',
  recentWindowMs: 60 * 60 * 1000,
  topK: {
    products: 200,
    brands: 50,
    categories: 50,
    dietary: 20,
    recentBrands: 20,
    recentCategories: 20,
    reorder: 200,
    explicit: 100,
  },
  pruneBelow: 0.01,
};
