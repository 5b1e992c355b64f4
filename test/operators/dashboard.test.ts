import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { readDashboard } from '../../functions/operators/dashboard-data.ts';
import { CHARTS } from '../../functions/operators/dashboard-page.ts';
import { operatorsUnderTest } from '../support/operators-server.ts';
import { loadDashboardTables, NOW, WINDOW } from './dashboard-fixtures.ts';

let warehouse: DuckDbWarehouse;
beforeAll(async () => {
  warehouse = await createDuckDbWarehouse(':memory:');
  await loadDashboardTables(warehouse);
});
afterAll(() => warehouse.close());

const serve = () => operatorsUnderTest({ warehouse, now: NOW });

describe('GET /dashboard', () => {
  it('serves one HTML page with every chart as inline SVG, and nothing to fetch or run', async () => {
    const res = await request(serve().server).get('/dashboard?hours=3&days=3');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'unsafe-inline';/);
    const ids = [...res.text.matchAll(/<svg [^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual([...CHARTS]);
    expect(res.text).not.toMatch(/<script|src="http|href="http/);
    expect(res.text).toContain('As of <time datetime="2026-11-26T12:00:00.000Z">');
    expect(res.text).toContain('<a href="/v1/dashboard/data?hours=3&amp;days=3&amp;experiment=personalization">');
  });

  it('says where dead letters are kept, since the warehouse does not hold them', async () => {
    const res = await request(serve().server).get('/dashboard');

    expect(res.text).toContain('<code>events-dead-letter-keep</code>');
  });

  it('draws the seeded data: CTR per arm with its interval, jobs with the failed run hollow', async () => {
    const res = await request(serve().server).get('/dashboard?hours=3&days=3');
    const chart = (id: string) => new RegExp(`<svg [^>]*id="${id}"[\\s\\S]*?</svg>`).exec(res.text)?.[0] ?? '';

    expect(chart('ctr')).toContain('data-series="control" data-points="2"');
    expect(chart('ctr')).toContain('data-series="personalized" data-points="1"');
    expect(chart('ctr').match(/class="interval"/g)).toHaveLength(2);
    expect(chart('job-runs').match(/class="point failed"/g)).toHaveLength(1);
    expect(chart('rejected').match(/class="bar"/g)).toHaveLength(3);
    // Every minute of the 3 hours, zeros included.
    expect(chart('events-per-minute')).toContain('data-points="180"');
  });

  it.each([
    ['hours=0', /^hours: Too small/],
    ['days=365', /^days: Too big/],
    ['experiment=%3Cscript%3E', /^experiment: must be an experiment id/],
    ['colour=blue', /Unrecognized key: "colour"/],
  ])('refuses ?%s with 400 and a reason', async (query, reason) => {
    const res = await request(serve().server).get(`/dashboard?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message).toMatch(reason);
  });

  it('answers 503 with Retry-After when the warehouse fails, and logs why', async () => {
    const failing = { query: async () => Promise.reject(new Error('bytesBilledLimitExceeded')) };
    const { server, logger } = operatorsUnderTest({ warehouse: failing, now: NOW });
    for (const path of ['/dashboard', '/v1/dashboard/data']) {
      const res = await request(server).get(path);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body.error).toEqual({ code: 'unavailable', message: 'the dashboard could not be reached right now; retry' });
    }
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ severity: 'ERROR', message: 'operators request failed', route: 'the dashboard' }),
    );
  });
});

describe('GET /v1/dashboard/data', () => {
  it('answers the data the page draws, for the same query string', async () => {
    const res = await request(serve().server).get('/v1/dashboard/data?hours=3&days=3');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(await readDashboard(warehouse, WINDOW));
    expect(res.body).toMatchObject({ as_of: '2026-11-26T12:00:00.000Z', events: 5, rejected: { total: 4 } });
  });

  it('defaults to the last 24 hours and 30 days', async () => {
    const res = await request(serve().server).get('/v1/dashboard/data');
    expect(res.body).toMatchObject({
      hours: 24,
      days: 30,
      since: '2026-11-25T12:00:00.000Z',
      history_since: '2026-10-27T12:00:00.000Z',
      experiment: 'personalization',
    });
  });
});
