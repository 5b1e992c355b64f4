import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { runBacktest, type BacktestResult } from '../../functions/history/backtest.ts';
import { backtestAndReport } from '../../functions/local/backtest.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { csvText, generatedOrders, ndjsonText, writeInstacart, type HistorySpec } from './generated-history.ts';
import { importBench, type ImportBench } from './import-setup.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const UNTIL = new Date('2026-05-01T00:00:00.000Z');
const HEADER = 'order_id,shopper_id,ordered_at,sku,name,category,brand,price,quantity';

/**
 * A history small enough to work out by hand. Alice buys milk weekly and, at her next order a week after her last,
 * orders milk again, with bread (bought once before) and tea (never before). Bob bought coffee twice, seven weeks
 * before his next order, and rice once. Dave has no order after the cutoff, Erin none before it: neither is scored.
 */
const ORDERS = [
  HEADER,
  'a-1,alice,2026-04-10T10:00:00Z,milk,Oat milk,dairy,Oatly,2.00,1',
  'a-1,alice,2026-04-10T10:00:00Z,bread,Rye bread,bakery,Hovis,3.00,1',
  'a-2,alice,2026-04-17T10:00:00Z,milk,Oat milk,dairy,Oatly,2.00,1',
  'a-3,alice,2026-04-24T10:00:00Z,milk,Oat milk,dairy,Oatly,2.00,1',
  'a-3,alice,2026-04-24T10:00:00Z,jam,Jam,spreads,Bonne,3.00,1',
  'a-4,alice,2026-05-01T10:00:00Z,milk,Oat milk,dairy,Oatly,2.00,1',
  'a-4,alice,2026-05-01T10:00:00Z,bread-w,White bread,bakery,Warburtons,2.50,1',
  'a-4,alice,2026-05-01T10:00:00Z,tea,Tea,drinks,Twinings,4.00,1',
  'a-4,alice,2026-05-01T10:00:00Z,bread,Rye bread,bakery,Hovis,3.00,1',
  'b-1,bob,2026-03-01T09:00:00Z,coffee,Coffee,coffee,Lavazza,5.00,1',
  'b-2,bob,2026-03-08T09:00:00Z,coffee,Coffee,coffee,Lavazza,5.00,1',
  'b-3,bob,2026-04-20T09:00:00Z,rice,Rice,grains,Tilda,2.00,1',
  'b-4,bob,2026-05-02T09:00:00Z,rice,Rice,grains,Tilda,2.00,1',
  'b-4,bob,2026-05-02T09:00:00Z,pasta,Pasta,grains,Barilla,1.50,1',
  'd-1,dave,2026-04-01T09:00:00Z,rice,Rice,grains,Tilda,2.00,1',
  'e-1,erin,2026-05-05T09:00:00Z,rice,Rice,grains,Tilda,2.00,1',
].join('\n');

const backtest = (bench: ImportBench, until: Date, sliceShoppers?: number) =>
  runBacktest(
    {
      history: bench.warehouse,
      scratch: () => createDuckDbWarehouse(':memory:'),
      logger: createMemoryLogger(),
      ...(sliceShoppers ? { sliceShoppers } : {}),
    },
    until,
  );

describe('the backtest, worked by hand (CSV order lines imported into DuckDB)', () => {
  let bench: ImportBench;
  let result: BacktestResult;
  beforeAll(async () => {
    bench = await importBench(NOW);
    await bench.run({ format: 'csv', source: bench.file('orders.csv', ORDERS) });
    // One shopper a slice: the pages follow each other.
    result = await backtest(bench, UNTIL, 1);
  });
  afterAll(() => bench.close());

  it('scores the shoppers who ordered before the cutoff and after it, on their next order', () => {
    expect(result.shoppers).toBe(2);
    expect(result.until).toBe(UNTIL.toISOString());
  });

  it('predicts what the loop holds due: alice’s weekly milk, not bob’s lapsed coffee', () => {
    // Alice: milk bought three times, 7 days apart, last 7 days before her next order: due (0.9 × 7 ≤ 7 < 2 × 7), and
    // ordered. Bob: coffee's last purchase 55 days before, past twice its 7-day interval: lapsed. 1 of 1 right.
    // Reorders: alice's milk and rye bread, bob's rice (bought before, ordered again): 3.
    expect(result.reorder.loop).toEqual({
      predicted: 1,
      hits: 1,
      reorders: 3,
      precision: 1,
      recall: 1 / 3,
      f1: 0.5,
      mean_order_f1: (2 / 3 + 0) / 2,
    });
  });

  it('beside the naive baseline, which holds bob’s coffee due too: bought twice, a mean interval since', () => {
    expect(result.reorder.baseline).toEqual({
      predicted: 2,
      hits: 1,
      reorders: 3,
      precision: 0.5,
      recall: 1 / 3,
      f1: 0.4,
      mean_order_f1: (2 / 3 + 0) / 2,
    });
    expect(result.reorder.lift).toEqual({ precision: 0.5, recall: 0, f1: expect.closeTo(0.1, 12), mean_order_f1: 0 });
  });

  it('judges the brand per category of the next order where a brand was bought before', () => {
    // dairy: Oatly, bought (hit); bakery: Hovis, bought beside Warburtons (hit); grains: Tilda (hit). drinks: nothing before.
    expect(result.brand.by_category).toEqual([
      { category: 'bakery', loop: { judged: 1, hits: 1, rate: 1 }, baseline: { judged: 1, hits: 1, rate: 1 } },
      { category: 'dairy', loop: { judged: 1, hits: 1, rate: 1 }, baseline: { judged: 1, hits: 1, rate: 1 } },
      { category: 'grains', loop: { judged: 1, hits: 1, rate: 1 }, baseline: { judged: 1, hits: 1, rate: 1 } },
    ]);
    expect(result.brand.loop).toEqual({ judged: 3, hits: 3, rate: 1 });
  });
});

describe('the backtest’s report', () => {
  it('is a JSON file of the figures and an HTML page of charts beside the baseline, naming no shopper', async () => {
    const bench = await importBench(NOW);
    try {
      await bench.run({ format: 'csv', source: bench.file('orders.csv', ORDERS) });
      const dir = mkdtempSync(join(tmpdir(), 'backtest-report-'));
      const { result, files, summary } = await backtestAndReport(bench.warehouse, UNTIL, dir, createMemoryLogger());
      expect(files).toEqual([join(dir, 'backtest.json'), join(dir, 'backtest.html')]);
      expect(JSON.parse(readFileSync(join(dir, 'backtest.json'), 'utf8'))).toEqual(result);
      // The hand-worked figures above, and by how much the loop beats the baseline.
      expect(summary).toContain('| the loop − baseline | +50.0 points | +0.0 points | +10.0 points | +0.0 points |');
      const html = readFileSync(join(dir, 'backtest.html'), 'utf8');
      expect(html.match(/<svg /g)).toHaveLength(2);
      expect(html).toContain('the loop − baseline');
      for (const text of [summary, html, readFileSync(join(dir, 'backtest.json'), 'utf8')])
        for (const shopper of ['alice', 'bob', 'dave', 'erin']) expect(text).not.toContain(shopper);
    } finally {
      await bench.close();
    }
  });
});

/** Four months of a hundred shoppers' orders; the cutoff leaves each their next order after it. */
const SPEC: HistorySpec = { seed: 7, shoppers: 100, days: 120, end: new Date('2026-05-20T00:00:00.000Z') };
const GENERATED_UNTIL = new Date('2026-05-12T00:00:00.000Z');
const BIG_SLICES = { sliceRows: 5_000, seedSliceShoppers: 500 };

describe.each(['csv', 'ndjson', 'instacart'] as const)('the backtest on a generated history imported as %s', (format) => {
  let bench: ImportBench;
  let result: BacktestResult;
  beforeAll(async () => {
    bench = await importBench(NOW);
    const orders = [...generatedOrders(SPEC)];
    if (format === 'instacart') {
      const dir = mkdtempSync(join(tmpdir(), 'instacart-generated-'));
      writeInstacart(dir, orders);
      // Every shopper's last prior order on the cutoff's eve: the train order is the next one.
      await bench.run({ format, source: dir, anchor: new Date(GENERATED_UNTIL.getTime() - 1) }, BIG_SLICES);
    } else {
      await bench.run(
        { format, source: bench.file(`orders.${format}`, format === 'csv' ? csvText(orders) : ndjsonText(orders)) },
        BIG_SLICES,
      );
    }
    result = await backtest(bench, GENERATED_UNTIL);
  }, 120_000);
  afterAll(() => bench.close());

  it('beats the naive baseline on reorders: better F1, by precision', () => {
    const { loop, baseline } = result.reorder;
    expect(result.shoppers).toBeGreaterThan(80);
    expect(loop.f1).toBeGreaterThan(baseline.f1 ?? 1);
    expect(loop.precision).toBeGreaterThan(baseline.precision ?? 1);
  });

  it(format === 'instacart' ? 'judges no brand: the layout has none' : 'names the brands bought in most categories', () => {
    if (format === 'instacart') expect(result.brand.loop.judged).toBe(0);
    else expect(result.brand.loop.rate).toBeGreaterThan(0.5);
  });
});
