import type { CollectedEvent } from '../events/schema.ts';
import type { RejectedEvent } from '../events/messages.ts';
import type { EventIdentity } from '../kernel/event-identity.ts';

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
  /** The history import that loaded the event; null for an event collected live. */
  import_id: string | null;
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
  /** The history import that loaded the line; null for an order collected live. */
  import_id: string | null;
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

/**
 * An event the warehouse refused for good (not a transient failure), with the reason. Named by its whole
 * identity: a call may hold two shoppers' events under one `event_id`, and only one of them may be refused.
 */
export type RowFailure = EventIdentity & { reason: string };

/**
 * Where events are stored for the batch jobs: BigQuery in production, DuckDB locally.
 * Writes are idempotent by (`user_id`, `event_id`) (and `line`): redelivery never duplicates a row in
 * effect, and another shopper's event under the same `event_id` is a row of its own.
 * Transient failures throw; rows refused for good are answered, so the caller keeps them as rejected.
 */
export interface Warehouse {
  insertEvents(events: readonly CollectedEvent[], requestId: string): Promise<{ failed: RowFailure[] }>;
  insertRejected(rows: readonly RejectedRow[]): Promise<void>;
}

export type { RejectedEvent };

/** A row of `identity_links`: an anonymous visitor and the shopper they turned out to be. Mirrors `sql/identity_links.sql`. */
export type IdentityLinkRow = { anonymous_id: string; user_id: string; linked_at: string };

/**
 * Where `users` records a link for the batch jobs. Idempotent by `anonymous_id`: the same link recorded again is
 * one row in effect. A failure throws, transient or not: the caller answers 503 and the shopper's page sends the
 * same link again, which the Firestore record already holds and this completes.
 */
export interface LinkWarehouse {
  recordLink(row: IdentityLinkRow): Promise<void>;
}

/**
 * A value in a batch job's result row, the same from BigQuery and DuckDB: TIMESTAMP → ISO 8601 UTC
 * with milliseconds (`2026-03-01T10:00:00.000Z`), INT64 and FLOAT64 → number, BOOL → boolean,
 * ARRAY → array, JSON → its text, STRING → string, NULL → null.
 */
export type SqlValue = string | number | boolean | null | SqlValue[];
export type SqlRow = { [column: string]: SqlValue };

/**
 * A query parameter: Date → TIMESTAMP, integer number → INT64, other number → FLOAT64,
 * string → STRING, boolean → BOOL, string[] → ARRAY<STRING>.
 */
export type SqlParam = Date | string | number | boolean | readonly string[];
export type SqlParams = { readonly [name: string]: SqlParam };

/** What a statement cost: bytes scanned (BigQuery; null for DuckDB) and wall time. */
export type SqlCost = { bytesProcessed: number | null; ms: number };

/**
 * The batch jobs' side of the warehouse: run a file of `sql/` (the same file on BigQuery and DuckDB)
 * with named parameters (`@as_of`), and replace a staging table's rows in bulk.
 */
export interface SqlWarehouse {
  /** Runs the query in `sql/<file>`. `job` labels the BigQuery job (and the log line). */
  query(file: string, params: SqlParams, job: string): Promise<{ rows: SqlRow[] } & SqlCost>;
  /** Runs the DML statement in `sql/<file>`; answers the rows it changed. */
  execute(file: string, params: SqlParams, job: string): Promise<{ affectedRows: number } & SqlCost>;
  /**
   * Replaces every row of `table` (a staging table of `sql/`) with `rows`, in one load: values as in
   * `SqlValue`, TIMESTAMP columns as ISO 8601 strings, JSON columns as JSON text.
   */
  replaceRows(table: string, rows: readonly SqlRow[], job: string): Promise<SqlCost>;
  /**
   * Leaves no byte of a deleted row in storage; the erasure job calls it after its deletes. DuckDB keeps
   * deleted rows in its file until the file is rewritten. BigQuery has no such step and leaves it out: it
   * drops deleted data itself once its time-travel and fail-safe windows have passed.
   */
  compact?(): Promise<SqlCost>;
}
