import type { ClientEvent } from '../../functions/events/schema.ts';
import { ORDER_LINE_COLUMNS, DIETARY_TAG_SEPARATOR } from '../../functions/history/order-lines.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { createSearchPersonalizer, createSearchPreferenceReader } from '../../functions/search/index.ts';
import type { ShopperTruth } from './shoppers.ts';
import { shopTrip, type TripLedger, type TripPorts, type TripWorld } from './trip.ts';

// The shop's history before the loop: the same shoppers, shopping the days before the first live day with search
// as the shop had it (no document to personalize from), their orders written as the shop would export them
// (CSV order lines) and imported through the import path before the live days begin.

export type HistoryOrder = { userId: string; event: Extract<ClientEvent, { type: 'order_completed' }> };

/**
 * Shopper `index`'s trips on days −`historyDays` … −1, nothing reaching the loop: what they ordered. The ledger
 * keeps what later scoring must know of the past — which purchases are repeats, the ideal observer, the orders the
 * order-count oracle sees (the loop sees the imported orders too) — and nothing that would be scored.
 */
export async function shopHistory(
  world: TripWorld,
  shoppers: readonly ShopperTruth[],
  ledger: TripLedger,
  historyDays: number,
  onDay?: (day: number) => void,
): Promise<HistoryOrder[]> {
  const orders: HistoryOrder[] = [];
  // The shop's search before the loop: no shopper has a document, so every result list is the engine's.
  const reader = createSearchPreferenceReader({
    documents: { read: async () => null },
    privacy: { read: async () => ({ ...DEFAULT_PRIVACY, updated_at: null }) },
  });
  const ports: TripPorts = {
    believed: async () => null,
    reorderModel: async () => null,
    personalizer: (clock) => createSearchPersonalizer({ reader, clock }),
    send: async (userId, events) => {
      for (const event of events) if (event.type === 'order_completed') orders.push({ userId, event });
    },
  };
  for (let day = -historyDays; day < 0; day++) {
    for (const [index, truth] of shoppers.entries()) await shopTrip(world, ports, ledger, index, truth, day);
    onDay?.(day);
  }
  for (const [userId, events] of ledger.sentEvents)
    ledger.sentEvents.set(
      userId,
      events.filter((e) => e.type === 'order_completed'),
    );
  Object.assign(ledger, { searches: [], reorders: [], brands: [], orderLines: 0, searchCount: 0, personalizedReasons: {} });
  return orders;
}

/** The orders as CSV order lines (the import's `csv` format), one line per item, with the dietary tags. */
export function orderLinesCsv(orders: readonly HistoryOrder[]): string {
  const header = [...ORDER_LINE_COLUMNS, 'currency', 'dietary_tags'];
  const lines = [header.join(',')];
  for (const { userId, event } of orders) {
    for (const item of event.data.items) {
      const values: Record<string, string> = {
        order_id: event.data.order_id,
        shopper_id: userId,
        ordered_at: event.occurred_at,
        sku: item.sku,
        name: item.name,
        category: item.category,
        brand: item.brand ?? '',
        price: String(item.price),
        quantity: String(item.quantity),
        currency: event.data.currency ?? '',
        dietary_tags: (item.dietary_tags ?? []).join(DIETARY_TAG_SEPARATOR),
      };
      lines.push(header.map((column) => csvField(values[column] ?? '')).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
