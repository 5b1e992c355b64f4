import type { CollectedEvent } from '../../functions/events/schema.ts';
import { collectedEvent } from './messages.ts';

const DAY_MS = 86_400_000;

/**
 * `orders` orders a week apart, the last at `lastAt`, each buying the same `products` (sku-1 … sku-N): every order from
 * the third on buys N products each bought in two earlier orders, so a reorder fit over them has purchases to learn from.
 */
export function weeklyOrders(userId: string, lastAt: Date, orders: number, products: number): CollectedEvent[] {
  return Array.from({ length: orders }, (_, week) => {
    const at = new Date(lastAt.getTime() - (orders - 1 - week) * 7 * DAY_MS);
    const items = Array.from({ length: products }, (_, i) => ({
      sku: `sku-${i + 1}`,
      name: `Product ${i + 1}`,
      category: 'pantry',
      price: 1,
      quantity: 1,
    }));
    return collectedEvent('order_completed', userId, at, { data: { order_id: `weekly-${userId}-${week}`, total: products, items } });
  });
}
