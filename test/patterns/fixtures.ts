import { patternParams, PREFERENCE_SCORE_PARAMS } from '../../functions/patterns/patterns.ts';
import type { PrivacySettings } from '../../functions/privacy/settings.ts';
import type { SqlParams, SqlRow } from '../../functions/warehouse/ports.ts';
import { eventsRow, orderItemsRow } from '../support/warehouse-rows.ts';
import { reorderModelRows } from '../support/reorder-models.ts';

/**
 * A small warehouse for the pattern analyses, with every expected answer worked out by hand below.
 *
 * - u1 is active (events received after SINCE) and has five orders in the window, one of them
 *   redelivered (its rows twice), plus one order before the 180 days and one after AS_OF.
 * - u2 is not active (nothing received since SINCE): it appears in no answer, but its purchases
 *   still set the categories' price ranges.
 * - u3 is active with a single order.
 * - u4, u5 and u6 are active and turned something off (PRIVACY): u4 learn_brands, so no brand rows
 *   while everything else stays; u5 learn_preferences, so u5 appears in no analysis (yet u5's
 *   purchases still set the Drinks price range); u6 learn_price, learn_schedule and learn_dietary,
 *   so only regular purchases, brands and categories remain.
 * - u7 is active, and its client made the same event ids as u1's (SAME_IDS_ORDER_ITEMS, SAME_IDS_EVENTS):
 *   its rows are its own events, never repeats of u1's.
 */
export const AS_OF = '2026-03-01T00:00:00.000Z';
export const SINCE = '2026-02-20T00:00:00.000Z';
/** When the run staged its rows (`@staged_at`): the day of their partition, whatever AS_OF is. */
export const STAGED_AT = '2026-03-01T03:00:00.000Z';
/**
 * As the job binds them: the weights of brand and category scores come from the one table, as in production; and
 * as for one slice holding every active shopper, u1 to u7.
 */
export const PARAMS: SqlParams = {
  ...patternParams(new Date(AS_OF), new Date(SINCE)),
  staged_at: new Date(STAGED_AT),
  first_shopper: 'u1',
  last_shopper: 'u7',
};

type Line = {
  sku: string;
  product_name?: string;
  category: string;
  brand: string | null;
  price: number;
  quantity: number;
  promotion?: string;
  dietary_tags?: string[];
};

const MILK = { sku: 'milk', category: 'Dairy', brand: 'Arla' } as const;
const BREAD = { sku: 'bread', category: 'Bakery', brand: 'Hovis' } as const;
const EGGS = { sku: 'eggs', category: 'Dairy', brand: 'Arla' } as const;
const RICE = { sku: 'rice', category: 'Pantry', brand: null } as const;
const COFFEE = { sku: 'coffee', category: 'Drinks', brand: 'Lavazza' } as const;
const TEA = { sku: 'tea', category: 'Drinks', brand: 'Twinings' } as const;
const PEAS = { sku: 'peas', category: 'Frozen', brand: 'Birds Eye' } as const;

type LearnFlag = keyof Pick<PrivacySettings, 'learn_preferences' | 'learn_brands' | 'learn_price' | 'learn_schedule' | 'learn_dietary'>;

/** What each active shopper turned off; every other flag is on. */
export const PRIVACY: Record<string, Partial<Record<LearnFlag, false>>> = {
  u1: {},
  u3: {},
  u4: { learn_brands: false },
  u5: { learn_preferences: false },
  u6: { learn_price: false, learn_schedule: false, learn_dietary: false },
  u7: {},
};

/** The rows the job stages for the active shoppers, from PRIVACY. */
export const PRIVACY_STAGING: SqlRow[] = Object.entries(PRIVACY).map(([userId, off]) => ({
  user_id: userId,
  learn_preferences: true,
  learn_brands: true,
  learn_price: true,
  learn_schedule: true,
  learn_dietary: true,
  ...off,
}));

function order(userId: string, eventId: string, at: string, lines: Line[]): SqlRow[] {
  return lines.map(({ dietary_tags, ...line }, i) =>
    orderItemsRow({ event_id: eventId, line: i + 1, user_id: userId, event_time: at, ...line, dietary_tags: dietary_tags ?? [] }),
  );
}

function event(
  userId: string,
  eventId: string,
  type: string,
  at: string,
  fields: Partial<Record<'brand' | 'category' | 'sku', string>> = {},
  receivedAt = at,
): SqlRow {
  return eventsRow({
    event_id: eventId,
    type,
    user_id: userId,
    event_time: at,
    received_at: receivedAt,
    ...fields,
    product_name: fields.sku ?? null,
  });
}

const u1Order3 = order('u1', 'o3', '2026-01-15T10:00:00.000Z', [
  { ...MILK, price: 1, quantity: 1, promotion: 'p1', dietary_tags: ['vegetarian'] },
  { ...EGGS, price: 3, quantity: 1 },
]);

export const ORDER_ITEMS: SqlRow[] = [
  // Before the 180 days (AS_OF − 180 d = 2025-09-02): left out.
  ...order('u1', 'o-old', '2025-08-01T10:00:00.000Z', [{ ...MILK, price: 1, quantity: 9, dietary_tags: ['vegetarian'] }]),
  ...order('u1', 'o0', '2025-12-01T10:00:00.000Z', [{ ...RICE, price: 2.5, quantity: 1, dietary_tags: ['vegan', 'gluten_free'] }]),
  ...order('u1', 'o1', '2026-01-01T10:00:00.000Z', [
    { ...MILK, price: 1, quantity: 2, dietary_tags: ['vegetarian'] },
    { ...BREAD, price: 2, quantity: 1, dietary_tags: ['vegan', 'vegetarian'] },
  ]),
  ...order('u1', 'o2', '2026-01-08T10:00:00.000Z', [
    { ...MILK, price: 1, quantity: 2, dietary_tags: ['vegetarian'] },
    { ...BREAD, price: 2, quantity: 1, dietary_tags: ['vegan', 'vegetarian'] },
  ]),
  ...u1Order3,
  // Redelivered: the same rows again.
  ...u1Order3,
  // A tag listed twice counts its line once.
  ...order('u1', 'o5', '2026-02-20T10:00:00.000Z', [{ ...RICE, price: 2.5, quantity: 1, dietary_tags: ['vegan', 'gluten_free', 'vegan'] }]),
  // At or after AS_OF: left out.
  ...order('u1', 'o-late', '2026-03-01T00:00:00.000Z', [{ ...MILK, price: 1, quantity: 9 }]),
  ...order('u2', 'o4', '2026-02-01T18:00:00.000Z', [
    { ...MILK, price: 3, quantity: 1 },
    { sku: 'bread2', category: 'Bakery', brand: 'Warburtons', price: 4, quantity: 1 },
  ]),
  ...order('u3', 'o6', '2026-02-22T20:00:00.000Z', [
    { ...MILK, price: 2, quantity: 1, dietary_tags: ['vegetarian'] },
    { ...BREAD, price: 2, quantity: 1, promotion: 'p2' },
  ]),
  // u4: Mondays at 08:00, a week apart; the last coffee on promotion.
  ...order('u4', 'o41', '2026-02-02T08:00:00.000Z', [
    { ...COFFEE, price: 4, quantity: 1 },
    { ...TEA, price: 2, quantity: 1, dietary_tags: ['vegan'] },
  ]),
  ...order('u4', 'o42', '2026-02-09T08:00:00.000Z', [
    { ...COFFEE, price: 4, quantity: 1 },
    { ...TEA, price: 2, quantity: 1, dietary_tags: ['vegan'] },
  ]),
  ...order('u4', 'o43', '2026-02-16T08:00:00.000Z', [{ ...COFFEE, price: 4, quantity: 2, promotion: 'p3' }]),
  // u5: dearer coffee, twice.
  ...order('u5', 'o51', '2026-02-03T12:00:00.000Z', [{ ...COFFEE, price: 6, quantity: 1 }]),
  ...order('u5', 'o52', '2026-02-10T12:00:00.000Z', [{ ...COFFEE, price: 6, quantity: 1 }]),
  // u6: Thursdays at 18:00, two weeks apart.
  ...order('u6', 'o61', '2026-02-05T18:00:00.000Z', [{ ...PEAS, price: 1.5, quantity: 1, dietary_tags: ['vegan'] }]),
  ...order('u6', 'o62', '2026-02-19T18:00:00.000Z', [{ ...PEAS, price: 1.5, quantity: 1, dietary_tags: ['vegan'] }]),
];

const click1 = event('u1', 'c1', 'search_result_clicked', '2026-02-25T09:00:00.000Z', { ...BREAD });

export const EVENTS: SqlRow[] = [
  click1,
  click1, // redelivered
  event('u1', 'c2', 'search_result_clicked', '2026-02-26T09:00:00.000Z', { ...BREAD }),
  event('u1', 'c3', 'search_result_clicked', '2026-02-26T09:05:00.000Z', { sku: 'butter', category: 'Dairy', brand: 'Lurpak' }),
  event('u1', 'c-old', 'search_result_clicked', '2025-08-01T09:00:00.000Z', { ...BREAD }),
  event('u1', 'a1', 'cart_item_added', '2026-02-10T09:00:00.000Z', { ...MILK }),
  event('u1', 'a2', 'cart_item_added', '2026-02-11T09:00:00.000Z', { ...BREAD }),
  // Views are no brand or category signal.
  event('u1', 'v1', 'product_viewed', '2026-02-12T09:00:00.000Z', { ...BREAD }),
  event('u2', 'u2-order', 'order_completed', '2026-02-01T18:00:00.000Z'),
  event('u2', 'u2-click', 'search_result_clicked', '2026-02-01T18:00:00.000Z', { ...MILK }),
  event('u3', 'u3-order', 'order_completed', '2026-02-22T20:00:00.000Z'),
  // Sent with a slow clock: event_time is skew-corrected, received_at is the server's.
  event('u2', 'u2-late', 'product_viewed', '2026-02-19T23:00:00.000Z', { ...MILK }, '2026-02-19T23:59:59.000Z'),
  event('u4', 'c41', 'search_result_clicked', '2026-02-24T09:00:00.000Z', { ...COFFEE }),
  event('u5', 'c51', 'search_result_clicked', '2026-02-25T09:00:00.000Z', { ...COFFEE }),
  event('u6', 'a61', 'cart_item_added', '2026-02-21T10:00:00.000Z', { ...PEAS }),
];

/**
 * u7's orders and click, under event ids u1's client made too: o1, o3 (redelivered for u1) and c1
 * (redelivered for u1). An event is (user_id, event_id), so these count for u7 and take nothing from u1.
 * Tuesdays at 19:00, two weeks apart; rice and peas at the prices already bought in Pantry and Frozen,
 * so the categories' ranges stay as they are. Apart from ORDER_ITEMS and EVENTS, whose shoppers the job
 * tests (job.test.ts) count: TABLES holds both.
 */
export const SAME_IDS_ORDER_ITEMS: SqlRow[] = [
  ...order('u7', 'o1', '2026-02-03T19:00:00.000Z', [
    { ...RICE, price: 2.5, quantity: 1, dietary_tags: ['vegan', 'gluten_free'] },
    { ...PEAS, price: 1.5, quantity: 1, dietary_tags: ['vegan'] },
  ]),
  ...order('u7', 'o3', '2026-02-17T19:00:00.000Z', [
    { ...RICE, price: 2.5, quantity: 1, dietary_tags: ['vegan', 'gluten_free'] },
    { ...PEAS, price: 1.5, quantity: 2, promotion: 'p7', dietary_tags: ['vegan'] },
  ]),
];

export const SAME_IDS_EVENTS: SqlRow[] = [event('u7', 'c1', 'search_result_clicked', '2026-02-25T10:00:00.000Z', { ...PEAS })];

const ALL_ORDER_ITEMS = [...ORDER_ITEMS, ...SAME_IDS_ORDER_ITEMS];
const ALL_EVENTS = [...EVENTS, ...SAME_IDS_EVENTS];

/**
 * The categories' price ranges the job stages for AS_OF (stage_category_price_ranges.sql), worked out by
 * hand from every shopper's order lines of the window, whatever their flags, one per (user_id, event_id, line):
 * Dairy: milk 1 (o1), 1 (o2), 1 (o3 once), eggs 3 (o3), milk 3 (u2), 2 (u3): 1…3, mean 11/6.
 * Bakery: bread 2 (o1), 2 (o2), bread2 4 (u2), bread 2 (u3): 2…4, mean 10/4 = 2.5.
 * Pantry: rice 2.5 (o0), 2.5 (o5), and u7's twice: all equal. Frozen: peas 1.5 (u6) twice, and u7's
 * twice: all equal.
 * Drinks: coffee 4, tea 2, coffee 4, tea 2, coffee 4 (u4) and coffee 6 twice (u5, learn_preferences
 * off, still in the range): 2…6, mean 28/7 = 4.
 * Neither u1's milk before the 180 days (o-old) nor the one at AS_OF (o-late) counts.
 */
export const PRICE_RANGES: SqlRow[] = [
  { category: 'Bakery', low: 2, high: 4, mean: 2.5, as_of: AS_OF },
  { category: 'Dairy', low: 1, high: 3, mean: 11 / 6, as_of: AS_OF },
  { category: 'Drinks', low: 2, high: 6, mean: 4, as_of: AS_OF },
  { category: 'Frozen', low: 1.5, high: 1.5, mean: 1.5, as_of: AS_OF },
  { category: 'Pantry', low: 2.5, high: 2.5, mean: 2.5, as_of: AS_OF },
];

/** A shopper's rows of `rows`, picked by hand by `event_id/line` (or `event_id`): an event is (user_id, event_id). */
function pick(rows: SqlRow[], userId: string, keys: string[], keyOf: (row: SqlRow) => string): SqlRow[] {
  return keys.map((key) => rows.find((row) => row.user_id === userId && keyOf(row) === key)!);
}

/**
 * The order lines the job stages for AS_OF (stage_order_lines.sql), picked by hand by (user_id, event_id,
 * line): those of the shoppers who learn (u1, u3, u4, u6, u7; not u5, and u2 is not staged) in the window,
 * u1's redelivered o3 once, neither o-old nor o-late, and u7's o1 and o3 beside u1's.
 */
const lineKey = (row: SqlRow) => `${String(row.event_id)}/${String(row.line)}`;
const asStaged = ({ order_id: _orderId, import_id: _importId, ...line }: SqlRow): SqlRow => ({ ...line, as_of: AS_OF });
export const ORDER_LINES: SqlRow[] = [
  ...pick(ALL_ORDER_ITEMS, 'u1', ['o0/1', 'o1/1', 'o1/2', 'o2/1', 'o2/2', 'o3/1', 'o3/2', 'o5/1'], lineKey),
  ...pick(ALL_ORDER_ITEMS, 'u3', ['o6/1', 'o6/2'], lineKey),
  ...pick(ALL_ORDER_ITEMS, 'u4', ['o41/1', 'o41/2', 'o42/1', 'o42/2', 'o43/1'], lineKey),
  ...pick(ALL_ORDER_ITEMS, 'u6', ['o61/1', 'o62/1'], lineKey),
  ...pick(ALL_ORDER_ITEMS, 'u7', ['o1/1', 'o1/2', 'o3/1', 'o3/2'], lineKey),
].map(asStaged);

/**
 * The order lines the run stages once for every active shopper (stage_run_order_lines.sql): ORDER_LINES and
 * u5's two coffees, since whether a shopper learns is asked per slice; still not u2's (not active).
 */
export const RUN_ORDER_LINES: SqlRow[] = [...ORDER_LINES, ...pick(ALL_ORDER_ITEMS, 'u5', ['o51/1', 'o52/1'], lineKey).map(asStaged)].map(
  (line) => ({ ...line, staged_at: STAGED_AT }),
);

/**
 * The cart adds and result clicks the job stages for AS_OF (stage_engagement.sql), picked by hand by
 * (user_id, event_id): u1's in the window (c1 once; not c-old, not the view v1), u4's, u6's and u7's c1;
 * not u5's or u2's.
 */
export const ENGAGEMENT: SqlRow[] = [
  ...pick(ALL_EVENTS, 'u1', ['c1', 'c2', 'c3', 'a1', 'a2'], (row) => String(row.event_id)),
  ...pick(ALL_EVENTS, 'u4', ['c41'], (row) => String(row.event_id)),
  ...pick(ALL_EVENTS, 'u6', ['a61'], (row) => String(row.event_id)),
  ...pick(ALL_EVENTS, 'u7', ['c1'], (row) => String(row.event_id)),
].map((event) => {
  const pickColumn = (column: string) => event[column] ?? null;
  return {
    user_id: pickColumn('user_id'),
    event_id: pickColumn('event_id'),
    type: pickColumn('type'),
    event_time: pickColumn('event_time'),
    category: pickColumn('category'),
    brand: pickColumn('brand'),
    as_of: AS_OF,
  };
});

/** The engagement the run stages once for every active shopper (stage_run_engagement.sql): ENGAGEMENT and u5's click c51. */
export const RUN_ENGAGEMENT: SqlRow[] = [
  ...ENGAGEMENT,
  {
    user_id: 'u5',
    event_id: 'c51',
    type: 'search_result_clicked',
    event_time: '2026-02-25T09:00:00.000Z',
    category: 'Drinks',
    brand: 'Lavazza',
    as_of: AS_OF,
  },
].map((event) => ({ ...event, staged_at: STAGED_AT }));

/**
 * The tables the analyses read, the staged ones included: the privacy flags, the run's price ranges, order
 * lines and engagement, and the slice's.
 */
export const TABLES = {
  events: ALL_EVENTS,
  order_items: ALL_ORDER_ITEMS,
  shopper_privacy_staging: PRIVACY_STAGING,
  category_price_ranges_staging: PRICE_RANGES,
  run_order_lines_staging: RUN_ORDER_LINES,
  run_engagement_staging: RUN_ENGAGEMENT,
  order_lines_staging: ORDER_LINES,
  engagement_staging: ENGAGEMENT,
  // No reorder model fitted yet: regular_purchases.sql decides by the default rule.
  reorder_model: [] as SqlRow[],
};

/** The statements that stage rows for the analyses: the table each fills, and the rows it inserts from TABLES, by hand. */
export const STAGED: Record<string, { table: string; rows: SqlRow[]; key: string[] }> = {
  stage_category_price_ranges: { table: 'category_price_ranges_staging', rows: PRICE_RANGES, key: ['category'] },
  stage_run_order_lines: { table: 'run_order_lines_staging', rows: RUN_ORDER_LINES, key: ['user_id', 'event_id', 'line'] },
  stage_run_engagement: { table: 'run_engagement_staging', rows: RUN_ENGAGEMENT, key: ['user_id', 'event_id'] },
  stage_order_lines: { table: 'order_lines_staging', rows: ORDER_LINES, key: ['user_id', 'event_id', 'line'] },
  stage_engagement: { table: 'engagement_staging', rows: ENGAGEMENT, key: ['user_id', 'event_id'] },
};

/** A slice's staging with its range of shoppers u3 to u4 (@first_shopper, @last_shopper): u3's and u4's rows alone. */
export const SLICE_RANGE = [
  {
    file: 'stage_order_lines',
    table: 'order_lines_staging',
    rows: ORDER_LINES.filter((line) => line.user_id === 'u3' || line.user_id === 'u4'),
    key: ['user_id', 'event_id', 'line'],
  },
  {
    file: 'stage_engagement',
    table: 'engagement_staging',
    rows: ENGAGEMENT.filter((event) => event.user_id === 'u4'),
    key: ['user_id', 'event_id'],
  },
];

/**
 * The answers, worked out by hand from the rows above.
 * Windows: order lines from 2025-09-02 to before 2026-03-01; u1's count: o0, o1, o2, o3 (once), o5.
 */
export const EXPECTED: Record<string, SqlRow[]> = {
  // Whatever they turned off: the job stages flags for exactly these.
  active_shoppers: [{ user_id: 'u1' }, { user_id: 'u3' }, { user_id: 'u4' }, { user_id: 'u5' }, { user_id: 'u6' }, { user_id: 'u7' }],

  // milk: o1, o2, o3, quantities 2, 2, 1, gaps 7 and 7 days. bread: o1, o2, one 7-day gap.
  // rice: o0 and o5, 81 days apart (2025-12-01 → 2026-02-20). eggs: one order only, not regular.
  // days since: 2026-01-15T10:00 → 2026-03-01T00:00 = 44 d 14 h (bread: from 01-08, 51 d 14 h); due
  // from 0.9 × 7 = 6.3 days = 6 d 7 h 12 min on, lapsed from 2 × 7 = 14 days on: neither is due.
  regular_purchases: [
    {
      user_id: 'u1',
      sku: 'bread',
      product_name: 'bread',
      category: 'Bakery',
      brand: 'Hovis',
      purchases: 2,
      avg_quantity: 1,
      avg_interval_days: 7,
      frequency: 'weekly',
      confidence: 0.2,
      interval_cv: null,
      last_purchased_at: '2026-01-08T10:00:00.000Z',
      next_due_at: '2026-01-15T10:00:00.000Z',
      due_at: '2026-01-14T17:12:00.000Z',
      days_since_last: 51 + 14 / 24,
      due: false,
    },
    {
      user_id: 'u1',
      sku: 'milk',
      product_name: 'milk',
      category: 'Dairy',
      brand: 'Arla',
      purchases: 3,
      avg_quantity: 5 / 3,
      avg_interval_days: 7,
      frequency: 'weekly',
      confidence: 0.3,
      interval_cv: 0,
      last_purchased_at: '2026-01-15T10:00:00.000Z',
      next_due_at: '2026-01-22T10:00:00.000Z',
      due_at: '2026-01-21T17:12:00.000Z',
      days_since_last: 44 + 14 / 24,
      due: false,
    },
    {
      // 0.9 × 81 = 72.9 days = 72 d 21:36 after 2026-02-20T10:00; only 8.58 days have passed.
      user_id: 'u1',
      sku: 'rice',
      product_name: 'rice',
      category: 'Pantry',
      brand: null,
      purchases: 2,
      avg_quantity: 1,
      avg_interval_days: 81,
      frequency: 'quarterly',
      confidence: 0.2,
      interval_cv: null,
      last_purchased_at: '2026-02-20T10:00:00.000Z',
      next_due_at: '2026-05-12T10:00:00.000Z',
      due_at: '2026-05-04T07:36:00.000Z',
      days_since_last: 8 + 14 / 24,
      due: false,
    },
    // u4 coffee: o41, o42, o43, quantities 1, 1, 2, gaps 7 and 7; 2026-02-16T08:00 → AS_OF = 12 d 16 h:
    // past 6.3 days, short of the 14 at which it lapses, so due.
    {
      user_id: 'u4',
      sku: 'coffee',
      product_name: 'coffee',
      category: 'Drinks',
      brand: 'Lavazza',
      purchases: 3,
      avg_quantity: 4 / 3,
      avg_interval_days: 7,
      frequency: 'weekly',
      confidence: 0.3,
      interval_cv: 0,
      last_purchased_at: '2026-02-16T08:00:00.000Z',
      next_due_at: '2026-02-23T08:00:00.000Z',
      due_at: '2026-02-22T15:12:00.000Z',
      days_since_last: 12 + 16 / 24,
      due: true,
    },
    // u4 tea: o41, o42, one 7-day gap; 2026-02-09T08:00 → AS_OF = 19 d 16 h: lapsed at 14 days, not due.
    {
      user_id: 'u4',
      sku: 'tea',
      product_name: 'tea',
      category: 'Drinks',
      brand: 'Twinings',
      purchases: 2,
      avg_quantity: 1,
      avg_interval_days: 7,
      frequency: 'weekly',
      confidence: 0.2,
      interval_cv: null,
      last_purchased_at: '2026-02-09T08:00:00.000Z',
      next_due_at: '2026-02-16T08:00:00.000Z',
      due_at: '2026-02-15T15:12:00.000Z',
      days_since_last: 19 + 16 / 24,
      due: false,
    },
    // u6 peas: 14 days apart, biweekly; due from 0.9 × 14 = 12.6 days = 12 d 14 h 24 min on, and
    // 2026-02-19T18:00 → AS_OF is only 9 d 6 h.
    {
      user_id: 'u6',
      sku: 'peas',
      product_name: 'peas',
      category: 'Frozen',
      brand: 'Birds Eye',
      purchases: 2,
      avg_quantity: 1,
      avg_interval_days: 14,
      frequency: 'biweekly',
      confidence: 0.2,
      interval_cv: null,
      last_purchased_at: '2026-02-19T18:00:00.000Z',
      next_due_at: '2026-03-05T18:00:00.000Z',
      due_at: '2026-03-04T08:24:00.000Z',
      days_since_last: 9.25,
      due: false,
    },
    // u7: rice and peas in o1 and o3, 14 days apart; 2026-02-17T19:00 → AS_OF = 11 d 5 h, short of 12.6 days.
    {
      user_id: 'u7',
      sku: 'peas',
      product_name: 'peas',
      category: 'Frozen',
      brand: 'Birds Eye',
      purchases: 2,
      avg_quantity: 1.5,
      avg_interval_days: 14,
      frequency: 'biweekly',
      confidence: 0.2,
      interval_cv: null,
      last_purchased_at: '2026-02-17T19:00:00.000Z',
      next_due_at: '2026-03-03T19:00:00.000Z',
      due_at: '2026-03-02T09:24:00.000Z',
      days_since_last: 11 + 5 / 24,
      due: false,
    },
    {
      user_id: 'u7',
      sku: 'rice',
      product_name: 'rice',
      category: 'Pantry',
      brand: null,
      purchases: 2,
      avg_quantity: 1,
      avg_interval_days: 14,
      frequency: 'biweekly',
      confidence: 0.2,
      interval_cv: null,
      last_purchased_at: '2026-02-17T19:00:00.000Z',
      next_due_at: '2026-03-03T19:00:00.000Z',
      due_at: '2026-03-02T09:24:00.000Z',
      days_since_last: 11 + 5 / 24,
      due: false,
    },
  ],

  // Arla: 4 lines (milk ×3, eggs), 1 cart add: 3.6 + 0.6 = 4.2. Hovis: 2 lines, 1 cart add, 2 clicks
  // (c1 once, c2): 1.8 + 0.6 + 0.6 = 3.0. Lurpak: 1 click, 0.3, under 2.0 but in the total, 7.5.
  // u3: Arla 0.9 and Hovis 0.9, both under 2.0. u4 turned brands off (Lavazza would score 3.0).
  // u6: Birds Eye, 2 lines and 1 cart add: 2.4, its only brand.
  brand_preferences: [
    { user_id: 'u1', brand: 'Arla', purchases: 4, cart_adds: 1, clicks: 0, score: 4.2, share: 0.56, ordinal: 1 },
    { user_id: 'u1', brand: 'Hovis', purchases: 2, cart_adds: 1, clicks: 2, score: 3.0, share: 0.4, ordinal: 2 },
    { user_id: 'u6', brand: 'Birds Eye', purchases: 2, cart_adds: 1, clicks: 0, score: 2.4, share: 1, ordinal: 1 },
    // u7: Birds Eye, 2 lines and its own c1 click: 1.8 + 0.3 = 2.1, over 2.0 only with the click.
    { user_id: 'u7', brand: 'Birds Eye', purchases: 2, cart_adds: 0, clicks: 1, score: 2.1, share: 1, ordinal: 1 },
  ],

  // Dairy: 4 lines, 1 cart add, 1 click (Lurpak butter): 4.5. Bakery: 3.0. Pantry: rice ×2, 1.8 —
  // under 2.0 but in the total, 9.3.
  category_preferences: [
    { user_id: 'u1', category: 'Dairy', purchases: 4, cart_adds: 1, clicks: 1, score: 4.5, share: 4.5 / 9.3, ordinal: 1 },
    { user_id: 'u1', category: 'Bakery', purchases: 2, cart_adds: 1, clicks: 2, score: 3.0, share: 3.0 / 9.3, ordinal: 2 },
    // u4: 5 Drinks lines and the coffee click: 4.5 + 0.3. u6: 2 Frozen lines and the cart add.
    { user_id: 'u4', category: 'Drinks', purchases: 5, cart_adds: 0, clicks: 1, score: 4.8, share: 1, ordinal: 1 },
    { user_id: 'u6', category: 'Frozen', purchases: 2, cart_adds: 1, clicks: 0, score: 2.4, share: 1, ordinal: 1 },
    // u7: Frozen, 2 lines and the click, 2.1; Pantry, 2 lines, 1.8 — under 2.0 but in the total, 3.9.
    { user_id: 'u7', category: 'Frozen', purchases: 2, cart_adds: 0, clicks: 1, score: 2.1, share: 2.1 / 3.9, ordinal: 1 },
  ],

  // The staged ranges (PRICE_RANGES), from every shopper's lines in the window: Dairy 1…3, mean
  // (1+1+1+3+2+3)/6 = 11/6; Bakery 2…4, mean 10/4 = 2.5; Pantry 2.5…2.5 (all equal: position 0.5), mean 2.5.
  // u1 Dairy: milk 2+2+1 units at position 0, eggs 1 unit at 1 → 1/6; index (5 × 6/11 + 18/11) / 6 = 8/11;
  // promotion: 1 of 6 units.
  price_sensitivity: [
    { user_id: 'u1', category: 'Dairy', lines: 4, units: 6, price_position: 1 / 6, price_index: 8 / 11, promo_share: 1 / 6 },
    { user_id: 'u1', category: 'Bakery', lines: 2, units: 2, price_position: 0, price_index: 0.8, promo_share: 0 },
    { user_id: 'u1', category: 'Pantry', lines: 2, units: 2, price_position: 0.5, price_index: 1, promo_share: 0 },
    { user_id: 'u3', category: 'Dairy', lines: 1, units: 1, price_position: 0.5, price_index: 12 / 11, promo_share: 0 },
    { user_id: 'u3', category: 'Bakery', lines: 1, units: 1, price_position: 0, price_index: 0.8, promo_share: 1 },
    // Drinks from u4's 5 lines and u5's 2 (learn_preferences off, still in the range): 2…6, mean
    // (4+2+4+2+4+6+6)/7 = 4. u4: coffee 4 units at 0.5, tea 2 at 0 → 1/3; index (4 × 1 + 2 × 0.5) / 6;
    // the promoted coffee is 2 of 6 units. (Without u5 the range would be 2…4 and the position 2/3.)
    { user_id: 'u4', category: 'Drinks', lines: 5, units: 6, price_position: 1 / 3, price_index: 5 / 6, promo_share: 1 / 3 },
    // u7: Pantry and Frozen, all prices equal (position 0.5, index 1); peas on promotion 2 of 3 units.
    { user_id: 'u7', category: 'Pantry', lines: 2, units: 2, price_position: 0.5, price_index: 1, promo_share: 0 },
    { user_id: 'u7', category: 'Frozen', lines: 2, units: 3, price_position: 0.5, price_index: 1, promo_share: 2 / 3 },
  ],

  // u1: 5 orders, all at 10:00; Mon 2025-12-01, Thu ×3 (Jan 1, 8, 15), Fri 2026-02-20. 81 days over
  // 4 intervals = 20.25 days; next: 2026-02-20T10:00 + 20 d 6 h. A quarter of 5 is 1.25: Thursday only.
  // u3 has one order: no schedule.
  shopping_schedule: [
    {
      user_id: 'u1',
      orders: 5,
      last_order_at: '2026-02-20T10:00:00.000Z',
      avg_interval_days: 20.25,
      next_order_at: '2026-03-12T16:00:00.000Z',
      confidence: 0.5,
      preferred_weekdays: [4],
      preferred_hours: [10],
    },
    // u4: 3 orders, Mondays at 08:00, 14 days over 2 intervals. u6's 2 orders: learn_schedule is off.
    {
      user_id: 'u4',
      orders: 3,
      last_order_at: '2026-02-16T08:00:00.000Z',
      avg_interval_days: 7,
      next_order_at: '2026-02-23T08:00:00.000Z',
      confidence: 0.3,
      preferred_weekdays: [1],
      preferred_hours: [8],
    },
    // u7: 2 orders, Tuesdays at 19:00, 14 days apart.
    {
      user_id: 'u7',
      orders: 2,
      last_order_at: '2026-02-17T19:00:00.000Z',
      avg_interval_days: 14,
      next_order_at: '2026-03-03T19:00:00.000Z',
      confidence: 0.2,
      preferred_weekdays: [2],
      preferred_hours: [19],
    },
  ],

  // u1: 8 lines (o0 rice, o1 ×2, o2 ×2, o3 ×2, o5 rice). vegetarian: milk ×3 + bread ×2 = 5;
  // vegan: bread ×2 + rice ×2 = 4; gluten_free: rice ×2. u3: 2 lines, milk vegetarian.
  // Wilson lower bounds at z = 1.96, computed from the formula: n = 8: p 5/8 → 0.305738,
  // 4/8 → 0.215213, 2/8 → 0.071478; n = 2: p 1/2 → 0.094529.
  dietary_patterns: [
    { user_id: 'u1', tag: 'gluten_free', tagged_lines: 2, lines: 8, share: 0.25, confidence: 0.071478 },
    { user_id: 'u1', tag: 'vegan', tagged_lines: 4, lines: 8, share: 0.5, confidence: 0.215213 },
    { user_id: 'u1', tag: 'vegetarian', tagged_lines: 5, lines: 8, share: 0.625, confidence: 0.305738 },
    { user_id: 'u3', tag: 'vegetarian', tagged_lines: 1, lines: 2, share: 0.5, confidence: 0.094529 },
    // u4: 5 lines, tea vegan in 2: n = 5, p 2/5 → 0.117618. u6's vegan peas: learn_dietary is off.
    { user_id: 'u4', tag: 'vegan', tagged_lines: 2, lines: 5, share: 0.4, confidence: 0.117618 },
    // u7: 4 lines, all vegan, the 2 rice gluten_free: n = 4, p 1 → 0.510100, 1/2 → 0.150036.
    { user_id: 'u7', tag: 'gluten_free', tagged_lines: 2, lines: 4, share: 0.5, confidence: 0.150036 },
    { user_id: 'u7', tag: 'vegan', tagged_lines: 4, lines: 4, share: 1, confidence: 0.5101 },
  ],

  // The reorder model's examples: the orders of the 28 days before AS_OF (from 2026-02-01) of the shoppers who allow
  // learning and their schedule (u1, u3, u4, u7; u5 is not staged, u6 has learn_schedule off), each judged for every
  // product bought in two earlier orders at different times. u1's o5 (02-20 10:00): milk (o1, o2, o3: 3 orders, 7 days
  // apart, last 36 days before: 5.14 intervals → cycle bin 9, orders bin 1, interval bin 2), bread (o1, o2: 2 orders,
  // 7 days, 43 days before: 6.14 → bins 9, 0, 2); neither bought; rice was bought once before. u4's o43 (02-16 08:00):
  // coffee and tea (o41, o42: 2 orders, 7 days, 7 days before: exactly 1 interval → bins 4, 0, 2), coffee bought.
  // u4's o42, u3's o6 and u7's o3 had nothing bought twice before them.
  reorder_outcomes: [
    { cycle_bin: 4, orders_bin: 0, interval_bin: 2, examples: 2, bought: 1 },
    { cycle_bin: 9, orders_bin: 0, interval_bin: 2, examples: 1, bought: 0 },
    { cycle_bin: 9, orders_bin: 1, interval_bin: 2, examples: 1, bought: 0 },
  ],

  // u1's 5 orders: milk in 3, bread in 2, both in 2 (o1, o2); milk and eggs only once.
  bought_together: [
    { user_id: 'u1', sku: 'bread', with_sku: 'milk', together: 2, support: 0.4, confidence: 1, lift: 5 / 3 },
    { user_id: 'u1', sku: 'milk', with_sku: 'bread', together: 2, support: 0.4, confidence: 2 / 3, lift: 5 / 3 },
    // u4's 3 orders: coffee in 3, tea in 2, both in 2: each is as likely with the other as without.
    { user_id: 'u4', sku: 'coffee', with_sku: 'tea', together: 2, support: 2 / 3, confidence: 2 / 3, lift: 1 },
    { user_id: 'u4', sku: 'tea', with_sku: 'coffee', together: 2, support: 2 / 3, confidence: 1, lift: 1 },
    // u7's 2 orders, o1 and o3 as u1's are called: rice and peas in both.
    { user_id: 'u7', sku: 'peas', with_sku: 'rice', together: 2, support: 1, confidence: 1, lift: 1 },
    { user_id: 'u7', sku: 'rice', with_sku: 'peas', together: 2, support: 1, confidence: 1, lift: 1 },
  ],
};

/** The columns that identify a row of each answer, to compare answers in any order. */
export const KEYS: Record<string, string[]> = {
  active_shoppers: ['user_id'],
  regular_purchases: ['user_id', 'sku'],
  brand_preferences: ['user_id', 'brand'],
  category_preferences: ['user_id', 'category'],
  price_sensitivity: ['user_id', 'category'],
  shopping_schedule: ['user_id'],
  dietary_patterns: ['user_id', 'tag'],
  bought_together: ['user_id', 'sku', 'with_sku'],
  reorder_outcomes: ['cycle_bin', 'orders_bin', 'interval_bin'],
};

/**
 * Analyses run with other parameters than the job's: the answer follows what is bound, not a number of
 * the file's own. Twice every weight and twice the threshold give twice every score, with the same
 * shares and rows; keeping one keeps each shopper's strongest; a lower cap cuts every confidence above it,
 * and half the purchases for full confidence doubles each (none of the fixture's reaches the cap); another
 * reorder rule moves `due_at` and `due`.
 */
export const REBOUND: { analysis: string; change: string; params: typeof PARAMS; expected: (rows: SqlRow[]) => SqlRow[] }[] = [
  ...(['brand_preferences', 'category_preferences'] as const).flatMap((analysis) => [
    {
      analysis,
      change: 'twice every weight and the threshold',
      params: {
        ...PARAMS,
        purchase_weight: 2 * PREFERENCE_SCORE_PARAMS.purchase_weight,
        cart_add_weight: 2 * PREFERENCE_SCORE_PARAMS.cart_add_weight,
        click_weight: 2 * PREFERENCE_SCORE_PARAMS.click_weight,
        min_preference_score: 2 * PREFERENCE_SCORE_PARAMS.min_preference_score,
      },
      expected: (rows: SqlRow[]) => rows.map((row) => ({ ...row, score: 2 * Number(row.score) })),
    },
    {
      analysis,
      change: 'one kept per shopper',
      params: { ...PARAMS, preferences_kept: 1 },
      expected: (rows: SqlRow[]) => rows.filter((row) => row.ordinal === 1),
    },
  ]),
  {
    analysis: 'regular_purchases',
    change: 'confidence capped at 0.25',
    params: { ...PARAMS, max_item_confidence: 0.25 },
    expected: (rows) => rows.map((row) => ({ ...row, confidence: Math.min(0.25, Number(row.confidence)) })),
  },
  {
    analysis: 'regular_purchases',
    change: 'full confidence at half the purchases',
    params: { ...PARAMS, purchases_for_full_confidence: 5 },
    expected: (rows) => rows.map((row) => ({ ...row, confidence: 2 * Number(row.confidence) })),
  },
  {
    analysis: 'regular_purchases',
    change: 'due from half the interval, lapsed after one',
    params: { ...PARAMS, due_fraction: 0.5, lapse_cycles: 1 },
    expected: (rows) =>
      rows.map((row) => {
        const interval = Number(row.avg_interval_days);
        const since = Number(row.days_since_last);
        const dueAt = Date.parse(String(row.last_purchased_at)) + Math.round(0.5 * interval * 86_400) * 1000;
        return { ...row, due_at: new Date(dueAt).toISOString(), due: since >= 0.5 * interval && since < interval };
      }),
  },
];

/**
 * The reorder model's examples when u4 turns learn_schedule off (or learn_preferences): u4's two were the only ones in
 * cycle bin 4, so only u1's remain. A shopper who does not allow learning feeds no fit.
 */
export const REORDER_OUTCOMES_WITHOUT_U4 = {
  tables: {
    ...TABLES,
    shopper_privacy_staging: PRIVACY_STAGING.map((row) => (row.user_id === 'u4' ? { ...row, learn_schedule: false } : row)),
  },
  expected: (EXPECTED.reorder_outcomes ?? []).filter((row) => row.cycle_bin !== 4),
};

/**
 * regular_purchases.sql with fitted reorder models: the one in force at AS_OF (as_of 02-28, the latest not after it)
 * holds due, for two orders and a 7–14-day interval, only 2 to 3 intervals since (cycle bin 8), and for a 14–28-day
 * interval everything from 0.75 of it on (cycle bins 2 and up); nothing else. The older model (all due) and the one
 * fitted after AS_OF (all due) are not read. Cells by hand (orders bin / interval bin / cycle bin):
 * - u1 bread 0/2/9 (51.6 ÷ 7 = 7.4): not due; first due at 2 × 7 days: 01-08T10:00 + 14 d.
 * - u1 milk 1/2/9 and u4 coffee 1/2/7 (12.7 ÷ 7 = 1.8, due by the default rule): never due at 3 orders, due_at null.
 * - u1 rice 0/4/0: never due at an 81-day interval, null.
 * - u4 tea 0/2/8 (19.7 ÷ 7 = 2.8, lapsed by the default rule): due; due_at 02-09T08:00 + 14 d.
 * - u6 peas 0/3/1 (9.25 ÷ 14 = 0.66): not yet; due from 0.75 × 14 = 10.5 days: 02-19T18:00 + 10 d 12 h.
 * - u7 peas and rice 0/3/2 (11.2 ÷ 14 = 0.80): due, from 02-17T19:00 + 10 d 12 h.
 */
export const REGULAR_PURCHASES_WITH_MODEL = {
  tables: {
    ...TABLES,
    reorder_model: [
      ...reorderModelRows('run-old', '2026-02-01T03:00:00.000Z', () => true),
      ...reorderModelRows(
        'run-in-force',
        '2026-02-28T03:00:00.000Z',
        (c) => c.orders_bin === 0 && ((c.interval_bin === 2 && c.cycle_bin === 8) || (c.interval_bin === 3 && c.cycle_bin >= 2)),
      ),
      ...reorderModelRows('run-later', '2026-03-01T03:00:00.000Z', () => true),
    ],
  },
  expected: (EXPECTED.regular_purchases ?? []).map((row) => {
    const decided: Record<string, { due_at: string | null; due: boolean }> = {
      'u1/bread': { due_at: '2026-01-22T10:00:00.000Z', due: false },
      'u1/milk': { due_at: null, due: false },
      'u1/rice': { due_at: null, due: false },
      'u4/coffee': { due_at: null, due: false },
      'u4/tea': { due_at: '2026-02-23T08:00:00.000Z', due: true },
      'u6/peas': { due_at: '2026-03-02T06:00:00.000Z', due: false },
      'u7/peas': { due_at: '2026-02-28T07:00:00.000Z', due: true },
      'u7/rice': { due_at: '2026-02-28T07:00:00.000Z', due: true },
    };
    const decision = decided[`${String(row.user_id)}/${String(row.sku)}`];
    if (!decision) throw new Error(`no hand-worked decision for ${String(row.user_id)}/${String(row.sku)}`);
    return { ...row, ...decision };
  }),
};
