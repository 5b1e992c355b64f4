import http, { type Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { BigQuery } from '@google-cloud/bigquery';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';

/**
 * The real BigQuery client against a fake BigQuery API on loopback, for the test file that calls it:
 * starts `server` before the file's tests, `reset`s the fake before each, and after each test checks
 * that neither the client nor its auth library went anywhere else (no token endpoint, no metadata
 * server). Answers the real client, pointed at the fake.
 */
export function loopbackBigQuery(server: Server, reset: () => void): () => BigQuery {
  // The client must find no credentials and no metadata server to ask.
  process.env.METADATA_SERVER_DETECTION = 'none';
  // When set, it wins over `apiEndpoint` for every request.
  delete process.env.BIGQUERY_EMULATOR_HOST;
  let origin = '';
  const outbound = [vi.spyOn(http, 'request'), vi.spyOn(https, 'request')];

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const spy of outbound) spy.mockRestore();
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  beforeEach(() => {
    reset();
    for (const spy of outbound) spy.mockClear();
  });

  afterEach(() => {
    const elsewhere = outbound
      .flatMap((spy) => spy.mock.calls.map(([target]) => String(target)))
      .filter((url) => !url.startsWith(`${origin}/`));
    expect(elsewhere).toEqual([]);
  });

  return () =>
    new BigQuery({
      projectId: 'demo-test',
      apiEndpoint: origin,
      authClient: new PassThroughClient(),
      // The client resends 408, 429 and 5xx itself after about 2, 4 and 8 s; 1 ms keeps the files fast.
      // Not 0: retry-request takes a delay of 0 as a passed deadline and then never calls back.
      retryOptions: { maxRetryDelay: 0.001 },
    });
}
