import { DAY_MS } from './decay.ts';
import type { ReorderState } from './preferences.ts';

/**
 * The rhythm after one more order of a product. Only a count, a sum, a min and a max are
 * accumulated; the interval and due date are derived from them, so orders may arrive in any order.
 */
export function recordOrder(state: ReorderState | undefined, quantity: number, at: Date): ReorderState {
  return combined(state, { orders: 1, quantity, firstMs: at.getTime(), lastMs: at.getTime() });
}

/** The rhythm of two histories of one product together, e.g. a visitor's and the shopper's: the same as every order recorded in one. */
export function mergeRhythms(a: ReorderState | undefined, b: ReorderState): ReorderState {
  return combined(a, { orders: b.orders, quantity: b.quantity, firstMs: Date.parse(b.first_at), lastMs: Date.parse(b.last_at) });
}

type Orders = { orders: number; quantity: number; firstMs: number; lastMs: number };

function combined(state: ReorderState | undefined, more: Orders): ReorderState {
  const firstMs = Math.min(more.firstMs, state === undefined ? Infinity : Date.parse(state.first_at));
  const lastMs = Math.max(more.lastMs, state === undefined ? -Infinity : Date.parse(state.last_at));
  const orders = (state?.orders ?? 0) + more.orders;
  const meanMs = orders < 2 ? null : (lastMs - firstMs) / (orders - 1);
  return {
    orders,
    quantity: (state?.quantity ?? 0) + more.quantity,
    first_at: new Date(firstMs).toISOString(),
    last_at: new Date(lastMs).toISOString(),
    mean_interval_days: meanMs === null ? null : meanMs / DAY_MS,
    next_due_at: meanMs === null ? null : new Date(Math.round(lastMs + meanMs)).toISOString(),
  };
}
