import { z } from 'zod';
import { describeIssues } from '../events/describe-issues.ts';
import { LIMITS } from '../events/limits.ts';
import { OrderItem } from '../events/schema.ts';
import { ShopperId } from '../kernel/shopper-id.ts';
import { csvRecords } from './csv.ts';
import { historyEvent, rejectedPayload, type HistoryScope } from './history-event.ts';
import { orderEventId } from './order-event-id.ts';
import { UnreadableHistory, type HistoryReader, type HistoryRow } from './ports.ts';

/** The columns every order-lines file has, in any order; `brand` may be empty. */
export const ORDER_LINE_COLUMNS = [
  'order_id',
  'shopper_id',
  'ordered_at',
  'sku',
  'name',
  'category',
  'brand',
  'price',
  'quantity',
] as const;
/** Columns a file may add: the order's currency, the line's promotion, and its dietary tags. */
export const OPTIONAL_ORDER_LINE_COLUMNS = ['currency', 'promotion', 'dietary_tags'] as const;
/** Between the dietary tags of one line, e.g. `vegan|gluten_free`. */
export const DIETARY_TAG_SEPARATOR = '|';

type Column = (typeof ORDER_LINE_COLUMNS)[number] | (typeof OPTIONAL_ORDER_LINE_COLUMNS)[number];
const Timestamp = z.iso.datetime({ offset: true });
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** The order being gathered: its lines follow each other in the file. */
type OpenOrder = {
  userId: string;
  orderId: string;
  orderedAt: string;
  orderedAtMs: number;
  currency: string | undefined;
  firstLine: number;
  lastLine: number;
  items: OrderItem[];
};

/**
 * CSV order lines, one line per item, with a header row: every run of lines of one shopper's order (the same
 * `shopper_id` and `order_id`, one after another) becomes one `order_completed` event, whose id is made from the pair
 * (`orderEventId`). Each line is checked with the contract's rules for an order item; a bad line is rejected on its
 * own and the order keeps its good lines. Lines of one order must follow each other, as exports write them: an
 * order that comes back after other orders is a second event under the same id, and the import rejects it then.
 */
export function readOrderLines(text: AsyncIterable<string>, scope: HistoryScope): HistoryReader {
  let linesRead = 0;
  async function* rows(): AsyncGenerator<HistoryRow> {
    let columns: Map<Column, number> | null = null;
    let width = 0;
    let open: OpenOrder | null = null;
    for await (const record of csvRecords(text, { maxRecordChars: LIMITS.maxEventBytes })) {
      linesRead = record.line;
      if (columns === null) {
        if ('error' in record) throw new UnreadableHistory(`the header (line ${record.line}) cannot be read: ${record.error}`);
        columns = headerColumns(record.fields);
        width = record.fields.length;
        continue;
      }
      if ('error' in record) {
        yield rejectedLine(record.line, record.error, {}, null);
        continue;
      }
      const values = Object.fromEntries([...columns].map(([name, i]) => [name, record.fields[i] ?? ''])) as Record<
        Column,
        string | undefined
      >;
      if (record.fields.length !== width) {
        yield rejectedLine(record.line, `the line has ${record.fields.length} fields; the header has ${width}`, values, null);
        continue;
      }
      const line = checkedLine(values);
      if (!line.ok) {
        yield rejectedLine(record.line, line.reason, values, null);
        continue;
      }
      const { userId, orderId, orderedAt, item, currency } = line;
      if (open && (open.userId !== userId || open.orderId !== orderId)) {
        yield closed(open, scope);
        open = null;
      }
      if (!open) {
        open = {
          userId,
          orderId,
          orderedAt,
          orderedAtMs: Date.parse(orderedAt),
          currency,
          firstLine: record.line,
          lastLine: record.line,
          items: [],
        };
      } else if (Date.parse(orderedAt) !== open.orderedAtMs) {
        yield rejectedLine(record.line, `ordered_at differs from the one on line ${open.firstLine} of the same order`, values, userId);
        continue;
      } else if (open.items.length >= LIMITS.maxItemsPerOrder) {
        yield rejectedLine(
          record.line,
          `the order already has ${LIMITS.maxItemsPerOrder} items, the most one order may have`,
          values,
          userId,
        );
        continue;
      }
      open.items.push(item);
      open.lastLine = record.line;
    }
    if (columns === null) throw new UnreadableHistory(`the file is empty: it needs a header row naming ${ORDER_LINE_COLUMNS.join(', ')}`);
    if (open) yield closed(open, scope);
  }
  return { rows: rows(), linesRead: () => linesRead, skipped: () => ({}) };
}

/** Where each column is; throws, naming them, when a column is missing, unknown or repeated. */
function headerColumns(fields: readonly string[]): Map<Column, number> {
  const known: readonly string[] = [...ORDER_LINE_COLUMNS, ...OPTIONAL_ORDER_LINE_COLUMNS];
  const names = fields.map((f) => f.trim().toLowerCase());
  const unknown = names.filter((name) => !known.includes(name));
  const missing = ORDER_LINE_COLUMNS.filter((name) => !names.includes(name));
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  const problems = [
    missing.length ? `missing ${missing.join(', ')}` : '',
    unknown.length ? `unknown ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}` : '',
    repeated.length ? `repeated ${repeated.join(', ')}` : '',
  ].filter(Boolean);
  if (problems.length) {
    throw new UnreadableHistory(
      `the header row must name ${ORDER_LINE_COLUMNS.join(', ')} (and may add ${OPTIONAL_ORDER_LINE_COLUMNS.join(', ')}): ${problems.join('; ')}`,
    );
  }
  return new Map(names.map((name, i) => [name as Column, i]));
}

type CheckedLine =
  | { ok: true; userId: string; orderId: string; orderedAt: string; currency: string | undefined; item: OrderItem }
  | { ok: false; reason: string };

/** One line's shopper, order time and item, by the contract's rules. */
function checkedLine(values: Record<Column, string | undefined>): CheckedLine {
  const userId = ShopperId.safeParse(values.shopper_id);
  if (!userId.success) return { ok: false, reason: `shopper_id: ${describeIssues(userId.error)}` };
  const orderedAt = Timestamp.safeParse(values.ordered_at?.trim());
  if (!orderedAt.success)
    return { ok: false, reason: `ordered_at: must be an RFC 3339 date-time with an offset, e.g. 2026-03-01T10:00:00Z` };
  const price = decimal(values.price);
  if (price === null) return { ok: false, reason: 'price: must be a number, e.g. 2.49' };
  const quantity = decimal(values.quantity);
  if (quantity === null) return { ok: false, reason: 'quantity: must be a number, e.g. 2' };
  const tags = values.dietary_tags?.trim();
  const candidate = {
    sku: values.sku,
    name: values.name,
    category: values.category,
    ...(values.brand?.trim() ? { brand: values.brand } : {}),
    price,
    quantity,
    ...(values.promotion?.trim() ? { promotion: values.promotion.trim() } : {}),
    ...(tags ? { dietary_tags: tags.split(DIETARY_TAG_SEPARATOR).map((t) => t.trim()) } : {}),
  };
  const item = OrderItem.safeParse(candidate);
  if (!item.success) return { ok: false, reason: describeIssues(item.error) };
  const currency = values.currency?.trim() || undefined;
  return { ok: true, userId: userId.data, orderId: values.order_id ?? '', orderedAt: orderedAt.data, currency, item: item.data };
}

function decimal(value: string | undefined): number | null {
  const text = value?.trim() ?? '';
  return DECIMAL.test(text) ? Number(text) : null;
}

/** The gathered order as an event of the contract, or, when the order as a whole breaks a rule, its rejection. */
function closed(order: OpenOrder, scope: HistoryScope): HistoryRow {
  const total = Math.round(order.items.reduce((sum, item) => sum + item.price * item.quantity, 0) * 100) / 100;
  const raw = {
    event_id: orderEventId(order.userId, order.orderId),
    type: 'order_completed',
    // An order is one visit: its id names the session, which an import cannot know otherwise.
    session_id: order.orderId,
    occurred_at: order.orderedAt,
    sent_at: order.orderedAt,
    data: { order_id: order.orderId, total, ...(order.currency ? { currency: order.currency } : {}), items: order.items },
  };
  const outcome = historyEvent(raw, order.userId, undefined, scope);
  if (outcome.ok) return { kind: 'event', line: order.firstLine, event: outcome.event };
  const lines = order.firstLine === order.lastLine ? `line ${order.firstLine}` : `lines ${order.firstLine}–${order.lastLine}`;
  return {
    kind: 'rejected',
    line: order.firstLine,
    reason: `the order (${lines}): ${outcome.reason}`,
    payload: rejectedPayload(raw),
    userId: order.userId,
    eventId: raw.event_id,
    type: raw.type,
  };
}

function rejectedLine(line: number, reason: string, values: Partial<Record<Column, string>>, userId: string | null): HistoryRow {
  const shopper = userId ?? (ShopperId.safeParse(values.shopper_id).success ? (values.shopper_id ?? null) : null);
  return { kind: 'rejected', line, reason, payload: rejectedPayload(values), userId: shopper, eventId: null, type: 'order_completed' };
}
