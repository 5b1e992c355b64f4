import { randomUUID } from 'node:crypto';
import { LIMITS } from '../events/limits.ts';
import { contractLabel, type ClientEvent, type ProductRef } from '../events/schema.ts';
import { RANKING_SIGNALS } from '../kernel/signal-weights.ts';
import { DEFAULT_LEARNING_CONFIG } from '../learn/learning-config.ts';
import type { SignalValues } from './signals.ts';

export type SearchPerformedEvent = Extract<ClientEvent, { type: 'search_performed' }>;
export type SearchResultClickedEvent = Extract<ClientEvent, { type: 'search_result_clicked' }>;
type EventContext = NonNullable<SearchPerformedEvent['context']>;
type Filters = NonNullable<SearchPerformedEvent['data']['filters']>;
type RankedResult = NonNullable<SearchPerformedEvent['data']['ranking']>[number];

/** Decimals a signal value keeps in the event: finer than any weight could act on, and a few bytes each. */
export const SIGNAL_DECIMALS = 4;

/** Why one shown result is where it is, as an explanation says it (`Explanation` has both fields). */
export type RankingEntry = { original_position: number; values: SignalValues };

/** A fresh search id: a UUID, unique without coordination, a valid identifier in every event. */
export function newSearchId(): string {
  return randomUUID();
}

export type SearchPerformedInput = {
  sessionId: string;
  query: string;
  /**
   * What was shown, in the order shown; only the first `LIMITS.maxResultsPerSearch` are listed, the first
   * `shownDepth` of learning with their brand and category when known (learning reads what the shopper passed over
   * from them).
   */
  shown: readonly { sku: string; brand?: string | null; category?: string | null }[];
  /** How many results the engine found in all. Default: the number shown. */
  resultsCount?: number;
  /** Whether the order shown was personalized. */
  personalized: boolean;
  /**
   * One per shown result, in the order shown: where the engine ranked it and the signal values read for it.
   * Only when the signals were read (`Personalized.signalsRead`); the first `LIMITS.maxRankedResults` go into `data.ranking`.
   */
  ranking?: readonly RankingEntry[];
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
 * `context.experiments`, and, when given, the signal values that placed the first results (`data.ranking`).
 * `sent_at` is set to `now`; a sender that holds it back sets it anew. collect validates it like any event.
 */
export function searchPerformedEvent(input: SearchPerformedInput): SearchPerformedEvent {
  const event = buildSearchPerformed(
    input,
    input.ranking ? rankingOf(input.ranking, Math.min(input.shown.length, LIMITS.maxResultsPerSearch)) : [],
  );
  // collect would refuse the whole search for its ranking, or for its results' names: without them the search still
  // counts. The ranking goes first, then the names; an event with neither is not measured, there being nothing to drop.
  const droppable = event.data.ranking !== undefined || event.data.results.some((r) => r.brand !== undefined || r.category !== undefined);
  if (!droppable || fits(event)) return event;
  const { ranking: _dropped, ...data } = event.data;
  const withoutRanking = { ...event, data };
  if (fits(withoutRanking)) return withoutRanking;
  return { ...withoutRanking, data: { ...data, results: data.results.map(({ sku, position }) => ({ sku, position })) } };
}

function fits(event: SearchPerformedEvent): boolean {
  return Buffer.byteLength(JSON.stringify(event)) <= LIMITS.maxEventBytes;
}

function buildSearchPerformed(input: SearchPerformedInput, ranking: RankedResult[]): SearchPerformedEvent {
  const searchId = input.searchId ?? newSearchId();
  const at = input.now.toISOString();
  // Named as far as learning reads them: deeper names would only be bytes on every search.
  const named = DEFAULT_LEARNING_CONFIG.shownDepth;
  const results = input.shown.slice(0, LIMITS.maxResultsPerSearch).map((result, index) => ({
    sku: result.sku,
    position: index + 1,
    ...(index < named ? { ...labelled('brand', result.brand), ...labelled('category', result.category) } : {}),
  }));
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
      ...(ranking.length === 0 ? {} : { ranking }),
    },
  };
}

/** `{ [key]: value }` when the contract takes the name: one the engine got wrong is left out, never the whole search. */
function labelled<K extends 'brand' | 'category'>(key: K, value: string | null | undefined): Partial<Record<K, string>> {
  const name = contractLabel(value);
  return name === undefined ? {} : ({ [key]: name } as Partial<Record<K, string>>);
}

/**
 * The contract's `ranking` entries of the first shown results: values rounded to `SIGNAL_DECIMALS` and
 * kept in [−1, 1], zeros (and anything not a number) left out. An entry whose engine position the
 * contract cannot hold is left out rather than failing the search.
 */
function rankingOf(entries: readonly RankingEntry[], shown: number): RankedResult[] {
  return entries.slice(0, Math.min(shown, LIMITS.maxRankedResults)).flatMap((entry, index) => {
    const original = entry.original_position;
    if (!Number.isInteger(original) || original < 1 || original > LIMITS.maxPosition) return [];
    const signals: RankedResult['signals'] = {};
    for (const signal of RANKING_SIGNALS) {
      const value = roundedSignal(entry.values[signal]);
      if (value !== 0) signals[signal] = value;
    }
    return [{ position: index + 1, original_position: original, signals }];
  });
}

function roundedSignal(value: number): number {
  if (!Number.isFinite(value)) return 0;
  const scale = 10 ** SIGNAL_DECIMALS;
  // `+ 0` turns −0 into 0, so a rounded-away value is left out like any zero.
  return Math.round(Math.min(1, Math.max(-1, value)) * scale) / scale + 0;
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
export function searchResultClickedEvent(
  search: SearchPerformedEvent,
  product: ProductRef,
  input: ResultClickInput,
): SearchResultClickedEvent {
  const position = input.position ?? search.data.results.find((result) => result.sku === product.sku)?.position;
  if (position === undefined)
    throw new Error(`search ${search.data.search_id} did not show ${product.sku}; give the position it was clicked at`);
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
