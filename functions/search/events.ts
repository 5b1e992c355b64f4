import { randomUUID } from 'node:crypto';
import { LIMITS } from '../events/limits.ts';
import type { ClientEvent, ProductRef } from '../events/schema.ts';

export type SearchPerformedEvent = Extract<ClientEvent, { type: 'search_performed' }>;
export type SearchResultClickedEvent = Extract<ClientEvent, { type: 'search_result_clicked' }>;
type EventContext = NonNullable<SearchPerformedEvent['context']>;
type Filters = NonNullable<SearchPerformedEvent['data']['filters']>;

/** A fresh search id: a UUID, unique without coordination, a valid identifier in every event. */
export function newSearchId(): string {
  return randomUUID();
}

export type SearchPerformedInput = {
  sessionId: string;
  query: string;
  /** What was shown, in the order shown; only the first `LIMITS.maxResultsPerSearch` are listed. */
  shown: readonly { sku: string }[];
  /** How many results the engine found in all. Default: the number shown. */
  resultsCount?: number;
  /** Whether the order shown was personalized. */
  personalized: boolean;
  /** Experiment id → the shopper's arm. */
  experiments: Record<string, string>;
  now: Date;
  /** Default: `newSearchId()`. */
  searchId?: string;
  filters?: Filters;
  topCategories?: string[];
  /** Anything else the event's context should say (platform, locale, …). */
  context?: Omit<EventContext, 'experiments' | 'search_id'>;
};

/**
 * The `search_performed` event of a search, as a client sends it: the search id in `data` and in
 * `context` (every later event of the search carries it there), the shopper's arms in
 * `context.experiments`. `sent_at` is set to `now`; a sender that holds it back sets it anew.
 * collect validates it like any event.
 */
export function searchPerformedEvent(input: SearchPerformedInput): SearchPerformedEvent {
  const searchId = input.searchId ?? newSearchId();
  const at = input.now.toISOString();
  const results = input.shown.slice(0, LIMITS.maxResultsPerSearch).map((result, index) => ({ sku: result.sku, position: index + 1 }));
  return {
    event_id: randomUUID(),
    type: 'search_performed',
    session_id: input.sessionId,
    occurred_at: at,
    sent_at: at,
    context: { ...input.context, experiments: { ...input.experiments }, search_id: searchId },
    data: {
      search_id: searchId,
      query: input.query,
      results_count: input.resultsCount ?? input.shown.length,
      results,
      ...(input.filters === undefined ? {} : { filters: input.filters }),
      personalized: input.personalized,
      ...(input.topCategories === undefined ? {} : { top_categories: input.topCategories }),
    },
  };
}

/**
 * The context every later event of the shopper's journey from this search carries (views, cart
 * adds): the search id and the arms, so an order is attributed to the search and arm that led to it.
 */
export function searchContext(search: SearchPerformedEvent): Pick<EventContext, 'search_id' | 'experiments'> {
  return { search_id: search.data.search_id, experiments: { ...search.context?.experiments } };
}

export type ResultClickInput = {
  now: Date;
  /** Default: the search's session. */
  sessionId?: string;
  /** 1-based. Default: where the search showed the product. */
  position?: number;
  context?: Omit<EventContext, 'experiments' | 'search_id'>;
};

/**
 * The `search_result_clicked` event for a product the search showed: same search id, query and
 * arms. Throws when no position is given and the search did not show the product — a caller's bug.
 */
export function searchResultClickedEvent(search: SearchPerformedEvent, product: ProductRef, input: ResultClickInput): SearchResultClickedEvent {
  const position = input.position ?? search.data.results.find((result) => result.sku === product.sku)?.position;
  if (position === undefined) throw new Error(`search ${search.data.search_id} did not show ${product.sku}; give the position it was clicked at`);
  const at = input.now.toISOString();
  return {
    event_id: randomUUID(),
    type: 'search_result_clicked',
    session_id: input.sessionId ?? search.session_id,
    occurred_at: at,
    sent_at: at,
    context: { ...input.context, ...searchContext(search) },
    data: { search_id: search.data.search_id, query: search.data.query, product, position },
  };
}
