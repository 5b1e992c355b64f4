import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { operatorsUnderTest } from '../support/operators-server.ts';
import { loadDashboardTables, NOW } from './dashboard-fixtures.ts';

// The dashboard as an operator sees it: served by the operators function over a seeded DuckDB
// warehouse, opened in headless Chromium (Debian's `chromium`), every chart checked as rendered.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Without Chromium every test below fails with this, rather than being skipped. */
const MISSING = existsSync(CHROMIUM)
  ? null
  : `Chromium is missing at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium), or set CHROMIUM_PATH. .ci/run installs it.`;

let warehouse: DuckDbWarehouse | undefined;
let browser: Browser | undefined;
let opened: Page | undefined;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (MISSING) return;
  warehouse = await createDuckDbWarehouse(':memory:');
  await loadDashboardTables(warehouse);
  const { server } = operatorsUnderTest({ warehouse, now: NOW });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  browser = await chromium.launch({ executablePath: CHROMIUM });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  const { port } = server.address() as AddressInfo;
  const response = await page.goto(`http://127.0.0.1:${port}/dashboard?hours=3&days=3`);
  expect(response?.status()).toBe(200);
  opened = page;
});

afterAll(async () => {
  await browser?.close();
  await close?.();
  await warehouse?.close();
});

/** The page the dashboard opened in. */
function dashboard(): Page {
  if (MISSING) throw new Error(MISSING);
  if (!opened) throw new Error('the dashboard did not open');
  return opened;
}

type Rendered = { series: string[]; legend: string[]; ticks: string[]; marks: Record<string, number> };
/** The little of the DOM the checks read; the project compiles without the DOM's types. */
type Box = { getBoundingClientRect(): { width: number; height: number } };
type Polyline = Box & { points: { numberOfItems: number } };

/** What the browser rendered of one chart: its series, legend names, x tick labels, and counts of marks per series. */
async function rendered(id: string): Promise<Rendered> {
  return dashboard()
    .locator(`svg#${id}`)
    .evaluate((svg) => {
      const visible = (el: Box) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 || box.height > 0;
      };
      const series = [...svg.querySelectorAll('g.series')];
      const marks: Record<string, number> = {};
      for (const g of series) {
        const name = g.getAttribute('data-series') ?? '';
        marks[`${name} points`] = [...g.querySelectorAll('circle.point')].filter(visible).length;
        marks[`${name} bars`] = [...g.querySelectorAll('rect.bar')].filter(visible).length;
        marks[`${name} intervals`] = [...g.querySelectorAll('.interval')].filter(visible).length;
        const line = g.querySelector('polyline.line') as Polyline | null;
        marks[`${name} line`] = line && visible(line) ? line.points.numberOfItems : 0;
      }
      return {
        series: series.map((g) => g.getAttribute('data-series') ?? ''),
        legend: [...svg.querySelectorAll('g.legend-item text')].map((t) => t.textContent ?? ''),
        ticks: [...svg.querySelectorAll('g.x-axis g.tick text')].map((t) => t.textContent ?? ''),
        marks,
      };
    });
}

/** The on-screen centre of each point of a series, top to bottom being larger y. */
async function centres(id: string, series: string): Promise<{ x: number; y: number }[]> {
  return dashboard()
    .locator(`svg#${id} g.series[data-series="${series}"] circle.point`)
    .evaluateAll((circles) =>
      circles.map((c) => {
        const box = c.getBoundingClientRect();
        return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      }),
    );
}

describe('the dashboard in headless Chromium', () => {
  it('shows eight charts, each an image named by its title', async () => {
    const page = dashboard();
    await expect(page.title()).resolves.toBe("Learning loop — operators' dashboard");
    await expect(page.locator('svg.chart').count()).resolves.toBe(8);
    for (const name of [
      'Click-through rate by arm of personalization',
      'Mean reciprocal rank of clicks by arm of personalization',
      'Position of what was bought, by arm of personalization',
      'Reorder precision and recall',
      'Events per minute',
      'Rejected per hour, by source',
      'Ingest lag per hour',
      'Batch job runs',
    ]) {
      await expect(page.getByRole('img', { name, exact: true }).count(), name).resolves.toBe(1);
    }
  });

  it('CTR: a line per arm, the control arm with a band over its two windows, the personalized arm above it', async () => {
    const page = dashboard();
    const ctr = await rendered('ctr');
    expect(ctr.series).toEqual(['control', 'personalized']);
    expect(ctr.legend).toEqual(['control', 'personalized']);
    expect(ctr.marks).toMatchObject({
      'control points': 2,
      'control intervals': 1,
      'control line': 2,
      'personalized points': 1,
      'personalized intervals': 1,
    });
    // 15% is drawn higher than 12% on the same day, and 12% higher than the 10% the day before.
    const [before, last] = await centres('ctr', 'control');
    const [personalized] = await centres('ctr', 'personalized');
    expect(personalized?.y).toBeLessThan(last?.y ?? 0);
    expect(personalized?.x).toBeCloseTo(last?.x ?? 0, 0);
    expect(last?.y).toBeLessThan(before?.y ?? 0);
    const band = await page.locator('svg#ctr g.series[data-series="control"] path.interval').boundingBox();
    expect(band?.height).toBeGreaterThan(10);
    await expect(page.locator('svg#ctr g.y-axis text.axis-title').textContent()).resolves.toBe('click-through rate');
  });

  it('MRR: a line per arm on a scale from 0 to 1, the control arm with a band over its two windows, the personalized arm above it', async () => {
    const page = dashboard();
    const mrr = await rendered('mrr');
    expect(mrr.legend).toEqual(['control', 'personalized']);
    expect(mrr.marks).toMatchObject({
      'control points': 2,
      'control intervals': 1,
      'control line': 2,
      'personalized points': 1,
      'personalized intervals': 1,
    });
    // 0.45 is drawn higher than 0.32 on the same day, and 0.32 higher than 0.3 the day before.
    const [before, last] = await centres('mrr', 'control');
    const [personalized] = await centres('mrr', 'personalized');
    expect(personalized?.y).toBeLessThan(last?.y ?? 0);
    expect(personalized?.x).toBeCloseTo(last?.x ?? 0, 0);
    expect(last?.y).toBeLessThan(before?.y ?? 0);
    await expect(page.locator('svg#mrr g.y-axis g.tick text').allTextContents()).resolves.toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
    await expect(page.locator('svg#mrr g.series[data-series="personalized"] circle.point title').allTextContents()).resolves.toEqual([
      'personalized, 2026-11-26 00:00: 0.45 (0.4–0.5)',
    ]);
  });

  it('bought position: a point per arm with its interval, the personalized arm’s 2.5 drawn lower than the control arm’s 4.25', async () => {
    const page = dashboard();
    const bought = await rendered('bought-position');
    expect(bought.legend).toEqual(['control', 'personalized']);
    expect(bought.marks).toMatchObject({
      'control points': 1,
      'control intervals': 1,
      'personalized points': 1,
      'personalized intervals': 1,
    });
    const [control] = await centres('bought-position', 'control');
    const [personalized] = await centres('bought-position', 'personalized');
    expect(personalized?.y).toBeGreaterThan(control?.y ?? Number.POSITIVE_INFINITY);
    await expect(page.locator('svg#bought-position g.y-axis text.axis-title').textContent()).resolves.toBe('mean position shown');
  });

  it('reorder: precision over two windows, recall over one', async () => {
    const reorder = await rendered('reorder');
    expect(reorder.legend).toEqual(['precision', 'recall']);
    expect(reorder.marks).toMatchObject({ 'precision points': 2, 'recall points': 1 });
  });

  it('events per minute: every minute of the 3 hours, ticked by the half hour from 09:00 to 12:00', async () => {
    const page = dashboard();
    const events = await rendered('events-per-minute');
    expect(events.marks).toMatchObject({ 'events line': 180, 'events points': 0 });
    expect(events.ticks).toEqual(['09:00', '09:30', '10:00', '10:30', '11:00', '11:30', '12:00']);
    await expect(page.locator('svg#events-per-minute desc').textContent()).resolves.toContain('5 in all');
  });

  it('rejected: collect and ingest stacked per hour, collect’s 2 at 09:00 twice as tall as its 1 at 11:00', async () => {
    const page = dashboard();
    const rejected = await rendered('rejected');
    expect(rejected.legend).toEqual(['collect', 'ingest']);
    expect(rejected.marks).toMatchObject({ 'collect bars': 2, 'ingest bars': 1 });
    const heights = await page
      .locator('svg#rejected g.series[data-series="collect"] rect.bar')
      .evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().height));
    expect((heights[0] ?? 0) / (heights[1] ?? 1)).toBeCloseTo(2, 2);
    await expect(page.getByText('events-dead-letter-keep', { exact: true }).count()).resolves.toBe(1);
  });

  it('ingest lag: median, 95th percentile and longest for the three hours with events', async () => {
    const page = dashboard();
    const lag = await rendered('ingest-lag');
    expect(lag.legend).toEqual(['p50', 'p95', 'longest']);
    expect(lag.marks).toMatchObject({ 'p50 points': 3, 'p95 points': 3, 'longest points': 3 });
    await expect(page.locator('svg#ingest-lag g.series[data-series="p95"] circle.point title').allTextContents()).resolves.toEqual([
      'p95, 2026-11-26 09:00: 30',
      'p95, 2026-11-26 10:00: 120',
      'p95, 2026-11-26 11:00: 0',
    ]);
  });

  it('job runs: each job’s runs, the failed one hollow and named in the legend, and the table of them', async () => {
    const page = dashboard();
    const jobs = await rendered('job-runs');
    expect(jobs.legend).toEqual(['erasure', 'patterns', 'failed run']);
    // Patterns ran three times within the 3 days (the fourth run is older), erasure once.
    expect(jobs.marks).toMatchObject({ 'erasure points': 1, 'patterns points': 3, 'patterns line': 3 });
    await expect(page.locator('svg#job-runs circle.point.failed').count()).resolves.toBe(1);
    await expect(page.locator('table.job-runs tbody tr').allTextContents()).resolves.toEqual([
      'erasure2026-11-26T11:15:00.000Zsucceeded12.5 s104',
      'patterns2026-11-26T03:00:00.000Zsucceeded10.5 min104',
      'patterns2026-11-25T03:00:00.000Zfailed1.5 min100BigQuery <backendError>',
      'patterns2026-11-24T03:00:00.000Zsucceeded10 min104',
    ]);
  });
});
