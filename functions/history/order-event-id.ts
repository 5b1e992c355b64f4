import { uuidV5 } from '../kernel/uuid-v5.ts';

/**
 * The namespace of the ids of orders made from a shop's order lines. Fixed for good: another namespace would give
 * every order a new id, and importing the same orders again would add them again.
 */
export const ORDER_EVENT_NAMESPACE = '5f2b9a57-0d0c-4c8e-9f6b-3b1f8e2d7a41';

/**
 * The `event_id` of the `order_completed` event of a shopper's order, made from the pair (shopper, order id): the
 * same order always gets the same id, so importing it again adds nothing, and another shopper's order of the same
 * id is an event of its own. A shop whose back end also sends its orders live can give them this id, and each
 * order is then counted once, however it arrives.
 */
export function orderEventId(userId: string, orderId: string): string {
  return uuidV5(JSON.stringify([userId, orderId]), ORDER_EVENT_NAMESPACE);
}
