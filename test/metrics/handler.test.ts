import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createMetricsHandler } from '../../functions/metrics/handler.ts';
import { AS_OF, EXPECTED, TABLES, WINDOW_START } from './fixtures.ts';

describe('the metrics function', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    for (const [table, rows] of Object.entries(TABLES)) await warehouse.replaceRows(table, rows, 'test');
    ff.http(
      'metrics-test',
      createMetricsHandler({ warehouse, clock: () => new Date('2026-03-02T04:00:00Z'), logger: createMemoryLogger() }),
    );
  });
  afterAll(() => warehouse.close());

  it('measures the day before for Cloud Scheduler’s empty POST, and answers the summary with the rows', async () => {
    const res = await request(getTestServer('metrics-test')).post('/').send({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ as_of: AS_OF, window_start: WINDOW_START, rows: Object.values(EXPECTED).flat().length });
    expect(res.body.metrics).toContainEqual(
      expect.objectContaining({ metric: 'ctr', experiment: '', arm: '', dimension: '', numerator: 4, denominator: 9 }),
    );
  });

  it('measures the window from since to as_of', async () => {
    const res = await request(getTestServer('metrics-test'))
      .post('/')
      .send({ as_of: '2026-03-01T12:00:00Z', since: '2026-03-01T00:00:00Z' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ as_of: '2026-03-01T12:00:00.000Z', window_start: WINDOW_START });
  });

  it('answers 500 for an as_of in the future, naming no detail', async () => {
    const res = await request(getTestServer('metrics-test')).post('/').send({ as_of: '2026-03-03T00:00:00Z' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'job_failed', message: 'the metrics run failed; see the logs' } });
  });

  it('answers 400 for a body it does not read, and 405 for another method', async () => {
    expect((await request(getTestServer('metrics-test')).post('/').send({ window_days: 7 })).status).toBe(400);
    expect((await request(getTestServer('metrics-test')).get('/')).status).toBe(405);
  });
});
