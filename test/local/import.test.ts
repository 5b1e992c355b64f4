import type { Server } from 'node:http';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreImportLedger } from '../../functions/adapters/gcp/firestore-import-ledger.ts';
import { createHistoryHandler } from '../../functions/history/handler.ts';
import type { ImportRecord } from '../../functions/history/import-job.ts';
import { freePort } from '../../functions/local/emulators.ts';
import { parseImportArgs, runImportCommand } from '../../functions/local/import.ts';
import { importBench, type ImportBench } from '../history/import-setup.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ORDERS = [
  'order_id,shopper_id,ordered_at,sku,name,category,brand,price,quantity',
  'o-1,alice,2026-05-01T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
  'o-2,alice,2026-05-15T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
  'o-3,alice,2026-05-20T10:00:00Z,milk,Oat milk 1 l,dairy,Oatly,free,1',
].join('\n');

let bench: ImportBench;
let path: string;
let server: Server;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  bench = await importBench(NOW);
  ff.http(
    'history-cli-test',
    createHistoryHandler({
      ...bench.deps,
      sources: { kind: 'local' },
      status: createFirestoreImportLedger<ImportRecord>(bench.firestore),
      progressEveryMs: 0,
    }),
  );
  const port = await freePort();
  server = getTestServer('history-cli-test');
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  env = { HISTORY_PORT: String(port) };
});
afterAll(async () => {
  server.close();
  await bench.close();
});

describe('npm run import', () => {
  it('imports a file of the local machine through the stack, showing progress, and prints the report', async () => {
    const progress: string[] = [];
    path = bench.file('orders.csv', ORDERS);
    const result = await runImportCommand(parseImportArgs(['orders', path], '/'), {
      fetchFn: fetch,
      env,
      identity: async () => ({}),
      progress: (line) => progress.push(line),
      pollEveryMs: 5,
    });
    expect(result.ok).toBe(true);
    expect(progress[0]).toMatch(/^import imp-[0-9a-f]{24}$/);
    expect(
      progress
        .slice(1)
        .every((line) =>
          /^(loading|seeding|patterns|done): lines \d+ · events \d+ · rejected \d+ · shoppers left out for privacy \d+ · shoppers seeded \d+$/.test(
            line,
          ),
        ),
    ).toBe(true);
    expect(result.output).toContain('imported           2 events, 2 order lines, 1 shoppers');
    expect(result.output).toContain('rejected rows      1');
    expect(result.output).toContain('    line 4: price: must be a number, e.g. 2.49');
    expect(result.output).toContain('seeded             1 shoppers, 2 events learned');
  });

  it('answers the report as JSON with --json, and says when the file was imported before', async () => {
    const progress: string[] = [];
    const result = await runImportCommand(parseImportArgs(['orders', path, '--json'], '/'), {
      fetchFn: fetch,
      env,
      identity: async () => ({}),
      progress: (line) => progress.push(line),
    });
    expect(progress[0]).toMatch(/\(resumed: this file was imported before\)$/);
    expect(JSON.parse(result.output)).toMatchObject({ format: 'csv', source: path, imported: { events: 2 } });
  });

  it('fails with the import’s reason when the file cannot be imported', async () => {
    const result = await runImportCommand(parseImportArgs(['orders', bench.file('bad.csv', 'a,b\n1,2\n')], '/'), {
      fetchFn: fetch,
      env,
      identity: async () => ({}),
      progress: () => undefined,
    });
    expect(result).toEqual({
      ok: false,
      output: expect.stringMatching(/^import imp-[0-9a-f]{24} failed: the header row must name order_id/),
    });
    const missing = await runImportCommand(parseImportArgs(['orders', '/no/such/file.csv'], '/'), {
      fetchFn: fetch,
      env,
      identity: async () => ({}),
      progress: () => undefined,
    });
    expect(missing.ok).toBe(false);
    expect(JSON.parse(missing.output)).toEqual({
      error: { code: 'unreadable_history', message: '/no/such/file.csv is no file this machine can read' },
    });
  });

  it('calls a deployed function with the operator’s identity token', async () => {
    const calls: { url: string; authorization: string | undefined }[] = [];
    const fetchFn: typeof fetch = async (url, init) => {
      calls.push({
        url: url instanceof Request ? url.url : url.toString(),
        authorization: new Headers(init?.headers).get('authorization') ?? undefined,
      });
      return new Response('{"error":{"code":"bad_request","message":"no"}}', { status: 400 });
    };
    const command = parseImportArgs(['orders', 'gs://shop-imports/o.csv', '--project', 'shop', '--region', 'europe-west1'], '/');
    const result = await runImportCommand(command, {
      fetchFn,
      env: {},
      identity: async (url) => ({ Authorization: `Bearer token-for ${url}` }),
      progress: () => undefined,
    });
    expect(result.ok).toBe(false);
    expect(calls).toEqual([
      {
        url: 'https://europe-west1-shop.cloudfunctions.net/history/v1/imports',
        authorization: 'Bearer token-for https://europe-west1-shop.cloudfunctions.net/history',
      },
    ]);
  });

  it('says when the stack is not running', async () => {
    const command = parseImportArgs(['orders', 'x.csv'], '/tmp');
    await expect(
      runImportCommand(command, {
        fetchFn: fetch,
        env: { HISTORY_PORT: String(await freePort()) },
        identity: async () => ({}),
        progress: () => undefined,
      }),
    ).rejects.toThrow('is npm start running?');
  });

  it('takes the file relative to where it is run, and checks its arguments', () => {
    expect(parseImportArgs(['orders', 'data/orders.csv'], '/home/shop')).toEqual({
      format: 'csv',
      source: '/home/shop/data/orders.csv',
      json: false,
    });
    expect(parseImportArgs(['orders', 'dump', '--format', 'instacart', '--anchor', '2026-01-01'], '/x')).toMatchObject({
      format: 'instacart',
      source: '/x/dump',
      anchor: '2026-01-01',
    });
    expect(
      parseImportArgs(['orders', 'gs://shop-imports/orders.csv', '--project', 'shop', '--region', 'europe-west1'], '/x'),
    ).toMatchObject({ source: 'gs://shop-imports/orders.csv', project: 'shop' });
    expect(() => parseImportArgs(['orders'], '/')).toThrow(/^usage: npm run import -- orders <file>/);
    expect(() => parseImportArgs(['orders', 'x', '--format', 'xml'], '/')).toThrow(/--format must be one of csv, ndjson, instacart/);
    expect(() => parseImportArgs(['orders', 'x.csv', '--project', 'shop', '--region', 'r'], '/')).toThrow(/gs:\/\//);
    expect(() => parseImportArgs(['orders', 'x.csv', '--anchor', '2026-01-01'], '/')).toThrow(/instacart/);
    expect(parseImportArgs(['orders', 'gs://shop-imports/o.csv', '--url', 'https://history-abc.a.run.app/'], '/x')).toMatchObject({
      url: 'https://history-abc.a.run.app',
    });
    expect(() => parseImportArgs(['orders', 'o.csv', '--url', 'https://history-abc.a.run.app'], '/x')).toThrow(/gs:\/\//);
  });
});
