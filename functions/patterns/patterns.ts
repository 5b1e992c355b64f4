import { createHash } from 'node:crypto';
import { z } from 'zod';
import { REORDER_RULE_PARAMS } from '../kernel/reorder-rule.ts';
import { BATCH_PREFERENCE_SCORE } from '../kernel/signal-weights.ts';
import type { SqlParams, SqlRow } from '../warehouse/ports.ts';

/**
 * `preferences/{userId}.patterns`: what the batch analyses of `sql/` found in a shopper's last 180
 * days, as of `as_of`. Written only by the patterns job, as a whole field; bounded in size.
 */
export type Patterns = {
  /** Events before this instant count (ISO 8601). */
  as_of: string;
  /** Products bought in at least two orders, most confident first. */
  regular_items: RegularItem[];
  brands: Preference[];
  categories: Preference[];
  price: PriceSensitivity | null;
  schedule: Schedule | null;
  dietary: DietaryPattern[];
  bought_together: BoughtTogether[];
};

export type Frequency = 'weekly' | 'biweekly' | 'monthly' | 'quarterly' | 'occasional';

export type RegularItem = {
  sku: string;
  product_name: string;
  category: string;
  brand: string | null;
  purchases: number;
  avg_quantity: number;
  avg_interval_days: number;
  frequency: Frequency;
  /** By `REGULAR_ITEM_CONFIDENCE`: min(0.9, purchases / 10). */
  confidence: number;
  /** Standard deviation of the gaps over their mean; null with a single gap. */
  interval_cv: number | null;
  last_purchased_at: string;
  /** last_purchased_at + avg_interval_days: when the next purchase is expected. */
  next_due_at: string;
  /**
   * When the reorder model in force at the run first holds the item due (the lowest cycle of its orders and interval
   * at which it is due; null: never, at these); before any fit, last_purchased_at + 0.9 × avg_interval_days, by the
   * default rule (`REORDER_RULE`). Readers decide with their own now by the model they read (`isRegularItemDue`), so
   * the document stays true between runs.
   */
  due_at: string | null;
};

/** A brand or category: its purchases, cart adds and clicks, weighed by `BATCH_PREFERENCE_SCORE` into a score. */
export type Preference = {
  name: string;
  score: number;
  /** The score's share of all the shopper's brand (or category) scores. */
  share: number;
  purchases: number;
  cart_adds: number;
  clicks: number;
};

export type PriceClass = 'budget' | 'mid_range' | 'premium';

export type CategoryPrice = {
  category: string;
  lines: number;
  units: number;
  /** 0 = the category's cheapest price, 1 = its dearest; quantity-weighted. */
  position: number;
  /** Price over the category's mean price; quantity-weighted. */
  index: number;
  /** Share of units bought on promotion. */
  promo_share: number;
};

export type PriceSensitivity = Omit<CategoryPrice, 'category' | 'lines'> & {
  /** From the overall position: below 1/3 budget, above 2/3 premium. */
  class: PriceClass;
  /** The categories the shopper buys most, by units. */
  categories: CategoryPrice[];
};

export type Schedule = {
  orders: number;
  last_order_at: string;
  avg_interval_days: number;
  next_order_at: string;
  confidence: number;
  /** ISO weekdays (1 = Monday) holding at least a quarter of the orders, most frequent first. */
  preferred_weekdays: number[];
  /** Hours of the day (UTC) holding at least a quarter of the orders, most frequent first. */
  preferred_hours: number[];
};

export type DietaryPattern = {
  tag: string;
  share: number;
  /** Wilson lower bound of the share at 95%. */
  confidence: number;
  tagged_lines: number;
  lines: number;
};

export type BoughtTogether = {
  sku: string;
  with_sku: string;
  together: number;
  support: number;
  confidence: number;
  lift: number;
};

/** Caps that keep a preference document small whatever a shopper does. */
export const PATTERN_LIMITS = { regularItems: 100, priceCategories: 20, dietaryTags: 20 } as const;

/** The analyses, one `sql/` file each, in the order the job runs them. */
export const ANALYSES = [
  'regular_purchases',
  'brand_preferences',
  'category_preferences',
  'price_sensitivity',
  'shopping_schedule',
  'dietary_patterns',
  'bought_together',
] as const;
export type Analysis = (typeof ANALYSES)[number];

/** What `brand_preferences.sql` and `category_preferences.sql` score with: `BATCH_PREFERENCE_SCORE`, as query parameters. */
export const PREFERENCE_SCORE_PARAMS = {
  purchase_weight: BATCH_PREFERENCE_SCORE.weights.purchase,
  cart_add_weight: BATCH_PREFERENCE_SCORE.weights.cart_add,
  click_weight: BATCH_PREFERENCE_SCORE.weights.click,
  min_preference_score: BATCH_PREFERENCE_SCORE.minScore,
  preferences_kept: BATCH_PREFERENCE_SCORE.kept,
} as const satisfies SqlParams;

/**
 * A regular item's confidence, `min(max, purchases / purchasesForFull)`: ten purchases would make it
 * certain, but no habit is, so it stops at 0.9. `regular_purchases.sql` takes both as query parameters,
 * and the learning status applies the rule to the orders real-time learning counted.
 */
export const REGULAR_ITEM_CONFIDENCE = { max: 0.9, purchasesForFull: 10 } as const;

/** The parameters of every statement of a patterns run: events before `asOf` count, shoppers active since `since`. */
export function patternParams(asOf: Date, since: Date): SqlParams {
  return {
    as_of: asOf,
    since,
    ...PREFERENCE_SCORE_PARAMS,
    max_item_confidence: REGULAR_ITEM_CONFIDENCE.max,
    purchases_for_full_confidence: REGULAR_ITEM_CONFIDENCE.purchasesForFull,
    ...REORDER_RULE_PARAMS,
  };
}

const count = z.number().int().nonnegative();
const ratio = z.number();
const time = z.string();
const userRow = z.object({ user_id: z.string() });
/** What a brand's or a category's preference row says of it: its evidence, score, share and rank in the shopper's. */
const preferenceEvidence = { purchases: count, cart_adds: count, clicks: count, score: ratio, share: ratio, ordinal: count };

/** Each analysis's result row, as `sql/<analysis>.sql` selects it: a renamed column fails loudly here. */
const ROWS = {
  regular_purchases: userRow.extend({
    sku: z.string(),
    product_name: z.string(),
    category: z.string(),
    brand: z.string().nullable(),
    purchases: count,
    avg_quantity: ratio,
    avg_interval_days: ratio,
    frequency: z.enum(['weekly', 'biweekly', 'monthly', 'quarterly', 'occasional']),
    confidence: ratio,
    interval_cv: ratio.nullable(),
    last_purchased_at: time,
    next_due_at: time,
    due_at: time.nullable(),
    days_since_last: ratio,
    due: z.boolean(),
  }),
  brand_preferences: userRow.extend({ brand: z.string(), ...preferenceEvidence }),
  category_preferences: userRow.extend({ category: z.string(), ...preferenceEvidence }),
  price_sensitivity: userRow.extend({
    category: z.string(),
    lines: count,
    units: ratio,
    price_position: ratio.nullable(),
    price_index: ratio.nullable(),
    promo_share: ratio.nullable(),
  }),
  shopping_schedule: userRow.extend({
    orders: count,
    last_order_at: time,
    avg_interval_days: ratio,
    next_order_at: time,
    confidence: ratio,
    preferred_weekdays: z.array(count).nullable(),
    preferred_hours: z.array(count).nullable(),
  }),
  dietary_patterns: userRow.extend({ tag: z.string(), tagged_lines: count, lines: count, share: ratio, confidence: ratio }),
  bought_together: userRow.extend({
    sku: z.string(),
    with_sku: z.string(),
    together: count,
    support: ratio,
    confidence: ratio,
    lift: ratio,
  }),
} satisfies Record<Analysis, z.ZodType>;

type RowOf<A extends Analysis> = z.infer<(typeof ROWS)[A]>;

/** Four decimals: enough for ranking and display, and it keeps float noise out of the fingerprint. */
const round = (x: number) => Math.round(x * 1e4) / 1e4;
const roundOrNull = (x: number | null) => (x === null ? null : round(x));

/** The patterns of one shopper, built up from the analyses' rows in any order. */
export class PatternsBuilder {
  readonly #rows: { [A in Analysis]: RowOf<A>[] } = {
    regular_purchases: [],
    brand_preferences: [],
    category_preferences: [],
    price_sensitivity: [],
    shopping_schedule: [],
    dietary_patterns: [],
    bought_together: [],
  };

  add<A extends Analysis>(analysis: A, row: RowOf<A>): void {
    this.#rows[analysis].push(row);
  }

  build(asOf: Date): Patterns {
    const rows = this.#rows;
    return {
      as_of: asOf.toISOString(),
      regular_items: rows.regular_purchases
        .toSorted((a, b) => b.confidence - a.confidence || b.purchases - a.purchases || a.sku.localeCompare(b.sku))
        .slice(0, PATTERN_LIMITS.regularItems)
        .map((r) => ({
          sku: r.sku,
          product_name: r.product_name,
          category: r.category,
          brand: r.brand,
          purchases: r.purchases,
          avg_quantity: round(r.avg_quantity),
          avg_interval_days: round(r.avg_interval_days),
          frequency: r.frequency,
          confidence: round(r.confidence),
          interval_cv: roundOrNull(r.interval_cv),
          last_purchased_at: r.last_purchased_at,
          next_due_at: r.next_due_at,
          due_at: r.due_at,
        })),
      brands: preferences(rows.brand_preferences.map((r) => ({ ...r, name: r.brand }))),
      categories: preferences(rows.category_preferences.map((r) => ({ ...r, name: r.category }))),
      price: priceSensitivity(rows.price_sensitivity),
      schedule: schedule(rows.shopping_schedule),
      dietary: rows.dietary_patterns
        .toSorted((a, b) => b.confidence - a.confidence || a.tag.localeCompare(b.tag))
        .slice(0, PATTERN_LIMITS.dietaryTags)
        .map((r) => ({ tag: r.tag, share: round(r.share), confidence: round(r.confidence), tagged_lines: r.tagged_lines, lines: r.lines })),
      bought_together: rows.bought_together
        .toSorted(
          (a, b) => b.lift - a.lift || b.together - a.together || a.sku.localeCompare(b.sku) || a.with_sku.localeCompare(b.with_sku),
        )
        .map((r) => ({
          sku: r.sku,
          with_sku: r.with_sku,
          together: r.together,
          support: round(r.support),
          confidence: round(r.confidence),
          lift: round(r.lift),
        })),
    };
  }
}

type PreferenceRow = Omit<RowOf<'brand_preferences'>, 'brand'> & { name: string };

function preferences(rows: PreferenceRow[]): Preference[] {
  return rows
    .toSorted((a, b) => a.ordinal - b.ordinal)
    .map((r) => ({
      name: r.name,
      score: round(r.score),
      share: round(r.share),
      purchases: r.purchases,
      cart_adds: r.cart_adds,
      clicks: r.clicks,
    }));
}

function priceSensitivity(rows: RowOf<'price_sensitivity'>[]): PriceSensitivity | null {
  const categories: CategoryPrice[] = rows
    .filter((r) => r.units > 0 && r.price_position !== null && r.price_index !== null && r.promo_share !== null)
    .map((r) => ({
      category: r.category,
      lines: r.lines,
      units: r.units,
      position: r.price_position ?? 0,
      index: r.price_index ?? 0,
      promo_share: r.promo_share ?? 0,
    }));
  const units = categories.reduce((sum, c) => sum + c.units, 0);
  if (units === 0) return null;
  const weighted = (pick: (c: CategoryPrice) => number) => categories.reduce((sum, c) => sum + pick(c) * c.units, 0) / units;
  const position = weighted((c) => c.position);
  return {
    units: round(units),
    position: round(position),
    index: round(weighted((c) => c.index)),
    promo_share: round(weighted((c) => c.promo_share)),
    class: position < 1 / 3 ? 'budget' : position > 2 / 3 ? 'premium' : 'mid_range',
    categories: categories
      .toSorted((a, b) => b.units - a.units || a.category.localeCompare(b.category))
      .slice(0, PATTERN_LIMITS.priceCategories)
      .map((c) => ({ ...c, units: round(c.units), position: round(c.position), index: round(c.index), promo_share: round(c.promo_share) })),
  };
}

function schedule(rows: RowOf<'shopping_schedule'>[]): Schedule | null {
  const [r] = rows;
  if (!r) return null;
  return {
    orders: r.orders,
    last_order_at: r.last_order_at,
    avg_interval_days: round(r.avg_interval_days),
    next_order_at: r.next_order_at,
    confidence: round(r.confidence),
    preferred_weekdays: r.preferred_weekdays ?? [],
    preferred_hours: r.preferred_hours ?? [],
  };
}

/** Validates one result row of an analysis; throws naming the file and the column at fault. */
export function parseRow<A extends Analysis>(analysis: A, row: SqlRow): RowOf<A> {
  const parsed = ROWS[analysis].safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`sql/${analysis}.sql answered an unexpected row: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return parsed.data as RowOf<A>;
}

/**
 * SHA-256 of the patterns without `as_of`: two runs that found the same patterns have the same
 * fingerprint, so the second publishes nothing.
 */
export function fingerprint(patterns: Patterns): string {
  const { as_of: _asOf, ...content } = patterns;
  return sha256(JSON.stringify(content));
}

/**
 * The patterns as JSON text, and their `fingerprint`, from one serialization: `as_of` is the first
 * member, so the text without it is the fingerprint's. A night's patterns are hundreds of megabytes of
 * JSON, which the job would otherwise write out twice.
 */
export function serializePatterns(patterns: Patterns): { json: string; fingerprint: string } {
  const json = JSON.stringify(patterns);
  const head = `{"as_of":${JSON.stringify(patterns.as_of)},`;
  if (!json.startsWith(head)) return { json, fingerprint: fingerprint(patterns) };
  return { json, fingerprint: sha256(`{${json.slice(head.length)}`) };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
