import { DAY_MS } from './decay.ts';
import type { ReorderState } from './preferences.ts';

/**
 * The rhythm after one more order of a product. Only a count, a sum, a min and a max are
 * accumulated; the interval and due date are derived from them, so orders may arrive in any order.
 */
export function recordOrder(state: ReorderState | undefined, quantity: number, at: Date): ReorderState {
  const firstMs = Math.min(at.getTime(), state === undefined ? Infinity : Date.parse(state.first_at));
  const lastMs = Math.max(at.getTime(), state === undefined ? -Infinity : Date.parse(state.last_at));
  const orders = (state?.orders ?? 0) + 1;
  const meanMs = orders < 2 ? null : (lastMs - firstMs) / (orders - 1);
  return {
    orders,
    quantity: (state?.quantity ?? 0) + quantity,
    first_at: new Date(firstMs).toISOString(),
    last_at: new Date(lastMs).toISOString(),
    mean_interval_days: meanMs === null ? null : meanMs / DAY_MS,
    next_due_at: meanMs === null ? null : new Date(Math.round(lastMs + meanMs)).toISOString(),
  };
}
