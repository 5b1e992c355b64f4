import type { CollectedEvent, ProductRef } from '../events/schema.ts';
import type { RejectedBatchMessage } from '../events/messages.ts';
import type { EventRow, OrderItemRow, RejectedRow } from './ports.ts';

/**
 * What makes two `rejected_events` rows the same rejection, so that a redelivered message adds none.
 * `payload` is part of it because an unreadable message may have no request id of its own. `user_id` is
 * not, and need not be: the request id is collect's own, made for one shopper's request (or the Pub/Sub
 * message id), never the client's, so two shoppers' rejections never share one.
 */
export const REJECTED_ROW_IDENTITY = ['request_id', 'source', 'event_index', 'payload'] as const satisfies readonly (keyof RejectedRow)[];

/** Largest payload kept in `rejected_events`; a streaming insert row must stay far below BigQuery's 10 MB. */
export const MAX_REJECTED_PAYLOAD_BYTES = 256 * 1024;

/** Fields only some event types carry; every other column of the row is null for that type. */
type TypedFields = Pick<EventRow, 'query' | 'quantity' | 'position' | 'cart_value' | 'order_id' | 'order_total' | 'personalized'> & {
  product: ProductRef | null;
  dataSearchId: string | null;
};

const NONE: TypedFields = {
  query: null,
  quantity: null,
  position: null,
  cart_value: null,
  order_id: null,
  order_total: null,
  personalized: null,
  product: null,
  dataSearchId: null,
};

function typedFields(event: CollectedEvent): TypedFields {
  switch (event.type) {
    case 'search_performed': {
      const d = event.data;
      return { ...NONE, query: d.query, personalized: d.personalized, dataSearchId: d.search_id };
    }
    case 'search_result_clicked': {
      const d = event.data;
      return { ...NONE, query: d.query, position: d.position, product: d.product, dataSearchId: d.search_id };
    }
    case 'product_viewed':
      return { ...NONE, product: event.data.product, dataSearchId: event.data.search_id ?? null };
    case 'cart_item_added': {
      const d = event.data;
      return { ...NONE, product: d.product, quantity: d.quantity, cart_value: d.cart_value, dataSearchId: d.search_id ?? null };
    }
    case 'cart_item_removed':
    case 'cart_item_updated': {
      const d = event.data;
      return { ...NONE, product: d.product, quantity: d.quantity, cart_value: d.cart_value };
    }
    case 'order_completed':
      return { ...NONE, order_id: event.data.order_id, order_total: event.data.total };
    case 'preference_updated':
      return NONE;
  }
}

/**
 * One `events` row. Timestamps are stored as UTC ISO strings (millisecond precision). `importId` names the history
 * import that loads it (functions/history/); an event collected live has none.
 */
export function eventRow(event: CollectedEvent, requestId: string, importId: string | null = null): EventRow {
  const { product, dataSearchId, ...fields } = typedFields(event);
  return {
    event_id: event.event_id,
    type: event.type,
    user_id: event.user_id,
    session_id: event.session_id,
    request_id: requestId,
    occurred_at: utcTimestamp(event.occurred_at),
    sent_at: utcTimestamp(event.sent_at),
    received_at: utcTimestamp(event.received_at),
    event_time: utcTimestamp(event.event_time),
    search_id: dataSearchId ?? event.context?.search_id ?? null,
    query: fields.query,
    sku: product?.sku ?? null,
    product_name: product?.name ?? null,
    category: product?.category ?? null,
    brand: product?.brand ?? null,
    price: product?.price ?? null,
    quantity: fields.quantity,
    position: fields.position,
    cart_value: fields.cart_value,
    order_id: fields.order_id,
    order_total: fields.order_total,
    personalized: fields.personalized,
    experiments: event.context?.experiments ? JSON.stringify(event.context.experiments) : null,
    context: event.context ? JSON.stringify(event.context) : null,
    data: JSON.stringify(event.data),
    import_id: importId,
  };
}

/** One `order_items` row per item of an `order_completed`, `line` counting from 1; none for other types. */
export function orderItemRows(event: CollectedEvent, importId: string | null = null): OrderItemRow[] {
  if (event.type !== 'order_completed') return [];
  const eventTime = utcTimestamp(event.event_time);
  return event.data.items.map((item, index) => ({
    event_id: event.event_id,
    line: index + 1,
    order_id: event.data.order_id,
    user_id: event.user_id,
    event_time: eventTime,
    sku: item.sku,
    product_name: item.name,
    category: item.category,
    brand: item.brand ?? null,
    price: item.price,
    quantity: item.quantity,
    promotion: item.promotion ?? null,
    dietary_tags: item.dietary_tags ?? [],
    import_id: importId,
  }));
}

/** One `rejected_events` row per event that collect (or ingest) refused. */
export function rejectedRows(message: RejectedBatchMessage): RejectedRow[] {
  const receivedAt = utcTimestamp(message.received_at);
  return message.rejected.map((rejected) => {
    const payload = truncatePayload(rejected.payload);
    return {
      request_id: message.request_id,
      event_index: rejected.index,
      event_id: rejected.event_id,
      type: rejected.type,
      user_id: message.user_id,
      reason: payload.truncated ? `${rejected.reason} ${payload.note}` : rejected.reason,
      payload: payload.text,
      source: message.source,
      received_at: receivedAt,
    };
  });
}

export type UnreadableMessage = {
  /** The Pub/Sub message id; the row's `request_id` when the request id is unknown. */
  messageId: string;
  /** The `request_id` attribute, when the message has one. */
  requestId?: string | null;
  /** The message data as text. */
  raw: string;
  reason: string;
  /** The step that could not read it, e.g. `ingest`. */
  source: string;
  receivedAt: Date | string;
  userId?: string | null;
};

/** The row for a whole Pub/Sub message that could not be read, so a poison message is kept, not dropped. */
export function rejectedMessageRow(message: UnreadableMessage): RejectedRow {
  const payload = truncatePayload(message.raw);
  const receivedAt = message.receivedAt instanceof Date ? message.receivedAt.toISOString() : message.receivedAt;
  return {
    request_id: message.requestId ?? message.messageId,
    event_index: null,
    event_id: null,
    type: null,
    user_id: message.userId ?? null,
    reason: payload.truncated ? `${message.reason} ${payload.note}` : message.reason,
    payload: payload.text,
    source: message.source,
    received_at: utcTimestamp(receivedAt),
  };
}

type Truncated = { text: string; truncated: false } | { text: string; truncated: true; note: string };

/** Cuts text to `maxBytes` of UTF-8 without splitting a character, and says so. */
export function truncatePayload(text: string, maxBytes = MAX_REJECTED_PAYLOAD_BYTES): Truncated {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  // 0b10xxxxxx bytes continue a character: step back to the start of the one being cut.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return {
    text: bytes.subarray(0, end).toString('utf8'),
    truncated: true,
    note: `[payload truncated to ${end} of ${bytes.length} bytes]`,
  };
}

/** RFC 3339 with any offset → UTC ISO string; both BigQuery and DuckDB read it as the same instant. */
export function utcTimestamp(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${value}`);
  return new Date(ms).toISOString();
}
