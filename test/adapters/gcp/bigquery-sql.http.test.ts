import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BigQueryJobError, createBigQuerySql, labelValue, type BigQuerySqlOptions } from '../../../functions/adapters/gcp/bigquery-sql.ts';
import type { SqlRow } from '../../../functions/warehouse/ports.ts';
import { readSqlFile } from '../../../functions/warehouse/sql-files.ts';
import { loopbackBigQuery } from '../../support/bigquery-loopback.ts';

const PROJECT = '/bigquery/v2/projects/demo-test';
const USER_ID = 'user-8f14e45f';

type Received = { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; text: string };
type Reply = { status: number; body: unknown };
type ErrorProto = { reason: string; message: string; location?: string };
type Field = { name: string; type: string; mode?: string; fields?: Field[] };
/** A page of `jobs.getQueryResults` in the REST wire format. */
type Page = { rows: { f: { v: unknown }[] }[] };

/** How the jobs of a test end, and what they answer. */
type Script = {
  /** Shown by `jobs.get` once the job is DONE. */
  statistics: Record<string, unknown>;
  /** Set: the job failed. */
  errorResult?: ErrorProto;
  /** The result schema and pages of a query, in order. */
  schema: Field[];
  pages: Page[];
  /** The schema `tables.get` answers. */
  tableSchema: Field[];
};

const STAGING_SCHEMA: Field[] = [
  { name: 'user_id', type: 'STRING', mode: 'REQUIRED' },
  { name: 'as_of', type: 'TIMESTAMP', mode: 'REQUIRED' },
  { name: 'computed_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
  { name: 'fingerprint', type: 'STRING', mode: 'REQUIRED' },
  { name: 'patterns', type: 'JSON', mode: 'REQUIRED' },
];

const script = (overrides: Partial<Script> = {}): Script => ({
  statistics: { totalBytesProcessed: '0', query: { totalBytesProcessed: '0' } },
  schema: [],
  pages: [{ rows: [] }],
  tableSchema: STAGING_SCHEMA,
  ...overrides,
});

const JobResource = z.object({ jobReference: z.object({ jobId: z.string(), projectId: z.string(), location: z.string().optional() }) });

/** The parts of a `multipart/related` upload, each with its Content-Type. */
function multipartParts(request: Received): { type: string; body: string }[] {
  const boundary = /boundary=([^;\s]+)/.exec(request.headers['content-type'] ?? '')?.[1];
  if (!boundary) throw new Error(`not multipart: ${request.headers['content-type']}`);
  return request.text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      const split = part.indexOf('\r\n\r\n');
      return {
        type: /Content-Type: (.+)/i.exec(part.slice(0, split))?.[1]?.trim() ?? '',
        body: part.slice(split + 4).replace(/\r\n$/, ''),
      };
    });
}

/**
 * BigQuery's REST API on loopback, as far as query and load jobs go: jobs.insert (and its upload
 * endpoint), jobs.get, jobs.getQueryResults with page tokens, and tables.get. Records every request.
 */
function fakeBigQueryApi() {
  const requests: Received[] = [];
  const jobs = new Map<string, Record<string, unknown>>();
  let current = script();

  function inserted(resource: unknown): Reply {
    const job = z.record(z.string(), z.unknown()).parse(resource);
    const { jobReference } = JobResource.parse(job);
    const stored = {
      ...job,
      kind: 'bigquery#job',
      id: `demo-test:${jobReference.location ?? 'US'}.${jobReference.jobId}`,
      jobReference: { location: 'US', ...jobReference },
    };
    jobs.set(jobReference.jobId, stored);
    return { status: 200, body: { ...stored, status: { state: 'RUNNING' } } };
  }

  function route(request: Received): Reply {
    const { method, path } = request;
    if (method === 'POST' && path === `${PROJECT}/jobs`) return inserted(JSON.parse(request.text));
    if (method === 'POST' && path === `/upload${PROJECT}/jobs`) return inserted(JSON.parse(multipartParts(request)[0]?.body ?? 'null'));
    const job = /^\/bigquery\/v2\/projects\/demo-test\/(jobs|queries)\/([\w-]+)$/.exec(path);
    const stored = job?.[2] ? jobs.get(job[2]) : undefined;
    if (method === 'GET' && job?.[1] === 'jobs' && stored) {
      const failed = current.errorResult ? { errorResult: current.errorResult, errors: [current.errorResult] } : {};
      return { status: 200, body: { ...stored, status: { state: 'DONE', ...failed }, statistics: current.statistics } };
    }
    if (method === 'GET' && job?.[1] === 'queries' && stored) {
      const index = Number(request.query.get('pageToken')?.replace('page-', '') ?? 0);
      const page = current.pages[index];
      if (!page) return { status: 400, body: { error: { code: 400, message: 'bad page token' } } };
      const next = index + 1 < current.pages.length ? { pageToken: `page-${index + 1}` } : {};
      const totalRows = String(current.pages.reduce((n, p) => n + p.rows.length, 0));
      return {
        status: 200,
        body: {
          kind: 'bigquery#getQueryResultsResponse',
          jobReference: stored.jobReference,
          jobComplete: true,
          schema: { fields: current.schema },
          totalRows,
          ...page,
          ...next,
        },
      };
    }
    const table = /^\/bigquery\/v2\/projects\/demo-test\/datasets\/ds\/tables\/(\w+)$/.exec(path);
    if (method === 'GET' && table) {
      return {
        status: 200,
        body: {
          kind: 'bigquery#table',
          tableReference: { projectId: 'demo-test', datasetId: 'ds', tableId: table[1] },
          schema: { fields: current.tableSchema },
        },
      };
    }
    return {
      status: 404,
      body: { error: { code: 404, message: `no route: ${method} ${path}`, errors: [{ reason: 'notFound', message: 'no route' }] } },
    };
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: Received = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        text: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const reply = route(request);
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(reply.body));
    });
  });

  return {
    server,
    requests,
    play(next: Script) {
      current = next;
    },
    reset: () => {
      requests.length = 0;
      jobs.clear();
      current = script();
    },
  };
}

const api = fakeBigQueryApi();
const bigQuery = loopbackBigQuery(api.server, api.reset);

function warehouse(options: Partial<BigQuerySqlOptions> = {}) {
  return createBigQuerySql(bigQuery(), {
    dataset: 'ds',
    location: 'EU',
    maximumBytesBilled: 1_000_000_000,
    labels: { app: 'grocery' },
    ...options,
  });
}

/** `METHOD path?query` of each request, without the `prettyPrint=false` the client adds to every API call. */
function calls(): string[] {
  return api.requests.map((r) => {
    const query = new URLSearchParams([...r.query].filter(([name]) => name !== 'prettyPrint'));
    return `${r.method} ${r.path}${query.size > 0 ? `?${query.toString()}` : ''}`;
  });
}
const insertedJob = (index = 0) => JSON.parse(api.requests[index]?.text ?? 'null') as Record<string, unknown>;

/** A TIMESTAMP as `formatOptions.useInt64Timestamp` has the API send it: microseconds since the epoch, as a string. */
const micros = (iso: string, extraMicros = 0) => String(BigInt(Date.parse(iso)) * 1000n + BigInt(extraMicros));

describe('BigQuery SQL through the real client', () => {
  it('runs the file as a standard SQL query job: default dataset, cost cap, labels, explicitly typed named parameters', async () => {
    const params = {
      as_of: new Date('2026-03-01T10:00:00Z'),
      min_orders: 3,
      min_share: 0.25,
      user_id: USER_ID,
      personalized: true,
      skus: ['sku-1', 'sku-2'],
      none: [],
      // Not in the statement: a job passes its whole set of parameters to every file.
      job: 'patterns',
    };
    const statement = 'SELECT @as_of, @min_orders, @min_share, @user_id, @personalized, @skus, @none';

    await warehouse({ readSql: async () => statement }).query('events.sql', params, 'patterns');

    expect(calls()).toEqual([
      `POST ${PROJECT}/jobs`,
      expect.stringMatching(new RegExp(`^GET ${PROJECT}/jobs/patterns_events_[\\w-]+\\?location=EU$`)),
      expect.stringMatching(
        new RegExp(`^GET ${PROJECT}/queries/patterns_events_[\\w-]+\\?location=EU&formatOptions.useInt64Timestamp=true$`),
      ),
    ]);
    const job = insertedJob();
    expect(job).toEqual({
      jobReference: { projectId: 'demo-test', jobId: expect.stringMatching(/^patterns_events_[0-9a-f-]{36}$/), location: 'EU' },
      configuration: {
        labels: { app: 'grocery', job: 'patterns', query: 'events' },
        query: {
          query: statement,
          useLegacySql: false,
          defaultDataset: { datasetId: 'ds' },
          maximumBytesBilled: '1000000000',
          // The client's spelling; the API takes the mode case-insensitively.
          parameterMode: 'named',
          queryParameters: [
            { name: 'as_of', parameterType: { type: 'TIMESTAMP' }, parameterValue: { value: '2026-03-01T10:00:00.000Z' } },
            { name: 'min_orders', parameterType: { type: 'INT64' }, parameterValue: { value: 3 } },
            { name: 'min_share', parameterType: { type: 'FLOAT64' }, parameterValue: { value: 0.25 } },
            { name: 'user_id', parameterType: { type: 'STRING' }, parameterValue: { value: USER_ID } },
            { name: 'personalized', parameterType: { type: 'BOOL' }, parameterValue: { value: true } },
            {
              name: 'skus',
              parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
              parameterValue: { arrayValues: [{ value: 'sku-1' }, { value: 'sku-2' }] },
            },
            // The client cannot infer an empty array's type; the adapter names it.
            { name: 'none', parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } }, parameterValue: { arrayValues: [] } },
          ],
          // The client leaves its `types` option in the request as well; that is its documented usage.
          types: {
            as_of: 'TIMESTAMP',
            min_orders: 'INT64',
            min_share: 'FLOAT64',
            user_id: 'STRING',
            personalized: 'BOOL',
            skus: ['STRING'],
            none: ['STRING'],
          },
        },
      },
    });
  });

  it('asks BigQuery to stop a job that outlives jobTimeoutMs, the deadline of a request path', async () => {
    await warehouse({ readSql: async () => 'SELECT 1', jobTimeoutMs: 30_000 }).query('events.sql', {}, 'dashboard');

    expect(insertedJob()).toMatchObject({ configuration: { jobTimeoutMs: '30000' } });
  });

  it('types an integral number INT64 and any other FLOAT64, as the port says', async () => {
    await warehouse({ readSql: async () => 'SELECT @whole, @half, @negative' }).query(
      'events.sql',
      { whole: 2.0, half: 2.5, negative: -7 },
      'metrics',
    );

    const query = z
      .object({ configuration: z.object({ query: z.object({ queryParameters: z.array(z.unknown()) }) }) })
      .parse(insertedJob());
    expect(query.configuration.query.queryParameters).toEqual([
      { name: 'whole', parameterType: { type: 'INT64' }, parameterValue: { value: 2 } },
      { name: 'half', parameterType: { type: 'FLOAT64' }, parameterValue: { value: 2.5 } },
      { name: 'negative', parameterType: { type: 'INT64' }, parameterValue: { value: -7 } },
    ]);
  });

  it('reads every result page and answers values in the port’s terms, with the bytes the job scanned', async () => {
    const fields: Field[] = [
      { name: 'user_id', type: 'STRING', mode: 'NULLABLE' },
      { name: 'as_of', type: 'TIMESTAMP', mode: 'NULLABLE' },
      { name: 'orders', type: 'INTEGER', mode: 'NULLABLE' },
      { name: 'share', type: 'FLOAT', mode: 'NULLABLE' },
      { name: 'personalized', type: 'BOOLEAN', mode: 'NULLABLE' },
      { name: 'tags', type: 'STRING', mode: 'REPEATED' },
      { name: 'patterns', type: 'JSON', mode: 'NULLABLE' },
      { name: 'note', type: 'STRING', mode: 'NULLABLE' },
      { name: 'first_day', type: 'DATE', mode: 'NULLABLE' },
    ];
    const wire = (...values: unknown[]) => ({ f: values.map((v) => ({ v })) });
    api.play(
      script({
        statistics: { totalBytesProcessed: '73400320', query: { totalBytesProcessed: '73400320' } },
        schema: fields,
        pages: [
          {
            rows: [
              wire(
                'u-1',
                micros('2026-03-01T10:00:00.123Z', 456),
                '12',
                '0.25',
                'true',
                [{ v: 'vegan' }, { v: 'organic' }],
                '{"brands":["oatly"],"n":1}',
                null,
                '2026-02-01',
              ),
              wire('u-2', micros('2026-03-01T10:00:00Z'), '-3', '1e-7', 'false', [], '[]', 'x', null),
            ],
          },
          { rows: [wire('u-3', null, null, null, null, [], null, null, null)] },
        ],
      }),
    );

    const result = await warehouse().query('events.sql', {}, 'patterns');

    expect(result.rows).toEqual([
      {
        user_id: 'u-1',
        // Microseconds dropped: the port keeps milliseconds.
        as_of: '2026-03-01T10:00:00.123Z',
        orders: 12,
        share: 0.25,
        personalized: true,
        tags: ['vegan', 'organic'],
        // JSON as its text, exactly as BigQuery sent it.
        patterns: '{"brands":["oatly"],"n":1}',
        note: null,
        first_day: '2026-02-01',
      },
      {
        user_id: 'u-2',
        as_of: '2026-03-01T10:00:00.000Z',
        orders: -3,
        share: 1e-7,
        personalized: false,
        tags: [],
        patterns: '[]',
        note: 'x',
        first_day: null,
      },
      { user_id: 'u-3', as_of: null, orders: null, share: null, personalized: null, tags: [], patterns: null, note: null, first_day: null },
    ] satisfies SqlRow[]);
    expect(result.bytesProcessed).toBe(73_400_320);
    expect(result.ms).toBeGreaterThanOrEqual(0);
    const pages = api.requests.filter((r) => r.path.startsWith(`${PROJECT}/queries/`));
    expect(pages.map((r) => r.query.get('pageToken'))).toEqual([null, 'page-1']);
  });

  it('refuses an INT64 a number cannot hold, naming the column but not the value', async () => {
    api.play(script({ schema: [{ name: 'big', type: 'INTEGER' }], pages: [{ rows: [{ f: [{ v: '9007199254740993' }] }] }] }));

    const error = await warehouse()
      .query('events.sql', {}, 'patterns')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BigQueryJobError);
    expect(String(error)).toContain('sql/events.sql failed: column big: INT64 beyond Number.MAX_SAFE_INTEGER');
    expect(String(error)).not.toContain('9007199254740993');
  });

  it('refuses a STRUCT column, which the port has no value for', async () => {
    api.play(
      script({
        schema: [{ name: 'item', type: 'RECORD', fields: [{ name: 'sku', type: 'STRING' }] }],
        pages: [{ rows: [{ f: [{ v: { f: [{ v: 'sku-1' }] } }] }] }],
      }),
    );

    await expect(warehouse().query('events.sql', {}, 'patterns')).rejects.toThrow(
      /^sql\/events\.sql failed: column item: Object has no SqlValue \(STRUCT/,
    );
  });

  it('answers the rows a DML statement changed and the bytes it scanned, without reading results', async () => {
    api.play(
      script({
        statistics: {
          totalBytesProcessed: '1048576',
          query: { totalBytesProcessed: '1048576', numDmlAffectedRows: '42', statementType: 'MERGE' },
        },
      }),
    );

    const result = await warehouse().execute('user_patterns.sql', { as_of: new Date('2026-03-01T10:00:00Z') }, 'patterns');

    expect(result).toEqual({ affectedRows: 42, bytesProcessed: 1_048_576, ms: expect.any(Number) });
    expect(calls().map((c) => c.split('/').slice(0, 6).join('/'))).toEqual([`POST ${PROJECT}/jobs`, `GET ${PROJECT}/jobs`]);
    expect(insertedJob()).toMatchObject({
      jobReference: { jobId: expect.stringMatching(/^patterns_user_patterns_/) },
      configuration: { labels: { job: 'patterns', query: 'user_patterns' }, query: { query: await readSqlFile('user_patterns.sql') } },
    });
  });

  it('rejects a failed job with the file and BigQuery’s reason, and no parameter value', async () => {
    const errorResult = {
      reason: 'bytesBilledLimitExceeded',
      message: 'Query exceeded limit for bytes billed: 1000. 10485760 or higher required.',
    };
    api.play(script({ errorResult }));

    const error = await warehouse({ maximumBytesBilled: 1000 })
      .query('events.sql', { user_id: USER_ID, as_of: new Date('2026-03-01T10:00:00Z') }, 'patterns')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BigQueryJobError);
    expect(error).toMatchObject({
      message: 'sql/events.sql failed: bytesBilledLimitExceeded: Query exceeded limit for bytes billed: 1000. 10485760 or higher required.',
      reasons: ['bytesBilledLimitExceeded'],
    });
    // Nothing the error carries, message or property, holds a parameter.
    const everything = JSON.stringify(error, Object.getOwnPropertyNames(error));
    expect(everything).not.toContain(USER_ID);
    expect(everything).not.toContain('2026-03-01');
    // Results of a failed job are never asked for.
    expect(api.requests.some((r) => r.path.startsWith(`${PROJECT}/queries/`))).toBe(false);
  });

  it('replaces a staging table in one NDJSON load job, JSON columns as their values, and waits for it', async () => {
    api.play(script({ statistics: { load: { outputRows: '2' } } }));
    const rows = [
      {
        user_id: 'u-1',
        as_of: '2026-03-01T10:00:00.000Z',
        computed_at: '2026-03-01T10:05:00.000Z',
        fingerprint: 'f1',
        patterns: '{"brands":[{"brand":"oatly","share":0.5}]}',
      },
      { user_id: 'u-2', as_of: '2026-03-01T10:00:00.000Z', computed_at: '2026-03-01T10:05:00.000Z', fingerprint: 'f2', patterns: '{}' },
    ];

    const result = await warehouse().replaceRows('user_patterns_staging', rows, 'patterns');

    expect(result).toEqual({ bytesProcessed: null, ms: expect.any(Number) });
    expect(calls()).toEqual([
      `GET ${PROJECT}/datasets/ds/tables/user_patterns_staging`,
      `POST /upload${PROJECT}/jobs?uploadType=multipart`,
      expect.stringMatching(new RegExp(`^GET ${PROJECT}/jobs/patterns_user_patterns_staging_[\\w-]+\\?location=EU$`)),
    ]);
    const upload = api.requests[1];
    if (!upload) throw new Error('no upload');
    expect(upload.headers['content-type']).toMatch(/^multipart\/related; boundary=/);
    const [metadata, data, ...rest] = multipartParts(upload);
    expect(rest).toEqual([]);
    expect(metadata?.type).toBe('application/json');
    expect(JSON.parse(metadata?.body ?? 'null')).toEqual({
      configuration: {
        load: {
          destinationTable: { projectId: 'demo-test', datasetId: 'ds', tableId: 'user_patterns_staging' },
          sourceFormat: 'NEWLINE_DELIMITED_JSON',
          writeDisposition: 'WRITE_TRUNCATE',
          createDisposition: 'CREATE_NEVER',
        },
      },
      // Labels cannot ride on a load through the client: the job id carries the names instead.
      jobReference: {
        jobId: expect.stringMatching(/^patterns_user_patterns_staging_[0-9a-f-]{36}$/),
        projectId: 'demo-test',
        location: 'EU',
      },
    });
    expect(data?.type).toBe('application/octet-stream');
    expect(data?.body.endsWith('\n')).toBe(true);
    expect(
      data?.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual(rows.map((row) => ({ ...row, patterns: JSON.parse(row.patterns) as unknown })));
  });

  it('rejects a load job that ended with an error, naming the table and the reason', async () => {
    const errorResult = { reason: 'invalid', message: 'Error while reading data, error message: JSON table encountered too many errors.' };
    api.play(script({ errorResult }));

    const error = await warehouse()
      .replaceRows('user_patterns_staging', [{ user_id: USER_ID, patterns: '{}' }], 'patterns')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BigQueryJobError);
    expect(error).toMatchObject({
      message: `load into ds.user_patterns_staging failed: invalid: ${errorResult.message}`,
      reasons: ['invalid'],
    });
    expect(String(error)).not.toContain(USER_ID);
  });

  it('refuses a row whose JSON column holds no JSON text, before uploading anything', async () => {
    await expect(
      warehouse().replaceRows('user_patterns_staging', [{ user_id: USER_ID, patterns: `{"user":"${USER_ID}"` }], 'patterns'),
    ).rejects.toThrow('load into ds.user_patterns_staging failed: row 0, column patterns: not JSON text');
    expect(calls()).toEqual([`GET ${PROJECT}/datasets/ds/tables/user_patterns_staging`]);
  });

  it('empties the table with a labelled TRUNCATE when there are no rows, instead of uploading nothing', async () => {
    const result = await warehouse().replaceRows('user_patterns_staging', [], 'patterns');

    expect(result).toEqual({ bytesProcessed: null, ms: expect.any(Number) });
    expect(calls().map((c) => c.split('/').slice(0, 6).join('/'))).toEqual([`POST ${PROJECT}/jobs`, `GET ${PROJECT}/jobs`]);
    expect(insertedJob()).toMatchObject({
      configuration: {
        labels: { app: 'grocery', job: 'patterns', query: 'user_patterns_staging' },
        query: {
          query: 'TRUNCATE TABLE `user_patterns_staging`',
          defaultDataset: { datasetId: 'ds' },
          useLegacySql: false,
          maximumBytesBilled: '1000000000',
        },
      },
    });
  });
});

describe('BigQuery SQL settings', () => {
  it('makes label values of names: lower snake case, at most 63 characters', () => {
    expect(labelValue('user_patterns')).toBe('user_patterns');
    expect(labelValue('Merge-User.Patterns')).toBe('merge_user_patterns');
    expect(labelValue('x'.repeat(70))).toHaveLength(63);
  });

  it('refuses settings BigQuery would refuse on every job, at start-up', () => {
    expect(() => warehouse({ maximumBytesBilled: 0 })).toThrow('maximumBytesBilled must be a positive integer');
    expect(() => warehouse({ labels: { Team: 'growth' } })).toThrow('not a BigQuery label: Team=growth');
    expect(() => warehouse({ labels: { team: 'Growth Team' } })).toThrow('not a BigQuery label');
    expect(api.requests).toEqual([]);
  });
});
