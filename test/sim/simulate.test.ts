import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalog, seededRandom } from './catalog.ts';
import { writeReport, warehouseAgrees } from './report.ts';
import { wilson, type Share } from './score.ts';
import { buildShoppers } from './shoppers.ts';
import { runSimulation } from './simulate.ts';

// The smoke run of `npm run simulate`: a small seeded population for a few simulated days through the
// real local stack. It proves the pipeline carried every event and that the report is whole and sane —
// not that the guide's targets are met (test/sim/RESULTS.md records a standard run for that).

function inRange(share: Share): void {
  if (share.value === null) return expect(share.denominator).toBe(0);
  expect(share.value).toBeGreaterThanOrEqual(0);
  expect(share.value).toBeLessThanOrEqual(1);
  expect(share.low).toBeLessThanOrEqual(share.value);
  expect(share.high).toBeGreaterThanOrEqual(share.value);
}

describe('shopper simulation', () => {
  it('is seeded: the same seed gives the same catalogue and shoppers', () => {
    const build = (seed: number) => {
      const random = seededRandom(seed);
      const catalog = buildCatalog(random);
      return { skus: catalog.products.map((p) => `${p.sku} ${p.brand} ${p.price}`), shoppers: buildShoppers(random, catalog, 50, 0) };
    };
    expect(build(7)).toEqual(build(7));
    expect(build(7).shoppers).not.toEqual(build(8).shoppers);
    expect(build(7).skus.length).toBeGreaterThan(2000);
  });

  it('scores shares with Wilson intervals', () => {
    expect(wilson(0, 0).value).toBeNull();
    const s = wilson(8, 10);
    expect(s.value).toBe(0.8);
    expect(s.low).toBeCloseTo(0.4902, 3);
    expect(s.high).toBeCloseTo(0.9433, 3);
  });

  it('drives the local stack: every event sent is in the warehouse and learned in Firestore, and the report is whole', async () => {
    const result = await runSimulation({ shoppers: 100, days: 4, seed: 42 });

    expect(result.sent.rejected).toBe(0);
    expect(result.sent.accepted).toBe(result.sent.events);
    expect(result.sent.searches).toBeGreaterThan(100);
    expect(result.pipeline.learnedInFirestore).toBe(result.sent.accepted);
    expect(result.pipeline.warehouseEvents).toBe(result.sent.accepted);
    expect(result.pipeline.warehouseOrderLines).toBe(result.sent.orderLines);
    expect(result.pipeline.ingestedMessages).toBeGreaterThanOrEqual(result.sent.requests);
    expect(warehouseAgrees(result)).toBe(true);
    // Each night patterns, metrics and the weights fit, as scheduled, then the trials' readout over the judged days.
    expect(result.pipeline.jobs.map((j) => `${j.job} ${j.status}`)).toEqual([
      ...Array.from({ length: 4 }, () => ['patterns 200', 'metrics 200', 'weights 200']).flat(),
      'metrics 200',
    ]);
    // The fit saved a challenger or said why not (a few days of a hundred shoppers hold too few swaps).
    for (const fit of result.pipeline.jobs.filter((j) => j.job === 'weights'))
      expect(typeof fit.summary.challenger === 'string' || typeof fit.summary.not_fitted === 'string').toBe(true);
    // The control arm logged its signal values for the fit, and swapped some of its searches.
    expect(result.pipeline.jobs.filter((j) => j.job === 'weights').at(-1)?.summary.shown).toBeGreaterThan(0);
    // Too few swaps for a fit, so no trial, and nothing for the operator to promote.
    expect(result.pipeline.promotions).toEqual([]);
    // Both arms searched, and the personalized arm was re-ranked by the search package at least sometimes.
    expect(result.sent.personalizedReasons.control).toBeGreaterThan(0);
    expect(result.sent.personalizedReasons.personalized).toBeGreaterThan(0);

    expect(result.score.days).toHaveLength(4);
    for (const day of [...result.score.days, result.score.overall, result.score.afterFirstWeek]) {
      inRange(day.ctr.control);
      inRange(day.ctr.personalized);
      for (const mrr of [day.mrr.control, day.mrr.personalized]) {
        // A mean reciprocal rank lies in [0, CTR]: at most 1 per clicked search.
        expect(mrr.value ?? 0).toBeGreaterThanOrEqual(0);
        expect(mrr.value ?? 0).toBeLessThanOrEqual(1);
      }
      expect(day.mrr.personalized.total).toBeLessThanOrEqual(day.ctr.personalized.numerator);
      expect(day.mrr.personalized.n).toBe(day.ctr.personalized.denominator);
      inRange(day.reorder.precision);
      inRange(day.reorder.recall);
      inRange(day.brand);
      inRange(day.brandOracle);
      inRange(day.brandIdeal);
      // The oracle and the ideal observer are judged on exactly the loop's pairs.
      expect(day.brandOracle.denominator).toBe(day.brand.denominator);
      expect(day.brandIdeal.denominator).toBe(day.brand.denominator);
    }
    expect(result.pipeline.collectEventsPerSecond).toBeGreaterThan(0);
    expect(result.pipeline.drainMs).toHaveLength(4);

    const dir = mkdtempSync(join(tmpdir(), 'sim-report-'));
    const files = writeReport(result, dir);
    for (const file of files) expect(existsSync(file)).toBe(true);
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
    for (const section of [
      "## Against the guide's bars",
      '## Per simulated day',
      '## The ranking weights',
      '## The pipeline',
      'CTR uplift',
      'MRR uplift',
      'MRR, control',
      'MRR, personalized',
      'reorder precision',
      'brand accuracy',
      'order-count oracle',
      'ideal observer',
      'Throughput',
      'Lag',
    ]) {
      expect(summary).toContain(section);
    }
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(6);
    expect(html).toContain('id="mrr"');
  }, 150_000);
});
