import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createRetentionHandler } from '../../functions/retention/handler.ts';
import { createMemoryPrivacyStore } from '../support/memory-privacy.ts';
import { AS_OF, loadTables, TABLES } from './fixtures.ts';

describe('the retention function', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    await loadTables(warehouse, { ...TABLES, shopper_retention_staging: [] });
    const privacy = createMemoryPrivacyStore();
    await privacy.set('short', { retention_days: 30 });
    ff.http('retention-test', createRetentionHandler({ warehouse, privacy, clock: () => new Date(AS_OF), logger: createMemoryLogger() }));
  });
  afterAll(() => warehouse.close());

  it('runs for Cloud Scheduler’s empty POST and answers the summary', async () => {
    const res = await request(getTestServer('retention-test')).post('/').send({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ as_of: AS_OF, shoppers: 1, shortest_retention_days: 30, deferred: [] });
  });

  it('answers 500 for an as_of in the future, naming no detail', async () => {
    const res = await request(getTestServer('retention-test')).post('/').send({ as_of: '2026-03-02T00:00:00Z' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'job_failed', message: 'the retention run failed; see the logs' } });
  });
});
