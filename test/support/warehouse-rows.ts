import type { SqlRow } from '../../functions/warehouse/ports.ts';

/**
 * Whole rows of `events` and `order_items` as a fixture writes them for the batch SQL: every column of
 * the DDL, the ones a test does not care about empty (or the contract's empty `data`), and what it
 * gives on top.
 */
export function eventsRow(row: { event_id: string; type: string; user_id: string; event_time: string } & SqlRow): SqlRow {
  return {
    session_id: 's',
    request_id: `r-${row.event_id}`,
    occurred_at: row.event_time,
    sent_at: row.event_time,
    received_at: row.event_time,
    search_id: null,
    query: null,
    sku: null,
    product_name: null,
    category: null,
    brand: null,
    price: null,
    quantity: null,
    position: null,
    cart_value: null,
    order_id: null,
    order_total: null,
    personalized: null,
    experiments: null,
    context: null,
    data: '{}',
    import_id: null,
    ...row,
  };
}

export function orderItemsRow(
  row: {
    event_id: string;
    line: number;
    user_id: string;
    event_time: string;
    sku: string;
    category: string;
    price: number;
    quantity: number;
  } & SqlRow,
): SqlRow {
  return {
    order_id: `order-${row.event_id}`,
    product_name: row.sku,
    brand: null,
    promotion: null,
    dietary_tags: [],
    import_id: null,
    ...row,
  };
}
