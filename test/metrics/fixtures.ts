import { REORDER_RULE_PARAMS } from '../../functions/kernel/reorder-rule.ts';
import { reorderModelRows } from '../support/reorder-models.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { eventsRow, orderItemsRow } from '../support/warehouse-rows.ts';

/**
 * A small warehouse for the metric queries, with every expected answer worked out by hand below.
 * The window is the day 2026-03-01 (UTC): [WINDOW_START, AS_OF).
 *
 * Searches in the window (each once, whatever is redelivered or resent):
 *
 * | search | shopper | personalized | experiments                          | positions shown | clicks that count |
 * | q1     | u1      | yes          | personalization=personalized         | 1, 2, 3         | 2 (twice), 1      |
 * | q2     | u1      | yes          | personalization=personalized         | 1, 2            | 1 (00:10 next day, within 30 min) |
 * | q4     | u2      | no           | personalization=control, ranking=v2  | 1, 2, 3         | none (u1's click naming q4 is not u2's) |
 * | q5     | u2      | no           | personalization=control, ranking=v1  | 1, 2            | 1                 |
 * | q6     | u2      | no           | —                                    | 1               | none (00:45 next day is too late) |
 * | q7     | u3      | yes          | personalization=personalized, and an id with a quote: not split | 1 … 11 | 11 |
 * | q10    | u4      | no           | personalization=control              | 1               | none              |
 * | q11    | u5      | no           | —                                    | none            | none              |
 * | q12    | u6      | no           | —                                    | 1, 2            | none              |
 *
 * Left out: q8 (before the window, though clicked in it), q9 (after it), q1's redelivered row, and
 * q2 resent under another event_id.
 *
 * Products the searches showed that their shoppers then bought (a cart add or an order line within 30
 * minutes after the search; results are `sku-<position>`):
 *
 * | search | bought, at the position shown | not counted |
 * | q1     | sku-2 (added 09:04, redelivered) | sku-3 (added 09:31, 31 minutes after) |
 * | q2     | sku-1 (added 00:15 next day)  | sku-4 (added 23:55, shown only by the resent copy) |
 * | q4     | sku-2 (ordered in oC at 12:00, the same instant) | sku-3 (added 11:45, before); sku-1 (added 12:05 by u1) |
 * | q7     | sku-11 (added 15:03), sku-7 (15:10) | |
 */
export const WINDOW_START = '2026-03-01T00:00:00.000Z';
export const AS_OF = '2026-03-02T00:00:00.000Z';
/** As the job binds them: metric_reorder.sql judges by the reorder rule's one home. */
export const PARAMS = { as_of: new Date(AS_OF), window_start: new Date(WINDOW_START), ...REORDER_RULE_PARAMS };
/** A two-day window, for the days of avg_cart_value: [2026-02-28, 2026-03-02). */
export const TWO_DAYS = { ...PARAMS, window_start: new Date('2026-02-28T00:00:00.000Z') };

const results = (positions: number[]) => JSON.stringify({ results: positions.map((position) => ({ sku: `sku-${position}`, position })) });
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

function search(
  eventId: string,
  userId: string,
  searchId: string,
  at: string,
  personalized: boolean,
  experiments: Record<string, string> | null,
  positions: number[],
  receivedAt = at,
): SqlRow {
  return eventsRow({
    event_id: eventId,
    type: 'search_performed',
    user_id: userId,
    event_time: at,
    received_at: receivedAt,
    search_id: searchId,
    query: 'milk',
    personalized,
    experiments: experiments === null ? null : JSON.stringify(experiments),
    data: results(positions),
  });
}

function click(eventId: string, userId: string, searchId: string, at: string, position: number): SqlRow {
  return eventsRow({
    event_id: eventId,
    type: 'search_result_clicked',
    user_id: userId,
    event_time: at,
    search_id: searchId,
    position,
    sku: `sku-${position}`,
  });
}

function other(eventId: string, userId: string, type: string, at: string, session = 's', fields: SqlRow = {}): SqlRow {
  return eventsRow({ event_id: eventId, type, user_id: userId, event_time: at, session_id: session, ...fields });
}

const cartAdd = (eventId: string, userId: string, session: string, at: string, sku = 'milk') =>
  other(eventId, userId, 'cart_item_added', at, session, { sku, quantity: 1 });
const orderEvent = (eventId: string, userId: string, session: string, at: string, total: number, receivedAt = at) =>
  other(eventId, userId, 'order_completed', at, session, { order_id: `order-${eventId}`, order_total: total, received_at: receivedAt });

const PERSONALIZED = { personalization: 'personalized' };
const CONTROL = { personalization: 'control' };

export const EVENTS: SqlRow[] = [
  // u1
  other('v1', 'u1', 'product_viewed', '2026-02-20T10:00:00.000Z'),
  search('s1', 'u1', 'q1', '2026-03-01T09:00:00.000Z', true, PERSONALIZED, [1, 2, 3]),
  // Redelivered: the same event_id again.
  search('s1', 'u1', 'q1', '2026-03-01T09:00:00.000Z', true, PERSONALIZED, [1, 2, 3], '2026-03-01T09:05:00.000Z'),
  click('c1', 'u1', 'q1', '2026-03-01T09:01:00.000Z', 2),
  click('c2', 'u1', 'q1', '2026-03-01T09:02:00.000Z', 2),
  click('c3', 'u1', 'q1', '2026-03-01T09:03:00.000Z', 1),
  // u1 names u2's search: a click counts only for the clicking shopper's own search.
  click('c4', 'u1', 'q4', '2026-03-01T12:01:00.000Z', 1),
  search('s2', 'u1', 'q2', '2026-03-01T23:50:00.000Z', true, PERSONALIZED, [1, 2]),
  // q2 resent under a new event_id: still one search.
  search('s3', 'u1', 'q2', '2026-03-01T23:51:00.000Z', false, CONTROL, [1, 2, 3, 4]),
  click('c5', 'u1', 'q2', '2026-03-02T00:10:00.000Z', 1),
  // u1's carts: session a ordered after its add; session b added again after its order (abandoned).
  cartAdd('a1', 'u1', 'sa', '2026-03-01T09:30:00.000Z'),
  orderEvent('oA', 'u1', 'sa', '2026-03-01T10:00:00.000Z', 20),
  orderEvent('oA', 'u1', 'sa', '2026-03-01T10:00:00.000Z', 20, '2026-03-01T10:07:00.000Z'),
  cartAdd('a2', 'u1', 'sb', '2026-03-01T17:30:00.000Z'),
  orderEvent('oB', 'u1', 'sb', '2026-03-01T18:00:00.000Z', 12.5),
  cartAdd('a3', 'u1', 'sb', '2026-03-01T18:10:00.000Z'),
  // Products u1's searches showed, added to carts whose fate they do not change: sa's last add stays 09:30,
  // sb stays abandoned, and 00:15 is after the window's carts.
  cartAdd('b1', 'u1', 'sa', '2026-03-01T09:04:00.000Z', 'sku-2'),
  cartAdd('b1', 'u1', 'sa', '2026-03-01T09:04:00.000Z', 'sku-2'),
  cartAdd('b2', 'u1', 'sa', '2026-03-01T09:31:00.000Z', 'sku-3'),
  cartAdd('b3', 'u1', 'sb', '2026-03-01T12:05:00.000Z', 'sku-1'),
  cartAdd('b4', 'u1', 'sb', '2026-03-01T23:55:00.000Z', 'sku-4'),
  cartAdd('b5', 'u1', 'sb', '2026-03-02T00:15:00.000Z', 'sku-1'),

  // u2
  orderEvent('o-u2-4', 'u2', 'sx', '2026-02-28T00:00:00.000Z', 6),
  cartAdd('a4', 'u2', 'sc', '2026-03-01T11:00:00.000Z'),
  cartAdd('a5', 'u2', 'sc', '2026-03-01T11:30:00.000Z'),
  cartAdd('b6', 'u2', 'sc', '2026-03-01T11:45:00.000Z', 'sku-3'),
  // Redelivered: changes nothing.
  cartAdd('a5', 'u2', 'sc', '2026-03-01T11:30:00.000Z'),
  orderEvent('oC', 'u2', 'sc', '2026-03-01T12:00:00.000Z', 9),
  search('s4', 'u2', 'q4', '2026-03-01T12:00:00.000Z', false, { ...CONTROL, ranking: 'v2' }, [1, 2, 3]),
  search('s5', 'u2', 'q5', '2026-03-01T13:00:00.000Z', false, { ...CONTROL, ranking: 'v1' }, [1, 2]),
  click('c6', 'u2', 'q5', '2026-03-01T13:05:00.000Z', 1),
  search('s6', 'u2', 'q6', '2026-03-01T14:00:00.000Z', false, null, [1]),
  click('c7', 'u2', 'q6', '2026-03-02T00:45:00.000Z', 1),
  // Session d ordered 10 minutes after the window: within the 30 minutes, not abandoned.
  cartAdd('a6', 'u2', 'sd', '2026-03-01T23:50:00.000Z'),
  orderEvent('oD2', 'u2', 'sd', '2026-03-02T00:10:00.000Z', 30),

  // u3
  search('s8', 'u3', 'q8', '2026-02-28T23:00:00.000Z', true, PERSONALIZED, [1]),
  click('c8', 'u3', 'q8', '2026-03-01T00:05:00.000Z', 1),
  cartAdd('a0', 'u3', 'sg', '2026-02-28T23:00:00.000Z'),
  orderEvent('oD', 'u3', 'si', '2026-03-01T09:00:00.000Z', 4.5),
  cartAdd('a7', 'u3', 'se', '2026-03-01T14:00:00.000Z'),
  cartAdd('b7', 'u3', 'se', '2026-03-01T15:03:00.000Z', 'sku-11'),
  cartAdd('b8', 'u3', 'se', '2026-03-01T15:10:00.000Z', 'sku-7'),
  search('s7', 'u3', 'q7', '2026-03-01T15:00:00.000Z', true, { ...PERSONALIZED, 'odd"id': 'a' }, upTo(11)),
  click('c9', 'u3', 'q7', '2026-03-01T15:02:00.000Z', 11),
  // Session f ordered 40 minutes after the window: too late, abandoned.
  cartAdd('a8', 'u3', 'sf', '2026-03-01T23:55:00.000Z'),
  orderEvent('oF', 'u3', 'sf', '2026-03-02T00:40:00.000Z', 50),
  search('s9', 'u3', 'q9', '2026-03-02T00:05:00.000Z', true, PERSONALIZED, [1]),

  // u4: a first search. u5: an event 101 days before, and patterns published before the search.
  // u6: an event 90 days and an hour before, and patterns published after the search.
  search('s10', 'u4', 'q10', '2026-03-01T10:00:00.000Z', false, CONTROL, [1]),
  other('v5', 'u5', 'product_viewed', '2025-11-20T10:00:00.000Z'),
  search('s11', 'u5', 'q11', '2026-03-01T10:00:00.000Z', false, null, []),
  other('v6', 'u6', 'product_viewed', '2025-12-01T09:00:00.000Z'),
  search('s12', 'u6', 'q12', '2026-03-01T10:00:00.000Z', false, null, [1, 2]),
];

export const USER_PATTERNS: SqlRow[] = [
  { user_id: 'u5', as_of: '2026-02-27T03:00:00.000Z', computed_at: '2026-02-27T03:05:00.000Z', fingerprint: 'f5', patterns: '{}' },
  { user_id: 'u6', as_of: '2026-03-01T03:00:00.000Z', computed_at: '2026-03-01T12:00:00.000Z', fingerprint: 'f6', patterns: '{}' },
];

type Product = { sku: string; category: string; brand: string | null };
const EGGS_HAPPY = { sku: 'eggs', category: 'Eggs', brand: 'Happy' };
const EGGS_CLARENCE = { sku: 'eggs', category: 'Eggs', brand: 'Clarence' };
const MILK_ARLA = { sku: 'milk', category: 'Dairy', brand: 'Arla' };
const MILK_YEO = { sku: 'milk', category: 'Dairy', brand: 'Yeo' };
const RICE = { sku: 'rice', category: 'Pantry', brand: null };
/** A product u2's search q4 showed at position 2: unbranded and never bought before, so no reorder or brand figure sees it. */
const SHOWN_SKU_2 = { sku: 'sku-2', category: 'Pantry', brand: null };
const TEA_TWININGS = { sku: 'tea', category: 'Drinks', brand: 'Twinings' };
const TEA_PUKKA = { sku: 'tea', category: 'Drinks', brand: 'Pukka' };
const BREAD_HOVIS = { sku: 'bread', category: 'Bakery', brand: 'Hovis' };
const BREAD_WARBURTONS = { sku: 'bread', category: 'Bakery', brand: 'Warburtons' };
const COFFEE_LAVAZZA = { sku: 'coffee', category: 'Drinks', brand: 'Lavazza' };
const COFFEE_ILLY = { sku: 'coffee', category: 'Drinks', brand: 'Illy' };
const JUICE_INNOCENT = { sku: 'juice', category: 'Juice', brand: 'Innocent' };
const JUICE_TROPICANA = { sku: 'juice', category: 'Juice', brand: 'Tropicana' };

function order(userId: string, eventId: string, at: string, products: Product[]): SqlRow[] {
  return products.map((product, i) =>
    orderItemsRow({ event_id: eventId, line: i + 1, user_id: userId, event_time: at, price: 2, quantity: 1, ...product }),
  );
}

const orderA = order('u1', 'oA', '2026-03-01T10:00:00.000Z', [MILK_ARLA, MILK_ARLA, BREAD_HOVIS, RICE, TEA_PUKKA]);

/**
 * Orders in the window: oA and oB (u1), oC (u2), oD (u3, a first order). Before it, within 180 days
 * (from 2025-09-02): u1's o1 … o9 and u2's. Left out: u1's o-old (2025-08-01, beyond 180 days), o-late
 * (after the window), and oA's redelivered rows.
 */
export const ORDER_ITEMS: SqlRow[] = [
  ...order('u1', 'o-old', '2025-08-01T10:00:00.000Z', [EGGS_HAPPY]),
  ...order('u1', 'o1', '2026-01-01T10:00:00.000Z', [EGGS_HAPPY]),
  ...order('u1', 'o2', '2026-01-31T10:00:00.000Z', [EGGS_CLARENCE]),
  ...order('u1', 'o3', '2026-02-01T10:00:00.000Z', [MILK_ARLA]),
  ...order('u1', 'o4', '2026-02-08T10:00:00.000Z', [MILK_ARLA]),
  // Two orders at one instant (a split order): no rhythm for tea from these alone.
  ...order('u1', 'o5', '2026-02-10T10:00:00.000Z', [RICE, TEA_TWININGS]),
  ...order('u1', 'o6', '2026-02-10T10:00:00.000Z', [TEA_TWININGS]),
  ...order('u1', 'o7', '2026-02-15T10:00:00.000Z', [MILK_YEO]),
  ...order('u1', 'o8', '2026-02-20T10:00:00.000Z', [BREAD_HOVIS]),
  ...order('u1', 'o9', '2026-02-27T10:00:00.000Z', [BREAD_WARBURTONS]),
  ...orderA,
  ...orderA,
  ...order('u1', 'oB', '2026-03-01T18:00:00.000Z', [EGGS_CLARENCE]),
  ...order('u1', 'o-late', '2026-03-02T10:00:00.000Z', [MILK_ARLA]),
  ...order('u2', 'o-u2-1', '2026-02-15T12:00:00.000Z', [COFFEE_LAVAZZA]),
  ...order('u2', 'o-u2-2', '2026-02-22T12:00:00.000Z', [COFFEE_LAVAZZA]),
  ...order('u2', 'o-u2-3', '2026-02-25T00:00:00.000Z', [JUICE_INNOCENT]),
  ...order('u2', 'o-u2-4', '2026-02-28T00:00:00.000Z', [JUICE_TROPICANA]),
  ...order('u2', 'oC', '2026-03-01T12:00:00.000Z', [COFFEE_ILLY, JUICE_TROPICANA, SHOWN_SKU_2]),
  ...order('u3', 'oD', '2026-03-01T09:00:00.000Z', [MILK_ARLA]),
];

/** No reorder model fitted yet: metric_reorder.sql judges by the default rule, bound as parameters. */
export const TABLES: Record<string, SqlRow[]> = {
  events: EVENTS,
  order_items: ORDER_ITEMS,
  user_patterns: USER_PATTERNS,
  reorder_model: [],
};

/**
 * u7, whose client made the same event ids as u1's: v1, s1 and oA (both redelivered for u1), c1, a1,
 * o1 and o2. An event is (user_id, event_id), so each is u7's own and counts beside u1's; u7's search
 * even names u1's search_id, q1, and is still u7's own search.
 *
 * | search | shopper | personalized | experiments | positions shown | clicks that count |
 * | q1     | u7      | no           | —           | 1               | 1                 |
 *
 * u7 viewed a product at 08:00, searched at 09:30, added to the cart in session sz at 09:40 and ordered
 * there at 10:00 (total 7, received a minute later than u1's oA): eggs from Happy and milk from Yeo, as on
 * 02-15 and 02-22, and, for the first time, bread from Warburtons — the brand predicted for u1's oA, which
 * u1 did not buy.
 */
export const SAME_IDS_EVENTS: SqlRow[] = [
  other('v1', 'u7', 'product_viewed', '2026-03-01T08:00:00.000Z'),
  search('s1', 'u7', 'q1', '2026-03-01T09:30:00.000Z', false, null, [1]),
  click('c1', 'u7', 'q1', '2026-03-01T09:31:00.000Z', 1),
  cartAdd('a1', 'u7', 'sz', '2026-03-01T09:40:00.000Z'),
  orderEvent('oA', 'u7', 'sz', '2026-03-01T10:00:00.000Z', 7, '2026-03-01T10:01:00.000Z'),
];

export const SAME_IDS_ORDER_ITEMS: SqlRow[] = [
  ...order('u7', 'o1', '2026-02-15T10:00:00.000Z', [EGGS_HAPPY, MILK_YEO]),
  ...order('u7', 'o2', '2026-02-22T10:00:00.000Z', [EGGS_HAPPY, MILK_YEO]),
  ...order('u7', 'oA', '2026-03-01T10:00:00.000Z', [EGGS_HAPPY, MILK_YEO, BREAD_WARBURTONS]),
];

/** TABLES and u7's rows. */
export const TABLES_WITH_SAME_IDS: Record<string, SqlRow[]> = {
  ...TABLES,
  events: [...EVENTS, ...SAME_IDS_EVENTS],
  order_items: [...ORDER_ITEMS, ...SAME_IDS_ORDER_ITEMS],
};

/** The Wilson score interval at 95% (z = 1.96) of k successes in n: the test's own arithmetic, beside the SQL's. */
export function wilson(k: number, n: number): { ci_low: number; ci_high: number } {
  const z = 1.96;
  const p = k / n;
  const centre = p + (z * z) / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  const scale = 1 + (z * z) / n;
  return { ci_low: (centre - spread) / scale, ci_high: (centre + spread) / scale };
}

type Slice = { experiment?: string; arm?: string; dimension?: string };

/** The row of a share, k of n, with its Wilson interval. */
function share(metric: string, slice: Slice, k: number, n: number, window = PARAMS): SqlRow {
  return {
    as_of: window.as_of.toISOString(),
    window_start: window.window_start.toISOString(),
    metric,
    experiment: slice.experiment ?? '',
    arm: slice.arm ?? '',
    dimension: slice.dimension ?? '',
    value: k / n,
    numerator: k,
    denominator: n,
    ...wilson(k, n),
  };
}

/** The row of a day's mean order total, with mean ± 1.96 · s / √n (none for one order). */
function meanOfDay(day: string, totals: number[], window = PARAMS): SqlRow {
  const n = totals.length;
  const mean = totals.reduce((a, b) => a + b, 0) / n;
  const s = n < 2 ? null : Math.sqrt(totals.reduce((sum, t) => sum + (t - mean) ** 2, 0) / (n - 1));
  return {
    as_of: window.as_of.toISOString(),
    window_start: window.window_start.toISOString(),
    metric: 'avg_cart_value',
    experiment: '',
    arm: '',
    dimension: day,
    value: mean,
    numerator: mean * n,
    denominator: n,
    ci_low: s === null ? null : mean - (1.96 * s) / Math.sqrt(n),
    ci_high: s === null ? null : mean + (1.96 * s) / Math.sqrt(n),
  };
}

/**
 * The row of a mean of `values`, with mean ± 1.96 · s / √n (none for a single value) held within `bounds`:
 * a reciprocal rank lies in [0, 1], a position is at least 1.
 */
function meanOf(metric: string, slice: Slice, values: number[], bounds: { min: number; max: number }, window = PARAMS): SqlRow {
  const n = values.length;
  const total = values.reduce((a, b) => a + b, 0);
  const mean = total / n;
  const s = n < 2 ? null : Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1));
  const half = s === null ? null : (1.96 * s) / Math.sqrt(n);
  return {
    as_of: window.as_of.toISOString(),
    window_start: window.window_start.toISOString(),
    metric,
    experiment: slice.experiment ?? '',
    arm: slice.arm ?? '',
    dimension: slice.dimension ?? '',
    value: mean,
    numerator: total,
    denominator: n,
    ci_low: half === null ? null : Math.max(bounds.min, mean - half),
    ci_high: half === null ? null : Math.min(bounds.max, mean + half),
  };
}

const mrr = (slice: Slice, reciprocalRanks: number[]) => meanOf('mrr', slice, reciprocalRanks, { min: 0, max: 1 });
const boughtPosition = (slice: Slice, positions: number[]) =>
  meanOf('bought_position', slice, positions, { min: 1, max: Number.POSITIVE_INFINITY });

export const KEYS = ['metric', 'experiment', 'arm', 'dimension'];

/** metric_reorder.sql with no lapse (`@lapse_cycles` far beyond any gap), as worked out beside EXPECTED: oA's milk is due and bought. */
export const WITHOUT_LAPSE = {
  params: { ...PARAMS, lapse_cycles: 1000 },
  expected: [share('reorder_precision', {}, 3, 4), share('reorder_recall', {}, 3, 5)],
};

/**
 * metric_reorder.sql with fitted models: the one in force as the window begins (as_of 02-28, the latest not after
 * WINDOW_START) holds due only 2 to 3 intervals since the last purchase (cycle bin 8). Of the judged products (beside
 * EXPECTED) only oA's milk is there (14 days on a 7-day rhythm, 3 orders), and bought: 1 of 1, and 1 of 5. The older
 * model (from 0.9 to 1 interval: oA's and oB's eggs) and the one fitted after the window began (everything) are not read.
 */
export const WITH_MODEL = {
  tables: {
    ...TABLES,
    reorder_model: [
      ...reorderModelRows('run-old', '2026-02-01T03:00:00.000Z', (c) => c.cycle_bin === 3),
      ...reorderModelRows('run-in-force', '2026-02-28T03:00:00.000Z', (c) => c.cycle_bin === 8),
      ...reorderModelRows('run-later', '2026-03-01T03:00:00.000Z', () => true),
    ],
  },
  expected: [share('reorder_precision', {}, 1, 1), share('reorder_recall', {}, 1, 5)],
};

/** Every metric query's answer for PARAMS, worked out by hand from the tables above. */
export const EXPECTED: Record<string, SqlRow[]> = {
  // No search of these fixtures is in a trial of ranking weights: test/metrics/challenger.test.ts works those.
  metric_challenger: [],
  metric_ctr: [
    // Searches q1 q2 q4 q5 q6 q7 q10 q11 q12; clicked q1 q2 q5 q7: 4 of 9.
    share('ctr', {}, 4, 9),
    // q1 q2 q7, all clicked: 3 of 3.
    share('ctr', { dimension: 'personalized' }, 3, 3),
    // q4 q5 q6 q10 q11 q12; clicked q5: 1 of 6.
    share('ctr', { dimension: 'not_personalized' }, 1, 6),
    // q1 q2 (q7's experiments hold an id with a quote, so q7 is in no experiment's row): 2 of 2.
    share('ctr', { experiment: 'personalization', arm: 'personalized' }, 2, 2),
    // q4 q5 q10; clicked q5: 1 of 3.
    share('ctr', { experiment: 'personalization', arm: 'control' }, 1, 3),
    share('ctr', { experiment: 'ranking', arm: 'v2' }, 0, 1),
    share('ctr', { experiment: 'ranking', arm: 'v1' }, 1, 1),
  ],
  metric_ctr_by_position: [
    // Position 1 shown by q1 q2 q4 q5 q6 q7 q10 q12 (q11 showed nothing); clicked there in q1 q2 q5: 3 of 8.
    share('ctr_by_position', { dimension: '1' }, 3, 8),
    // Position 2 shown by q1 q2 q4 q5 q7 q12; clicked in q1 (twice, once counted): 1 of 6.
    share('ctr_by_position', { dimension: '2' }, 1, 6),
    // Position 3 shown by q1 q4 q7, never clicked: 0 of 3.
    share('ctr_by_position', { dimension: '3' }, 0, 3),
    // Positions 4 to 10 only in q7, clicked at 11 (beyond the ten): 0 of 1 each.
    ...[4, 5, 6, 7, 8, 9, 10].map((p) => share('ctr_by_position', { dimension: String(p) }, 0, 1)),
  ],
  metric_search_quality: [
    // Reciprocal rank of the best click: q1 1 (clicked at 2 and at 1), q2 1, q4 0, q5 1, q6 0 (clicked too
    // late), q7 1/11, q10 0, q11 0, q12 0.
    mrr({}, [1, 1, 0, 1, 0, 1 / 11, 0, 0, 0]),
    mrr({ dimension: 'personalized' }, [1, 1, 1 / 11]),
    mrr({ dimension: 'not_personalized' }, [0, 1, 0, 0, 0, 0]),
    // q1 q2 (q7's experiments hold an id with a quote): both 1, s = 0, so the interval is [1, 1].
    mrr({ experiment: 'personalization', arm: 'personalized' }, [1, 1]),
    mrr({ experiment: 'personalization', arm: 'control' }, [0, 1, 0]),
    // One search each: no interval.
    mrr({ experiment: 'ranking', arm: 'v2' }, [0]),
    mrr({ experiment: 'ranking', arm: 'v1' }, [1]),
    // Bought at q1 2, q2 1, q4 2, q7 11 and 7: mean 4.6, s = √(73.2 / 4) ≈ 4.2779, 4.6 ± 3.7497, its low end held at 1.
    boughtPosition({}, [2, 1, 2, 11, 7]),
    boughtPosition({ dimension: 'personalized' }, [2, 1, 11, 7]),
    boughtPosition({ dimension: 'not_personalized' }, [2]),
    // q1 2, q2 1: 1.5 ± 1.96 · 0.7071 / √2 = 1.5 ± 0.98, its low end held at 1.
    boughtPosition({ experiment: 'personalization', arm: 'personalized' }, [2, 1]),
    boughtPosition({ experiment: 'personalization', arm: 'control' }, [2]),
    boughtPosition({ experiment: 'ranking', arm: 'v2' }, [2]),
    // Nothing bought from q5: ranking v1 has no bought_position row.
  ],
  metric_reorder: [
    // Due products, mean interval m, days since the last purchase d, due when 0.9 m ≤ d < 2 m:
    //   oA (u1, 03-01 10:00): eggs 01-01, 01-31 → m 30, d 29: 27 ≤ 29 < 60, due, not bought;
    //                         milk 02-01, 02-08, 02-15 → m 7, d 14 = 2 m: lapsed, not due, bought;
    //                         bread 02-20, 02-27 → m 7, d 2: not due, bought;
    //                         tea twice at one instant → m 0: no rhythm; rice once: none.
    //   oB (u1, 03-01 18:00): eggs → m 30, d 29⅓: due, bought; milk, bread, rice, tea: not due, not bought.
    //   oC (u2, 03-01 12:00): coffee 02-15, 02-22 → m 7, d 7: due, bought; juice 02-25, 02-28 → m 3, d 1.5: not due, bought.
    // (Were o-old counted, oA's eggs would have m 91.5 and not be due. Without the lapse, oA's milk
    // would be due and bought: 3 of 4 and 3 of 5.)
    // Precision: due and bought (eggs oB, coffee oC) / due (those and eggs oA): 2 of 3.
    share('reorder_precision', {}, 2, 3),
    // Recall: of the bought products with a rhythm (milk and bread oA, eggs oB, coffee and juice oC): 2 of 5.
    share('reorder_recall', {}, 2, 5),
  ],
  metric_brand_accuracy: [
    // oA Dairy: Arla in 2 orders, Yeo in 1 → Arla; bought Arla: right.
    // oA Bakery: Hovis and Warburtons in 1 each, Warburtons last → Warburtons; bought Hovis: wrong.
    // oA Drinks: Twinings (o5, o6) → Twinings; bought Pukka: wrong. oA Pantry: rice has no brand.
    // oB Eggs: Happy (o1; o-old is beyond 180 days) and Clarence (o2) 1 each, Clarence last → right.
    // oC Drinks: Lavazza → bought Illy: wrong. oC Juice: Innocent and Tropicana, Tropicana last → right.
    // oD: u3's first order, no prediction. 3 right of 6.
    share('brand_accuracy', {}, 3, 6),
  ],
  metric_cart: [
    // Sessions with a cart add: sa (ordered after), sb (added again after its order: abandoned),
    // sc (ordered), sd (ordered at 00:10, within 30 minutes), se (never ordered: abandoned),
    // sf (ordered at 00:40, too late: abandoned); sg added before the window. 3 of 6.
    share('cart_abandonment_rate', {}, 3, 6),
    // 2026-03-01: oA 20 (once, though redelivered), oB 12.5, oC 9, oD 4.5: mean 46 / 4 = 11.5,
    // s = √((8.5² + 1² + 2.5² + 7²) / 3) = √(128.5 / 3) ≈ 6.5447, 11.5 ± 1.96 · 6.5447 / 2 ≈ [5.0862, 17.9138].
    meanOfDay('2026-03-01', [20, 12.5, 9, 4.5]),
  ],
  metric_coverage: [
    // Covered: q1 (u1 viewed on 02-20), q2 (after q1), q4 q5 q6 (u2 added to the cart at 11:00),
    // q7 (u3 at 14:00), q11 (u5's patterns computed on 02-27). Not: q10 (u4's first event), q12 (u6's
    // last event was 90 days and an hour before, and its patterns came after the search). 7 of 9.
    share('coverage', {}, 7, 9),
  ],
};

/** metric_search_quality.sql's bought_position rows once order_items is empty: q4's sku-2 was bought in an order only. */
export const BOUGHT_WITHOUT_ORDER_LINES: SqlRow[] = [
  boughtPosition({}, [2, 1, 11, 7]),
  boughtPosition({ dimension: 'personalized' }, [2, 1, 11, 7]),
  boughtPosition({ experiment: 'personalization', arm: 'personalized' }, [2, 1]),
];

/** Every metric query's answer for PARAMS over TABLES_WITH_SAME_IDS: EXPECTED with u7 counted beside u1. */
export const EXPECTED_WITH_SAME_IDS: Record<string, SqlRow[]> = {
  // No search of these fixtures is in a trial of ranking weights: test/metrics/challenger.test.ts works those.
  metric_challenger: [],
  metric_ctr: [
    // u7's q1 joins the 9 searches, clicked: 5 of 10; not personalized: 2 of 7. It is in no experiment.
    share('ctr', {}, 5, 10),
    share('ctr', { dimension: 'personalized' }, 3, 3),
    share('ctr', { dimension: 'not_personalized' }, 2, 7),
    share('ctr', { experiment: 'personalization', arm: 'personalized' }, 2, 2),
    share('ctr', { experiment: 'personalization', arm: 'control' }, 1, 3),
    share('ctr', { experiment: 'ranking', arm: 'v2' }, 0, 1),
    share('ctr', { experiment: 'ranking', arm: 'v1' }, 1, 1),
  ],
  metric_ctr_by_position: [
    // u7's q1 showed position 1 and was clicked there: 4 of 9.
    share('ctr_by_position', { dimension: '1' }, 4, 9),
    share('ctr_by_position', { dimension: '2' }, 1, 6),
    share('ctr_by_position', { dimension: '3' }, 0, 3),
    ...[4, 5, 6, 7, 8, 9, 10].map((p) => share('ctr_by_position', { dimension: String(p) }, 0, 1)),
  ],
  metric_search_quality: [
    // u7's q1, clicked at 1, joins the searches; it is in no experiment and bought none of what it showed
    // (u1's sku-2 and sku-1 are not u7's).
    mrr({}, [1, 1, 0, 1, 0, 1 / 11, 0, 0, 0, 1]),
    mrr({ dimension: 'personalized' }, [1, 1, 1 / 11]),
    mrr({ dimension: 'not_personalized' }, [0, 1, 0, 0, 0, 0, 1]),
    mrr({ experiment: 'personalization', arm: 'personalized' }, [1, 1]),
    mrr({ experiment: 'personalization', arm: 'control' }, [0, 1, 0]),
    mrr({ experiment: 'ranking', arm: 'v2' }, [0]),
    mrr({ experiment: 'ranking', arm: 'v1' }, [1]),
    boughtPosition({}, [2, 1, 2, 11, 7]),
    boughtPosition({ dimension: 'personalized' }, [2, 1, 11, 7]),
    boughtPosition({ dimension: 'not_personalized' }, [2]),
    boughtPosition({ experiment: 'personalization', arm: 'personalized' }, [2, 1]),
    boughtPosition({ experiment: 'personalization', arm: 'control' }, [2]),
    boughtPosition({ experiment: 'ranking', arm: 'v2' }, [2]),
  ],
  metric_reorder: [
    // u7's oA (03-01 10:00): eggs and milk 02-15, 02-22 → m 7, d 7: both due, both bought; bread is new.
    // u1's oA still bought no eggs: u7's eggs under the same event id are not u1's. Precision 4 of 5,
    // recall 4 of 7.
    share('reorder_precision', {}, 4, 5),
    share('reorder_recall', {}, 4, 7),
  ],
  metric_brand_accuracy: [
    // u7's oA Eggs: Happy in o1 and o2 → right; Dairy: Yeo in o1 and o2 → right; Bakery: no history. u1's
    // oA Dairy stays Arla (u7's Yeo is not u1's) and Bakery stays wrong (u7's Warburtons is not u1's). 5 of 8.
    share('brand_accuracy', {}, 5, 8),
  ],
  metric_cart: [
    // u7's session sz ordered after its cart add: 3 of 7 abandoned.
    share('cart_abandonment_rate', {}, 3, 7),
    // u7's oA, 7, beside u1's oA, 20 (once, though redelivered).
    meanOfDay('2026-03-01', [20, 12.5, 9, 4.5, 7]),
  ],
  metric_coverage: [
    // u7's q1 came after u7's view at 08:00: covered, 8 of 10.
    share('coverage', {}, 8, 10),
  ],
};

/** metric_cart.sql over TWO_DAYS: carts and orders of 2026-02-28 join in. */
export const EXPECTED_TWO_DAYS: SqlRow[] = [
  // sg (u3, added on 02-28 at 23:00, never ordered) joins the six: 4 of 7 abandoned.
  share('cart_abandonment_rate', {}, 4, 7, TWO_DAYS),
  // 2026-02-28: o-u2-4 alone, 6: no interval.
  meanOfDay('2026-02-28', [6], TWO_DAYS),
  meanOfDay('2026-03-01', [20, 12.5, 9, 4.5], TWO_DAYS),
];
