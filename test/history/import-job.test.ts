import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import { IMPORT_SOURCE } from '../../functions/history/import-job.ts';
import { orderEventId } from '../../functions/history/order-event-id.ts';
import { readOrderLines } from '../../functions/history/order-lines.ts';
import { scaleToEpoch } from '../../functions/learn/decay.ts';
import { learn } from '../../functions/learn/learn.ts';
import { DEFAULT_LEARNING_CONFIG } from '../../functions/learn/learning-config.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { differences } from '../support/same-document.ts';
import { importBench, type ImportBench } from './import-setup.ts';
import { hashUser } from '../support/user-hasher.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const weightFloor = scaleToEpoch(1, NOW, new Date(DEFAULT_LEARNING_CONFIG.epoch), DEFAULT_LEARNING_CONFIG.halfLifeDays);
const HEADER = 'order_id,shopper_id,ordered_at,sku,name,category,brand,price,quantity';

/**
 * Alice's four orders (lines 2–4, 6, 11), with what an import must leave out around them: bob tracks no purchases,
 * carol asked to be erased, dave's order is older than his retention, line 7 brings alice's first order back after
 * other orders, and line 10 has no price.
 */
const ORDERS = [
  HEADER,
  'o-1,alice,2026-05-01T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
  'o-1,alice,2026-05-01T10:00:00Z,bread,Rye bread,bakery,,3.10,1',
  'o-2,alice,2026-05-15T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,2',
  'o-7,bob,2026-05-20T09:00:00Z,eggs,Eggs,eggs,,3.00,12',
  'o-3,alice,2026-05-29T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
  'o-1,alice,2026-05-01T10:00:00Z,flour,Flour,baking,,1.00,1',
  'o-4,carol,2026-05-10T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
  'o-5,dave,2024-01-01T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
  'o-6,alice,2026-05-30T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,abc,1',
  'o-6,alice,2026-05-30T10:00:00Z,eggs,Eggs,eggs,,3.00,1',
].join('\n');

/** Alice's events as the reader makes them, less the order that comes back: what the import must learn. */
async function aliceEvents(): Promise<CollectedEvent[]> {
  async function* text() {
    yield ORDERS;
  }
  const events: CollectedEvent[] = [];
  const scope = { receivedAt: NOW, receivedAtIso: NOW.toISOString(), maxFutureSkewMs: 300_000 };
  for await (const row of readOrderLines(text(), scope).rows)
    if (row.kind === 'event' && row.event.user_id === 'alice' && row.line !== 7) events.push(row.event);
  return events;
}

let bench: ImportBench;
beforeAll(async () => {
  bench = await importBench(NOW);
  await bench.privacy.write('bob', { ...DEFAULT_PRIVACY, track_purchases: false }, NOW);
  await bench.erasures.request('carol', 'shopper', NOW);
});
afterAll(() => bench.close());

describe('importing CSV order lines (DuckDB, Firestore emulator)', () => {
  let path: string;
  let first: Awaited<ReturnType<ImportBench['run']>>;
  beforeAll(async () => {
    path = bench.file('orders.csv', ORDERS);
    first = await bench.run({ format: 'csv', source: path });
  });

  it('loads the good orders, marked as imported, and reports what it read, rejected and left out', async () => {
    const { report, resumed } = first;
    expect(resumed).toBe(false);
    expect(report.imported).toMatchObject({
      events: 4,
      order_lines: 5,
      shoppers: 1,
      rejected: 2,
      already_present: 0,
      earliest: '2026-05-01T10:00:00.000Z',
      latest: '2026-05-30T10:00:00.000Z',
    });
    expect(report.progress).toMatchObject({
      lines_read: 11,
      events_staged: 5,
      rejected_rows: 1,
      events_skipped: { not_tracked: 1, past_retention: 1, erased: 1 },
      shoppers_skipped: { tracking_off: 1, erased: 1 },
      shoppers_seeded: 1,
      events_learned: 4,
    });
    const stored = await bench.warehouse.sql('SELECT user_id, event_id, import_id, request_id FROM events ORDER BY event_time');
    expect(stored.map((row) => row.event_id)).toEqual(['o-1', 'o-2', 'o-3', 'o-6'].map((order) => orderEventId('alice', order)));
    expect(new Set(stored.map((row) => row.import_id))).toEqual(new Set([report.import_id]));
    expect(
      await bench.warehouse.sql('SELECT sku, line FROM order_items WHERE event_id = $1 ORDER BY line', [orderEventId('alice', 'o-1')]),
    ).toEqual([
      { sku: 'milk', line: 1n },
      { sku: 'bread', line: 2n },
    ]);
  });

  it('keeps each bad row as rejected, with its line and why, and lists them in the report', async () => {
    expect(first.report.rejections).toEqual([
      { line: 7, reason: 'the lines of one order must follow each other: this order of this shopper began at line 2' },
      { line: 10, reason: 'price: must be a number, e.g. 2.49' },
    ]);
    const rows = await bench.warehouse.sql('SELECT request_id, event_index, source, user_id FROM rejected_events ORDER BY event_index');
    expect(rows).toEqual([
      { request_id: first.report.import_id, event_index: 7n, source: IMPORT_SOURCE, user_id: 'alice' },
      { request_id: first.report.import_id, event_index: 10n, source: IMPORT_SOURCE, user_id: 'alice' },
    ]);
  });

  it('stores nothing of the shoppers it left out', async () => {
    expect(await bench.warehouse.sql("SELECT count(*)::INTEGER AS n FROM events WHERE user_id IN ('bob', 'carol', 'dave')")).toEqual([
      { n: 0 },
    ]);
    for (const userId of ['bob', 'carol', 'dave']) expect(await bench.document(userId)).toBeNull();
  });

  it('seeds the shopper’s preference document as learning the same events would have', async () => {
    const document = await bench.document('alice');
    const { patterns: _patterns, applied_ids: _applied, ...learned } = document ?? {};
    expect(differences(learned, learn(null, 'alice', await aliceEvents(), NOW), weightFloor)).toEqual([]);
  });

  it('then runs the patterns job over the imported range, so the document has the batch patterns too', async () => {
    expect(first.report.patterns).toMatchObject({ since: '2026-05-01T10:00:00.000Z', as_of: NOW.toISOString(), shoppers: 1, changed: 1 });
    const document = await bench.document('alice');
    expect((document?.patterns as { regular_items: { sku: string; purchases: number }[] }).regular_items).toEqual([
      expect.objectContaining({ sku: 'milk', purchases: 3 }),
    ]);
  });

  it('adds nothing when the same file is imported again: the same import, already done', async () => {
    const again = await bench.run({ format: 'csv', source: path });
    expect(again.resumed).toBe(true);
    expect(again.report).toEqual(first.report);
    expect(await bench.warehouse.sql('SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: 4 }]);
  });

  it('adds nothing, and learns nothing again, when another file holds the same orders', async () => {
    const before = await bench.document('alice');
    const copy = await bench.run({ format: 'csv', source: bench.file('orders-copy.csv', ORDERS) });
    expect(copy.report.import_id).not.toBe(first.report.import_id);
    expect(copy.report.imported).toMatchObject({ events: 0, order_lines: 0, already_present: 4 });
    expect(copy.report.progress).toMatchObject({ shoppers_seeded: 0, events_learned: 0 });
    expect(await bench.warehouse.sql('SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: 4 }]);
    expect(await bench.document('alice')).toEqual(before);
  });
});

describe('an imported order that is also sent live', () => {
  it('is learned once: the live delivery finds the mark seeding left', async () => {
    const { createFirestorePreferenceStore } = await import('../../functions/adapters/gcp/firestore-preference-store.ts');
    const live = createFirestorePreferenceStore(bench.firestore, { learn, hashUser, markerTtlDays: 8 });
    const before = await bench.document('alice');
    const [orderOne, , orderThree] = await aliceEvents();
    // Sent by the shop's back end under the same id (orderEventId), a month and three days after it happened.
    for (const event of [orderOne, orderThree]) {
      expect(await live.apply('alice', [event as CollectedEvent], NOW)).toEqual({ applied: 0, alreadyApplied: 1, writes: 0 });
    }
    expect(await bench.document('alice')).toEqual(before);
  });
});

describe('an import that fails on the way (DuckDB, Firestore emulator)', () => {
  const TWO = [
    HEADER,
    'o-1,erin,2026-05-01T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
    'o-2,erin,2026-05-15T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
    'o-1,frank,2026-05-02T10:00:00Z,tea,Tea,drinks,,4.00,1',
    'o-2,frank,2026-05-20T10:00:00Z,tea,Tea,drinks,,4.00,1',
  ].join('\n');
  let failing: ImportBench;
  beforeAll(async () => {
    failing = await importBench(NOW);
  });
  afterAll(() => failing.close());

  it('is resumed by importing the same file again: what it stored and learned is not repeated', async () => {
    const path = failing.file('two.csv', TWO);
    let slices = 0;
    const brokenSeeder = {
      seed: async (...args: Parameters<ImportBench['deps']['seeder']['seed']>) => {
        // The second slice's seeding fails for good; the first was written.
        if ((slices += 1) === 2) throw new Error('Firestore went away');
        return failing.deps.seeder.seed(...args);
      },
    };
    await expect(failing.run({ format: 'csv', source: path }, { seeder: brokenSeeder, seedSliceShoppers: 1 })).rejects.toThrow(
      'Firestore went away',
    );
    const { report, resumed } = await failing.run({ format: 'csv', source: path });
    expect(resumed).toBe(true);
    expect(report.imported).toMatchObject({ events: 4, shoppers: 2 });
    // Both walked again: the one seeded before is skipped by its mark.
    expect(report.progress).toMatchObject({ shoppers_seeded: 2, events_learned: 2 });
    expect(await failing.warehouse.sql('SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: 4 }]);
    for (const userId of ['erin', 'frank']) expect((await failing.document(userId))?.event_count).toBe(2);
  });

  it('takes out again the rows of a shopper erased while it ran, and seeds nothing for them', async () => {
    const path = failing.file(
      'grace.csv',
      [
        HEADER,
        'o-1,grace,2026-05-01T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
        'o-2,grace,2026-05-08T10:00:00Z,tea,Tea,drinks,,free,1',
      ].join('\n'),
    );
    const erasedMidway = {
      ...failing.deps.staging,
      finish: async () => {
        await failing.deps.staging.finish();
        await failing.erasures.request('grace', 'shopper', NOW);
      },
    };
    const { report } = await failing.run({ format: 'csv', source: path }, { staging: erasedMidway });
    expect(report.progress).toMatchObject({ events_staged: 1, rejected_rows: 1, shoppers_seeded: 0 });
    expect(await failing.warehouse.sql("SELECT count(*)::INTEGER AS n FROM rejected_events WHERE user_id = 'grace'")).toEqual([{ n: 0 }]);
    expect(await failing.warehouse.sql("SELECT count(*)::INTEGER AS n FROM events WHERE user_id = 'grace'")).toEqual([{ n: 0 }]);
    expect(await failing.warehouse.sql("SELECT count(*)::INTEGER AS n FROM order_items WHERE user_id = 'grace'")).toEqual([{ n: 0 }]);
    expect(await failing.document('grace')).toBeNull();
  });

  it('shows its progress slice by slice, paced by the machine’s clock whatever the import’s says', async () => {
    const path = failing.file(
      'progress.csv',
      [
        HEADER,
        ...Array.from({ length: 6 }, (_, i) => `p-${i},henry,2026-05-0${i + 1}T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1`),
      ].join('\n'),
    );
    const slow = {
      ...failing.deps.staging,
      append: async (...args: Parameters<ImportBench['deps']['staging']['append']>) => (
        await new Promise((r) => setTimeout(r, 20)),
        failing.deps.staging.append(...args)
      ),
    };
    const seen: number[] = [];
    await failing.run(
      { format: 'csv', source: path },
      { staging: slow, sliceRows: 2, progressEveryMs: 10, onProgress: (record) => seen.push(record.progress.lines_read) },
    );
    // Each slice of two lines is shown as it is staged (the clock of the import stands still).
    expect(seen.filter((lines) => lines > 0 && lines < 7).length).toBeGreaterThanOrEqual(2);
  });

  it('fails with the reason, and stores nothing, when the file cannot be imported at all', async () => {
    const path = failing.file('bad-header.csv', 'order,who\n1,2\n');
    await expect(failing.run({ format: 'csv', source: path })).rejects.toThrow(/the header row must name/);
    const [record] = (await failing.firestore.collection('imports').where('source', '==', path).get()).docs.map((d) => d.data());
    expect(record).toMatchObject({ state: 'failed', phase: 'loading', error: expect.stringContaining('missing order_id') });
  });
});
