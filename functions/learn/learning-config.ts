import { LEARNING_SIGNALS, type LearningEvent, type LearningSignals } from '../kernel/signal-weights.ts';

/** Every knob of real-time learning. Each field's doc says its default and why. */
export type LearningConfig = {
  /**
   * Signal strengths per kind of evidence, per product (or per order item). Default `LEARNING_SIGNALS`
   * (functions/kernel/signal-weights.ts, which says why each is what it is).
   */
  signals: Record<LearningEvent, LearningSignals>;
  /**
   * Default 4: how many of a search's first results teach learning their brands when shown (`signals.shown`). From the
   * fifth on, one showing is worth at most `pruneBelow` and would be pruned on its own.
   */
  shownDepth: number;
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
   * reorder 200 (a big household buys a few hundred distinct products), explicit 100; brands per category 5
   * in at most 50 categories (those whose strongest brand is strongest), as many categories as `categories` keeps.
   */
  topK: {
    products: number;
    brands: number;
    categories: number;
    brandsPerCategory: number;
    brandCategories: number;
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
  signals: LEARNING_SIGNALS,
  shownDepth: 4,
  halfLifeDays: 14,
  epoch: '2026-01-01T00:00:00.000Z',
  recentWindowMs: 60 * 60 * 1000,
  topK: {
    products: 200,
    brands: 50,
    categories: 50,
    brandsPerCategory: 5,
    brandCategories: 50,
    dietary: 20,
    recentBrands: 20,
    recentCategories: 20,
    reorder: 200,
    explicit: 100,
  },
  pruneBelow: 0.01,
};
