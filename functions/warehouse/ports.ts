import type { CollectedEvent } from '../events/schema.ts';
import type { RejectedEvent } from '../events/messages.ts';

/** A row of `events`: one per accepted event. Column names and types mirror `sql/events.sql`. */
export type EventRow = {
  event_id: string;
  type: string;
  user_id: string;
  session_id: string;
  request_id: string;
  occurred_at: string;
  sent_at: string;
  received_at: string;
  event_time: string;
  /** The search this event is attributed to: `data.search_id`, else `context.search_id`. */
  search_id: string | null;
  query: string | null;
  sku: string | null;
  product_name: string | null;
  category: string | null;
  brand: string | null;
  price: number | null;
  quantity: number | null;
  position: number | null;
  cart_value: number | null;
  order_id: string | null;
  order_total: number | null;
  personalized: boolean | null;
  /** Experiment id → arm, JSON. */
  experiments: string | null;
  /** The whole `context` and `data` objects, JSON. */
  context: string | null;
  data: string;
};

/** A row of `order_items`: one per line of an `order_completed`, so pattern SQL needs no UNNEST. */
export type OrderItemRow = {
  event_id: string;
  line: number;
  order_id: string;
  user_id: string;
  event_time: string;
  sku: string;
  product_name: string;
  category: string;
  brand: string | null;
  price: number;
  quantity: number;
  promotion: string | null;
  dietary_tags: string[];
};

/** A row of `rejected_events`, like Snowplow's failed events: the raw payload and why. */
export type RejectedRow = {
  request_id: string;
  /** Position in the request; null when the whole message was unreadable. */
  event_index: number | null;
  event_id: string | null;
  type: string | null;
  user_id: string | null;
  reason: string;
  payload: string;
  source: string;
  received_at: string;
};

/** A row the warehouse refused for good (not a transient failure), with the reason. */
export type RowFailure = { event_id: string; reason: string };

/**
 * Where events are stored for the batch jobs: BigQuery in production, DuckDB locally.
 * Writes are idempotent by `event_id` (and `line`): redelivery never duplicates a row in effect.
 * Transient failures throw; rows refused for good are answered, so the caller keeps them as rejected.
 */
export interface Warehouse {
  insertEvents(events: readonly CollectedEvent[], requestId: string): Promise<{ failed: RowFailure[] }>;
  insertRejected(rows: readonly RejectedRow[]): Promise<void>;
}

export type { RejectedEvent };
