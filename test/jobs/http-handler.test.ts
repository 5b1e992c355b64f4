import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createPatternsHandler } from '../../functions/patterns/handler.ts';
import { patternParams } from '../../functions/patterns/patterns.ts';
import type { SqlParams, SqlWarehouse } from '../../functions/warehouse/ports.ts';

type Call = { file: string; params: SqlParams };

/** A warehouse with no shoppers that records what it was asked, and can be made to fail or stall. */
function stubWarehouse(behaviour: { fail?: boolean; gate?: Promise<void> } = {}): SqlWarehouse & { calls: Call[] } {
  const calls: Call[] = [];
  const cost = { bytesProcessed: null, ms: 1 };
  return {
    calls,
    async query(file, params) {
      calls.push({ file, params });
      await behaviour.gate;
      if (behaviour.fail && file === 'regular_purchases.sql') throw new Error('sql/regular_purchases.sql: boom for shopper-secret');
      return { rows: file === 'last_watermark.sql' ? [{ watermark: null }] : [], ...cost };
    },
    async execute(file, params) {
      calls.push({ file, params });
      return { affectedRows: 0, ...cost };
    },
    async replaceRows() {
      return cost;
    },
  };
}

let served = 0;
function serve(warehouse: SqlWarehouse) {
  const name = `patterns-${(served += 1)}`;
  const logger = createMemoryLogger();
  ff.http(
    name,
    createPatternsHandler({
      warehouse,
      publisher: { publish: async (e) => ({ written: e.length }) },
      reorderModels: { publish: async () => undefined },
      // The stub warehouse answers no active shopper, so neither store is asked anything.
      privacy: { readMany: async () => new Map() },
      erasures: { pending: async () => [] },
      clock: () => new Date('2026-03-01T00:00:00Z'),
      logger,
      settleMs: 0,
    }),
  );
  return { server: getTestServer(name), logger };
}

describe('a batch job over HTTP (the patterns function)', () => {
  it('runs the job for Cloud Scheduler’s empty POST and answers its summary', async () => {
    const warehouse = stubWarehouse();
    const res = await request(serve(warehouse).server).post('/').send({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ as_of: '2026-03-01T00:00:00.000Z', since: '1970-01-01T00:00:00.000Z', shoppers: 0, changed: 0 });
    expect(warehouse.calls.map((c) => c.file)).toContain('insert_job_run.sql');
  });

  it('takes as_of and since for a backfill', async () => {
    const warehouse = stubWarehouse();
    const res = await request(serve(warehouse).server)
      .post('/')
      .send({ as_of: '2026-02-01T00:00:00Z', since: '2026-01-01T00:00:00+01:00' });
    expect(res.status).toBe(200);
    const analysis = warehouse.calls.find((c) => c.file === 'regular_purchases.sql');
    // staged_at is when the run started (the stub clock), whatever as_of is: it partitions the run's staging.
    expect(analysis?.params).toEqual({
      ...patternParams(new Date('2026-02-01T00:00:00Z'), new Date('2025-12-31T23:00:00Z')),
      staged_at: new Date('2026-03-01T00:00:00Z'),
    });
    // An explicit since: the watermark is not read.
    expect(warehouse.calls.map((c) => c.file)).not.toContain('last_watermark.sql');
  });

  it.each([
    [{ as_of: 'yesterday' }, /as_of/],
    [{ since: '2026-03-02T00:00:00Z', as_of: '2026-03-01T00:00:00Z' }, /since must not be after as_of/],
    [{ shopper: 'u1' }, /shopper/],
    ['[]', /expected object/],
  ])('refuses %j with 400 and a reason', async (body, reason) => {
    const res = await request(serve(stubWarehouse()).server)
      .post('/')
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(reason);
  });

  it('allows POST only', async () => {
    const res = await request(serve(stubWarehouse()).server).get('/');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it('answers 500 when the run fails, so Cloud Scheduler retries, without the failure’s details', async () => {
    const { server, logger } = serve(stubWarehouse({ fail: true }));
    const res = await request(server).post('/').send({});
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'job_failed', message: 'the patterns run failed; see the logs' } });
    expect(logger.entries).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'job failed' }));
  });

  it('refuses a second run while one is in progress with 409', async () => {
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { server } = serve(stubWarehouse({ gate }));
    const first = request(server)
      .post('/')
      .send({})
      .then((r) => r);
    await new Promise((r) => setTimeout(r, 50));
    const second = await request(server).post('/').send({});
    open();
    expect(second.status).toBe(409);
    expect((await first).status).toBe(200);
  });
});
