import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';

// The patterns benchmark's warehouse: shoppers, their events and their order lines, generated inside
// DuckDB with set-based SQL. Every random choice is `hash(key, salt, seed)`, so a spec always gives the
// same rows, and a generated file is kept and reused (its name holds the spec and GENERATOR_VERSION).
//
// The shape, in the shop's words:
// - a catalog of 5,000 products in 50 categories (100 each), 6 brands per category (300) plus own label
//   on every twentieth product; prices by category and brand tier; dietary tags from a small vocabulary;
// - shoppers of very different activity (events per shopper 0.25 + Exp(1), scaled: about 20 to 1,000
//   at the default size), each with three favourite categories, a favourite brand tier, 8–20 staples
//   they re-buy (an order takes a run of consecutive ones), a usual weekday and hour for orders, a taste
//   for promotions;
// - events in arrival order over the WINDOW_DAYS before AS_OF, typed by EVENT_MIX; ACTIVE_SHARE of the
//   shoppers keep shopping up to AS_OF, the others stop a day before ACTIVE_SINCE — so a run with
//   `since = ACTIVE_SINCE` finds about that share active;
// - every order_completed event has 5–25 lines in `order_items`, 55 % of them staples, the rest from
//   the favourite categories or anywhere; browsing (views, clicks, cart changes) follows the same tastes.
// Duplicates from redelivery are not generated: the DuckDB tables' keys could not store them.

export type DataSpec = { shoppers: number; events: number; seed: number };

export const DEFAULT_SPEC: DataSpec = { shoppers: 100_000, events: 10_000_000, seed: 1 };
/** The patterns job's @as_of for this data: midnight UTC, so an order moved within its day stays before it. */
export const AS_OF = new Date('2026-06-01T00:00:00.000Z');
const DAY_MS = 86_400_000;
/** The since of an ordinary (incremental) run: a week before AS_OF. */
export const ACTIVE_SINCE = new Date(AS_OF.getTime() - 7 * DAY_MS);
/** Shoppers with events received at or after ACTIVE_SINCE. */
export const ACTIVE_SHARE = 0.3;
export const WINDOW_DAYS = 180;
/** Bump when the rows change: a kept file of another version is not reused. */
const GENERATOR_VERSION = 1;
const EVENTS_PER_CHUNK = 500_000;

/** Event types and their shares, in the order the type draw takes them. */
export const EVENT_MIX = [
  ['search_performed', 0.3],
  ['product_viewed', 0.28],
  ['search_result_clicked', 0.2],
  ['cart_item_added', 0.11],
  ['cart_item_removed', 0.03],
  ['cart_item_updated', 0.03],
  ['order_completed', 0.05],
] as const;

const CATEGORIES = [
  'Milk',
  'Cheese',
  'Yogurt',
  'Butter & Spreads',
  'Eggs',
  'Bread',
  'Bakery',
  'Breakfast Cereal',
  'Fruit',
  'Vegetables',
  'Salad',
  'Fresh Herbs',
  'Beef',
  'Pork',
  'Poultry',
  'Fish',
  'Deli',
  'Ready Meals',
  'Frozen Vegetables',
  'Frozen Meals',
  'Ice Cream',
  'Pasta',
  'Rice & Grains',
  'Canned Goods',
  'Soups',
  'Sauces',
  'Condiments',
  'Spices',
  'Baking',
  'Oils & Vinegar',
  'Snacks',
  'Crisps',
  'Biscuits',
  'Chocolate',
  'Sweets',
  'Nuts & Dried Fruit',
  'Coffee',
  'Tea',
  'Juice',
  'Soft Drinks',
  'Water',
  'Beer',
  'Wine',
  'Plant-based',
  'Baby Food',
  'Pet Food',
  'Cleaning',
  'Laundry',
  'Paper Goods',
  'Personal Care',
] as const;
const PRODUCTS_PER_CATEGORY = 100;
const BRANDS_PER_CATEGORY = 6;
const PRODUCTS = CATEGORIES.length * PRODUCTS_PER_CATEGORY;
/** Tag → share of products carrying it. */
const DIETARY_TAGS = {
  vegan: 0.15,
  vegetarian: 0.25,
  gluten_free: 0.12,
  lactose_free: 0.08,
  organic: 0.15,
  halal: 0.05,
  kosher: 0.04,
  low_sugar: 0.06,
};
/** Price factor of a category's brand tiers (product number mod 6): two cheaper, two middle, two dearer. */
const BRAND_TIER_PRICE = [0.7, 0.85, 1, 1, 1.25, 1.6];

export function dataFileName(spec: DataSpec): string {
  return `patterns-${spec.shoppers}-shoppers-${spec.events}-events-seed-${spec.seed}-v${GENERATOR_VERSION}.duckdb`;
}

/**
 * The warehouse file for `spec` in `dir`: reused when it is there, else generated under a temporary
 * name and renamed when complete, so an interrupted generation is never mistaken for data.
 */
export async function ensurePatternsData(
  spec: DataSpec,
  dir: string,
  progress: (message: string) => void,
): Promise<{ path: string; reused: boolean; seconds: number }> {
  for (const [name, value] of Object.entries(spec)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, not ${value}`);
  }
  mkdirSync(dir, { recursive: true });
  const path = join(dir, dataFileName(spec));
  if (existsSync(path)) {
    progress(`reusing ${path} (${gigabytes(statSync(path).size)} GB)`);
    return { path, reused: true, seconds: 0 };
  }
  const partial = `${path}.partial`;
  for (const stale of [partial, `${partial}.wal`]) rmSync(stale, { force: true });
  const started = performance.now();
  const warehouse = await createDuckDbWarehouse(partial);
  try {
    await generatePatternsData(warehouse, spec, progress);
    await warehouse.sql('CHECKPOINT');
  } finally {
    await warehouse.close();
  }
  renameSync(partial, path);
  const seconds = (performance.now() - started) / 1000;
  progress(`generated ${path} (${gigabytes(statSync(path).size)} GB) in ${seconds.toFixed(0)} s`);
  return { path, reused: false, seconds };
}

const gigabytes = (bytes: number) => (bytes / 1e9).toFixed(2);

/** Fills `events` and `order_items` of an empty warehouse, in arrival order, EVENTS_PER_CHUNK events at a time. */
export async function generatePatternsData(warehouse: DuckDbWarehouse, spec: DataSpec, progress: (message: string) => void): Promise<void> {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(0);
  for (const statement of setupSql(spec)) await warehouse.sql(statement);
  progress(`    catalog of ${PRODUCTS} products and ${spec.shoppers} shoppers ready (${seconds()} s)`);
  let lines = 0;
  for (let lo = 0; lo < spec.events; lo += EVENTS_PER_CHUNK) {
    const hi = Math.min(spec.events, lo + EVENTS_PER_CHUNK);
    for (const statement of chunkSql(spec, lo, hi)) await warehouse.sql(statement);
    const [row] = await warehouse.sql('SELECT count(*) AS n FROM bench_chunk_items');
    lines += Number(row?.n ?? 0);
    progress(
      `    events ${hi.toLocaleString('en')}/${spec.events.toLocaleString('en')}, order lines ${lines.toLocaleString('en')} (${seconds()} s)`,
    );
  }
  for (const table of ['bench_chunk', 'bench_chunk_items', 'bench_pools', 'bench_shoppers', 'bench_products'])
    await warehouse.sql(`DROP TABLE IF EXISTS ${table}`);
}

/** A SQL string literal. */
const text = (value: string) => `'${value.replaceAll("'", "''")}'`;
const literals = (values: readonly (string | number)[]) => values.map((v) => (typeof v === 'string' ? text(v) : String(v))).join(', ');
/** A SQL list literal, `[…]`, and a value list for IN, `(…)`. */
const list = (values: readonly (string | number)[]) => `[${literals(values)}]`;
const inList = (values: readonly (string | number)[]) => `(${literals(values)})`;

function setupSql(spec: DataSpec): string[] {
  const { seed, shoppers } = spec;
  const tagShare = `CASE t ${Object.entries(DIETARY_TAGS)
    .map(([tag, share]) => `WHEN ${text(tag)} THEN ${share}`)
    .join(' ')} END`;
  return [
    // Uniform in [0, 1) and in 0 … n-1, from a key and a salt naming the choice.
    `CREATE OR REPLACE TEMP MACRO bench_rnd(k, salt) AS hash(k, salt, ${seed}) / 18446744073709551616.0`,
    `CREATE OR REPLACE TEMP MACRO bench_pick(k, salt, n) AS CAST(hash(k, salt, ${seed}) % n AS BIGINT)`,
    // Staple number s of shopper u: mostly from their favourite categories.
    `CREATE OR REPLACE TEMP MACRO bench_staple(u, favs, s) AS CASE
       WHEN bench_rnd(u * 64 + s, 'staple-kind') < 0.75
         THEN favs[1 + bench_pick(u * 64 + s, 'staple-category', 3)] * ${PRODUCTS_PER_CATEGORY} + bench_pick(u * 64 + s, 'staple-item', ${PRODUCTS_PER_CATEGORY})
       ELSE bench_pick(u * 64 + s, 'staple-anywhere', ${PRODUCTS})
     END`,
    // A product of a favourite category, of the favourite brand tier 40 % of the time.
    `CREATE OR REPLACE TEMP MACRO bench_liked(k, favs, brand_tier) AS
       favs[1 + bench_pick(k, 'liked-category', 3)] * ${PRODUCTS_PER_CATEGORY} + CASE
         WHEN bench_rnd(k, 'liked-brand') < 0.4 THEN brand_tier + ${BRANDS_PER_CATEGORY} * bench_pick(k, 'liked-brand-item', ${Math.floor(PRODUCTS_PER_CATEGORY / BRANDS_PER_CATEGORY)})
         ELSE bench_pick(k, 'liked-item', ${PRODUCTS_PER_CATEGORY})
       END`,
    `CREATE OR REPLACE TEMP TABLE bench_products AS
     WITH p AS (
       SELECT
         range AS p,
         range // ${PRODUCTS_PER_CATEGORY} AS c,
         range % ${PRODUCTS_PER_CATEGORY} AS j,
         printf('sku-%05d', range) AS sku,
         ${list(CATEGORIES)}[range // ${PRODUCTS_PER_CATEGORY} + 1] AS category,
         CASE WHEN range % 20 = 19 THEN NULL
           ELSE printf('Brand %03d', (range // ${PRODUCTS_PER_CATEGORY}) * ${BRANDS_PER_CATEGORY} + range % ${BRANDS_PER_CATEGORY}) END AS brand,
         round((0.8 + 7 * bench_rnd(range // ${PRODUCTS_PER_CATEGORY}, 'category-price')) * (0.6 + 0.8 * bench_rnd(range, 'price'))
           * ${list(BRAND_TIER_PRICE)}[range % ${BRANDS_PER_CATEGORY} + 1], 2) AS price,
         list_filter(${list(Object.keys(DIETARY_TAGS))}, t -> bench_rnd(range, t) < ${tagShare}) AS dietary_tags
       FROM range(${PRODUCTS})
     )
     SELECT *,
       printf('%s %s %d', coalesce(brand, 'Own label'), lower(category), j + 1) AS name,
       json_merge_patch('{}', json_object('sku', sku, 'name', printf('%s %s %d', coalesce(brand, 'Own label'), lower(category), j + 1),
         'category', category, 'brand', brand, 'price', price, 'dietary_tags', dietary_tags)) AS product_json
     FROM p`,
    `CREATE OR REPLACE TEMP TABLE bench_shoppers AS
     WITH s AS (
       SELECT
         range AS u,
         printf('shopper-%06d', range) AS user_id,
         0.25 - ln(1 - bench_rnd(range, 'activity')) AS w,
         bench_rnd(range, 'active') < ${ACTIVE_SHARE} AS active,
         [bench_pick(range, 'favourite-1', ${CATEGORIES.length}), bench_pick(range, 'favourite-2', ${CATEGORIES.length}), bench_pick(range, 'favourite-3', ${CATEGORIES.length})] AS favs,
         bench_pick(range, 'brand-tier', ${BRANDS_PER_CATEGORY}) AS brand_tier,
         1 + bench_pick(range, 'weekday', 7) AS weekday,
         7 + bench_pick(range, 'hour', 15) AS hour,
         8 + bench_pick(range, 'staples', 13) AS staples,
         0.03 + 0.3 * bench_rnd(range, 'promotions') AS promo_rate,
         IF(bench_rnd(range, 'arm') < 0.5, 'treatment', 'control') AS arm,
         ['web', 'ios', 'android'][1 + bench_pick(range, 'platform', 3)] AS platform,
         (bench_pick(range, 'clock-skew', 61) - 30) * 1000 AS clock_skew_ms
       FROM range(${shoppers})
     )
     SELECT *,
       -- Where each shopper's share of activity starts on [0, 1): events pick their shopper by it.
       (SUM(w) OVER (ORDER BY u) - w) / SUM(w) OVER () AS lo_all,
       IF(active, (SUM(IF(active, w, 0)) OVER (ORDER BY u) - w) / SUM(IF(active, w, 0)) OVER (), NULL) AS lo_active
     FROM s`,
    // Pool 0: everyone (events before ACTIVE_SINCE); pool 1: the active shoppers (events after).
    `CREATE OR REPLACE TEMP TABLE bench_pools AS
     SELECT 0 AS pool, lo_all AS lo, u FROM bench_shoppers
     UNION ALL
     SELECT 1, lo_active, u FROM bench_shoppers WHERE active`,
  ];
}

function chunkSql(spec: DataSpec, lo: number, hi: number): string[] {
  const { seed, events } = spec;
  const windowStart = AS_OF.getTime() - WINDOW_DAYS * DAY_MS;
  // The last events of the inactive shoppers are a day before ACTIVE_SINCE, so none is received after it.
  const poolSwitch = ACTIVE_SINCE.getTime() - DAY_MS;
  const msPerEvent = (AS_OF.getTime() - 60_000 - windowStart) / events;
  let typeDraw = 'CASE';
  let cumulative = 0;
  for (const [type, share] of EVENT_MIX.slice(0, -1)) {
    cumulative += share;
    typeDraw += ` WHEN ty < ${cumulative.toFixed(4)} THEN ${text(type)}`;
  }
  typeDraw += ` ELSE ${text(EVENT_MIX.at(-1)?.[0] ?? 'order_completed')} END`;
  const productTypes = inList(['search_result_clicked', 'product_viewed', 'cart_item_added', 'cart_item_removed', 'cart_item_updated']);
  return [
    `CREATE OR REPLACE TEMP TABLE bench_chunk AS
     WITH t AS (
       SELECT
         range AS i,
         ${windowStart} + (range + bench_rnd(range, 'jitter')) * ${msPerEvent} AS t0,
         bench_rnd(range, 'shopper') AS x,
         bench_rnd(range, 'type') AS ty
       FROM range(${lo}, ${hi})
     ),
     placed AS (
       SELECT *, IF(t0 >= ${poolSwitch}, 1, 0) AS pool FROM t
     ),
     owned AS (
       SELECT placed.i, placed.t0, placed.ty, pool_row.u
       FROM placed ASOF JOIN bench_pools AS pool_row ON placed.pool = pool_row.pool AND placed.x >= pool_row.lo
     ),
     typed AS (
       SELECT o.i, o.t0, s.*, ${typeDraw} AS type, floor(o.t0 / ${DAY_MS})::BIGINT AS day
       FROM owned AS o JOIN bench_shoppers AS s USING (u)
     ),
     timed AS (
       SELECT *,
         CASE WHEN type = 'order_completed' THEN
           -- Orders keep the shopper's rhythm: mostly their weekday (moved back, never forward), often their hour.
           (day - IF(bench_rnd(i, 'order-day') < 0.7, ((day + 3) % 7 + 1 - weekday + 7) % 7, 0)) * ${DAY_MS}
             + IF(bench_rnd(i, 'order-hour') < 0.6, hour, 7 + bench_pick(i, 'any-hour', 15)) * 3600000
             + bench_pick(i, 'order-ms', 3600000)
           ELSE floor(t0)::BIGINT
         END AS t_ms,
         -- Client send delay: mostly tens of milliseconds, now and then seconds.
         50 + floor(3000 * pow(bench_rnd(i, 'send-delay'), 4))::BIGINT AS delay_ms,
         CASE
           WHEN type NOT IN ${productTypes} THEN NULL
           WHEN bench_rnd(i, 'product-kind') < 0.35 THEN bench_staple(u, favs, bench_pick(i, 'which-staple', staples))
           WHEN bench_rnd(i, 'product-kind') < 0.75 THEN bench_liked(i, favs, brand_tier)
           ELSE bench_pick(i, 'any-product', ${PRODUCTS})
         END AS p,
         -- What a search is about: a favourite category mostly.
         IF(bench_rnd(i, 'search-kind') < 0.7, favs[1 + bench_pick(i, 'search-favourite', 3)], bench_pick(i, 'search-category', ${CATEGORIES.length})) AS search_category
       FROM typed
     )
     SELECT
       i, u, user_id, type, arm, platform, promo_rate, staples, favs, brand_tier, p, search_category,
       regexp_replace(md5('${seed}:' || i), '^(.{8})(.{4}).(.{3})(.{4})(.{12})$', '\\1-\\2-4\\3-\\4-\\5') AS event_id,
       IF(type = 'order_completed', printf('order-%09d', i), NULL) AS order_id,
       IF(type = 'order_completed', 5 + bench_pick(i, 'order-lines', 21), 0) AS lines,
       t_ms, delay_ms, clock_skew_ms,
       CAST(epoch_ms(t_ms) AS TIMESTAMPTZ) AS event_time
     FROM timed`,
    `CREATE OR REPLACE TEMP TABLE bench_chunk_items AS
     WITH lines AS (
       SELECT * EXCLUDE (p), unnest(range(1, lines + 1)) AS line
       FROM bench_chunk WHERE type = 'order_completed'
     ),
     keyed AS (
       SELECT *, i * 32 + line AS k FROM lines
     ),
     chosen AS (
       SELECT *,
         CASE
           -- Consecutive staples from a random one on: an order holds a staple once (unless it has more lines than staples).
           WHEN bench_rnd(k, 'line-kind') < 0.55 THEN bench_staple(u, favs, (bench_pick(i, 'first-staple', staples) + line) % staples)
           WHEN bench_rnd(k, 'line-kind') < 0.8 THEN bench_liked(k, favs, brand_tier)
           ELSE bench_pick(k, 'line-product', ${PRODUCTS})
         END AS p,
         bench_rnd(k, 'line-promotion') < promo_rate AS on_promotion,
         1 + floor(4 * pow(bench_rnd(k, 'line-quantity'), 3)) AS quantity
       FROM keyed
     )
     SELECT
       c.event_id, c.line, c.order_id, c.user_id, c.event_time,
       prod.sku, prod.name AS product_name, prod.category, prod.brand,
       IF(c.on_promotion, round(prod.price * 0.8, 2), prod.price) AS price,
       c.quantity,
       IF(c.on_promotion, printf('promo-%02d', bench_pick(c.k, 'promotion', 40)), NULL) AS promotion,
       prod.dietary_tags,
       prod.product_json
     FROM chosen AS c JOIN bench_products AS prod USING (p)`,
    `INSERT INTO order_items
     -- Generated, not imported: import_id is NULL, as for orders collected live.
     SELECT event_id, line, order_id, user_id, event_time, sku, product_name, category, brand, price, quantity, promotion, dietary_tags,
       NULL AS import_id
     FROM bench_chunk_items
     ORDER BY event_time, event_id, line`,
    `INSERT INTO events
     WITH orders AS (
       SELECT
         event_id,
         round(SUM(price * quantity), 2) AS total,
         to_json(list(json_merge_patch(product_json, json_object('price', price, 'quantity', quantity, 'promotion', promotion)) ORDER BY line)) AS items
       FROM bench_chunk_items
       GROUP BY event_id
     ),
     e AS (
       SELECT
         ch.*,
         prod.sku, prod.name AS product_name, prod.category, prod.brand, prod.price, prod.product_json,
         o.total, o.items,
         IF(ch.type = 'search_result_clicked', 1 + floor(10 * pow(bench_rnd(ch.i, 'position'), 2))::BIGINT, NULL) AS "position",
         CASE ch.type
           WHEN 'cart_item_added' THEN 1 + bench_pick(ch.i, 'cart-quantity', 3)
           WHEN 'cart_item_removed' THEN 1
           WHEN 'cart_item_updated' THEN bench_pick(ch.i, 'cart-quantity', 5)
         END::DOUBLE AS quantity,
         -- Searches have their own id; clicks always, views and cart adds sometimes, come from an earlier one.
         CASE
           WHEN ch.type = 'search_performed' THEN printf('search-%09d', ch.i)
           WHEN ch.type = 'search_result_clicked' OR (ch.type IN ('product_viewed', 'cart_item_added') AND bench_rnd(ch.i, 'from-search') < 0.4)
             THEN printf('search-%09d', greatest(0, ch.i - 1 - bench_pick(ch.i, 'search-back', 50)))
         END AS search_id,
         ${list(CATEGORIES)}[1 + coalesce(prod.c, ch.search_category)] AS query_category
       FROM bench_chunk AS ch
       LEFT JOIN bench_products AS prod USING (p)
       LEFT JOIN orders AS o USING (event_id)
     ),
     q AS (
       SELECT *,
         IF(type IN ('search_performed', 'search_result_clicked'),
           CASE
             WHEN bench_rnd(i, 'query-kind') < 0.6 THEN lower(query_category)
             WHEN bench_rnd(i, 'query-kind') < 0.85 THEN lower(query_category) || ' ' || ['organic', 'offer', 'large', 'fresh', 'family pack'][1 + bench_pick(i, 'query-word', 5)]
             ELSE lower(coalesce(brand, printf('brand %03d', bench_pick(i, 'query-brand', 300))))
           END, NULL) AS query,
         IF(type IN ('cart_item_added', 'cart_item_removed', 'cart_item_updated'), round(price * quantity + 5 + 80 * bench_rnd(i, 'cart-value'), 2), NULL) AS cart_value
       FROM e
     )
     SELECT
       event_id,
       type,
       user_id,
       printf('session-%06d-%d', u, t_ms // 1800000) AS session_id,
       printf('request-%06d-%d', u, t_ms // 60000) AS request_id,
       CAST(epoch_ms(t_ms + clock_skew_ms) AS TIMESTAMPTZ) AS occurred_at,
       CAST(epoch_ms(t_ms + clock_skew_ms + delay_ms) AS TIMESTAMPTZ) AS sent_at,
       CAST(epoch_ms(t_ms + delay_ms) AS TIMESTAMPTZ) AS received_at,
       event_time,
       search_id,
       query,
       sku, product_name, category, brand, price,
       quantity,
       "position",
       cart_value,
       order_id,
       total AS order_total,
       IF(type = 'search_performed', arm = 'treatment', NULL) AS personalized,
       json_object('personalization', arm) AS experiments,
       json_object('experiments', json_object('personalization', arm), 'platform', platform, 'locale', 'en-GB') AS context,
       json_merge_patch('{}', CASE type
         WHEN 'search_performed' THEN json_object(
           'search_id', search_id, 'query', query, 'results_count', 10 + bench_pick(i, 'results', 200),
           'results', list_transform(range(1, 11), r -> {'sku': printf('sku-%05d', search_category * ${PRODUCTS_PER_CATEGORY} + (bench_pick(i, 'first-result', ${PRODUCTS_PER_CATEGORY}) + 7 * r) % ${PRODUCTS_PER_CATEGORY}), 'position': r}),
           'personalized', arm = 'treatment')
         WHEN 'search_result_clicked' THEN json_object('search_id', search_id, 'query', query, 'product', product_json, 'position', "position")
         WHEN 'product_viewed' THEN json_object('product', product_json, 'search_id', search_id, 'source', IF(search_id IS NULL, 'category', 'search'))
         WHEN 'cart_item_added' THEN json_object('product', product_json, 'quantity', quantity, 'cart_value', cart_value, 'search_id', search_id)
         WHEN 'cart_item_removed' THEN json_object('product', product_json, 'quantity', quantity, 'cart_value', cart_value)
         WHEN 'cart_item_updated' THEN json_object('product', product_json, 'quantity', quantity, 'previous_quantity', quantity + 1, 'cart_value', cart_value)
         WHEN 'order_completed' THEN json_object('order_id', order_id, 'total', total, 'currency', 'EUR', 'items', items)
       END) AS data,
       NULL AS import_id
     FROM q
     ORDER BY event_time, event_id`,
  ];
}
