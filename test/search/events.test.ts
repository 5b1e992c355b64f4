import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../functions/events/limits.ts';
import { ClientEvent, type ProductRef } from '../../functions/events/schema.ts';
import {
  newSearchId,
  searchContext,
  searchPerformedEvent,
  searchResultClickedEvent,
  SIGNAL_DECIMALS,
} from '../../functions/search/events.ts';
import { noSignals, SIGNALS, type SignalValues } from '../../functions/search/signals.ts';
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
const values = (set: Partial<SignalValues>): SignalValues => ({ ...noSignals(), ...set });

describe('search_performed', () => {
  it('passes the event schema as built', () => {
    const event = search();
    // Parsed unchanged: nothing in it needed the schema's defaults or trimming.
    expect(ClientEvent.parse(event)).toEqual(event);
    const parsed = ClientEvent.safeParse(
      search({
        filters: { organic: true, max_price: 5 },
        topCategories: ['dairy-alternatives'],
        context: { platform: 'server', locale: 'de-DE' },
      }),
    );
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

  it('lists each result’s brand and category when known, the names as the contract takes them', () => {
    const event = search({
      shown: [
        { sku: 'sku-soy-1l', brand: 'Alpro', category: 'dairy-alternatives' },
        { sku: 'sku-oat-1l', brand: '  Oatly ', category: null },
        { sku: 'sku-rice-1l', brand: '__proto__', category: 'x'.repeat(LIMITS.maxLabelLength + 1) },
        { sku: 'sku-pea-1l', brand: '' },
      ],
    });
    expect(event.data.results).toEqual([
      { sku: 'sku-soy-1l', position: 1, brand: 'Alpro', category: 'dairy-alternatives' },
      { sku: 'sku-oat-1l', position: 2, brand: 'Oatly' },
      // A name collect would refuse is left out, never the search.
      { sku: 'sku-rice-1l', position: 3 },
      { sku: 'sku-pea-1l', position: 4 },
    ]);
    expect(ClientEvent.parse(event)).toEqual(event);
  });

  it('names only the results learning reads: the first four', () => {
    const shown = Array.from({ length: 6 }, (_, i) => ({ sku: `sku-${i}`, brand: `Brand ${i}`, category: 'dairy-alternatives' }));
    expect(search({ shown }).data.results.map((r) => r.brand ?? null)).toEqual(['Brand 0', 'Brand 1', 'Brand 2', 'Brand 3', null, null]);
  });

  it('drops the results’ names too, not the search, when even without its ranking the event would be too large', () => {
    const long = (length: number, i: number) => `${'n'.repeat(length - 3)}${String(i).padStart(3, '0')}`;
    const shown = Array.from({ length: LIMITS.maxResultsPerSearch }, (_, i) => ({
      sku: long(LIMITS.maxIdLength, i),
      brand: long(LIMITS.maxLabelLength, i),
      category: long(LIMITS.maxLabelLength, i),
    }));
    const filters = Object.fromEntries(
      Array.from({ length: LIMITS.maxMapEntries }, (_, i) => [`filter-${i}`.padEnd(64, 'x'), 'v'.repeat(LIMITS.maxLabelLength)]),
    );
    const topCategories = Array.from({ length: LIMITS.maxTagsPerItem }, (_, i) => long(LIMITS.maxLabelLength, i));
    const ranking = shown.map((_, i) => ({ original_position: i + 1, values: values({ brand: 0.5 }) }));
    const event = search({ shown, filters, topCategories, ranking, query: 'q'.repeat(LIMITS.maxQueryLength) });
    expect(event.data).not.toHaveProperty('ranking');
    expect(event.data.results).toEqual(shown.map(({ sku }, i) => ({ sku, position: i + 1 })));
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(LIMITS.maxEventBytes);
    expect(ClientEvent.safeParse(event).success).toBe(true);
    // With the names, it would not have fitted.
    const named = search({ shown: shown.slice(0, 4), filters, topCategories }).data.results;
    const withNames = { ...event, data: { ...event.data, results: [...named, ...event.data.results.slice(4)] } };
    expect(Buffer.byteLength(JSON.stringify(withNames))).toBeGreaterThan(LIMITS.maxEventBytes);
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

  it('lists no ranking unless given one: a search whose signals were not read (the control arm) says nothing of them', () => {
    expect(search().data).not.toHaveProperty('ranking');
    expect(search({ ranking: [] }).data).not.toHaveProperty('ranking');
  });

  it('lists the signal values that placed each shown result: rounded, within [−1, 1], zeros and non-numbers left out', () => {
    const event = search({
      ranking: [
        { original_position: 2, values: values({ brand: 0.999999, product: 0.29131234, category: 0.00004 }) },
        { original_position: 1, values: values({}) },
        { original_position: 3, values: values({ explicit: -1, price: -0.123456, recent: Number.NaN, dietary: 1.5 }) },
      ],
    });
    expect(event.data.ranking).toEqual([
      { position: 1, original_position: 2, signals: { product: 0.2913, brand: 1 } },
      { position: 2, original_position: 1, signals: {} },
      { position: 3, original_position: 3, signals: { dietary: 1, price: -0.1235, explicit: -1 } },
    ]);
    expect(SIGNAL_DECIMALS).toBe(4);
    expect(ClientEvent.parse(event)).toEqual(event);
  });

  it('lists the ranking of the first results only, up to the limit, and skips an engine position the contract cannot hold', () => {
    const shown = Array.from({ length: 120 }, (_, i) => ({ sku: `sku-${i}` }));
    const ranking = shown.map((_, i) => ({ original_position: i === 4 ? LIMITS.maxPosition + 1 : i + 1, values: values({ brand: 0.5 }) }));
    const listed = search({ shown, ranking }).data.ranking ?? [];
    expect(listed.map((entry) => entry.position)).toEqual(
      Array.from({ length: LIMITS.maxRankedResults }, (_, i) => i + 1).filter((p) => p !== 5),
    );
    // A ranking longer than what was shown says nothing of results that were not shown.
    expect(search({ ranking }).data.ranking).toHaveLength(3);
    expect(ClientEvent.safeParse(search({ shown, ranking })).success).toBe(true);
  });

  it('keeps the ranking, every signal set, to under a third of an event’s bytes', () => {
    const shown = Array.from({ length: LIMITS.maxResultsPerSearch }, (_, i) => ({ sku: `sku-${i}` }));
    const ranking = shown.map(() => ({
      original_position: LIMITS.maxPosition,
      values: values(Object.fromEntries(SIGNALS.map((signal) => [signal, -0.123456]))),
    }));
    expect(Buffer.byteLength(JSON.stringify(search({ shown, ranking }).data.ranking))).toBeLessThan(LIMITS.maxEventBytes / 3);
  });

  it('drops the ranking, not the search, when the event would be too large for collect with it', () => {
    const shown = Array.from({ length: LIMITS.maxResultsPerSearch }, (_, i) => ({
      sku: `${'s'.repeat(LIMITS.maxIdLength - 3)}${String(i).padStart(3, '0')}`,
    }));
    const filters = Object.fromEntries(
      Array.from({ length: LIMITS.maxMapEntries }, (_, i) => [`filter-${i}`.padEnd(64, 'x'), 'v'.repeat(LIMITS.maxLabelLength)]),
    );
    const ranking = shown.map((_, i) => ({
      original_position: i + 1,
      values: values(Object.fromEntries(SIGNALS.map((signal) => [signal, -0.5]))),
    }));
    const event = search({ shown, filters, ranking });
    expect(event.data).not.toHaveProperty('ranking');
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(LIMITS.maxEventBytes);
    expect(Buffer.byteLength(JSON.stringify(search({ shown, filters, ranking: ranking.slice(0, 1) })))).toBeLessThanOrEqual(
      LIMITS.maxEventBytes,
    );
    expect(search({ shown, filters, ranking: ranking.slice(0, 1) }).data.ranking).toHaveLength(1);
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
    expect(parsed.context).toEqual({
      search_id: performed.data.search_id,
      experiments: { personalization: 'personalized' },
      platform: 'web',
    });
  });
});
