import { randomUUID } from 'node:crypto';
import type { EventType } from '../../functions/events/schema.ts';

export const NOW = new Date('2026-11-26T12:00:00.000Z');

const milk = {
  sku: 'sku-oat-1l',
  name: 'Oat drink 1 l',
  category: 'dairy-alternatives',
  brand: 'Oatly',
  price: 2.49,
  dietary_tags: ['vegan', 'lactose_free'],
};

/** A valid `data` payload for every event type. */
export const VALID_DATA: Record<EventType, Record<string, unknown>> = {
  search_performed: {
    search_id: 'search-1',
    query: 'oat milk',
    results_count: 42,
    results: [
      { sku: 'sku-oat-1l', position: 1 },
      { sku: 'sku-soy-1l', position: 2 },
    ],
    filters: { organic: true, max_price: 5, brand: 'Oatly' },
    personalized: true,
    top_categories: ['dairy-alternatives'],
  },
  search_result_clicked: { search_id: 'search-1', query: 'oat milk', product: milk, position: 1 },
  product_viewed: { product: milk, search_id: 'search-1', source: 'search' },
  cart_item_added: { product: milk, quantity: 2, cart_value: 4.98, search_id: 'search-1' },
  cart_item_removed: { product: milk, quantity: 1, cart_value: 2.49 },
  cart_item_updated: { product: milk, quantity: 3, previous_quantity: 1, cart_value: 7.47 },
  order_completed: {
    order_id: 'order-1001',
    total: 12.47,
    currency: 'EUR',
    items: [
      { ...milk, quantity: 3 },
      { sku: 'sku-bread', name: 'Rye bread', category: 'bakery', price: 4.99, quantity: 1, promotion: 'BREAD10' },
    ],
    delivery_date: '2026-11-28',
    promotions: ['BREAD10'],
  },
  preference_updated: { preference: 'brand', value: 'Oatly', action: 'like' },
};

export type RawEvent = Record<string, unknown>;

/** A valid client event of the given type, sent one second after it happened. */
export function validEvent(type: EventType, overrides: RawEvent = {}, at: Date = NOW): RawEvent {
  return {
    event_id: randomUUID(),
    type,
    session_id: 'session-1',
    occurred_at: new Date(at.getTime() - 1000).toISOString(),
    sent_at: at.toISOString(),
    context: { experiments: { personalization: 'treatment' }, platform: 'web', locale: 'de-DE' },
    data: VALID_DATA[type],
    ...overrides,
  };
}

export const TEST_TOKEN = {
  key: 'test-signing-key-that-is-long-enough-0123456789',
  issuer: 'grocery-shop',
  audience: 'learning-loop',
};
