import type { DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import type { RejectedRow, SqlRow } from '../../functions/warehouse/ports.ts';
import { eventsRow, orderItemsRow } from '../support/warehouse-rows.ts';

/**
 * Rows on both sides of each shopper's retention boundary, with what retention must do to each worked
 * out by hand. As of AS_OF (2026-03-01T00:00Z) the boundaries are:
 * - `dflt`, the default 365 days: 2025-03-01T00:00Z (2025 is no leap year);
 * - `short`, 30 days: 2026-01-30T00:00Z (February 2026 has 28 days);
 * - `long`, 500 days: 2024-10-17T00:00Z (365 days back to 2025-03-01, then 28 + 31 + 31 + 30 to
 *   2024-11-01, then 15 more).
 * A row exactly at its boundary is kept: only rows older than the retention go.
 */
export const AS_OF = '2026-03-01T00:00:00.000Z';

/** What the job stages: the shoppers whose retention is not the default. */
export const STAGING: SqlRow[] = [
  { user_id: 'short', retention_days: 30 },
  { user_id: 'long', retention_days: 500 },
];

export const PARAMS = { as_of: new Date(AS_OF), default_retention_days: 365, shortest_retention_days: 30 };

function event(eventId: string, userId: string, at: string): SqlRow {
  return eventsRow({
    event_id: eventId,
    type: 'product_viewed',
    user_id: userId,
    event_time: at,
    sku: 'milk',
    product_name: 'milk',
    category: 'Dairy',
  });
}

function orderLine(eventId: string, line: number, userId: string, at: string): SqlRow {
  return orderItemsRow({ event_id: eventId, line, user_id: userId, event_time: at, sku: 'milk', category: 'Dairy', price: 1, quantity: 1 });
}

function rejected(requestId: string, userId: string | null, at: string): RejectedRow {
  return {
    request_id: requestId,
    event_index: userId === null ? null : 0,
    event_id: null,
    type: null,
    user_id: userId,
    reason: 'invalid',
    payload: '{}',
    source: 'ingest',
    received_at: at,
  };
}

export const EVENTS: SqlRow[] = [
  event('dflt-out', 'dflt', '2025-02-28T23:59:59.000Z'),
  event('dflt-at', 'dflt', '2025-03-01T00:00:00.000Z'),
  event('dflt-in', 'dflt', '2025-03-01T00:00:01.000Z'),
  event('dflt-new', 'dflt', '2026-02-28T00:00:00.000Z'),
  // Kept under the default; short keeps 30 days only.
  event('short-old', 'short', '2025-06-01T12:00:00.000Z'),
  event('short-out', 'short', '2026-01-29T23:59:59.000Z'),
  // Half a second either side of the boundary.
  event('short-out-ms', 'short', '2026-01-29T23:59:59.500Z'),
  event('short-in-ms', 'short', '2026-01-30T00:00:00.500Z'),
  event('short-in', 'short', '2026-01-30T00:00:01.000Z'),
  event('long-out', 'long', '2024-10-16T23:59:59.000Z'),
  event('long-in', 'long', '2024-10-17T00:00:01.000Z'),
  // Older than the default, within long's 500 days.
  event('long-mid', 'long', '2025-01-01T00:00:00.000Z'),
];

export const ORDER_ITEMS: SqlRow[] = [
  orderLine('dflt-out', 1, 'dflt', '2025-02-28T23:59:59.000Z'),
  orderLine('dflt-out', 2, 'dflt', '2025-02-28T23:59:59.000Z'),
  orderLine('dflt-in', 1, 'dflt', '2025-03-01T00:00:01.000Z'),
  orderLine('short-out', 1, 'short', '2026-01-29T23:59:59.000Z'),
  orderLine('short-in', 1, 'short', '2026-01-30T00:00:01.000Z'),
  orderLine('long-mid', 1, 'long', '2025-01-01T00:00:00.000Z'),
  orderLine('long-out', 1, 'long', '2024-10-16T23:59:59.000Z'),
];

export const REJECTED_EVENTS: RejectedRow[] = [
  // No shopper: left to the table's 90-day partition expiration, however old.
  rejected('no-user-old', null, '2025-01-01T00:00:00.000Z'),
  rejected('short-out', 'short', '2026-01-29T23:59:59.000Z'),
  rejected('short-in', 'short', '2026-01-30T00:00:01.000Z'),
  rejected('dflt-in', 'dflt', '2026-01-01T00:00:00.000Z'),
  rejected('dflt-out', 'dflt', '2025-02-01T00:00:00.000Z'),
];

export const TABLES = { events: EVENTS, order_items: ORDER_ITEMS, rejected_events: REJECTED_EVENTS, shopper_retention_staging: STAGING };

/**
 * Loads TABLES into DuckDB. rejected_events goes through the ingest path (`insertRejected`): the
 * adapter's `replaceRows` is for keyed staging tables and keeps one row of a table without a key.
 */
export async function loadTables(warehouse: DuckDbWarehouse, tables: Partial<typeof TABLES> = TABLES): Promise<void> {
  for (const table of ['events', 'order_items', 'shopper_retention_staging'] as const) {
    const rows = tables[table];
    if (rows) await warehouse.replaceRows(table, rows, 'test');
  }
  if (tables.rejected_events) await warehouse.insertRejected(tables.rejected_events);
}

/** What stays, by hand from the boundaries above. */
export const KEPT = {
  events: ['dflt-at', 'dflt-in', 'dflt-new', 'long-in', 'long-mid', 'short-in', 'short-in-ms'],
  order_items: ['dflt-in/1', 'long-mid/1', 'short-in/1'],
  rejected_events: ['dflt-in', 'no-user-old', 'short-in'],
};

/** retention_expired.sql's answer: events dflt-out, short-old, short-out, short-out-ms, long-out;
 * order lines dflt-out ×2, short-out, long-out; rejected short-out and dflt-out. */
export const EXPIRED = [
  { table_name: 'events', expired_rows: 5 },
  { table_name: 'order_items', expired_rows: 4 },
  { table_name: 'rejected_events', expired_rows: 2 },
];
