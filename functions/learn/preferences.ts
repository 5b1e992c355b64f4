/**
 * A shopper's preference document, `preferences/{shopperDocumentId(userId)}` in Firestore: what the
 * search service reads to personalize. Everything in it is stored so that applying events commutes — the same
 * events in any order, or twice behind an idempotency check, give the same document.
 *
 * Affinities decay with a half-life but are never rewritten to decay: each increment is stored
 * scaled to a fixed epoch, `weight += signal × 2^((event_time − epoch) / half_life)`, and read as
 * `weight × 2^(−(now − epoch) / half_life)`. Sums commute; so do min, max and counts.
 */
export const PREFERENCES_SCHEMA_VERSION = 1;

/** The kinds of evidence behind an affinity, counted so the shopper (and we) can see why. */
export type SignalKind = 'shown' | 'view' | 'click' | 'cart_add' | 'cart_remove' | 'order' | 'explicit';

export type Affinity = {
  /** Σ signal × 2^((event_time − epoch) / half_life). Negative signals (cart removals) subtract. */
  weight: number;
  /** How many events of each kind contributed. */
  signals: Partial<Record<SignalKind, number>>;
  /** Latest event_time that contributed (ISO 8601). */
  last_at: string;
};

/** Per product: the shopper's repeat-purchase rhythm, from orders only. */
export type ReorderState = {
  /** Distinct orders containing the product. */
  orders: number;
  /** Total quantity over those orders. */
  quantity: number;
  first_at: string;
  last_at: string;
  /** (last − first) / (orders − 1), days; null until the second order. */
  mean_interval_days: number | null;
  /** last + mean interval; null until the second order. */
  next_due_at: string | null;
};

/** An explicit statement (`preference_updated`); the latest by event time wins, resets included. */
export type ExplicitPreference = { action: 'like' | 'dislike' | 'reset'; at: string };

export type Preferences = {
  schema_version: typeof PREFERENCES_SCHEMA_VERSION;
  user_id: string;
  /** The fixed epoch affinities are scaled to (ISO 8601), and the half-life they decay with. */
  epoch: string;
  half_life_days: number;
  products: Record<string, Affinity>;
  brands: Record<string, Affinity>;
  categories: Record<string, Affinity>;
  /**
   * Per category, the brands of the shopper's evidence in it (the same signals as `brands`): the favourite
   * brand of each category, where one brand may lead in one category and not in another. Absent from
   * documents learned before it existed, until the shopper's next event.
   */
  brands_by_category?: Record<string, Record<string, Affinity>>;
  /** Dietary tags of what the shopper adds to carts and orders. */
  dietary: Record<string, Affinity>;
  /** Latest event time per brand and category: "recent interests" are those within the window. */
  recent: { brands: Record<string, string>; categories: Record<string, string> };
  reorder: Record<string, ReorderState>;
  /** Key `${preference}:${value}`, e.g. `brand:Oatly`. */
  explicit: Record<string, ExplicitPreference>;
  /** Events learned from, and the latest event time among them. */
  event_count: number;
  last_event_at: string | null;
};
