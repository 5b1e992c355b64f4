import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createErasureHandler } from '../../functions/erasure/handler.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import type { ErasureStore } from '../../functions/privacy/ports.ts';
import type { SqlParams, SqlWarehouse } from '../../functions/warehouse/ports.ts';

/** A warehouse that records the statements it was asked to run; `fail` makes every one throw. */
function stubWarehouse(fail = false): SqlWarehouse & { files: string[] } {
  const files: string[] = [];
  const cost = { bytesProcessed: null, ms: 1 };
  const run = async (file: string, _params: SqlParams) => {
    files.push(file);
    if (fail) throw new Error(`sql/${file} failed: backendError: Backend error`);
  };
  return {
    files,
    query: async (file, params) => (await run(file, params), { rows: [], ...cost }),
    execute: async (file, params) => (await run(file, params), { affectedRows: 0, ...cost }),
    replaceRows: async () => cost,
  };
}

const noRequests: ErasureStore = {
  request: async () => {
    throw new Error('not used');
  },
  get: async () => null,
  pending: async () => [],
  deferred: async () => undefined,
  completed: async () => undefined,
  erasedBefore: async () => null,
};

let served = 0;
function serve(warehouse: SqlWarehouse) {
  const name = `erasure-${(served += 1)}`;
  ff.http(
    name,
    createErasureHandler({
      warehouse,
      erasures: noRequests,
      documents: { deleteAll: async () => undefined },
      clock: () => new Date('2026-11-26T12:00:00Z'),
      logger: createMemoryLogger(),
    }),
  );
  return getTestServer(name);
}

describe('the erasure function (the job over HTTP)', () => {
  it('runs a pass for Cloud Scheduler’s empty POST and answers its summary', async () => {
    const warehouse = stubWarehouse();
    const res = await request(serve(warehouse)).post('/').send({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ requests: 0, completed: 0, deferred: 0, skipped_tables: [] });
    expect(warehouse.files).toEqual(['insert_job_run.sql']);
  });

  it('answers 500 when the run failed, so Cloud Scheduler retries; 405 for another method', async () => {
    const res = await request(serve(stubWarehouse(true)))
      .post('/')
      .send({});
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('job_failed');
    expect((await request(serve(stubWarehouse())).get('/')).status).toBe(405);
  });
});
