import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, duckDbParam, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { BEGINNING, runPatternsJob, type PatternsJobDeps } from '../../functions/patterns/job.ts';
import type { ReorderModel } from '../../functions/kernel/reorder-model.ts';
import { ANALYSES, type Patterns } from '../../functions/patterns/patterns.ts';
import type { PatternPublisher, PublishedPatterns } from '../../functions/patterns/ports.ts';
import { toDuckDbQuery } from '../../functions/warehouse/dialect.ts';
import type { SqlRow, SqlWarehouse } from '../../functions/warehouse/ports.ts';
import { createMemoryErasureStore, createMemoryPrivacyStore } from '../support/memory-privacy.ts';
import { weeklyOrders } from '../support/weekly-orders.ts';
import { expectRows } from './answers.ts';
import { AS_OF, EVENTS, ORDER_ITEMS, PRICE_RANGES, PRIVACY } from './fixtures.ts';

const HOUR = 3_600_000;
const SETTLE = 15 * 60_000;

function memoryPublisher(): PatternPublisher & { published: PublishedPatterns[][]; documents: Map<string, Patterns>; failNext: boolean } {
  const publisher = {
    published: [] as PublishedPatterns[][],
    documents: new Map<string, Patterns>(),
    failNext: false,
    async publish(entries: readonly PublishedPatterns[]) {
      if (publisher.failNext) {
        publisher.failNext = false;
        throw new Error('Firestore is unavailable');
      }
      publisher.published.push([...entries]);
      for (const { userId, patterns } of entries) publisher.documents.set(userId, patterns);
      return { written: entries.length };
    },
  };
  return publisher;
}

/** The warehouse, recording each call as `query <file>`, `execute <file>` or `replaceRows <table>`, and each answer's rows by file. */
function spied(warehouse: SqlWarehouse): SqlWarehouse & {
  calls: string[];
  answers: Map<string, SqlRow[]>;
  /** How often the call (`query file.sql`, `execute file.sql`, `replaceRows table`) was made. */
  count: (call: string) => number;
  /** Where the call was first made, in the order of all calls. */
  at: (call: string) => number;
} {
  const calls: string[] = [];
  const answers = new Map<string, SqlRow[]>();
  return {
    calls,
    answers,
    count: (call) => calls.filter((c) => c === call).length,
    at: (call) => calls.indexOf(call),
    async query(file, params, job) {
      calls.push(`query ${file}`);
      const result = await warehouse.query(file, params, job);
      answers.set(file, [...(answers.get(file) ?? []), ...result.rows]);
      return result;
    },
    execute(file, params, job) {
      calls.push(`execute ${file}`);
      return warehouse.execute(file, params, job);
    },
    replaceRows(table, rows, job) {
      calls.push(`replaceRows ${table}`);
      return warehouse.replaceRows(table, rows, job);
    },
  };
}

/**
 * `sql/price_sensitivity.sql` as it was before the ranges were staged: one query over every shopper's
 * order lines, computing the categories' ranges in itself.
 */
const SINGLE_QUERY_PRICE_SENSITIVITY = `
WITH
active AS (
  SELECT user_id
  FROM shopper_privacy_staging
  WHERE learn_preferences AND learn_price
),
bought AS (
  SELECT user_id, category, price, quantity, promotion IS NOT NULL AS on_promotion
  FROM order_items
  WHERE event_time >= TIMESTAMP_SUB(@as_of, INTERVAL 180 DAY)
    AND event_time < @as_of
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id, line ORDER BY sku) = 1
),
ranges AS (
  SELECT category, MIN(price) AS low, MAX(price) AS high, AVG(price) AS mean
  FROM bought
  GROUP BY category
)
SELECT
  b.user_id,
  b.category,
  COUNT(*) AS lines,
  SUM(b.quantity) AS units,
  SAFE_DIVIDE(SUM(b.quantity * IFNULL(SAFE_DIVIDE(b.price - r.low, r.high - r.low), 0.5)), SUM(b.quantity)) AS price_position,
  SAFE_DIVIDE(SUM(b.quantity * IFNULL(SAFE_DIVIDE(b.price, r.mean), 1)), SUM(b.quantity)) AS price_index,
  SAFE_DIVIDE(SUM(IF(b.on_promotion, b.quantity, 0)), SUM(b.quantity)) AS promo_share
FROM bought AS b
JOIN active USING (user_id)
JOIN ranges AS r USING (category)
GROUP BY b.user_id, b.category
`;

/** A click on a Lurpak butter, received at `receivedAt` (and happening then). */
function lateClick(userId: string, eventId: string, at: string): SqlRow {
  const [template] = EVENTS;
  return { ...template, event_id: eventId, user_id: userId, occurred_at: at, sent_at: at, received_at: at, event_time: at };
}

describe('the patterns job on DuckDB', () => {
  let warehouse: DuckDbWarehouse;
  let publisher: ReturnType<typeof memoryPublisher>;
  let privacy: ReturnType<typeof createMemoryPrivacyStore>;
  let erasures: ReturnType<typeof createMemoryErasureStore>;
  let now: Date;
  let deps: PatternsJobDeps & { logger: ReturnType<typeof createMemoryLogger> };
  let events: SqlRow[];
  let models: ReorderModel[];

  beforeEach(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    events = [...EVENTS];
    await warehouse.replaceRows('events', events, 'test');
    await warehouse.replaceRows('order_items', ORDER_ITEMS, 'test');
    publisher = memoryPublisher();
    // The shoppers' preference documents are the publisher's: turning learn_preferences off, or an
    // erasure request, deletes them there.
    privacy = createMemoryPrivacyStore(publisher.documents);
    for (const [userId, off] of Object.entries(PRIVACY)) await privacy.set(userId, off);
    erasures = createMemoryErasureStore({ privacy, learned: publisher.documents });
    now = new Date(AS_OF);
    let runs = 0;
    models = [];
    const reorderModels = { publish: async (model: ReorderModel) => void models.push(model) };
    deps = {
      warehouse,
      publisher,
      reorderModels,
      privacy,
      erasures,
      clock: () => now,
      logger: createMemoryLogger(),
      settleMs: SETTLE,
      newRunId: () => `run-${(runs += 1)}`,
    };
  });
  afterEach(() => warehouse.close());

  const addEvents = async (...rows: SqlRow[]) => {
    events.push(...rows);
    await warehouse.replaceRows('events', events, 'test');
  };
  const runs = () =>
    warehouse.sql('SELECT run_id, status, since, watermark, shoppers, changed, error FROM job_runs ORDER BY started_at, run_id');

  const patternRows = async () => (await warehouse.sql('SELECT user_id FROM user_patterns ORDER BY user_id')).map((r) => r.user_id);

  it('computes every shopper on the first run, publishes them, and records the next watermark', async () => {
    const run = await runPatternsJob(deps);

    // u5 has learn_preferences off: active, but neither computed nor published.
    expect(run).toMatchObject({
      run_id: 'run-1',
      as_of: AS_OF,
      since: BEGINNING.toISOString(),
      shoppers: 5,
      erasing: 0,
      forgotten: 1,
      changed: 5,
    });
    expect(run.watermark).toBe(new Date(now.getTime() - SETTLE).toISOString());
    expect([...publisher.documents.keys()].sort()).toEqual(['u1', 'u2', 'u3', 'u4', 'u6']);
    expect(await patternRows()).toEqual(['u1', 'u2', 'u3', 'u4', 'u6']);
    expect(await runs()).toMatchObject([{ run_id: 'run-1', status: 'succeeded', shoppers: 5n, changed: 5n, error: null }]);
  });

  it('fits no reorder model from the fixture’s one reorder: too few purchases, so none is published or kept', async () => {
    const run = await runPatternsJob(deps);
    expect(run.reorder_model).toBeNull();
    expect(models).toEqual([]);
    expect(await warehouse.sql('SELECT COUNT(*) AS n FROM reorder_model')).toEqual([{ n: 0n }]);
    expect(deps.logger.entries.map((e) => e.message)).toContain('reorder model not fitted: too few purchases');
  });

  it('fits the reorder model from the outcomes of every slice, publishes it for search and keeps it as a version of reorder_model', async () => {
    // Two shoppers in two slices, five weekly orders of twenty products each: from the third order on, each order buys
    // twenty products with a rhythm (one interval in, 2, 3 and 4 orders before it, 7 days): 60 outcomes a shopper,
    // beside the fixture's shoppers' 4 (one bought; fixtures.ts, reorder_outcomes).
    const lastAt = new Date(Date.parse(AS_OF) - 2 * HOUR);
    for (const userId of ['w1', 'w2'])
      expect((await warehouse.insertEvents(weeklyOrders(userId, lastAt, 5, 20), 'test')).failed).toEqual([]);
    const run = await runPatternsJob({ ...deps, sliceShoppers: 4 }, { asOf: new Date(AS_OF) });

    expect(run.reorder_model).toMatchObject({ version: 'run-1', examples: 124, bought: 121 });
    expect(models).toHaveLength(1);
    const [model] = models;
    expect(model).toMatchObject({ kind: 'reorder-cells-v1', version: 'run-1', as_of: AS_OF, examples: 124, bought: 121 });
    const seen = model?.cells
      .filter((c) => c.examples > 0)
      .map((c) => [c.cycle_bin, c.orders_bin, c.interval_bin, c.examples, c.bought, c.due]);
    expect(seen).toEqual([
      [4, 0, 2, 42, 41, true],
      [4, 1, 2, 40, 40, true],
      [4, 2, 2, 40, 40, true],
      // One unbought example each does not outweigh the ten the prior lends them at the run's rate (121 / 124).
      [9, 0, 2, 1, 0, true],
      [9, 1, 2, 1, 0, true],
    ]);
    const kept = await warehouse.sql(
      'SELECT version, COUNT(*) AS cells, SUM(examples) AS examples, SUM(CAST(due AS INT)) AS due FROM reorder_model GROUP BY version',
    );
    expect(kept).toEqual([
      {
        version: 'run-1',
        cells: BigInt(model?.cells.length ?? 0),
        examples: 124n,
        due: BigInt(model?.cells.filter((c) => c.due).length ?? 0),
      },
    ]);
    expect(await warehouse.sql('SELECT COUNT(*) AS n FROM reorder_model_staging')).toEqual([{ n: 0n }]);

    // A run with no new activity has no examples, and the model in force stays; a run over everyone again is another version.
    expect((await runPatternsJob(deps, { asOf: new Date(AS_OF) })).reorder_model).toBeNull();
    expect((await runPatternsJob(deps, { asOf: new Date(AS_OF), since: BEGINNING })).reorder_model).toMatchObject({ version: 'run-3' });
    expect(await warehouse.sql('SELECT DISTINCT version FROM reorder_model ORDER BY version')).toEqual([
      { version: 'run-1' },
      { version: 'run-3' },
    ]);
  });

  it('learns the reorder model only from shoppers who allow learning their schedule', async () => {
    const lastAt = new Date(Date.parse(AS_OF) - 2 * HOUR);
    for (const userId of ['w1', 'w2'])
      expect((await warehouse.insertEvents(weeklyOrders(userId, lastAt, 5, 20), 'test')).failed).toEqual([]);
    await privacy.set('w2', { learn_schedule: false });
    // w1's 60 outcomes beside the fixture's 4; with w1's off too, the fixture's one purchase is too few to fit.
    expect((await runPatternsJob(deps, { asOf: new Date(AS_OF) })).reorder_model).toMatchObject({ examples: 64, bought: 61 });
    await privacy.set('w1', { learn_preferences: false });
    expect((await runPatternsJob(deps, { asOf: new Date(AS_OF) })).reorder_model).toBeNull();
  });

  it('stages every active shopper’s flags first, so the patterns leave out what each turned off', async () => {
    await runPatternsJob(deps);

    // u2 set nothing: the defaults.
    const on = { learn_preferences: true, learn_brands: true, learn_price: true, learn_schedule: true, learn_dietary: true };
    expect(await warehouse.sql('SELECT * FROM shopper_privacy_staging ORDER BY user_id')).toEqual(
      ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map((userId) => ({ user_id: userId, ...on, ...PRIVACY[userId] })),
    );
    const messages = deps.logger.entries.map((e) => e.message);
    expect(messages.indexOf('query active_shoppers done')).toBeLessThan(messages.indexOf('privacy flags staged'));
    expect(messages.indexOf('privacy flags staged')).toBeLessThan(messages.indexOf('query regular_purchases done'));

    // u4 turned brands off: no brands, everything else.
    const u4 = publisher.documents.get('u4');
    expect(u4).toMatchObject({
      brands: [],
      categories: [{ name: 'Drinks', score: 4.8 }],
      schedule: { orders: 3 },
      dietary: [{ tag: 'vegan' }],
    });
    expect(u4?.regular_items.map((i) => i.sku)).toEqual(['coffee', 'tea']);
    expect(u4?.price).toMatchObject({ position: 0.3333, index: 0.8333, promo_share: 0.3333 });
    expect(u4?.bought_together.map((p) => `${p.sku}→${p.with_sku}`)).toEqual(['coffee→tea', 'tea→coffee']);
    // u6 turned price, schedule and dietary off.
    expect(publisher.documents.get('u6')).toMatchObject({
      regular_items: [{ sku: 'peas', frequency: 'biweekly' }],
      brands: [{ name: 'Birds Eye', score: 2.4 }],
      categories: [{ name: 'Frozen', score: 2.4 }],
      price: null,
      schedule: null,
      dietary: [],
      bought_together: [],
    });
  });

  it('skips a shopper whose erasure is pending: not staged, published or merged', async () => {
    await erasures.request('u1', 'shopper', new Date(Date.parse(AS_OF) - HOUR));

    const run = await runPatternsJob(deps);
    expect(run).toMatchObject({ shoppers: 4, erasing: 1, forgotten: 1, changed: 4 });
    expect((await warehouse.sql('SELECT user_id FROM shopper_privacy_staging ORDER BY user_id')).map((r) => r.user_id)).toEqual([
      'u2',
      'u3',
      'u4',
      'u5',
      'u6',
    ]);
    expect(publisher.published.flat().map((p) => p.userId)).not.toContain('u1');
    expect(publisher.documents.has('u1')).toBe(false);
    expect(await patternRows()).toEqual(['u2', 'u3', 'u4', 'u6']);
  });

  it('publishes nothing for a shopper who turned learn_preferences off, and forgets their stored patterns', async () => {
    await privacy.set('u5', { learn_preferences: true });
    await runPatternsJob(deps);
    expect(publisher.documents.has('u5')).toBe(true);
    expect(await patternRows()).toContain('u5');

    // Turning it off deletes the document (the privacy store's part); the next run must not recreate it.
    await privacy.set('u5', { learn_preferences: false });
    expect(publisher.documents.has('u5')).toBe(false);
    const at = new Date(now.getTime() + 60_000).toISOString();
    await addEvents({ ...lateClick('u5', 'u5-view-1', at), type: 'product_viewed' });
    now = new Date(now.getTime() + HOUR);
    const off = await runPatternsJob(deps, { asOf: new Date(AS_OF) });
    expect(off).toMatchObject({ shoppers: 0, forgotten: 1, changed: 0 });
    expect(publisher.documents.has('u5')).toBe(false);
    expect(await patternRows()).not.toContain('u5');
    expect(deps.logger.entries).toContainEqual(expect.objectContaining({ message: 'patterns forgotten', shoppers: 1, rows: 1 }));

    // Back on: the same patterns as before are published again, since no stale row says they were.
    await privacy.set('u5', { learn_preferences: true });
    await addEvents({ ...lateClick('u5', 'u5-view-2', new Date(now.getTime() + 60_000).toISOString()), type: 'product_viewed' });
    now = new Date(now.getTime() + HOUR);
    expect(await runPatternsJob(deps, { asOf: new Date(AS_OF) })).toMatchObject({ shoppers: 1, changed: 1 });
    expect(publisher.documents.get('u5')?.regular_items.map((i) => i.sku)).toEqual(['coffee']);
  });

  it('assembles a shopper’s patterns from every analysis', async () => {
    await runPatternsJob(deps);
    const u1 = publisher.documents.get('u1');

    expect(u1?.as_of).toBe(AS_OF);
    // Most confident first (milk, 3 purchases), then by purchases and sku.
    expect(u1?.regular_items.map((i) => [i.sku, i.confidence, i.frequency, i.due_at])).toEqual([
      ['milk', 0.3, 'weekly', '2026-01-21T17:12:00.000Z'],
      ['bread', 0.2, 'weekly', '2026-01-14T17:12:00.000Z'],
      ['rice', 0.2, 'quarterly', '2026-05-04T07:36:00.000Z'],
    ]);
    expect(u1?.brands).toEqual([
      { name: 'Arla', score: 4.2, share: 0.56, purchases: 4, cart_adds: 1, clicks: 0 },
      { name: 'Hovis', score: 3, share: 0.4, purchases: 2, cart_adds: 1, clicks: 2 },
    ]);
    expect(u1?.categories.map((c) => c.name)).toEqual(['Dairy', 'Bakery']);
    // Overall, by units: Dairy 6 at 1/6, Bakery 2 at 0, Pantry 2 at 0.5 → 2/10; index (6 × 8/11 + 2 × 0.8 + 2 × 1) / 10.
    expect(u1?.price).toMatchObject({ units: 10, position: 0.2, index: 0.7964, promo_share: 0.1, class: 'budget' });
    expect(u1?.price?.categories.map((c) => c.category)).toEqual(['Dairy', 'Bakery', 'Pantry']);
    expect(u1?.schedule).toEqual({
      orders: 5,
      last_order_at: '2026-02-20T10:00:00.000Z',
      avg_interval_days: 20.25,
      next_order_at: '2026-03-12T16:00:00.000Z',
      confidence: 0.5,
      preferred_weekdays: [4],
      preferred_hours: [10],
    });
    expect(u1?.dietary.map((d) => d.tag)).toEqual(['vegetarian', 'vegan', 'gluten_free']);
    expect(u1?.bought_together.map((p) => `${p.sku}→${p.with_sku}`)).toEqual(['bread→milk', 'milk→bread']);
    // u2 buys the dearest milk and bread there are.
    expect(publisher.documents.get('u2')?.price?.class).toBe('premium');
    // u3 has one order: no regular items, no schedule, but a price profile.
    expect(publisher.documents.get('u3')).toMatchObject({ regular_items: [], schedule: null, brands: [] });
  });

  it('recomputes only shoppers with events received since the watermark, and publishes only changed patterns', async () => {
    await runPatternsJob(deps);
    now = new Date(now.getTime() + HOUR);

    // Nothing new: nobody is recomputed.
    expect(await runPatternsJob(deps)).toMatchObject({
      since: new Date(Date.parse(AS_OF) - SETTLE).toISOString(),
      shoppers: 0,
      changed: 0,
    });

    // u1 views a product: recomputed, but as of the same instant the patterns are the same.
    const at = new Date(now.getTime() - 5 * 60_000).toISOString();
    await addEvents({ ...lateClick('u1', 'view-1', at), type: 'product_viewed' });
    now = new Date(now.getTime() + HOUR);
    const unchanged = await runPatternsJob(deps, { asOf: new Date(AS_OF) });
    expect(unchanged).toMatchObject({ shoppers: 1, changed: 0 });
    // Unchanged patterns are neither staged nor merged: their JSON does not travel.
    expect(await warehouse.sql('SELECT count(*)::INTEGER AS n FROM user_patterns_staging')).toEqual([{ n: 0 }]);
    expect(deps.logger.entries.filter((e) => e.message === 'query stored_fingerprints done').at(-1)).toMatchObject({ rows: 1 });

    // u3 clicks Hovis bread twice and adds it to the cart: Hovis passes 2.0 for u3; published.
    const click = (id: string) => ({ ...lateClick('u3', id, at), event_time: '2026-02-27T10:00:00.000Z' });
    await addEvents(click('u3-c1'), click('u3-c2'), { ...click('u3-a1'), type: 'cart_item_added' });
    now = new Date(now.getTime() + HOUR);
    const changed = await runPatternsJob(deps, { asOf: new Date(AS_OF), since: new Date(at) });
    expect(changed).toMatchObject({ shoppers: 2, changed: 1 });
    expect(publisher.published.at(-1)?.map((p) => p.userId)).toEqual(['u3']);
    expect(publisher.documents.get('u3')?.brands).toEqual([
      { name: 'Hovis', score: 2.1, share: 0.7, purchases: 1, cart_adds: 1, clicks: 2 },
    ]);
    const [stored] = await warehouse.sql("SELECT CAST(patterns AS VARCHAR) AS patterns FROM user_patterns WHERE user_id = 'u3'");
    expect(JSON.parse(stored?.patterns as string)).toEqual(publisher.documents.get('u3'));
  });

  it('leaves the watermark where it was when a run fails, so the next run redoes and republishes its shoppers', async () => {
    publisher.failNext = true;
    await expect(runPatternsJob(deps)).rejects.toThrow('Firestore is unavailable');
    expect(await runs()).toMatchObject([{ run_id: 'run-1', status: 'failed', error: 'Firestore is unavailable' }]);
    expect(await warehouse.sql('SELECT count(*)::INTEGER AS n FROM user_patterns')).toEqual([{ n: 0 }]);
    expect(deps.logger.entries).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'job failed' }));

    now = new Date(now.getTime() + HOUR);
    const retried = await runPatternsJob(deps);
    expect(retried).toMatchObject({ since: BEGINNING.toISOString(), shoppers: 5, changed: 5 });
    expect(publisher.documents.size).toBe(5);
  });

  it('computes the same patterns slice by slice as all at once, holding one slice of shoppers at a time', async () => {
    await runPatternsJob(deps);
    const whole = new Map(publisher.documents);

    const sliced = await createDuckDbWarehouse(':memory:');
    try {
      await sliced.replaceRows('events', EVENTS, 'test');
      await sliced.replaceRows('order_items', ORDER_ITEMS, 'test');
      publisher.documents.clear();
      publisher.published.length = 0;
      const logger = createMemoryLogger();
      const run = await runPatternsJob({ ...deps, warehouse: sliced, logger, sliceShoppers: 2 });

      // Six active shoppers in slices of two; u5 (learn_preferences off) is forgotten in its slice.
      expect(run).toMatchObject({ shoppers: 5, forgotten: 1, changed: 5 });
      expect(publisher.published.map((batch) => batch.map((p) => p.userId))).toEqual([['u1', 'u2'], ['u3', 'u4'], ['u6']]);
      expect(publisher.documents).toEqual(whole);
      expect(logger.entries.filter((e) => e.message === 'slice done').map((e) => [e.slice, e.slices, e.shoppers])).toEqual([
        [1, 3, 2],
        [2, 3, 2],
        [3, 3, 1],
      ]);
      // The staging table holds the last slice only.
      expect((await sliced.sql('SELECT user_id FROM shopper_privacy_staging ORDER BY user_id')).map((r) => r.user_id)).toEqual([
        'u5',
        'u6',
      ]);
      expect((await sliced.sql('SELECT user_id FROM user_patterns ORDER BY user_id')).map((r) => r.user_id)).toEqual([
        'u1',
        'u2',
        'u3',
        'u4',
        'u6',
      ]);
    } finally {
      await sliced.close();
    }
  });

  it('stages the categories’ price ranges once per run, before the first slice, however many slices read them', async () => {
    const spy = spied(warehouse);
    const run = await runPatternsJob({ ...deps, warehouse: spy, sliceShoppers: 2 });
    expect(run).toMatchObject({ shoppers: 5, changed: 5 });

    const { count, at } = spy;
    expect(count('replaceRows category_price_ranges_staging')).toBe(1);
    expect(count('execute stage_category_price_ranges.sql')).toBe(1);
    // Three slices, each reading the staged ranges.
    expect(count('replaceRows shopper_privacy_staging')).toBe(3);
    expect(count('query price_sensitivity.sql')).toBe(3);
    // Emptied, then filled, after the active shoppers are found and before the first slice is staged.
    expect(at('query active_shoppers.sql')).toBeLessThan(at('replaceRows category_price_ranges_staging'));
    expect(at('replaceRows category_price_ranges_staging')).toBeLessThan(at('execute stage_category_price_ranges.sql'));
    expect(at('execute stage_category_price_ranges.sql')).toBeLessThan(at('replaceRows shopper_privacy_staging'));

    // Every shopper's ranges of the 180 days before as_of, logged like a query with the rows it staged.
    const staged = await warehouse.sql('SELECT category, low, high, mean, as_of FROM category_price_ranges_staging');
    expectRows(
      staged.map((r) => ({ ...r, as_of: (r.as_of as Date).toISOString() })),
      PRICE_RANGES,
      ['category'],
    );
    expect(deps.logger.entries.filter((e) => e.message === 'query stage_category_price_ranges done')).toEqual([
      expect.objectContaining({ query: 'stage_category_price_ranges', rows: PRICE_RANGES.length, ms: expect.any(Number) }),
    ]);

    // Nobody new: the table is emptied, and the window is not scanned for ranges no slice would read.
    spy.calls.length = 0;
    now = new Date(now.getTime() + HOUR);
    expect(await runPatternsJob({ ...deps, warehouse: spy, sliceShoppers: 2 })).toMatchObject({ shoppers: 0 });
    expect(spy.calls).toContain('replaceRows category_price_ranges_staging');
    expect(spy.calls).not.toContain('execute stage_category_price_ranges.sql');
    expect(await warehouse.sql('SELECT count(*)::INTEGER AS n FROM category_price_ranges_staging')).toEqual([{ n: 0 }]);
  });

  it('stages the run’s order lines and engagement once, each slice’s out of them before its analyses, and empties all after the run', async () => {
    const spy = spied(warehouse);
    const run = await runPatternsJob({ ...deps, warehouse: spy, sliceShoppers: 1 });
    expect(run).toMatchObject({ shoppers: 5, forgotten: 1, changed: 5 });

    const { count, at } = spy;
    // The window is read once for the run, before the first slice, however many slices there are.
    expect(count('execute stage_run_order_lines.sql')).toBe(1);
    expect(count('execute stage_run_engagement.sql')).toBe(1);
    expect(count('replaceRows run_order_lines_staging')).toBe(2);
    expect(count('replaceRows run_engagement_staging')).toBe(2);
    expect(at('query active_shoppers.sql')).toBeLessThan(at('execute stage_run_order_lines.sql'));
    expect(at('execute stage_run_engagement.sql')).toBeLessThan(at('replaceRows shopper_privacy_staging'));
    // Every active shopper's, u5's (learn_preferences off) too: u1's eight lines (o3 once), u2's two, u3's two, u4's
    // five, u5's two and u6's two.
    expect(deps.logger.entries.filter((e) => e.message === 'query stage_run_order_lines done')).toEqual([
      expect.objectContaining({ rows: 21 }),
    ]);
    // Six slices of one, each emptied first, and once more after the run; u5's slice (learn_preferences
    // off) has nobody to stage.
    expect(count('replaceRows order_lines_staging')).toBe(7);
    expect(count('replaceRows engagement_staging')).toBe(7);
    expect(count('execute stage_order_lines.sql')).toBe(5);
    expect(count('execute stage_engagement.sql')).toBe(5);
    // In the first slice: flags, then lines, then engagement, then the analyses.
    expect(at('replaceRows shopper_privacy_staging')).toBeLessThan(at('replaceRows order_lines_staging'));
    expect(at('replaceRows order_lines_staging')).toBeLessThan(at('execute stage_order_lines.sql'));
    expect(at('execute stage_order_lines.sql')).toBeLessThan(at('execute stage_engagement.sql'));
    for (const analysis of ANALYSES) expect(at('execute stage_engagement.sql')).toBeLessThan(at(`query ${analysis}.sql`));
    expect(spy.calls.at(-1)).toBe('execute insert_job_run.sql');
    expect(spy.calls.slice(-5, -1)).toEqual([
      'replaceRows run_order_lines_staging',
      'replaceRows run_engagement_staging',
      'replaceRows order_lines_staging',
      'replaceRows engagement_staging',
    ]);

    // Logged like a query, with the rows each slice staged: u1's eight lines (o3 once) first.
    const staged = deps.logger.entries.filter((e) => e.message === 'query stage_order_lines done');
    expect(staged).toHaveLength(5);
    expect(staged[0]).toMatchObject({ query: 'stage_order_lines', rows: 8 });
    for (const table of ['run_order_lines_staging', 'run_engagement_staging', 'order_lines_staging', 'engagement_staging']) {
      expect(await warehouse.sql(`SELECT count(*)::INTEGER AS n FROM ${table}`)).toEqual([{ n: 0 }]);
    }
  });

  it('slices the shoppers in the warehouse’s order, so each slice’s range of ids holds all of its shoppers', async () => {
    // Three shoppers whose ids sort one way by UTF-16 code units (JavaScript's sort) and another by their UTF-8
    // bytes (the warehouse's): sliced in JavaScript's order, a slice's first id would come after its last.
    const ids = ['\u{10000}', '\uE000', '\uFFFD'].map((c) => `s-${c}`);
    const u4 = (row: SqlRow) => row.user_id === 'u4';
    await warehouse.replaceRows(
      'order_items',
      [...ORDER_ITEMS, ...ids.flatMap((userId) => ORDER_ITEMS.filter(u4).map((row) => ({ ...row, user_id: userId })))],
      'test',
    );
    await addEvents(...ids.map((userId) => ({ ...EVENTS.find(u4)!, user_id: userId })));

    const run = await runPatternsJob({ ...deps, sliceShoppers: 3 });
    expect(run).toMatchObject({ shoppers: 8, changed: 8 });
    // Each learned u4's weekly coffee, from its own lines copied out of the run's.
    for (const userId of ids) expect(publisher.documents.get(userId)?.regular_items.map((item) => item.sku)).toEqual(['coffee', 'tea']);
    expect(publisher.documents.get('u4')?.regular_items.map((item) => item.sku)).toEqual(['coffee', 'tea']);
  });

  it('answers price_sensitivity.sql, slice by slice from the staged ranges, as the single query over everyone did', async () => {
    const spy = spied(warehouse);
    await runPatternsJob({ ...deps, warehouse: spy, sliceShoppers: 2 });
    const sliced = spy.answers.get('price_sensitivity.sql') ?? [];

    // The single query, with every active shopper staged at once (u2 set nothing: the defaults).
    const on = { learn_preferences: true, learn_brands: true, learn_price: true, learn_schedule: true, learn_dietary: true };
    await warehouse.replaceRows(
      'shopper_privacy_staging',
      ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map((userId) => ({ user_id: userId, ...on, ...PRIVACY[userId] })),
      'test',
    );
    const single = (await warehouse.sql(toDuckDbQuery(SINGLE_QUERY_PRICE_SENSITIVITY), { as_of: duckDbParam(new Date(AS_OF)) })).map(
      (row) =>
        Object.fromEntries(
          Object.entries(row).map(([column, value]) => [column, typeof value === 'bigint' ? Number(value) : value]),
        ) as SqlRow,
    );

    // u1, u2 (dearest milk and bread), u3 and u4; u5 and u6 have learn_price off.
    const key = (row: SqlRow) => JSON.stringify([row.user_id, row.category]);
    const byKey = (rows: SqlRow[]) => rows.toSorted((a, b) => key(a).localeCompare(key(b)));
    expect([...new Set(sliced.map((r) => r.user_id))].sort()).toEqual(['u1', 'u2', 'u3', 'u4']);
    expect(byKey(sliced)).toEqual(byKey(single));
  });

  it('after a run that failed in its second slice, publishes again only what the first slice did not', async () => {
    let calls = 0;
    const failing: PatternPublisher = {
      publish: async (entries) => {
        calls += 1;
        if (calls === 2) throw new Error('Firestore is unavailable');
        return publisher.publish(entries);
      },
    };
    await expect(runPatternsJob({ ...deps, publisher: failing, sliceShoppers: 3 }, { asOf: new Date(AS_OF) })).rejects.toThrow(
      'Firestore is unavailable',
    );
    expect(await runs()).toMatchObject([{ status: 'failed', since: BEGINNING }]);
    expect(await patternRows()).toEqual(['u1', 'u2', 'u3']);

    now = new Date(now.getTime() + HOUR);
    const retried = await runPatternsJob({ ...deps, sliceShoppers: 3 }, { asOf: new Date(AS_OF) });
    // Every shopper recomputed; the first slice's are unchanged, so only the second slice's are published.
    expect(retried).toMatchObject({ since: BEGINNING.toISOString(), shoppers: 5, changed: 2 });
    expect(publisher.published.map((batch) => batch.map((p) => p.userId))).toEqual([['u1', 'u2', 'u3'], [], ['u4', 'u6']]);
    expect(await patternRows()).toEqual(['u1', 'u2', 'u3', 'u4', 'u6']);
  });

  it('refuses a slice size that is not a positive whole number', async () => {
    await expect(runPatternsJob({ ...deps, sliceShoppers: 0 })).rejects.toThrow(/sliceShoppers/);
    expect(await runs()).toMatchObject([{ status: 'failed' }]);
  });

  it('republishes a shopper whose patterns reached Firestore but not user_patterns', async () => {
    await runPatternsJob(deps);
    // As if the previous run had died between publishing and merging.
    await warehouse.sql("DELETE FROM user_patterns WHERE user_id = 'u1'");
    await addEvents({ ...lateClick('u1', 'view-2', new Date(now.getTime() + 60_000).toISOString()), type: 'product_viewed' });
    now = new Date(now.getTime() + HOUR);

    const run = await runPatternsJob(deps, { asOf: new Date(AS_OF) });
    expect(run).toMatchObject({ shoppers: 1, changed: 1 });
    expect(await warehouse.sql("SELECT count(*)::INTEGER AS n FROM user_patterns WHERE user_id = 'u1'")).toEqual([{ n: 1 }]);
  });

  it('logs progress per query and a summary, naming no shopper', async () => {
    await runPatternsJob(deps);
    const messages = deps.logger.entries.map((e) => e.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'job started',
        'query regular_purchases done',
        'query bought_together done',
        'patterns published',
        'job succeeded',
      ]),
    );
    expect(deps.logger.entries.find((e) => e.message === 'query brand_preferences done')).toMatchObject({
      query: 'brand_preferences',
      rows: 3,
    });
    expect(JSON.stringify(deps.logger.entries)).not.toMatch(/"u[1-6]"/);
  });
});
