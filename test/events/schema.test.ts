import { describe, expect, it } from 'vitest';
import { ClientEvent, EVENT_TYPES, type EventType } from '../../functions/events/schema.ts';
import { describeIssues } from '../../functions/events/describe-issues.ts';
import { LIMITS } from '../../functions/events/limits.ts';
import { VALID_DATA, validEvent, type RawEvent } from '../support/fixtures.ts';

function reasonFor(raw: RawEvent): string | null {
  const parsed = ClientEvent.safeParse(raw);
  return parsed.success ? null : describeIssues(parsed.error);
}

const product = (VALID_DATA.search_result_clicked.product ?? {}) as RawEvent;
const withData = (type: EventType, patch: RawEvent) => validEvent(type, { data: { ...VALID_DATA[type], ...patch } });
const ranked = (position: number, signals: RawEvent) => ({ position, original_position: position + 2, signals });

describe('event contract', () => {
  it('covers the eight event types of the guide', () => {
    expect(EVENT_TYPES.sort()).toEqual(
      [
        'cart_item_added',
        'cart_item_removed',
        'cart_item_updated',
        'order_completed',
        'preference_updated',
        'product_viewed',
        'search_performed',
        'search_result_clicked',
      ].sort(),
    );
  });

  it.each(EVENT_TYPES)('accepts a valid %s', (type) => {
    expect(reasonFor(validEvent(type))).toBeNull();
  });

  it.each(EVENT_TYPES)('accepts a minimal %s without context', (type) => {
    const { context: _context, ...event } = validEvent(type);
    expect(reasonFor(event)).toBeNull();
  });

  it('accepts a product without brand or dietary tags, and timestamps with an offset', () => {
    const { brand: _b, dietary_tags: _d, ...plain } = product;
    expect(reasonFor(withData('product_viewed', { product: plain }))).toBeNull();
    expect(reasonFor(validEvent('product_viewed', { occurred_at: '2026-11-26T13:00:00+01:00' }))).toBeNull();
  });

  it('accepts a search with the signal values that placed its results, and one without (as every search sent before them)', () => {
    const ranking = [ranked(1, { brand: 1, product: 0.2913, explicit: -1 }), ranked(2, {})];
    expect(reasonFor(withData('search_performed', { ranking }))).toBeNull();
    expect(
      reasonFor(
        withData('search_performed', {
          ranking: Array.from({ length: LIMITS.maxRankedResults }, (_, i) => ranked(i + 1, { price: -0.5 })),
        }),
      ),
    ).toBeNull();
    expect(VALID_DATA.search_performed).not.toHaveProperty('ranking');
    expect(reasonFor(validEvent('search_performed'))).toBeNull();
  });

  const invalid: [string, RawEvent, RegExp][] = [
    ['an event id that is not a UUID', validEvent('search_performed', { event_id: 'abc' }), /event_id: Invalid UUID/],
    ['a missing session id', validEvent('search_performed', { session_id: undefined }), /session_id/],
    ['a session id with spaces', validEvent('search_performed', { session_id: 'a b' }), /session_id: must be printable ASCII/],
    [
      'a timestamp without a zone',
      validEvent('search_performed', { occurred_at: '2026-11-26 12:00:00' }),
      /occurred_at: Invalid ISO datetime/,
    ],
    ['an unknown envelope field', validEvent('search_performed', { user_id: 'someone-else' }), /Unrecognized key: "user_id"/],
    ['an unknown context field', validEvent('search_performed', { context: { ip: '1.2.3.4' } }), /Unrecognized key: "ip"/],
    ['a data payload of another type', validEvent('search_result_clicked', { data: VALID_DATA.search_performed }), /data/],
    ['position 0 on a click', withData('search_result_clicked', { position: 0 }), /data\.position: Too small/],
    ['a fractional position', withData('search_result_clicked', { position: 1.5 }), /data\.position/],
    ['a click without search_id', withData('search_result_clicked', { search_id: undefined }), /data\.search_id/],
    ['a negative price', withData('product_viewed', { product: { ...product, price: -1 } }), /data\.product\.price: Too small/],
    ['a price that is not a number', withData('product_viewed', { product: { ...product, price: '2.49' } }), /data\.product\.price/],
    [
      'a dietary tag in the wrong case',
      withData('product_viewed', { product: { ...product, dietary_tags: ['Vegan'] } }),
      /dietary_tags\[0\]: must be lower snake case/,
    ],
    ['an empty product name', withData('product_viewed', { product: { ...product, name: '   ' } }), /data\.product\.name: Too small/],
    ['zero quantity added', withData('cart_item_added', { quantity: 0 }), /data\.quantity: Too small/],
    ['a quantity over the limit', withData('cart_item_added', { quantity: LIMITS.maxQuantity + 1 }), /data\.quantity: Too big/],
    ['an order without items', withData('order_completed', { items: [] }), /data\.items: Too small/],
    ['an order item without quantity', withData('order_completed', { items: [product] }), /data\.items\[0\]\.quantity/],
    ['a currency that is not ISO 4217', withData('order_completed', { currency: 'euro' }), /data\.currency: must be an ISO 4217 code/],
    ['a delivery date with a time', withData('order_completed', { delivery_date: '2026-11-28T10:00:00Z' }), /data\.delivery_date/],
    ['an unknown preference action', withData('preference_updated', { action: 'love' }), /data\.action/],
    ['a query over the limit', withData('search_performed', { query: 'x'.repeat(LIMITS.maxQueryLength + 1) }), /data\.query: Too big/],
    [
      'too many results',
      withData('search_performed', {
        results: Array.from({ length: LIMITS.maxResultsPerSearch + 1 }, (_, i) => ({ sku: `s${i}`, position: i + 1 })),
      }),
      /data\.results: Too big/,
    ],
    [
      'a ranking entry naming an unknown signal',
      withData('search_performed', { ranking: [ranked(1, { popularity: 0.5 })] }),
      /data\.ranking\[0\]\.signals/,
    ],
    [
      'a signal value beyond 1',
      withData('search_performed', { ranking: [ranked(1, { brand: 1.5 })] }),
      /data\.ranking\[0\]\.signals\.brand: Too big/,
    ],
    [
      'a signal value that is not a number',
      withData('search_performed', { ranking: [ranked(1, { brand: '1' })] }),
      /data\.ranking\[0\]\.signals\.brand/,
    ],
    [
      'a ranking entry without its engine position',
      withData('search_performed', { ranking: [{ position: 1, signals: {} }] }),
      /data\.ranking\[0\]\.original_position/,
    ],
    [
      'a ranking entry beyond the first results it may cover',
      withData('search_performed', { ranking: [ranked(LIMITS.maxRankedResults + 1, {})] }),
      /data\.ranking\[0\]\.position: Too big/,
    ],
    [
      'more ranking entries than the limit',
      withData('search_performed', {
        ranking: Array.from({ length: LIMITS.maxRankedResults + 1 }, (_, i) => ranked(Math.min(i + 1, LIMITS.maxRankedResults), {})),
      }),
      /data\.ranking: Too big/,
    ],
    ['an unknown type', validEvent('search_performed', { type: 'page_viewed' }), /type/],
    [
      'a brand Firestore reserves',
      withData('product_viewed', { product: { ...product, brand: '__name__' } }),
      /data\.product\.brand: names of the form __x__ are reserved/,
    ],
    [
      'a sku Firestore reserves',
      withData('product_viewed', { product: { ...product, sku: '__proto__' } }),
      /data\.product\.sku: names of the form __x__ are reserved/,
    ],
  ];

  it.each(invalid)('rejects %s with a readable reason', (_name, raw, reason) => {
    expect(reasonFor(raw)).toMatch(reason);
  });
});
