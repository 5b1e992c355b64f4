import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../functions/events/limits.ts';
import { ClientEvent, type CollectedEvent, type ProductRef } from '../../functions/events/schema.ts';
import { clickThroughIncrements } from '../../functions/learn/click-through.ts';
import { newSearchId, searchContext, searchPerformedEvent, searchResultClickedEvent } from '../../functions/search/events.ts';
import { VALID_DATA } from '../support/fixtures.ts';
import { NOW } from './shoppers.ts';

const oatDrink = VALID_DATA.search_result_clicked.product as ProductRef;
const search = (overrides: Partial<Parameters<typeof searchPerformedEvent>[0]> = {}) =>
  searchPerformedEvent({
    sessionId: 'session-1',
    query: 'oat milk',
    shown: [{ sku: 'sku-soy-1l' }, { sku: 'sku-oat-1l' }, { sku: 'sku-rice-1l' }],
    personalized: true,
    experiments: { personalization: 'personalized' },
    now: NOW,
    ...overrides,
  });
const asCollected = (event: ClientEvent): CollectedEvent => ({ ...event, user_id: 'shopper-1', received_at: event.sent_at, event_time: event.occurred_at });

describe('search_performed', () => {
  it('passes the event schema as built', () => {
    const event = search();
    // Parsed unchanged: nothing in it needed the schema's defaults or trimming.
    expect(ClientEvent.parse(event)).toEqual(event);
    const parsed = ClientEvent.safeParse(search({ filters: { organic: true, max_price: 5 }, topCategories: ['dairy-alternatives'], context: { platform: 'server', locale: 'de-DE' } }));
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('lists the results as shown, 1-based, with the search id in data and context and the arms in context', () => {
    const event = search({ searchId: 'search-42', resultsCount: 120 });
    expect(event).toMatchObject({
      type: 'search_performed',
      session_id: 'session-1',
      occurred_at: NOW.toISOString(),
      sent_at: NOW.toISOString(),
      context: { search_id: 'search-42', experiments: { personalization: 'personalized' } },
      data: {
        search_id: 'search-42',
        query: 'oat milk',
        results_count: 120,
        personalized: true,
        results: [
          { sku: 'sku-soy-1l', position: 1 },
          { sku: 'sku-oat-1l', position: 2 },
          { sku: 'sku-rice-1l', position: 3 },
        ],
      },
    });
  });

  it('makes a fresh event id and search id every time', () => {
    const [a, b] = [search(), search()];
    expect(a.event_id).not.toBe(b.event_id);
    expect(a.data.search_id).not.toBe(b.data.search_id);
    expect(newSearchId()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts what was found, but lists no more results than the contract takes', () => {
    const shown = Array.from({ length: 150 }, (_, i) => ({ sku: `sku-${i}` }));
    const event = search({ shown });
    expect(event.data.results).toHaveLength(LIMITS.maxResultsPerSearch);
    expect(event.data.results_count).toBe(150);
    expect(ClientEvent.safeParse(event).success).toBe(true);
  });

  it('keeps the arms the caller passed, never the caller’s object itself', () => {
    const experiments = { personalization: 'control' };
    const event = search({ experiments, personalized: false });
    experiments.personalization = 'personalized';
    expect(event.context?.experiments).toEqual({ personalization: 'control' });
  });
});

describe('search_result_clicked', () => {
  it('carries the search’s id, query and arms, and the position the product was shown at', () => {
    const performed = search();
    const click = searchResultClickedEvent(performed, oatDrink, { now: new Date(NOW.getTime() + 5000) });
    expect(ClientEvent.safeParse(click).error?.issues ?? []).toEqual([]);
    expect(click).toMatchObject({
      type: 'search_result_clicked',
      session_id: 'session-1',
      context: { search_id: performed.data.search_id, experiments: { personalization: 'personalized' } },
      data: { search_id: performed.data.search_id, query: 'oat milk', position: 2, product: oatDrink },
    });
  });

  it('takes a position the caller knows better, and refuses a product the search did not show without one', () => {
    const performed = search();
    const elsewhere = { ...oatDrink, sku: 'sku-almond-1l' };
    expect(searchResultClickedEvent(performed, elsewhere, { now: NOW, position: 7 }).data.position).toBe(7);
    expect(() => searchResultClickedEvent(performed, elsewhere, { now: NOW })).toThrow(/did not show sku-almond-1l/);
  });

  it('feeds click-through learning: one impression per shown position, the click at its position', () => {
    const performed = search();
    const click = searchResultClickedEvent(performed, oatDrink, { now: NOW });
    expect(clickThroughIncrements([asCollected(performed), asCollected(click)])).toEqual([
      { query: 'oat milk', position: 1, impressions: 1, clicks: 0 },
      { query: 'oat milk', position: 2, impressions: 1, clicks: 1 },
      { query: 'oat milk', position: 3, impressions: 1, clicks: 0 },
    ]);
  });
});

describe('search context', () => {
  it('attributes a later cart add to the search and arm that led to it', () => {
    const performed = search();
    const add = {
      event_id: randomUUID(),
      type: 'cart_item_added',
      session_id: 'session-1',
      occurred_at: NOW.toISOString(),
      sent_at: NOW.toISOString(),
      context: { ...searchContext(performed), platform: 'web' },
      data: { product: oatDrink, quantity: 1, cart_value: 2.49, search_id: performed.data.search_id },
    };
    const parsed = ClientEvent.parse(add);
    expect(parsed.context).toEqual({ search_id: performed.data.search_id, experiments: { personalization: 'personalized' }, platform: 'web' });
  });
});
