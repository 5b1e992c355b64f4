import { describe, expect, it } from 'vitest';
import type { EventType } from '../../functions/events/schema.ts';
import type { RejectedBatchMessage } from '../../functions/events/messages.ts';
import type { EventRow } from '../../functions/warehouse/ports.ts';
import {
  eventRow,
  MAX_REJECTED_PAYLOAD_BYTES,
  orderItemRows,
  rejectedMessageRow,
  rejectedRows,
  truncatePayload,
  utcTimestamp,
} from '../../functions/warehouse/rows.ts';
import { VALID_DATA } from '../support/fixtures.ts';
import { collectedEvent, minimalEvent } from './samples.ts';

const REQUEST_ID = '7c0d6f0e-2a55-4c51-9a8e-0a9b3c1f2d4e';
const milk = { sku: 'sku-oat-1l', product_name: 'Oat drink 1 l', category: 'dairy-alternatives', brand: 'Oatly', price: 2.49 };
const noProduct = { sku: null, product_name: null, category: null, brand: null, price: null };
const nothing = {
  search_id: null,
  query: null,
  quantity: null,
  position: null,
  cart_value: null,
  order_id: null,
  order_total: null,
  personalized: null,
};

/** The type-specific columns each fixture event must fill; every other one is null. */
const EXPECTED: Record<EventType, Partial<EventRow>> = {
  search_performed: { ...nothing, ...noProduct, search_id: 'search-1', query: 'oat milk', personalized: true },
  search_result_clicked: { ...nothing, ...milk, search_id: 'search-1', query: 'oat milk', position: 1 },
  product_viewed: { ...nothing, ...milk, search_id: 'search-1' },
  cart_item_added: { ...nothing, ...milk, search_id: 'search-1', quantity: 2, cart_value: 4.98 },
  cart_item_removed: { ...nothing, ...milk, quantity: 1, cart_value: 2.49 },
  cart_item_updated: { ...nothing, ...milk, quantity: 3, cart_value: 7.47 },
  order_completed: { ...nothing, ...noProduct, order_id: 'order-1001', order_total: 12.47 },
  preference_updated: { ...nothing, ...noProduct },
};

describe('eventRow', () => {
  it.each(Object.entries(EXPECTED))('maps %s', (type, expected) => {
    const event = collectedEvent(type as EventType);
    const row = eventRow(event, REQUEST_ID);
    expect(row).toMatchObject(expected);
    expect(row).toMatchObject({
      event_id: event.event_id,
      type,
      user_id: 'shopper-1',
      session_id: 'session-1',
      request_id: REQUEST_ID,
      occurred_at: '2026-11-26T11:59:59.000Z',
      sent_at: '2026-11-26T12:00:00.000Z',
      received_at: '2026-11-26T12:00:00.000Z',
      event_time: '2026-11-26T11:59:59.000Z',
      experiments: '{"personalization":"treatment"}',
    });
    expect(JSON.parse(row.data)).toEqual(VALID_DATA[type as EventType]);
    expect(JSON.parse(row.context ?? 'null')).toEqual({ experiments: { personalization: 'treatment' }, platform: 'web', locale: 'de-DE' });
  });

  it('attributes to context.search_id when data carries none', () => {
    const event = collectedEvent('cart_item_removed', { context: { search_id: 'search-9' } });
    expect(eventRow(event, REQUEST_ID).search_id).toBe('search-9');
  });

  it('prefers data.search_id to context.search_id', () => {
    const event = collectedEvent('search_result_clicked', { context: { search_id: 'search-9' } });
    expect(eventRow(event, REQUEST_ID).search_id).toBe('search-1');
  });

  it('leaves context, experiments, brand and search_id null when the event has none', () => {
    const row = eventRow(minimalEvent('product_viewed'), REQUEST_ID);
    expect(row).toMatchObject({ context: null, experiments: null, brand: null, search_id: null, sku: 'sku-bread' });
  });

  it('keeps a context without experiments, with experiments null', () => {
    const row = eventRow(collectedEvent('search_performed', { context: { platform: 'ios' } }), REQUEST_ID);
    expect(row).toMatchObject({ experiments: null, context: '{"platform":"ios"}' });
  });

  it('keeps the signal values that placed a search’s results in data, as sent, where the weights are fitted from', () => {
    const ranking = [
      { position: 1, original_position: 3, signals: { brand: 1, product: 0.2913 } },
      { position: 2, original_position: 1, signals: {} },
    ];
    const row = eventRow(collectedEvent('search_performed', { data: { ...VALID_DATA.search_performed, ranking } }), REQUEST_ID);
    expect((JSON.parse(row.data) as { ranking: unknown }).ranking).toEqual(ranking);
  });

  it('stores a minimal search as not personalized, not as unknown', () => {
    expect(eventRow(minimalEvent('search_performed'), REQUEST_ID)).toMatchObject({ personalized: false, query: '' });
  });

  it('writes every timestamp in UTC, whatever offset the client used', () => {
    const event = collectedEvent('preference_updated', { occurred_at: '2026-11-26T12:59:58+01:00', sent_at: '2026-11-26T07:00:00-05:00' });
    expect(eventRow(event, REQUEST_ID)).toMatchObject({ occurred_at: '2026-11-26T11:59:58.000Z', sent_at: '2026-11-26T12:00:00.000Z' });
  });
});

describe('orderItemRows', () => {
  it('marks the rows of a history import with its id, on the event and on every line', () => {
    const event = collectedEvent('order_completed');
    expect(eventRow(event, 'imp-1', 'imp-1')).toMatchObject({ request_id: 'imp-1', import_id: 'imp-1' });
    expect(orderItemRows(event, 'imp-1').map((row) => row.import_id)).toEqual(['imp-1', 'imp-1']);
    expect(eventRow(event, REQUEST_ID).import_id).toBeNull();
  });

  it('gives one row per item, numbered from 1, with the order and event fields', () => {
    const event = collectedEvent('order_completed');
    expect(orderItemRows(event)).toEqual([
      {
        event_id: event.event_id,
        line: 1,
        order_id: 'order-1001',
        user_id: 'shopper-1',
        event_time: '2026-11-26T11:59:59.000Z',
        sku: 'sku-oat-1l',
        product_name: 'Oat drink 1 l',
        category: 'dairy-alternatives',
        brand: 'Oatly',
        price: 2.49,
        quantity: 3,
        promotion: null,
        dietary_tags: ['vegan', 'lactose_free'],
        import_id: null,
      },
      {
        event_id: event.event_id,
        line: 2,
        order_id: 'order-1001',
        user_id: 'shopper-1',
        event_time: '2026-11-26T11:59:59.000Z',
        sku: 'sku-bread',
        product_name: 'Rye bread',
        category: 'bakery',
        brand: null,
        price: 4.99,
        quantity: 1,
        promotion: 'BREAD10',
        dietary_tags: [],
        import_id: null,
      },
    ]);
  });

  it.each(Object.keys(EXPECTED).filter((t) => t !== 'order_completed'))('gives none for %s', (type) => {
    expect(orderItemRows(collectedEvent(type as EventType))).toEqual([]);
  });
});

describe('rejectedRows', () => {
  const message: RejectedBatchMessage = {
    schema_version: 1,
    request_id: REQUEST_ID,
    user_id: 'shopper-1',
    received_at: '2026-11-26T13:00:00+01:00',
    source: 'collect',
    rejected: [
      { index: 0, event_id: null, type: null, reason: 'type: required', payload: '{}' },
      { index: 3, event_id: 'e-3', type: 'search_performed', reason: 'data.query: too long', payload: '{"type":"search_performed"}' },
    ],
  };

  it('gives one row per rejected event with the request fields', () => {
    expect(rejectedRows(message)).toEqual([
      {
        request_id: REQUEST_ID,
        event_index: 0,
        event_id: null,
        type: null,
        user_id: 'shopper-1',
        reason: 'type: required',
        payload: '{}',
        source: 'collect',
        received_at: '2026-11-26T12:00:00.000Z',
      },
      {
        request_id: REQUEST_ID,
        event_index: 3,
        event_id: 'e-3',
        type: 'search_performed',
        user_id: 'shopper-1',
        reason: 'data.query: too long',
        payload: '{"type":"search_performed"}',
        source: 'collect',
        received_at: '2026-11-26T12:00:00.000Z',
      },
    ]);
  });

  it('truncates an oversized payload and says so in the reason', () => {
    const big = { ...message, rejected: [{ index: 0, event_id: null, type: null, reason: 'too large', payload: 'x'.repeat(300_000) }] };
    const [row] = rejectedRows(big);
    expect(row?.payload).toHaveLength(MAX_REJECTED_PAYLOAD_BYTES);
    expect(row?.reason).toBe(`too large [payload truncated to ${MAX_REJECTED_PAYLOAD_BYTES} of 300000 bytes]`);
  });
});

describe('rejectedMessageRow', () => {
  it('keeps a whole unreadable message under its message id, with no event index', () => {
    expect(
      rejectedMessageRow({
        messageId: 'm-1',
        raw: 'not json',
        reason: 'message is not JSON',
        source: 'ingest',
        receivedAt: new Date('2026-11-26T12:00:00Z'),
      }),
    ).toEqual({
      request_id: 'm-1',
      event_index: null,
      event_id: null,
      type: null,
      user_id: null,
      reason: 'message is not JSON',
      payload: 'not json',
      source: 'ingest',
      received_at: '2026-11-26T12:00:00.000Z',
    });
  });

  it('uses the request id and user when the attributes gave them', () => {
    const row = rejectedMessageRow({
      messageId: 'm-1',
      requestId: REQUEST_ID,
      userId: 'shopper-2',
      raw: '{}',
      reason: 'no events',
      source: 'ingest',
      receivedAt: '2026-11-26T12:00:00Z',
    });
    expect(row).toMatchObject({ request_id: REQUEST_ID, user_id: 'shopper-2' });
  });

  it('truncates a huge message', () => {
    const row = rejectedMessageRow({
      messageId: 'm',
      raw: 'y'.repeat(1_000_000),
      reason: 'bad',
      source: 'ingest',
      receivedAt: '2026-11-26T12:00:00Z',
    });
    expect(Buffer.byteLength(row.payload)).toBe(MAX_REJECTED_PAYLOAD_BYTES);
    expect(row.reason).toMatch(/^bad \[payload truncated/);
  });
});

describe('truncatePayload', () => {
  it('leaves text within the limit alone', () => {
    expect(truncatePayload('äbc', 4)).toEqual({ text: 'äbc', truncated: false });
  });

  it('never splits a character: it cuts before one that does not fit', () => {
    // 'ä' is two bytes and '€' three: 'a' + 'ä' is 3 bytes, the euro sign would end at byte 6.
    expect(truncatePayload('aä€', 5)).toMatchObject({ text: 'aä', truncated: true, note: '[payload truncated to 3 of 6 bytes]' });
    expect(truncatePayload('aä€', 2)).toMatchObject({ text: 'a', truncated: true });
  });
});

describe('utcTimestamp', () => {
  it('turns any offset into UTC', () => {
    expect(utcTimestamp('2026-11-26T13:00:00.5+01:00')).toBe('2026-11-26T12:00:00.500Z');
  });

  it('throws on a value that is not a time', () => {
    expect(() => utcTimestamp('yesterday')).toThrow(/not a timestamp/);
  });
});
