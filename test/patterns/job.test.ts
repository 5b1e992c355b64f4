import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { BEGINNING, runPatternsJob, type PatternsJobDeps } from '../../functions/patterns/job.ts';
import type { Patterns } from '../../functions/patterns/patterns.ts';
import type { PatternPublisher, PublishedPatterns } from '../../functions/patterns/ports.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { AS_OF, EVENTS, ORDER_ITEMS } from './fixtures.ts';

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

/** A click on a Lurpak butter, received at `receivedAt` (and happening then). */
function lateClick(userId: string, eventId: string, at: string): SqlRow {
  const [template] = EVENTS;
  return { ...template, event_id: eventId, user_id: userId, occurred_at: at, sent_at: at, received_at: at, event_time: at };
}

describe('the patterns job on DuckDB', () => {
  let warehouse: DuckDbWarehouse;
  let publisher: ReturnType<typeof memoryPublisher>;
  let now: Date;
  let deps: PatternsJobDeps & { logger: ReturnType<typeof createMemoryLogger> };
  let events: SqlRow[];

  beforeEach(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    events = [...EVENTS];
    await warehouse.replaceRows('events', events, 'test');
    await warehouse.replaceRows('order_items', ORDER_ITEMS, 'test');
    publisher = memoryPublisher();
    now = new Date(AS_OF);
    let runs = 0;
    deps = { warehouse, publisher, clock: () => now, logger: createMemoryLogger(), settleMs: SETTLE, newRunId: () => `run-${(runs += 1)}` };
  });
  afterEach(() => warehouse.close());

  const addEvents = async (...rows: SqlRow[]) => {
    events.push(...rows);
    await warehouse.replaceRows('events', events, 'test');
  };
  const runs = () => warehouse.sql('SELECT run_id, status, since, watermark, shoppers, changed, error FROM job_runs ORDER BY started_at, run_id');

  it('computes every shopper on the first run, publishes them, and records the next watermark', async () => {
    const run = await runPatternsJob(deps);

    expect(run).toMatchObject({ run_id: 'run-1', as_of: AS_OF, since: BEGINNING.toISOString(), shoppers: 3, changed: 3 });
    expect(run.watermark).toBe(new Date(now.getTime() - SETTLE).toISOString());
    expect([...publisher.documents.keys()].sort()).toEqual(['u1', 'u2', 'u3']);
    expect(await warehouse.sql('SELECT user_id FROM user_patterns ORDER BY user_id')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }, { user_id: 'u3' }]);
    expect(await runs()).toMatchObject([{ run_id: 'run-1', status: 'succeeded', shoppers: 3n, changed: 3n, error: null }]);
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
    expect(await runPatternsJob(deps)).toMatchObject({ since: new Date(Date.parse(AS_OF) - SETTLE).toISOString(), shoppers: 0, changed: 0 });

    // u1 views a product: recomputed, but as of the same instant the patterns are the same.
    const at = new Date(now.getTime() - 5 * 60_000).toISOString();
    await addEvents({ ...lateClick('u1', 'view-1', at), type: 'product_viewed' });
    now = new Date(now.getTime() + HOUR);
    const unchanged = await runPatternsJob(deps, { asOf: new Date(AS_OF) });
    expect(unchanged).toMatchObject({ shoppers: 1, changed: 0 });

    // u3 clicks Hovis bread twice and adds it to the cart: Hovis passes 2.0 for u3; published.
    const click = (id: string) => ({ ...lateClick('u3', id, at), event_time: '2026-02-27T10:00:00.000Z' });
    await addEvents(click('u3-c1'), click('u3-c2'), { ...click('u3-a1'), type: 'cart_item_added' });
    now = new Date(now.getTime() + HOUR);
    const changed = await runPatternsJob(deps, { asOf: new Date(AS_OF), since: new Date(at) });
    expect(changed).toMatchObject({ shoppers: 2, changed: 1 });
    expect(publisher.published.at(-1)?.map((p) => p.userId)).toEqual(['u3']);
    expect(publisher.documents.get('u3')?.brands).toEqual([{ name: 'Hovis', score: 2.1, share: 0.7, purchases: 1, cart_adds: 1, clicks: 2 }]);
    const [stored] = await warehouse.sql("SELECT CAST(patterns AS VARCHAR) AS patterns FROM user_patterns WHERE user_id = 'u3'");
    expect(JSON.parse(String(stored?.patterns))).toEqual(publisher.documents.get('u3'));
  });

  it('leaves the watermark where it was when a run fails, so the next run redoes and republishes its shoppers', async () => {
    publisher.failNext = true;
    await expect(runPatternsJob(deps)).rejects.toThrow('Firestore is unavailable');
    expect(await runs()).toMatchObject([{ run_id: 'run-1', status: 'failed', error: 'Firestore is unavailable' }]);
    expect(await warehouse.sql('SELECT count(*)::INTEGER AS n FROM user_patterns')).toEqual([{ n: 0 }]);
    expect(deps.logger.entries).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'job failed' }));

    now = new Date(now.getTime() + HOUR);
    const retried = await runPatternsJob(deps);
    expect(retried).toMatchObject({ since: BEGINNING.toISOString(), shoppers: 3, changed: 3 });
    expect(publisher.documents.size).toBe(3);
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
    expect(messages).toEqual(expect.arrayContaining(['job started', 'query regular_purchases done', 'query bought_together done', 'patterns published', 'job succeeded']));
    expect(deps.logger.entries.find((e) => e.message === 'query brand_preferences done')).toMatchObject({ query: 'brand_preferences', rows: 2 });
    expect(JSON.stringify(deps.logger.entries)).not.toMatch(/"u[123]"/);
  });
});
