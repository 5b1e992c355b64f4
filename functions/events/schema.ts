import { z } from 'zod';
import { ShopperId } from '../kernel/shopper-id.ts';
import { RANKING_SIGNALS } from '../kernel/signal-weights.ts';
import { LIMITS } from './limits.ts';

// Names of the form __x__ are reserved as Firestore map keys, and products, brands and categories
// become map keys of the shopper's preference document.
const RESERVED = /^__.*__$/;
const notReserved = (value: string) => !RESERVED.test(value);
const RESERVED_MESSAGE = 'names of the form __x__ are reserved';
const identifier = z
  .string()
  .min(1)
  .max(LIMITS.maxIdLength)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .refine(notReserved, RESERVED_MESSAGE);
const label = z.string().trim().min(1).max(LIMITS.maxLabelLength).refine(notReserved, RESERVED_MESSAGE);

/** A name as the contract takes it (a brand, a category), trimmed; undefined for one it would refuse. */
export function contractLabel(value: string | null | undefined): string | undefined {
  const parsed = label.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * What zod's JSON Schema export cannot see, written out for it: refinements and trimming are code. Without these the
 * published schema, and the validator compiled from it, would take reserved names and padded labels zod refuses.
 * A key set to `undefined` is removed: a label's lengths count after trimming, so its pattern says them.
 */
export const JSON_SCHEMA_AMENDMENTS: ReadonlyMap<z.ZodType, Readonly<Record<string, unknown>>> = new Map<
  z.ZodType,
  Record<string, unknown>
>([
  [identifier, { not: { pattern: RESERVED.source } }],
  [
    label,
    {
      minLength: undefined,
      maxLength: undefined,
      // White space, then 1 to maxLabelLength characters that start and end with something else, then white space.
      pattern: `^\\s*\\S(?:[\\s\\S]{0,${LIMITS.maxLabelLength - 2}}\\S)?\\s*$`,
      not: { pattern: '^\\s*__.*__\\s*$' },
    },
  ],
]);
const text = z.string().max(LIMITS.maxTextLength);
const amount = z.number().finite().nonnegative().max(LIMITS.maxAmount);
const quantity = z.number().finite().positive().max(LIMITS.maxQuantity);
const position = z.int().min(1).max(LIMITS.maxPosition);
const timestamp = z.iso
  .datetime({ offset: true })
  .meta({ id: 'Timestamp', description: 'RFC 3339 date-time, e.g. 2026-11-26T14:05:00.000Z' });
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');
const query = z.string().max(LIMITS.maxQueryLength);

/** Dietary tags are lower snake case, e.g. `vegan`, `gluten_free`, `organic`, `lactose_free`, `halal`. */
export const DietaryTag = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be lower snake case, e.g. gluten_free')
  .meta({ examples: ['vegan', 'vegetarian', 'gluten_free', 'lactose_free', 'organic', 'halal', 'kosher'] });

export const Product = z
  .strictObject({
    sku: identifier,
    name: label,
    category: label,
    brand: label.optional(),
    price: amount,
    dietary_tags: z.array(DietaryTag).max(LIMITS.maxTagsPerItem).optional(),
  })
  .meta({ id: 'Product', description: 'A product as the shop lists it.' });

export const Context = z
  .strictObject({
    /** Experiment id → arm the shopper was assigned to, e.g. `{ "personalization": "treatment" }`. */
    experiments: z.record(identifier, identifier).optional(),
    /** The search this event came from, for click-after-search attribution. */
    search_id: identifier.optional(),
    user_agent: text.optional(),
    locale: z.string().max(35).optional(),
    timezone: z.string().max(64).optional(),
    page_url: text.optional(),
    referrer: text.optional(),
    app_version: z.string().max(64).optional(),
    platform: z.enum(['web', 'ios', 'android', 'server']).optional(),
  })
  .meta({ id: 'Context', description: 'Where and under which experiments the event happened.' });

/**
 * One shown result. Its brand and category, when the sender knows them, let learning read what the shopper passed
 * over: a brand shown near the top and not taken is weak evidence against it.
 */
const SearchResult = z.strictObject({ sku: identifier, position, brand: label.optional(), category: label.optional() });

/** A learned signal's value for one result, as search ranked it: 0 says nothing, 1 is the strongest evidence for, −1 against. */
const signalValue = z.number().min(-1).max(1);

/**
 * Why one shown result is where it is: the search scored it `prior(original_position − 1) + strength × Σ weight ×
 * value` over these values (docs/search.md). The data the ranking weights are fitted from.
 */
const RankedResult = z
  .strictObject({
    /** 1-based, as shown: the entry of `results` at the same position, one of the first `maxRankedResults`. */
    position: z.int().min(1).max(LIMITS.maxRankedResults),
    /** 1-based, as the engine ranked it before personalization. */
    original_position: position,
    /** Each ranking signal's value; a signal left out was 0. */
    signals: z.partialRecord(z.enum(RANKING_SIGNALS), signalValue),
  })
  .meta({ id: 'RankedResult', description: 'The signal values that placed one shown result.' });

const SearchPerformed = z.strictObject({
  search_id: identifier,
  query,
  results_count: z.int().nonnegative(),
  /** The results shown, with their 1-based positions. */
  results: z.array(SearchResult).max(LIMITS.maxResultsPerSearch),
  filters: z.record(z.string().max(64), z.union([z.string().max(LIMITS.maxLabelLength), z.number(), z.boolean()])).optional(),
  personalized: z.boolean(),
  top_categories: z.array(label).max(LIMITS.maxTagsPerItem).optional(),
  /**
   * For the first results shown, the signal values that placed them. Only when search read the shopper's
   * preferences; left out otherwise (e.g. the control arm), and by clients that do not rank.
   */
  ranking: z.array(RankedResult).max(LIMITS.maxRankedResults).optional(),
});

const SearchResultClicked = z.strictObject({
  search_id: identifier,
  query,
  product: Product,
  position,
});

const ProductViewed = z.strictObject({
  product: Product,
  search_id: identifier.optional(),
  source: z.enum(['search', 'recommendation', 'category', 'reorder', 'direct']).optional(),
});

const CartItemAdded = z.strictObject({
  product: Product,
  quantity,
  cart_value: amount,
  search_id: identifier.optional(),
});

const CartItemRemoved = z.strictObject({
  product: Product,
  quantity,
  cart_value: amount,
});

const CartItemUpdated = z.strictObject({
  product: Product,
  quantity: z.number().finite().nonnegative().max(LIMITS.maxQuantity),
  previous_quantity: z.number().finite().nonnegative().max(LIMITS.maxQuantity),
  cart_value: amount,
});

export const OrderItem = Product.extend({
  quantity,
  promotion: identifier.optional(),
}).meta({ id: 'OrderItem', description: 'One line of an order.' });

const OrderCompleted = z.strictObject({
  order_id: identifier,
  total: amount,
  currency: currency.optional(),
  items: z.array(OrderItem).min(1).max(LIMITS.maxItemsPerOrder),
  delivery_date: z.iso.date().optional(),
  promotions: z.array(identifier).max(LIMITS.maxTagsPerItem).optional(),
});

/** A shopper's explicit statement about what they like, e.g. "never show me brand X". */
const PreferenceUpdated = z.strictObject({
  preference: z.enum(['brand', 'category', 'product', 'dietary_tag']),
  value: label,
  action: z.enum(['like', 'dislike', 'reset']),
});

/** Per-type payloads, keyed by the event type. */
export const EVENT_DATA = {
  search_performed: SearchPerformed,
  search_result_clicked: SearchResultClicked,
  product_viewed: ProductViewed,
  cart_item_added: CartItemAdded,
  cart_item_removed: CartItemRemoved,
  cart_item_updated: CartItemUpdated,
  order_completed: OrderCompleted,
  preference_updated: PreferenceUpdated,
} as const;

export type EventType = keyof typeof EVENT_DATA;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as EventType[];

function envelope<T extends EventType>(type: T) {
  return z.strictObject({
    /** Client-made UUID; the idempotency key of the whole pipeline. */
    event_id: z.uuid(),
    type: z.literal(type),
    session_id: identifier,
    /** When it happened, by the client's clock. */
    occurred_at: timestamp,
    /** When the client sent it, by the same clock; used to correct that clock's skew. */
    sent_at: timestamp,
    context: Context.optional(),
    data: EVENT_DATA[type],
  });
}

const ENVELOPES = [
  envelope('search_performed'),
  envelope('search_result_clicked'),
  envelope('product_viewed'),
  envelope('cart_item_added'),
  envelope('cart_item_removed'),
  envelope('cart_item_updated'),
  envelope('order_completed'),
  envelope('preference_updated'),
] as const;

/** An event as a client sends it: the discriminated union over `type`. */
export const ClientEvent = z.discriminatedUnion('type', ENVELOPES);
export type ClientEvent = z.infer<typeof ClientEvent>;
export type ProductRef = z.infer<typeof Product>;
export type OrderItem = z.infer<typeof OrderItem>;
export type SearchResult = z.infer<typeof SearchResult>;

/** What the server adds; `user_id` comes from the verified token, never from the body. */
export const ServerFields = z.strictObject({
  user_id: ShopperId,
  received_at: timestamp,
  /** `received_at − (sent_at − occurred_at)`: the client's clock skew removed. */
  event_time: timestamp,
});

export type ServerFields = z.infer<typeof ServerFields>;

/** An accepted event as it travels on the events topic and lands in the warehouse. */
export const CollectedEvent = z.discriminatedUnion('type', [
  ENVELOPES[0].extend(ServerFields.shape),
  ENVELOPES[1].extend(ServerFields.shape),
  ENVELOPES[2].extend(ServerFields.shape),
  ENVELOPES[3].extend(ServerFields.shape),
  ENVELOPES[4].extend(ServerFields.shape),
  ENVELOPES[5].extend(ServerFields.shape),
  ENVELOPES[6].extend(ServerFields.shape),
  ENVELOPES[7].extend(ServerFields.shape),
]);
export type CollectedEvent = z.infer<typeof CollectedEvent>;
