import { z } from 'zod';
import { BATCH_PREFERENCE_SCORE } from '../kernel/signal-weights.ts';
import { PATTERN_LIMITS, type Patterns } from '../patterns/patterns.ts';
import { PREFERENCES_SCHEMA_VERSION, type Preferences } from './preferences.ts';

/**
 * The stored preference document, `preferences/{shopperDocumentId(userId)}`, as zod: what search services in
 * other languages read, published as JSON Schema (`npm run schema` writes `preferences.schema.json` beside this
 * file). Learning and the patterns job own the TypeScript types (`Preferences`, `Patterns`); `SchemaMatchesTypes`
 * below fails the typecheck when either drifts from this schema, a field added, removed or retyped at any depth.
 */

const instant = z.iso
  .datetime({ offset: true })
  .meta({ id: 'Instant', description: 'RFC 3339 date-time in UTC, e.g. 2026-11-26T14:05:00.000Z' });
const count = z.int().nonnegative();
const name = z.string().describe("A name as the shop's events spell it: data, any characters.");

const SIGNAL_KINDS = ['shown', 'view', 'click', 'cart_add', 'cart_remove', 'order', 'explicit'] as const;

const Affinity = z
  .strictObject({
    weight: z
      .number()
      .describe(
        'Σ signal × 2^((event_time − epoch) / half_life_days); its value now is weight × 2^(−(now − epoch) / half_life_days). Negative after cart removals.',
      ),
    signals: z.partialRecord(z.enum(SIGNAL_KINDS), count).describe('How many events of each kind contributed.'),
    last_at: instant.describe('The latest event time that contributed.'),
  })
  .meta({ id: 'Affinity', description: 'Interest in one product, brand, category or dietary tag, stored so that increments commute.' });

const affinities = (of: string) => z.record(name, Affinity).describe(`Affinities by ${of}, the strongest kept.`);

const ReorderState = z
  .strictObject({
    orders: count.describe('Distinct orders containing the product.'),
    quantity: z.number().nonnegative().describe('Total quantity over those orders.'),
    first_at: instant,
    last_at: instant,
    mean_interval_days: z.number().nonnegative().nullable().describe('(last − first) / (orders − 1), days; null until the second order.'),
    next_due_at: instant.nullable().describe('last_at + the mean interval; null until the second order.'),
  })
  .meta({ id: 'ReorderState', description: "A product's repeat-purchase rhythm, from orders only." });

/** What real-time learning writes: every field at once, on each message it learns from. */
export const LearnedPreferences = z.strictObject({
  schema_version: z.literal(PREFERENCES_SCHEMA_VERSION),
  user_id: z.string().describe('The shopper id as the token names it (the document id is its encoding).'),
  epoch: instant.describe('The fixed instant affinity weights are scaled to.'),
  half_life_days: z.number().positive().describe('The half-life affinities decay with.'),
  products: affinities('SKU'),
  brands: affinities('brand, over all categories'),
  categories: affinities('category'),
  brands_by_category: z
    .record(name, affinities('brand'))
    .optional()
    .describe('Per category, the brands of the evidence in it. Absent from documents learned before it existed, until the next event.'),
  dietary: affinities('dietary tag'),
  recent: z
    .strictObject({ brands: z.record(name, instant), categories: z.record(name, instant) })
    .describe('The latest event time per brand and category; readers count those within their own window (search: an hour).'),
  reorder: z.record(name, ReorderState).describe('Per SKU.'),
  explicit: z
    .record(name, z.strictObject({ action: z.enum(['like', 'dislike', 'reset']), at: instant }))
    .describe(
      "The shopper's statements, keyed `${preference}:${value}` (preference: product, brand, category or dietary_tag); the latest wins.",
    ),
  event_count: count.describe('Events learned from.'),
  last_event_at: instant.nullable().describe('The latest event time among them.'),
});

const RegularItem = z
  .strictObject({
    sku: z.string(),
    product_name: z.string(),
    category: z.string(),
    brand: z.string().nullable(),
    purchases: count,
    avg_quantity: z.number(),
    avg_interval_days: z.number(),
    frequency: z.enum(['weekly', 'biweekly', 'monthly', 'quarterly', 'occasional']),
    confidence: z.number().describe('min(0.9, purchases / 10).'),
    interval_cv: z.number().nullable().describe('Standard deviation of the gaps over their mean; null with a single gap.'),
    last_purchased_at: instant,
    next_due_at: instant.describe('last_purchased_at + avg_interval_days.'),
    due_at: instant
      .nullable()
      .describe(
        'When the reorder model in force at the run first holds it due (null: never, at these orders and interval); before any fit, by the default rule. Whether it is due now is the model’s decision (learning_models/reorder).',
      ),
  })
  .meta({ id: 'RegularItem', description: 'A product bought in at least two orders.' });

const Preference = z
  .strictObject({
    name: z.string(),
    score: z.number(),
    share: z.number().describe("The score's share of all the shopper's brand (or category) scores."),
    purchases: count,
    cart_adds: count,
    clicks: count,
  })
  .meta({ id: 'BatchPreference', description: 'A brand or category, scored from purchases, cart adds and clicks.' });

const priceFigures = {
  units: z.number(),
  position: z.number().describe("0 = the category's cheapest price, 1 = its dearest; quantity-weighted."),
  index: z.number().describe("Price over the category's mean price; quantity-weighted."),
  promo_share: z.number().describe('Share of units bought on promotion.'),
};

const CategoryPrice = z.strictObject({ category: z.string(), lines: count, ...priceFigures }).meta({ id: 'CategoryPrice' });

const PriceSensitivity = z.strictObject({
  ...priceFigures,
  class: z.enum(['budget', 'mid_range', 'premium']),
  categories: z.array(CategoryPrice).max(PATTERN_LIMITS.priceCategories).describe('The categories the shopper buys most, by units.'),
});

const Schedule = z.strictObject({
  orders: count,
  last_order_at: instant,
  avg_interval_days: z.number(),
  next_order_at: instant,
  confidence: z.number(),
  preferred_weekdays: z.array(z.int().min(1).max(7)).describe('ISO weekdays (1 = Monday), most frequent first.'),
  preferred_hours: z.array(z.int().min(0).max(23)).describe('Hours of the day (UTC), most frequent first.'),
});

const DietaryPattern = z.strictObject({
  tag: z.string(),
  share: z.number(),
  confidence: z.number().describe('Wilson lower bound of the share at 95%.'),
  tagged_lines: count,
  lines: count,
});

const BoughtTogether = z.strictObject({
  sku: z.string(),
  with_sku: z.string(),
  together: count,
  support: z.number(),
  confidence: z.number(),
  lift: z.number(),
});

/** What the patterns job publishes, as one field it replaces whole. */
export const StoredPatterns = z
  .strictObject({
    as_of: instant.describe('Events before this instant counted.'),
    regular_items: z.array(RegularItem).max(PATTERN_LIMITS.regularItems).describe('Most confident first.'),
    brands: z.array(Preference).max(BATCH_PREFERENCE_SCORE.kept),
    categories: z.array(Preference).max(BATCH_PREFERENCE_SCORE.kept),
    price: PriceSensitivity.nullable(),
    schedule: Schedule.nullable(),
    dietary: z.array(DietaryPattern).max(PATTERN_LIMITS.dietaryTags),
    bought_together: z.array(BoughtTogether),
  })
  .meta({ id: 'Patterns', description: "What the patterns job's batch analyses found in the shopper's last 180 days." });

/** Ingest's record of the events learned (functions/adapters/gcp/applied-ids.ts): not for readers, whose language's client reads it as bytes. */
const AppliedIds = z
  .record(z.string().regex(/^\d+$/), z.unknown().describe('Firestore Bytes: 8 bytes per event id.'))
  .describe(
    'The ids of the events learned from, by the day their marks run out (days since 1970): how ingest learns each event once. Not part of what was learned.',
  );

/**
 * The whole document: what learning wrote and the patterns beside it, or the patterns alone when the
 * patterns job reached the shopper first, or the applied ids alone when the shopper switched learning off.
 */
export const PreferenceDocumentSchema = z.union([
  LearnedPreferences.extend({ patterns: StoredPatterns.optional(), applied_ids: AppliedIds.optional() }),
  z.strictObject({ patterns: StoredPatterns }),
  z.strictObject({ applied_ids: AppliedIds }),
]);

/** Every optional field made required and every array's element unwrapped, at any depth: so drift in either direction shows. */
type Deep<T> = T extends readonly (infer U)[] ? Deep<U>[] : T extends object ? { [K in keyof T]-?: Deep<T[K]> } : T;
type Same<A, B> = [Deep<A>] extends [Deep<B>] ? ([Deep<B>] extends [Deep<A>] ? true : false) : false;
type Holds<T extends true> = T;
/** Fails to typecheck when the schema and the types of learning or of the patterns job say different things. */
export type SchemaMatchesTypes = [
  Holds<Same<z.infer<typeof LearnedPreferences>, Preferences>>,
  Holds<Same<z.infer<typeof StoredPatterns>, Patterns>>,
];

export const PREFERENCES_JSON_SCHEMA_ID = 'https://schemas.grocery-learning-loop.dev/preferences/v1.json';

/** The JSON Schema published for search services, derived from the zod schema (never edited by hand). */
export function preferenceDocumentJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(PreferenceDocumentSchema, { target: 'draft-2020-12', io: 'output' });
  const { $schema, ...document } = generated as Record<string, unknown>;
  return {
    $schema,
    $id: PREFERENCES_JSON_SCHEMA_ID,
    title: 'Shopper preference document',
    description:
      "Firestore document preferences/{shopperDocumentId(userId)}: what real-time learning wrote, and the patterns job's `patterns` beside it or alone. Timestamps are RFC 3339 strings.",
    ...document,
  };
}

export function renderPreferenceDocumentJsonSchema(): string {
  return `${JSON.stringify(preferenceDocumentJsonSchema(), null, 2)}\n`;
}
