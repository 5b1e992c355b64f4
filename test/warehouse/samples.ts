import { ClientEvent, EVENT_TYPES, type CollectedEvent, type EventType } from '../../functions/events/schema.ts';
import { NOW, validEvent, type RawEvent } from '../support/fixtures.ts';

/** Every optional field left out, so that the nullable columns show up as null. */
export const MINIMAL_DATA: Record<EventType, Record<string, unknown>> = {
  search_performed: { search_id: 'search-2', query: '', results_count: 0, results: [], personalized: false },
  search_result_clicked: {
    search_id: 'search-2',
    query: 'bread',
    product: { sku: 'sku-bread', name: 'Rye bread', category: 'bakery', price: 0 },
    position: 7,
  },
  product_viewed: { product: { sku: 'sku-bread', name: 'Rye bread', category: 'bakery', price: 4.99 } },
  cart_item_added: { product: { sku: 'sku-bread', name: 'Rye bread', category: 'bakery', price: 4.99 }, quantity: 0.5, cart_value: 2.5 },
  cart_item_removed: { product: { sku: 'sku-bread', name: 'Rye bread', category: 'bakery', price: 4.99 }, quantity: 1, cart_value: 0 },
  cart_item_updated: {
    product: { sku: 'sku-bread', name: 'Rye bread', category: 'bakery', price: 4.99 },
    quantity: 0,
    previous_quantity: 2,
    cart_value: 0,
  },
  order_completed: {
    order_id: 'order-2',
    total: 4.99,
    items: [{ sku: 'sku-bread', name: 'Rye bread', category: 'bakery', price: 4.99, quantity: 1 }],
  },
  preference_updated: { preference: 'dietary_tag', value: 'vegan', action: 'dislike' },
};

/**
 * A contract-valid event as `collect` publishes it: parsed by the zod schema, with the server
 * fields added by the skew rule (`event_time = received_at − (sent_at − occurred_at)`).
 */
export function collectedEvent(type: EventType, overrides: RawEvent = {}, receivedAt: Date = NOW, userId = 'shopper-1'): CollectedEvent {
  const client = ClientEvent.parse(validEvent(type, overrides, receivedAt));
  const delayMs = Date.parse(client.sent_at) - Date.parse(client.occurred_at);
  return {
    ...client,
    user_id: userId,
    received_at: receivedAt.toISOString(),
    event_time: new Date(receivedAt.getTime() - delayMs).toISOString(),
  };
}

/** The fixture event of that type, without `context` and with every optional `data` field left out. */
export function minimalEvent(type: EventType, overrides: RawEvent = {}): CollectedEvent {
  return collectedEvent(type, { context: undefined, data: MINIMAL_DATA[type], ...overrides });
}

/** For every event type, the full fixture and the minimal one. */
export function everyEventShape(): CollectedEvent[] {
  return EVENT_TYPES.flatMap((type) => [collectedEvent(type), minimalEvent(type)]);
}
