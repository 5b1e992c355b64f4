import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CRC32C, Storage } from '@google-cloud/storage';
import { PassThroughClient } from 'google-auth-library';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBigQueryImportStaging, STAGING_PREFIX } from '../../../functions/adapters/gcp/bigquery-import-staging.ts';
import { createBigQuerySql } from '../../../functions/adapters/gcp/bigquery-sql.ts';
import { createCloudStorage, createCloudStorageHistoryFiles } from '../../../functions/adapters/gcp/cloud-storage.ts';
import { readOrderLines } from '../../../functions/history/order-lines.ts';
import { UnreadableHistory, type HistoryRow } from '../../../functions/history/ports.ts';
import { eventRow, orderItemRows } from '../../../functions/warehouse/rows.ts';
import { loopbackBigQuery } from '../../support/bigquery-loopback.ts';
import { collectedEvent } from '../../warehouse/samples.ts';

// The production import path through the real clients, against Cloud Storage's and BigQuery's REST APIs on loopback:
// the file streamed from the import bucket, each slice staged as NDJSON objects there, and each staging table loaded
// by one load job from them — never a streaming insert.

type Received = { method: string; path: string; query: URLSearchParams; type: string; text: string };
/** An object; `served` is what a download delivers instead of its bytes, as a transfer that damaged them would. */
type StoredObject = { text: string; generation: string; served?: string };
type Reply = { status: number; body: string; type: string; headers?: Record<string, string> };

/** The base64 CRC32C Cloud Storage gives for an object's bytes. */
function crc32cOf(text: string): string {
  const crc32c = new CRC32C();
  crc32c.update(Buffer.from(text, 'utf8'));
  return crc32c.toString();
}

/** The media part of a multipart upload (`uploadType=multipart`): its metadata part first, then the bytes. */
function uploadedMedia(r: Received): string {
  const boundary = /boundary="?([^";]+)"?/.exec(r.type)?.[1] ?? '';
  const media = r.text.split(`--${boundary}`)[2] ?? '';
  return media.slice(media.indexOf('\r\n\r\n') + 4, -2);
}

function fakeCloud() {
  const requests: Received[] = [];
  const objects = new Map<string, StoredObject>();
  const jobs = new Map<string, Record<string, unknown>>();
  let generation = 1;
  const key = (bucket: string, name: string) => `${bucket}/${name}`;
  const json = (status: number, body: unknown): Reply => ({ status, body: JSON.stringify(body), type: 'application/json' });
  const resource = (bucket: string, name: string, stored: StoredObject) => ({
    kind: 'storage#object',
    bucket,
    name,
    generation: stored.generation,
    size: String(Buffer.byteLength(stored.text)),
    crc32c: crc32cOf(stored.text),
  });

  function route(r: Received): Reply {
    const object = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(r.path);
    if (object) {
      const [bucket, name] = [decodeURIComponent(object[1] ?? ''), decodeURIComponent(object[2] ?? '')];
      const stored = objects.get(key(bucket, name));
      if (r.method === 'DELETE') return objects.delete(key(bucket, name)) ? json(204, {}) : json(404, { error: { code: 404 } });
      if (!stored) return json(404, { error: { code: 404, message: 'No such object' } });
      if (r.query.get('alt') === 'media') {
        // As Cloud Storage does, the checksum of the stored bytes goes with them, for the client to check.
        const headers = {
          'x-goog-hash': `crc32c=${crc32cOf(stored.text)}`,
          'x-goog-stored-content-encoding': 'identity',
          'x-goog-generation': stored.generation,
        };
        return { status: 200, body: stored.served ?? stored.text, type: 'text/csv', headers };
      }
      return json(200, resource(bucket, name, stored));
    }
    const list = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(r.path);
    if (list && r.method === 'GET') {
      const prefix = `${decodeURIComponent(list[1] ?? '')}/${r.query.get('prefix') ?? ''}`;
      const names = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      // Two a page, so that paging is exercised; the token is the last name given, as objects may go meanwhile.
      const after = r.query.get('pageToken');
      const rest = after === null ? names : names.filter((k) => k > after);
      const page = rest.slice(0, 2);
      return json(200, {
        items: page.map((k) => ({ name: k.slice(k.indexOf('/') + 1) })),
        ...(rest.length > 2 ? { nextPageToken: page.at(-1) } : {}),
      });
    }
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(r.path);
    if (upload && r.method === 'POST' && r.query.get('uploadType') === 'multipart') {
      const [bucket, name] = [decodeURIComponent(upload[1] ?? ''), r.query.get('name') ?? ''];
      const stored = { text: uploadedMedia(r), generation: String((generation += 1)) };
      objects.set(key(bucket, name), stored);
      return json(200, resource(bucket, name, stored));
    }
    if (r.method === 'POST' && r.path === '/bigquery/v2/projects/demo-test/jobs') {
      const job = JSON.parse(r.text) as { jobReference: { jobId: string } };
      const stored = { ...job, jobReference: { location: 'EU', projectId: 'demo-test', ...job.jobReference } };
      jobs.set(job.jobReference.jobId, stored);
      return json(200, { ...stored, status: { state: 'RUNNING' } });
    }
    const job = /^\/bigquery\/v2\/projects\/demo-test\/jobs\/([\w-]+)$/.exec(r.path);
    if (r.method === 'GET' && job) return json(200, { ...jobs.get(job[1] ?? ''), status: { state: 'DONE' }, statistics: {} });
    return json(404, { error: { code: 404, message: `no route ${r.method} ${r.path}` } });
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const r = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        type: req.headers['content-type'] ?? '',
        text: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(r);
      const reply = route(r);
      res.writeHead(reply.status, { 'content-type': reply.type, ...reply.headers });
      res.end(reply.status === 204 ? undefined : reply.body);
    });
  });
  return { server, requests, objects, jobs, reset: () => ((requests.length = 0), objects.clear(), jobs.clear()) };
}

const cloud = fakeCloud();
const bigQuery = loopbackBigQuery(cloud.server, cloud.reset);
let origin = '';
beforeAll(() => {
  origin = `http://127.0.0.1:${(cloud.server.address() as AddressInfo).port}`;
});
// When set, it wins over `apiEndpoint`.
delete process.env.STORAGE_EMULATOR_HOST;
const storage = () =>
  createCloudStorage(
    new Storage({ projectId: 'demo-test', apiEndpoint: origin, authClient: new PassThroughClient(), useAuthWithCustomEndpoint: true }),
  );

const CSV = [
  'order_id,shopper_id,ordered_at,sku,name,category,brand,price,quantity',
  'o-1,alice,2026-05-01T10:00:00Z,milk,"Milk, oat",dairy,Oatly,2.49,1',
  'o-1,alice,2026-05-01T10:00:00Z,tea,Tea,drinks,,4,1',
].join('\n');

describe('history files in the import bucket', () => {
  beforeEach(() => cloud.objects.set('shop-imports/orders.csv', { text: CSV, generation: '7' }));

  it('are fingerprinted by generation and checksum, and read as they stream', async () => {
    const files = createCloudStorageHistoryFiles(storage(), 'shop-imports');
    expect(await files.fingerprint('gs://shop-imports/orders.csv')).toBe(
      `generation=7 size=${Buffer.byteLength(CSV)} crc32c=${crc32cOf(CSV)}`,
    );
    const now = new Date('2026-06-01T00:00:00Z');
    const rows: HistoryRow[] = [];
    for await (const row of readOrderLines(files.read('gs://shop-imports/orders.csv'), {
      receivedAt: now,
      receivedAtIso: now.toISOString(),
      maxFutureSkewMs: 0,
    }).rows)
      rows.push(row);
    expect(rows).toMatchObject([
      { kind: 'event', line: 2, event: { user_id: 'alice', data: { items: [{ name: 'Milk, oat' }, { sku: 'tea' }] } } },
    ]);
    expect(files.within('gs://shop-imports/instacart/', 'orders.csv')).toBe('gs://shop-imports/instacart/orders.csv');
  });

  it('are refused when what arrives is not what the bucket holds', async () => {
    cloud.objects.set('shop-imports/orders.csv', { text: CSV, generation: '7', served: CSV.replace('2.49', '2.94') });
    const files = createCloudStorageHistoryFiles(storage(), 'shop-imports');
    const read = async () => {
      let text = '';
      for await (const chunk of files.read('gs://shop-imports/orders.csv')) text += chunk;
      return text;
    };
    await expect(read()).rejects.toMatchObject({ code: 'CONTENT_DOWNLOAD_MISMATCH' });
  });

  it('refuse what is not there, or not in the import bucket, saying so', async () => {
    const files = createCloudStorageHistoryFiles(storage(), 'shop-imports');
    await expect(files.fingerprint('gs://shop-imports/missing.csv')).rejects.toThrow(
      new UnreadableHistory('gs://shop-imports/missing.csv does not exist'),
    );
    await expect(files.fingerprint('gs://other-bucket/orders.csv')).rejects.toThrow(UnreadableHistory);
    expect(() => files.read('/etc/passwd')).toThrow(UnreadableHistory);
  });
});

describe('staging an import for BigQuery', () => {
  it('writes each slice to the bucket as NDJSON and loads each table with one load job, never a streaming insert', async () => {
    const sql = createBigQuerySql(bigQuery(), { dataset: 'ds', location: 'EU', maximumBytesBilled: 1_000_000 });
    // An earlier attempt's leftovers, more than a page of them: cleared first.
    for (const name of ['events-000008', 'events-000009', 'orderItems-000009'])
      cloud.objects.set(`shop-imports/${STAGING_PREFIX}${name}.ndjson`, { text: '{}', generation: '1' });
    const staging = createBigQueryImportStaging({
      storage: storage(),
      bucket: 'shop-imports',
      bigQuery: bigQuery(),
      projectId: 'demo-test',
      dataset: 'ds',
      location: 'EU',
      warehouse: sql,
    });
    await staging.clear();
    expect([...cloud.objects.keys()]).toEqual([]);
    expect(cloud.requests.filter((r) => r.method === 'DELETE')).toHaveLength(3);
    const listings = cloud.requests.filter((r) => r.method === 'GET' && r.path === '/storage/v1/b/shop-imports/o');
    expect(listings.map((r) => [r.query.get('prefix'), r.query.get('pageToken')])).toEqual([
      [STAGING_PREFIX, null],
      [STAGING_PREFIX, `shop-imports/${STAGING_PREFIX}events-000009.ndjson`],
    ]);

    const order = collectedEvent('order_completed');
    for (let slice = 0; slice < 2; slice += 1) {
      await staging.append({
        events: [{ ...eventRow(order, 'imp-1', 'imp-1'), import_line: 2 + slice }],
        orderItems: orderItemRows(order, 'imp-1').map((i) => ({ ...i, import_line: 2 + slice })),
        rejected: [],
      });
    }
    await staging.finish();

    const events = cloud.objects.get(`shop-imports/${STAGING_PREFIX}events-000001.ndjson`)?.text ?? '';
    // A JSON column goes as its value, not as a string, as a load stores it.
    expect(JSON.parse(events.trim())).toMatchObject({
      event_id: order.event_id,
      import_id: 'imp-1',
      import_line: 2,
      data: { order_id: 'order-1001' },
    });
    expect([...cloud.objects.keys()].sort()).toEqual(
      ['events-000001', 'events-000002', 'orderItems-000001', 'orderItems-000002'].map(
        (name) => `shop-imports/${STAGING_PREFIX}${name}.ndjson`,
      ),
    );
    const loads = [...cloud.jobs.values()].flatMap((job) => {
      const load = (job as { configuration?: { load?: Record<string, unknown> } }).configuration?.load;
      return load ? [load] : [];
    });
    expect(loads).toEqual(
      (['events', 'orderItems'] as const).map((kind) => ({
        sourceUris: [`gs://shop-imports/${STAGING_PREFIX}${kind}-*.ndjson`],
        destinationTable: {
          projectId: 'demo-test',
          datasetId: 'ds',
          tableId: kind === 'events' ? 'import_events_staging' : 'import_order_items_staging',
        },
        sourceFormat: 'NEWLINE_DELIMITED_JSON',
        writeDisposition: 'WRITE_TRUNCATE',
        createDisposition: 'CREATE_NEVER',
      })),
    );
    // The table with no rows is emptied (TRUNCATE) rather than loaded from nothing; no row was ever streamed.
    const queries = [...cloud.jobs.values()].flatMap((job) => {
      const query = (job as { configuration?: { query?: { query?: string } } }).configuration?.query?.query;
      return query ? [query] : [];
    });
    expect(queries.filter((q) => q.includes('import_rejected_staging'))).toHaveLength(2);
    expect(cloud.requests.filter((r) => r.path.endsWith('/insertAll'))).toEqual([]);
  });
});
