import type { EventType } from '../events/schema.ts';
import type { Route } from '../http/routes.ts';

/** The guide's single-event routes; each takes one event of its type and shares the batch code path. */
export const SINGLE_EVENT_ROUTES: Readonly<Record<string, EventType>> = {
  search: 'search_performed',
  click: 'search_result_clicked',
  view: 'product_viewed',
  'cart-add': 'cart_item_added',
  'cart-remove': 'cart_item_removed',
  'cart-update': 'cart_item_updated',
  order: 'order_completed',
  preference: 'preference_updated',
};

/** What a route's body holds: a batch (`{"events": [...]}`), or one event of the route's type. */
export type EventsRoute = { kind: 'batch' } | { kind: 'single'; type: EventType };

export const COLLECT_ROUTES: readonly Route<EventsRoute>[] = [
  { path: '/v1/events', methods: { POST: { kind: 'batch' } } },
  ...Object.entries(SINGLE_EVENT_ROUTES).map(([segment, type]) => ({
    path: `/v1/events/${segment}`,
    methods: { POST: { kind: 'single' as const, type } },
  })),
];
