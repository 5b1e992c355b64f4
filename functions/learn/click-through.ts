import type { CollectedEvent } from '../events/schema.ts';

/** Longest normalized query, in code points: long enough for any real grocery query, short enough for a counter key. */
export const MAX_NORMALIZED_QUERY_LENGTH = 128;

/** Positions past this are ignored: shoppers rarely scroll that far, and counters there would be noise. */
export const MAX_TRACKED_POSITION = 50;

/** Counts to add to one (normalized query, position) click-through counter. */
export type ClickThroughIncrement = { query: string; position: number; impressions: number; clicks: number };

/** The form a query is counted under: "  Oat   MILK " and "oat milk" are one query, "Café" is "cafe". */
export function normalizeQuery(query: string): string {
  const folded = query
    .normalize('NFKD')
    .toLowerCase()
    .replace(/\p{M}/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  // Cut by code points, never inside a surrogate pair, then drop a space the cut may leave at the end.
  return Array.from(folded).slice(0, MAX_NORMALIZED_QUERY_LENGTH).join('').trimEnd();
}

/**
 * Impressions and clicks per (normalized query, position): each search counts one impression per
 * position it showed, each result click one click at its position. Queries that normalize to nothing
 * (browsing without words) have no query to attribute to and are skipped. Sorted by query, then position.
 */
export function clickThroughIncrements(events: readonly CollectedEvent[]): ClickThroughIncrement[] {
  const counters = new Map<string, Map<number, ClickThroughIncrement>>();
  const counter = (rawQuery: string, position: number): ClickThroughIncrement | undefined => {
    const query = normalizeQuery(rawQuery);
    if (query === '' || position > MAX_TRACKED_POSITION) return undefined;
    const byPosition = counters.get(query) ?? new Map<number, ClickThroughIncrement>();
    counters.set(query, byPosition);
    const found = byPosition.get(position) ?? { query, position, impressions: 0, clicks: 0 };
    byPosition.set(position, found);
    return found;
  };
  for (const event of events) {
    if (event.type === 'search_performed') {
      // A position listed twice in one search was still shown once.
      for (const position of new Set(event.data.results.map((result) => result.position))) {
        const found = counter(event.data.query, position);
        if (found) found.impressions += 1;
      }
    }
    if (event.type === 'search_result_clicked') {
      const found = counter(event.data.query, event.data.position);
      if (found) found.clicks += 1;
    }
  }
  return [...counters.values()]
    .flatMap((byPosition) => [...byPosition.values()])
    .sort((a, b) => (a.query < b.query ? -1 : a.query > b.query ? 1 : a.position - b.position));
}
