import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createBigQueryWarehouse,
  eventInsertId,
  orderItemInsertId,
  rejectedInsertId,
  type BigQueryWarehouseOptions,
} from '../../../functions/adapters/gcp/bigquery-warehouse.ts';
import { eventRow, orderItemRows, rejectedMessageRow } from '../../../functions/warehouse/rows.ts';
import { collectedEvent, everyEventShape } from '../../warehouse/samples.ts';
import { loopbackBigQuery } from '../../support/bigquery-loopback.ts';

const REQUEST_ID = '7c0d6f0e-2a55-4c51-9a8e-0a9b3c1f2d4e';
const INSERT_ALL = /^\/bigquery\/v2\/projects\/demo-test\/datasets\/ds\/tables\/(\w+)\/insertAll$/;

type Received = { method: string; path: string; headers: IncomingHttpHeaders; body: unknown };
type Reply = { status: number; body: unknown };
/** How the server answers the `index`-th request of a test (counting from 0). */
type Respond = (request: Received, index: number) => Reply;

/** `tabledata.insertAll` as the adapter sends it: raw rows and nothing else, so the API defaults apply. */
const InsertAllBody = z.strictObject({
  rows: z.array(z.strictObject({ insertId: z.string(), json: z.record(z.string(), z.unknown()) })),
});

const rowsOf = (request: Received) => InsertAllBody.parse(request.body).rows;
const insertIdsOf = (request: Received) => rowsOf(request).map((row) => row.insertId);
const tableOf = (request: Received) => INSERT_ALL.exec(request.path)?.[1];

const written = (): Reply => ({ status: 200, body: { kind: 'bigquery#tableDataInsertAllResponse' } });
/** `first` answers the first request of the test; every later one is written. */
const thenWritten =
  (first: Respond): Respond =>
  (request, index) =>
    index === 0 ? first(request, index) : written();

/** A 200 whose `insertErrors` name rows by their position in the request, as BigQuery's do; the other rows were written. */
function rowErrors(byInsertId: Record<string, { reason: string; message: string }>): Respond {
  return (request) => ({
    status: 200,
    body: {
      kind: 'bigquery#tableDataInsertAllResponse',
      insertErrors: rowsOf(request).flatMap((row, index) => {
        const error = byInsertId[row.insertId];
        return error ? [{ index, errors: [{ ...error, location: '' }] }] : [];
      }),
    },
  });
}

/** A whole request refused, with the JSON error body Google APIs send. */
function httpError(status: number, reason: string, message: string): Reply {
  return { status, body: { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } } };
}

/** BigQuery's REST API on loopback: records every request and answers it as the test says. */
function fakeBigQueryApi() {
  const requests: Received[] = [];
  let respond: Respond = written;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: Received = {
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://127.0.0.1').pathname,
        headers: req.headers,
        body: text === '' ? null : (JSON.parse(text) as unknown),
      };
      requests.push(request);
      const reply = respond(request, requests.length - 1);
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(reply.body));
    });
  });
  return {
    server,
    requests,
    answer(next: Respond) {
      respond = next;
    },
    reset: () => {
      requests.length = 0;
      respond = written;
    },
  };
}

const api = fakeBigQueryApi();
const bigQuery = loopbackBigQuery(api.server, api.reset);

/** The `json` of each row of the `index`-th request. */
function rowsSent(index: number): Record<string, unknown>[] {
  const request = api.requests[index];
  if (!request) throw new Error(`no request ${index}: ${api.requests.length} were sent`);
  return rowsOf(request).map((row) => row.json);
}

function warehouse(options: BigQueryWarehouseOptions = {}) {
  const delays: number[] = [];
  const sleep = async (ms: number) => void delays.push(ms);
  return { warehouse: createBigQueryWarehouse(bigQuery(), 'ds', { sleep, random: () => 1, baseDelayMs: 100, ...options }), delays };
}

describe('BigQuery warehouse through the real client', () => {
  it('posts events keyed by (user_id, event_id), then order items keyed by that and the line, as raw rows and nothing else', async () => {
    const events = everyEventShape();
    const orders = events.filter((e) => e.type === 'order_completed');
    const { warehouse: bq } = warehouse();

    expect(await bq.insertEvents(events, REQUEST_ID)).toEqual({ failed: [] });

    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /bigquery/v2/projects/demo-test/datasets/ds/tables/events/insertAll',
      'POST /bigquery/v2/projects/demo-test/datasets/ds/tables/order_items/insertAll',
    ]);
    const [eventsRequest, itemsRequest] = api.requests;
    // Only `rows`: skipInvalidRows and ignoreUnknownValues keep their false defaults, so an invalid row stops the others.
    expect(eventsRequest?.body).toEqual({ rows: events.map((e) => ({ insertId: eventInsertId(e), json: eventRow(e, REQUEST_ID) })) });
    expect(itemsRequest?.body).toEqual({
      rows: orders.flatMap((event) => orderItemRows(event)).map((item) => ({ insertId: orderItemInsertId(item), json: item })),
    });
    expect(eventsRequest?.headers.authorization).toBeUndefined();
  });

  it('sends JSON columns as JSON text, repeated columns as arrays, and timestamps as UTC ISO', async () => {
    const at = { occurred_at: '2026-11-26T13:59:58.500+02:00', sent_at: '2026-11-26T13:59:59.000+02:00' };
    const search = collectedEvent('search_performed', at);
    const order = collectedEvent('order_completed', at);
    const { warehouse: bq } = warehouse();

    await bq.insertEvents([search, order], REQUEST_ID);

    const [searchRow, orderRow] = rowsSent(0);
    expect(searchRow).toMatchObject({
      occurred_at: '2026-11-26T11:59:58.500Z',
      sent_at: '2026-11-26T11:59:59.000Z',
      received_at: '2026-11-26T12:00:00.000Z',
      event_time: '2026-11-26T11:59:59.500Z',
      experiments: '{"personalization":"treatment"}',
    });
    expect(JSON.parse(String(searchRow?.context))).toEqual(search.context);
    expect(JSON.parse(String(searchRow?.data))).toEqual(search.data);
    expect(typeof orderRow?.data).toBe('string');

    const [firstItem] = rowsSent(1);
    expect(firstItem).toMatchObject({ event_time: '2026-11-26T11:59:59.500Z', dietary_tags: ['vegan', 'lactose_free'] });
  });

  it('answers an invalid row as failed and resends only the rows that failed transiently or were stopped by it', async () => {
    const stopped = collectedEvent('search_performed');
    const invalid = collectedEvent('product_viewed');
    const flaky = collectedEvent('cart_item_added');
    api.answer(
      thenWritten(
        rowErrors({
          [eventInsertId(stopped)]: { reason: 'stopped', message: '' },
          [eventInsertId(invalid)]: { reason: 'invalid', message: 'no such field: sku2.' },
          [eventInsertId(flaky)]: { reason: 'backendError', message: 'Backend error' },
        }),
      ),
    );
    const { warehouse: bq, delays } = warehouse();

    const result = await bq.insertEvents([stopped, invalid, flaky], REQUEST_ID);

    expect(result).toEqual({ failed: [{ user_id: invalid.user_id, event_id: invalid.event_id, reason: 'invalid: no such field: sku2.' }] });
    // Exactly two requests: the client resends nothing itself (partialRetries: 0).
    expect(api.requests.map(insertIdsOf)).toEqual([[stopped, invalid, flaky].map(eventInsertId), [stopped, flaky].map(eventInsertId)]);
    const [first, second] = api.requests.map(rowsOf);
    expect(second).toEqual(first?.filter((row) => row.insertId !== eventInsertId(invalid)));
    expect(delays).toEqual([100]);
  });

  it('throws when a row keeps failing with backendError, after the adapter’s bounded retries of that row alone', async () => {
    const fine = collectedEvent('search_performed');
    const flaky = collectedEvent('product_viewed');
    api.answer(rowErrors({ [eventInsertId(flaky)]: { reason: 'backendError', message: 'Backend error' } }));
    const { warehouse: bq, delays } = warehouse({ maxRetries: 2 });

    await expect(bq.insertEvents([fine, flaky], REQUEST_ID)).rejects.toThrow(
      'events: 1 rows still failing after 2 retries: backendError: Backend error',
    );
    expect(api.requests.map(insertIdsOf)).toEqual([[fine, flaky].map(eventInsertId), [eventInsertId(flaky)], [eventInsertId(flaky)]]);
    expect(delays).toEqual([100, 200]);
  });

  it('leaves a 503 to the client, which resends the same request itself', async () => {
    const event = collectedEvent('product_viewed');
    api.answer(thenWritten(() => httpError(503, 'backendError', 'Backend error')));
    const { warehouse: bq, delays } = warehouse();

    expect(await bq.insertEvents([event], REQUEST_ID)).toEqual({ failed: [] });

    expect(api.requests).toHaveLength(2);
    expect(api.requests[1]?.body).toEqual(api.requests[0]?.body);
    expect(delays).toEqual([]);
  });

  it('throws a persistent 500 once the client has resent it 3 times, without resending it again itself', async () => {
    api.answer(() => httpError(500, 'internalError', 'An internal error occurred.'));
    const { warehouse: bq, delays } = warehouse();

    await expect(bq.insertEvents([collectedEvent('product_viewed')], REQUEST_ID)).rejects.toMatchObject({
      code: 500,
      message: 'An internal error occurred.',
    });
    expect(api.requests).toHaveLength(4);
    expect(delays).toEqual([]);
  });

  it('throws a 404 for a missing table at once', async () => {
    api.answer(() => httpError(404, 'notFound', 'Not found: Table demo-test:ds.events'));
    const { warehouse: bq, delays } = warehouse();

    await expect(bq.insertEvents([collectedEvent('order_completed')], REQUEST_ID)).rejects.toMatchObject({
      code: 404,
      message: 'Not found: Table demo-test:ds.events',
    });
    expect(api.requests.map(tableOf)).toEqual(['events']);
    expect(delays).toEqual([]);
  });

  it('sends nothing for an empty batch, which the client would refuse', async () => {
    const { warehouse: bq } = warehouse();
    expect(await bq.insertEvents([], REQUEST_ID)).toEqual({ failed: [] });
    await bq.insertRejected([]);
    await expect(bigQuery().dataset('ds').table('events').insert([], { raw: true })).rejects.toThrow('You must provide at least 1 row');
    expect(api.requests).toEqual([]);
  });

  it('posts rejected rows to rejected_events keyed by their rejection', async () => {
    const row = rejectedMessageRow({
      messageId: 'm-1',
      raw: 'not json',
      reason: 'not JSON',
      source: 'ingest',
      receivedAt: '2026-11-26T13:00:00+01:00',
    });
    const { warehouse: bq } = warehouse();

    await bq.insertRejected([row]);

    expect(api.requests.map(tableOf)).toEqual(['rejected_events']);
    expect(api.requests[0]?.body).toEqual({
      rows: [{ insertId: rejectedInsertId(row), json: { ...row, received_at: '2026-11-26T12:00:00.000Z' } }],
    });
  });
});
