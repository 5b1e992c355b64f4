import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIETARY_TAG_SEPARATOR, ORDER_LINE_COLUMNS } from '../../functions/history/order-lines.ts';
import { orderEventId } from '../../functions/history/order-event-id.ts';
import { DAY_MS } from '../../functions/learn/decay.ts';

// Shops' order histories, generated from a seed: the same spec always gives the same orders, written in any of the
// import's formats. The shape, in the shop's words:
// - a catalogue of CATEGORIES × BRANDS × PRODUCTS_PER_BRAND products (1,200 by default);
// - each shopper shops every 3–8 days (their rhythm, ± a day), at a usual hour, and has 3–7 staples, each re-bought
//   every 7, 14, 21 or 28 days (bought on the first trip when at most two days are left), mostly of a favourite brand
//   of the staple's category;
// - every trip also takes 1–5 other products, each from a random category, of the favourite brand half the time.
// So a staple's rhythm can be learned and the rest is noise: what a reorder prediction is for.

export type GeneratedItem = {
  sku: string;
  name: string;
  category: string;
  brand: string;
  price: number;
  quantity: number;
  dietary_tags: string[];
};
export type GeneratedOrder = { userId: string; orderId: string; at: Date; items: GeneratedItem[] };
export type HistorySpec = { seed: number; shoppers: number; days: number; end: Date };

const CATEGORY_NAMES = [
  'milk',
  'bread',
  'eggs',
  'cheese',
  'yogurt',
  'coffee',
  'tea',
  'pasta',
  'rice',
  'fruit',
  'vegetables',
  'cereal',
  'juice',
  'snacks',
  'chocolate',
  'water',
  'soup',
  'sauce',
  'spices',
  'frozen',
  'beer',
  'wine',
  'baking',
  'cleaning',
  'paper',
  'pet food',
  'baby food',
  'butter',
  'oil',
  'jam',
  'honey',
  'nuts',
  'crisps',
  'biscuits',
  'ice cream',
  'fish',
  'poultry',
  'beef',
  'deli',
  'salad',
];
const BRANDS = 6;
const PRODUCTS_PER_BRAND = 5;
const TAGS = ['vegan', 'organic', 'gluten_free'];

/** A small, fast, seeded random stream (mulberry32). */
export function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T, chance: (p: number) => next() < p };
}

export function product(category: number, brand: number, n: number): GeneratedItem {
  const name = CATEGORY_NAMES[category] ?? `category ${category}`;
  const sku = `sku-${category}-${brand}-${n}`;
  return {
    sku,
    name: `${name} ${brand}-${n}`,
    category: name,
    brand: `Brand ${category}-${brand}`,
    price: Math.round((1 + ((category * 7 + brand * 3 + n) % 20) * 0.35) * 100) / 100,
    quantity: 1,
    dietary_tags: (category + n) % 5 === 0 ? [TAGS[(category + brand) % TAGS.length] as string] : [],
  };
}

/** One shopper's orders, oldest first, over the `days` before `end`. */
export function shopperOrders(spec: HistorySpec, shopper: number): GeneratedOrder[] {
  const rng = random(spec.seed * 1_000_003 + shopper);
  const userId = `shopper-${String(shopper + 1).padStart(6, '0')}`;
  const start = spec.end.getTime() - spec.days * DAY_MS;
  const rhythm = rng.int(3, 8);
  const hour = rng.int(7, 20);
  const favourite = new Map<number, number>();
  const brandIn = (category: number) => {
    if (!favourite.has(category)) favourite.set(category, rng.int(0, BRANDS - 1));
    return rng.chance(0.8) ? (favourite.get(category) ?? 0) : rng.int(0, BRANDS - 1);
  };
  const staples = Array.from({ length: rng.int(3, 7) }, () => {
    const category = rng.int(0, CATEGORY_NAMES.length - 1);
    return {
      item: product(category, brandIn(category), rng.int(0, PRODUCTS_PER_BRAND - 1)),
      interval: rng.pick([7, 14, 21, 28]),
      last: start - rng.next() * 28 * DAY_MS,
    };
  });
  const orders: GeneratedOrder[] = [];
  for (let day = rng.int(0, rhythm); day < spec.days; day += Math.max(1, rhythm + rng.int(-1, 1))) {
    const at = start + day * DAY_MS + hour * 3_600_000 + rng.int(0, 59) * 60_000;
    if (at >= spec.end.getTime()) break;
    const items = new Map<string, GeneratedItem>();
    for (const staple of staples) {
      if ((at - staple.last) / DAY_MS >= staple.interval - 2) {
        items.set(staple.item.sku, staple.item);
        staple.last = at;
      }
    }
    for (let n = rng.int(1, 5); n > 0; n--) {
      const category = rng.int(0, CATEGORY_NAMES.length - 1);
      const item = product(category, brandIn(category), rng.int(0, PRODUCTS_PER_BRAND - 1));
      items.set(item.sku, item);
    }
    orders.push({ userId, orderId: `o-${shopper + 1}-${orders.length + 1}`, at: new Date(at), items: [...items.values()] });
  }
  return orders;
}

export function* generatedOrders(spec: HistorySpec): Generator<GeneratedOrder> {
  for (let shopper = 0; shopper < spec.shoppers; shopper++) yield* shopperOrders(spec, shopper);
}

export const ORDER_LINES_HEADER = [...ORDER_LINE_COLUMNS, 'dietary_tags'].join(',');

/** An order as CSV order lines (no field here needs quoting). */
export function orderLines(order: GeneratedOrder): string {
  return order.items
    .map((i) =>
      [
        order.orderId,
        order.userId,
        order.at.toISOString(),
        i.sku,
        i.name,
        i.category,
        i.brand,
        i.price,
        i.quantity,
        i.dietary_tags.join(DIETARY_TAG_SEPARATOR),
      ].join(','),
    )
    .join('\n');
}

export function csvText(orders: Iterable<GeneratedOrder>): string {
  const lines = [ORDER_LINES_HEADER];
  for (const order of orders) lines.push(orderLines(order));
  return `${lines.join('\n')}\n`;
}

/** The orders as NDJSON events of the contract: an `order_completed` per order, with the id the CSV import gives it. */
export function ndjsonText(orders: Iterable<GeneratedOrder>): string {
  const lines: string[] = [];
  for (const order of orders) {
    const at = order.at.toISOString();
    const total = Math.round(order.items.reduce((sum, i) => sum + i.price * i.quantity, 0) * 100) / 100;
    lines.push(
      JSON.stringify({
        event_id: orderEventId(order.userId, order.orderId),
        type: 'order_completed',
        session_id: order.orderId,
        occurred_at: at,
        sent_at: at,
        user_id: order.userId,
        data: {
          order_id: order.orderId,
          total,
          items: order.items.map(({ dietary_tags, ...i }) => ({ ...i, ...(dietary_tags.length ? { dietary_tags } : {}) })),
        },
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The orders in the Instacart layout, in `dir`: each shopper's last order is `train` (the next order the backtest
 * scores), the others `prior`; gaps in whole days, as Instacart gives them; aisles are the categories, and the
 * layout has no brands or prices. Shopper and order ids become numbers, as Instacart's are.
 */
export function writeInstacart(dir: string, orders: readonly GeneratedOrder[]): void {
  mkdirSync(dir, { recursive: true });
  const aisles = CATEGORY_NAMES.map((name, i) => `${i + 1},${name}`);
  const productIds = new Map<string, { id: number; name: string; aisle: number }>();
  const orderRows = ['order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order'];
  const prior = ['order_id,product_id,add_to_cart_order,reordered'];
  const train = [...prior];
  const byShopper = new Map<string, GeneratedOrder[]>();
  for (const order of orders) byShopper.set(order.userId, [...(byShopper.get(order.userId) ?? []), order]);
  let orderId = 0;
  for (const [userId, own] of byShopper) {
    const user = Number(userId.replace(/\D/g, ''));
    for (const [n, order] of own.entries()) {
      orderId += 1;
      const previous = own[n - 1];
      const days = previous ? Math.round((order.at.getTime() - previous.at.getTime()) / DAY_MS) : '';
      const set = n === own.length - 1 ? 'train' : 'prior';
      orderRows.push(`${orderId},${user},${set},${n + 1},${order.at.getUTCDay()},${order.at.getUTCHours()},${days}`);
      for (const [line, item] of order.items.entries()) {
        const known = productIds.get(item.sku) ?? {
          id: productIds.size + 1,
          name: item.name,
          aisle: CATEGORY_NAMES.indexOf(item.category) + 1,
        };
        productIds.set(item.sku, known);
        (set === 'train' ? train : prior).push(`${orderId},${known.id},${line + 1},0`);
      }
    }
  }
  const products = [
    'product_id,product_name,aisle_id,department_id',
    ...[...productIds.values()].map((p) => `${p.id},${p.name},${p.aisle},1`),
  ];
  const files: Record<string, string[]> = {
    'aisles.csv': ['aisle_id,aisle', ...aisles],
    'departments.csv': ['department_id,department', '1,groceries'],
    'products.csv': products,
    'orders.csv': orderRows,
    'order_products__prior.csv': prior,
    'order_products__train.csv': train,
  };
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
}
