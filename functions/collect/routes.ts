import type { EventType } from '../events/schema.ts';

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

export type Route = { kind: 'batch' } | { kind: 'single'; type: EventType; path: string } | { kind: 'unknown' };

export function resolveRoute(path: string): Route {
  const normalized = path.replace(/\/+$/, '');
  if (normalized === '/v1/events') return { kind: 'batch' };
  const match = /^\/v1\/events\/([a-z-]+)$/.exec(normalized);
  const type = match?.[1] ? SINGLE_EVENT_ROUTES[match[1]] : undefined;
  return type ? { kind: 'single', type, path: normalized } : { kind: 'unknown' };
}
