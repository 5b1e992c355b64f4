/**
 * The limits every client can rely on. They are part of the event contract: docs/events.md
 * documents them and the JSON Schema published for clients carries the string and array bounds.
 */
export const LIMITS = {
  /** Events in one `POST /v1/events` request. More is answered 413. */
  maxEventsPerRequest: 100,
  /** Bytes of one request body. More is answered 413. */
  maxRequestBytes: 512 * 1024,
  /** Bytes of one event, serialized as JSON. A larger event is rejected on its own. */
  maxEventBytes: 32 * 1024,
  /**
   * Levels of objects and arrays in one event, the event itself counting as one. A deeper event is
   * rejected on its own before anything walks it; a valid event has at most five.
   */
  maxNestingDepth: 32,
  /** Identifiers: session ids, SKUs, search ids, order ids. */
  maxIdLength: 128,
  /** A search query as the shopper typed it. */
  maxQueryLength: 512,
  /** Product names, brands, categories and other short labels. */
  maxLabelLength: 256,
  /** User agents, URLs and other free text in `context`. */
  maxTextLength: 2048,
  /** Result entries listed in one `search_performed`. */
  maxResultsPerSearch: 100,
  /**
   * Entries of one `search_performed`'s optional `ranking`: the signal values that placed each of the first
   * results shown. Shoppers rarely look further, and 50 entries, every signal set, take under a third of an
   * event's bytes as the search package writes them.
   */
  maxRankedResults: 50,
  /** A 1-based position in a search's results, as shown or as the engine ranked them. */
  maxPosition: 1000,
  /** Items in one `order_completed`. */
  maxItemsPerOrder: 200,
  /** Dietary tags on one product; promotions on one order or item. */
  maxTagsPerItem: 16,
  /** Experiments a shopper is enrolled in, and filters on one search. */
  maxMapEntries: 32,
  /** Units of one product in a cart or order. */
  maxQuantity: 1000,
  /** A price, cart value or order total, in the shop's currency. */
  maxAmount: 1_000_000,
} as const;

/** Time limits; the defaults are configurable per deployment (see `functions/config.ts`). */
export const DEFAULT_TIME_LIMITS = {
  /** An event whose skew-corrected time is older than this is rejected: 30 days covers offline app queues. */
  maxEventAgeMs: 30 * 24 * 60 * 60 * 1000,
  /** How far `occurred_at` may lie after `sent_at` (both client clock) before the event is rejected. */
  maxFutureSkewMs: 5 * 60 * 1000,
} as const;

export type TimeLimits = { maxEventAgeMs: number; maxFutureSkewMs: number };
