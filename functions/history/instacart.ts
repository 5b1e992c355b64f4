import { LIMITS } from '../events/limits.ts';
import { DAY_MS } from '../learn/decay.ts';
import { csvRecords, type CsvRecord } from './csv.ts';
import { historyEvent, rejectedPayload, type HistoryScope } from './history-event.ts';
import { orderEventId } from './order-event-id.ts';
import { UnreadableHistory, type HistoryFiles, type HistoryReader, type HistoryRow } from './ports.ts';

/** The files of the Instacart Market Basket layout an import reads; `order_products__train.csv` is read when present. */
export const INSTACART_FILES = {
  aisles: 'aisles.csv',
  products: 'products.csv',
  orders: 'orders.csv',
  prior: 'order_products__prior.csv',
  train: 'order_products__train.csv',
} as const;

const HOUR_MS = 3_600_000;
/** When two orders of a shopper would fall on the same hour, the later is placed this much after the earlier. */
const SAME_HOUR_STEP_MS = 60_000;
/** Instacart's own splits: `prior` history, the `train` next order, the `test` order whose lines are withheld. */
const EVAL_SETS = ['prior', 'train', 'test'] as const;

type OrderRow = {
  line: number;
  orderId: number;
  userId: number;
  evalSet: number;
  orderNumber: number;
  hour: number;
  daysSincePrior: number | null;
};

/**
 * The orders of Instacart's table, by order id, in typed arrays (about 13 bytes an order: 3.4 million orders take
 * about 45 MB), so that the order lines can be streamed and each line finds its order.
 */
class OrderTable {
  private users = new Int32Array(1 << 16);
  private times = new Float64Array(1 << 16);
  private sets = new Uint8Array(1 << 16);

  set(orderId: number, userId: number, at: number, evalSet: number): void {
    if (orderId >= this.users.length) this.grow(orderId + 1);
    this.users[orderId] = userId;
    this.times[orderId] = at;
    // 0 marks an order the table does not hold.
    this.sets[orderId] = evalSet + 1;
  }

  get(orderId: number): { userId: number; at: number; evalSet: (typeof EVAL_SETS)[number] } | null {
    const set = this.sets[orderId] ?? 0;
    if (set === 0) return null;
    return { userId: this.users[orderId] ?? 0, at: this.times[orderId] ?? 0, evalSet: EVAL_SETS[set - 1] ?? 'prior' };
  }

  private grow(atLeast: number): void {
    let size = this.users.length;
    while (size < atLeast) size *= 2;
    const users = new Int32Array(size);
    users.set(this.users);
    const times = new Float64Array(size);
    times.set(this.times);
    const sets = new Uint8Array(size);
    sets.set(this.sets);
    this.users = users;
    this.times = times;
    this.sets = sets;
  }
}

/**
 * The Instacart Market Basket layout in `folder`: `orders.csv` gives each shopper's orders with
 * `days_since_prior_order` and the hour, `order_products__prior.csv` (and `…__train.csv`) their lines, `products.csv`
 * and `aisles.csv` the products and their aisles. Every shopper's last `prior` order is placed at `anchor` — on its
 * day, at the order's own hour, and never after it — and the earlier ones walk back by their gaps; a `train` order
 * (the one after) walks forward and, if that is after the import's own time, is left out and counted. The aisle is
 * the product's category; there are no brands; the layout has no prices, so every price is 0 (the contract wants
 * one, and 0 says nothing about price). `order_dow` is not read: the gaps, capped at 30 days, decide the days.
 */
export function readInstacart(files: HistoryFiles, folder: string, scope: HistoryScope, anchor: Date): HistoryReader {
  let linesRead = 0;
  const skipped: Record<string, number> = {};
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);

  async function* rows(): AsyncGenerator<HistoryRow> {
    const aisles = new Map<string, string>();
    for await (const row of table(INSTACART_FILES.aisles, ['aisle_id', 'aisle'])) {
      if ('rejected' in row) yield row.rejected;
      else aisles.set(row.values.aisle_id, row.values.aisle);
    }
    const products = new Map<string, { name: string; aisle: string }>();
    for await (const row of table(INSTACART_FILES.products, ['product_id', 'product_name', 'aisle_id'])) {
      if ('rejected' in row) {
        yield row.rejected;
        continue;
      }
      const aisle = aisles.get(row.values.aisle_id);
      if (aisle === undefined)
        yield reject(
          INSTACART_FILES.products,
          row.line,
          `aisle_id ${row.values.aisle_id.slice(0, 20)} is not in ${INSTACART_FILES.aisles}`,
          row.values,
        );
      else products.set(row.values.product_id, { name: row.values.product_name, aisle });
    }
    const orders = new OrderTable();
    yield* readOrders(orders);
    yield* readLines(INSTACART_FILES.prior, orders, products);
    if (await exists(INSTACART_FILES.train)) yield* readLines(INSTACART_FILES.train, orders, products);
  }

  async function exists(name: string): Promise<boolean> {
    try {
      await files.fingerprint(files.within(folder, name));
      return true;
    } catch {
      return false;
    }
  }

  /** The records of one file of the layout, by column name, after its header; rejected rows as they come. */
  async function* table<C extends string>(
    name: string,
    wanted: readonly C[],
  ): AsyncGenerator<{ line: number; values: Record<C, string> } | { rejected: HistoryRow }> {
    let columns: number[] | null = null;
    const base = linesRead;
    let records: AsyncIterable<CsvRecord>;
    try {
      records = csvRecords(files.read(files.within(folder, name)), { maxRecordChars: LIMITS.maxEventBytes });
    } catch (error) {
      throw new UnreadableHistory(`${name} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    for await (const record of records) {
      linesRead = base + record.line;
      if (columns === null) {
        if ('error' in record) throw new UnreadableHistory(`${name}: the header cannot be read: ${record.error}`);
        const header = record.fields.map((f) => f.trim());
        const missing = wanted.filter((c) => !header.includes(c));
        if (missing.length) throw new UnreadableHistory(`${name}: the header lacks ${missing.join(', ')}`);
        columns = wanted.map((c) => header.indexOf(c));
        continue;
      }
      if ('error' in record) {
        yield { rejected: reject(name, record.line, record.error, {}) };
        continue;
      }
      const values = Object.fromEntries(wanted.map((c, i) => [c, record.fields[columns?.[i] ?? -1] ?? ''])) as Record<C, string>;
      yield { line: record.line, values };
    }
    if (columns === null) throw new UnreadableHistory(`${name} is empty`);
  }

  /** Each shopper's orders (the rows of one user follow each other, by order_number), timed from the anchor. */
  async function* readOrders(orders: OrderTable): AsyncGenerator<HistoryRow> {
    let shopper: OrderRow[] = [];
    const place = () => {
      for (const order of timed(shopper, anchor)) orders.set(order.orderId, order.userId, order.at, order.evalSet);
      shopper = [];
    };
    const wanted = ['order_id', 'user_id', 'eval_set', 'order_number', 'order_hour_of_day', 'days_since_prior_order'] as const;
    for await (const row of table(INSTACART_FILES.orders, wanted)) {
      if ('rejected' in row) {
        yield row.rejected;
        continue;
      }
      const parsed = orderRow(row.line, row.values);
      if (typeof parsed === 'string') {
        yield reject(INSTACART_FILES.orders, row.line, parsed, row.values);
        continue;
      }
      const last = shopper.at(-1);
      if (last && last.userId !== parsed.userId) place();
      else if (last && parsed.orderNumber <= last.orderNumber) {
        yield reject(
          INSTACART_FILES.orders,
          row.line,
          `order_number ${parsed.orderNumber} does not follow ${last.orderNumber}: a shopper's orders must be in order`,
          row.values,
        );
        continue;
      }
      shopper.push(parsed);
    }
    place();
  }

  /** A file of order lines (sorted by order, as Instacart's are): each order's run of lines becomes its event. */
  async function* readLines(
    name: string,
    orders: OrderTable,
    products: ReadonlyMap<string, { name: string; aisle: string }>,
  ): AsyncGenerator<HistoryRow> {
    let open: { orderId: string; firstLine: number; lines: { line: number; productId: string }[] } | null = null;
    const close = function* (): Generator<HistoryRow> {
      if (!open) return;
      const order = orders.get(Number(open.orderId));
      const { orderId, firstLine, lines } = open;
      open = null;
      if (!order) {
        for (const { line, productId } of lines)
          yield reject(name, line, `order_id ${orderId} is not in ${INSTACART_FILES.orders}`, { order_id: orderId, product_id: productId });
        return;
      }
      if (order.at > scope.receivedAt.getTime()) {
        skip(`${order.evalSet} orders placed after the import's time by the anchor (choose an earlier --anchor to import them)`);
        return;
      }
      const items: { sku: string; name: string; category: string; price: number; quantity: number }[] = [];
      for (const { line, productId } of lines) {
        const product = products.get(productId);
        if (!product)
          yield reject(name, line, `product_id ${productId.slice(0, 20)} is not in ${INSTACART_FILES.products}`, {
            order_id: orderId,
            product_id: productId,
          });
        else if (items.length >= LIMITS.maxItemsPerOrder)
          yield reject(name, line, `the order already has ${LIMITS.maxItemsPerOrder} items, the most one order may have`, {
            order_id: orderId,
            product_id: productId,
          });
        else items.push({ sku: productId, name: product.name, category: product.aisle, price: 0, quantity: 1 });
      }
      if (items.length === 0) return;
      const userId = String(order.userId);
      const at = new Date(order.at).toISOString();
      const raw = {
        event_id: orderEventId(userId, orderId),
        type: 'order_completed',
        session_id: orderId,
        occurred_at: at,
        sent_at: at,
        data: { order_id: orderId, total: 0, items },
      };
      const outcome = historyEvent(raw, userId, undefined, scope);
      if (outcome.ok) yield { kind: 'event', line: firstLine, event: outcome.event };
      else
        yield {
          kind: 'rejected',
          line: firstLine,
          reason: `${name}: order ${orderId}: ${outcome.reason}`,
          payload: rejectedPayload(raw),
          userId,
          eventId: raw.event_id,
          type: raw.type,
        };
    };
    for await (const row of table(name, ['order_id', 'product_id'] as const)) {
      if ('rejected' in row) {
        yield row.rejected;
        continue;
      }
      const { order_id: orderId, product_id: productId } = row.values;
      if (!WHOLE.test(orderId)) {
        yield reject(name, row.line, 'order_id must be a whole number, as in the Instacart layout', row.values);
        continue;
      }
      if (open && open.orderId !== orderId) yield* close();
      open ??= { orderId, firstLine: row.line, lines: [] };
      open.lines.push({ line: row.line, productId });
    }
    yield* close();
  }

  return { rows: rows(), linesRead: () => linesRead, skipped: () => ({ ...skipped }) };
}

const WHOLE = /^\d{1,9}$/;

function orderRow(
  line: number,
  v: Record<'order_id' | 'user_id' | 'eval_set' | 'order_number' | 'order_hour_of_day' | 'days_since_prior_order', string>,
): OrderRow | string {
  if (!WHOLE.test(v.order_id)) return 'order_id must be a whole number, as in the Instacart layout';
  if (!WHOLE.test(v.user_id)) return 'user_id must be a whole number, as in the Instacart layout';
  const evalSet = EVAL_SETS.indexOf(v.eval_set as (typeof EVAL_SETS)[number]);
  if (evalSet < 0) return `eval_set must be one of ${EVAL_SETS.join(', ')}`;
  if (!WHOLE.test(v.order_number)) return 'order_number must be a whole number';
  const hour = Number(v.order_hour_of_day);
  if (!WHOLE.test(v.order_hour_of_day) || hour > 23) return 'order_hour_of_day must be a whole hour, 0–23';
  const days = v.days_since_prior_order.trim();
  const daysSincePrior = days === '' ? null : Number(days);
  if (daysSincePrior !== null && !(Number.isFinite(daysSincePrior) && daysSincePrior >= 0))
    return 'days_since_prior_order must be empty or a number of days ≥ 0';
  return {
    line,
    orderId: Number(v.order_id),
    userId: Number(v.user_id),
    evalSet,
    orderNumber: Number(v.order_number),
    hour,
    daysSincePrior,
  };
}

/**
 * When each of one shopper's orders (by order_number) happened: the last `prior` one on `anchor`'s day at its hour
 * (a day earlier if that hour is still to come), each earlier one `days_since_prior_order` days before the next, each
 * later one that many days after the one before; a missing gap counts as 0 days. Orders never share an instant.
 */
export function timed(orders: readonly OrderRow[], anchor: Date): { orderId: number; userId: number; at: number; evalSet: number }[] {
  if (orders.length === 0) return [];
  const lastPrior = orders.findLastIndex((o) => o.evalSet === 0);
  const pivot = lastPrior === -1 ? orders.length - 1 : lastPrior;
  const anchorDay = Math.floor(anchor.getTime() / DAY_MS) * DAY_MS;
  const pivotHour = orders[pivot]?.hour ?? 0;
  const pivotDay = anchorDay + pivotHour * HOUR_MS > anchor.getTime() ? anchorDay - DAY_MS : anchorDay;
  const days = new Array<number>(orders.length).fill(0);
  for (let i = pivot - 1; i >= 0; i -= 1) days[i] = (days[i + 1] ?? 0) - (orders[i + 1]?.daysSincePrior ?? 0);
  for (let i = pivot + 1; i < orders.length; i += 1) days[i] = (days[i - 1] ?? 0) + (orders[i]?.daysSincePrior ?? 0);
  const placed: { orderId: number; userId: number; at: number; evalSet: number }[] = [];
  for (const [i, order] of orders.entries()) {
    let at = pivotDay + (days[i] ?? 0) * DAY_MS + order.hour * HOUR_MS;
    const before = placed.at(-1);
    if (before && at <= before.at) at = before.at + SAME_HOUR_STEP_MS;
    placed.push({ orderId: order.orderId, userId: order.userId, at, evalSet: order.evalSet });
  }
  return placed;
}

function reject(file: string, line: number, reason: string, values: Record<string, string>): HistoryRow {
  return {
    kind: 'rejected',
    line,
    reason: `${file}: ${reason}`,
    payload: rejectedPayload(values),
    userId: null,
    eventId: null,
    type: null,
  };
}
