import { BigQuery } from '@google-cloud/bigquery';
import { describe, expect, it } from 'vitest';
import {
  chunks,
  createBigQueryWarehouse,
  createTables,
  eventInsertId,
  linkInsertId,
  orderItemInsertId,
  rejectedInsertId,
  type BigQueryWarehouseOptions,
  type InsertAllOptions,
  type InsertAllRow,
  type QueryClient,
  type StreamingInsertClient,
} from '../../../functions/adapters/gcp/bigquery-warehouse.ts';
import type { RejectedRow } from '../../../functions/warehouse/ports.ts';
import { eventRow, orderItemRows, rejectedMessageRow } from '../../../functions/warehouse/rows.ts';
import { readTableDdl, WAREHOUSE_TABLES } from '../../../functions/warehouse/sql-files.ts';
import { collectedEvent, everyEventShape } from '../../warehouse/samples.ts';

const REQUEST_ID = '7c0d6f0e-2a55-4c51-9a8e-0a9b3c1f2d4e';
const SHARED_EVENT_ID = '5f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** Shaped like `@google-cloud/common`'s PartialFailureError, which `table.insert` throws. */
class PartialFailureError extends Error {
  override name = 'PartialFailureError';
  errors: { row: InsertAllRow; errors: { reason: string; message: string }[] }[];
  response: unknown;

  constructor(errors: PartialFailureError['errors']) {
    super('A failure occurred during this request.');
    this.errors = errors;
    this.response = { kind: 'bigquery#tableDataInsertAllResponse', insertErrors: errors.map((e, index) => ({ index, errors: e.errors })) };
  }
}

type Call = { table: string; insertIds: string[]; options: InsertAllOptions };
/** Decides, per request and row, a transient reason to fail it with, or null to write it. */
type TransientRule = (table: string, row: InsertAllRow, call: number) => string | null;

/**
 * insertAll as BigQuery answers it: an invalid row fails the whole request, the others come back
 * `stopped` (skipInvalidRows is false by default); a transient reason fails only its row; rows are
 * kept by insertId, as BigQuery's best-effort deduplication would.
 */
function fakeBigQuery(
  rules: { invalid?: (table: string, row: InsertAllRow) => string | null; transient?: TransientRule; requestError?: Error } = {},
) {
  const tables = new Map<string, Map<string, Record<string, unknown>>>();
  const calls: Call[] = [];
  const client: StreamingInsertClient = {
    dataset: (dataset) => ({
      table: (table) => ({
        async insert(rows, options) {
          const name = `${dataset}.${table}`;
          calls.push({ table: name, insertIds: rows.map((r) => r.insertId), options });
          if (rules.requestError) throw rules.requestError;
          const invalid = rows.map((row) => rules.invalid?.(table, row) ?? null);
          if (invalid.some((m) => m !== null)) {
            throw new PartialFailureError(
              rows.map((row, i) => ({
                row,
                errors: [invalid[i] ? { reason: 'invalid', message: invalid[i] ?? '' } : { reason: 'stopped', message: '' }],
              })),
            );
          }
          const stored = tables.get(name) ?? new Map<string, Record<string, unknown>>();
          tables.set(name, stored);
          const failures: PartialFailureError['errors'] = [];
          for (const row of rows) {
            const reason = rules.transient?.(table, row, calls.length) ?? null;
            if (reason) failures.push({ row, errors: [{ reason, message: `${reason} for this row` }] });
            else stored.set(row.insertId, row.json);
          }
          if (failures.length > 0) throw new PartialFailureError(failures);
          return [{ kind: 'bigquery#tableDataInsertAllResponse' }];
        },
      }),
    }),
  };
  const stored = (table: string) => [...(tables.get(`ds.${table}`)?.values() ?? [])];
  return { client, calls, stored };
}

function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

function warehouseOn(fake: ReturnType<typeof fakeBigQuery>, options: BigQueryWarehouseOptions = {}) {
  const sleeper = recordingSleep();
  const warehouse = createBigQueryWarehouse(fake.client, 'ds', { sleep: sleeper.sleep, random: () => 1, baseDelayMs: 100, ...options });
  return { warehouse, delays: sleeper.delays };
}

const rejected: RejectedRow[] = [
  {
    request_id: REQUEST_ID,
    event_index: 0,
    event_id: null,
    type: null,
    user_id: 'shopper-1',
    reason: 'type: required',
    payload: '{}',
    source: 'collect',
    received_at: '2026-11-26T12:00:00.000Z',
  },
  rejectedMessageRow({ messageId: 'm-1', raw: 'not json', reason: 'not JSON', source: 'ingest', receivedAt: '2026-11-26T12:00:00Z' }),
];

describe('BigQuery warehouse', () => {
  it('streams events by their (user_id, event_id) and order items by that and the line, as raw rows, with the client retries off', async () => {
    const fake = fakeBigQuery();
    const { warehouse } = warehouseOn(fake);
    const events = everyEventShape();

    expect(await warehouse.insertEvents(events, REQUEST_ID)).toEqual({ failed: [] });

    const orders = events.filter((e) => e.type === 'order_completed');
    expect(fake.calls).toEqual([
      { table: 'ds.events', insertIds: events.map(eventInsertId), options: { raw: true, partialRetries: 0 } },
      {
        table: 'ds.order_items',
        insertIds: orders.flatMap((e) => orderItemRows(e).map(orderItemInsertId)),
        options: { raw: true, partialRetries: 0 },
      },
    ]);
    expect(fake.stored('events')).toEqual(events.map((e) => eventRow(e, REQUEST_ID)));
    expect(fake.stored('order_items')).toEqual(orders.flatMap((event) => orderItemRows(event)));
  });

  describe('two shoppers whose clients made the same event_id', () => {
    const orderOf = (userId: string, sku: string) =>
      collectedEvent(
        'order_completed',
        {
          event_id: SHARED_EVENT_ID,
          data: { order_id: `order-${userId}`, total: 2, items: [{ sku, name: sku, category: 'c', price: 1, quantity: 2 }] },
        },
        undefined,
        userId,
      );
    const v = orderOf('shopper-v', 'oat-milk');
    const w = orderOf('shopper-w', 'rye-bread');

    it('get insertIds of their own, and a redelivery gets the same ones again', () => {
      expect(eventInsertId(v)).not.toBe(eventInsertId(w));
      expect(eventInsertId(structuredClone(v))).toBe(eventInsertId(v));
      const [vLine] = orderItemRows(v);
      const [wLine] = orderItemRows(w);
      expect(orderItemInsertId(vLine!)).not.toBe(orderItemInsertId(wLine!));
      expect(orderItemInsertId(orderItemRows(structuredClone(w))[0]!)).toBe(orderItemInsertId(wLine!));
      // Within BigQuery's 128 characters, whatever the user id.
      expect(eventInsertId({ user_id: 'x'.repeat(128), event_id: SHARED_EVENT_ID })).toMatch(/^[0-9a-f]{64}$/);
    });

    it('are both stored, with both orders’ lines, and redelivering either adds nothing', async () => {
      const fake = fakeBigQuery();
      const { warehouse } = warehouseOn(fake);
      await warehouse.insertEvents([v], REQUEST_ID);
      await warehouse.insertEvents([w], REQUEST_ID);
      await warehouse.insertEvents([w], REQUEST_ID);
      await warehouse.insertEvents([v, w], REQUEST_ID);

      expect(fake.stored('events').map((row) => [row.user_id, row.event_id])).toEqual([
        ['shopper-v', SHARED_EVENT_ID],
        ['shopper-w', SHARED_EVENT_ID],
      ]);
      expect(fake.stored('order_items').map((row) => [row.user_id, row.sku])).toEqual([
        ['shopper-v', 'oat-milk'],
        ['shopper-w', 'rye-bread'],
      ]);
    });

    it('answer only the refused one as failed, naming its shopper', async () => {
      const fake = fakeBigQuery({ invalid: (table, row) => (table === 'events' && row.json.user_id === 'shopper-w' ? 'bad row' : null) });
      const { warehouse } = warehouseOn(fake);
      expect(await warehouse.insertEvents([v, w], REQUEST_ID)).toEqual({
        failed: [{ user_id: 'shopper-w', event_id: SHARED_EVENT_ID, reason: 'invalid: bad row' }],
      });
      expect(fake.stored('order_items').map((row) => row.user_id)).toEqual(['shopper-v']);
    });
  });

  it('sends nothing for an empty batch, and no order_items request when there is no order', async () => {
    const fake = fakeBigQuery();
    const { warehouse } = warehouseOn(fake);
    await warehouse.insertEvents([], REQUEST_ID);
    await warehouse.insertEvents([collectedEvent('product_viewed')], REQUEST_ID);
    expect(fake.calls.map((c) => c.table)).toEqual(['ds.events']);
  });

  it('resends only the rows that failed for a transient reason, after a backoff, until they are written', async () => {
    const events = [collectedEvent('search_performed'), collectedEvent('product_viewed'), collectedEvent('cart_item_added')];
    const flaky = eventInsertId(events[1]!);
    const fake = fakeBigQuery({ transient: (_, row, call) => (row.insertId === flaky && call <= 2 ? 'backendError' : null) });
    const { warehouse, delays } = warehouseOn(fake);

    expect(await warehouse.insertEvents(events, REQUEST_ID)).toEqual({ failed: [] });
    expect(fake.calls.map((c) => c.insertIds)).toEqual([events.map(eventInsertId), [flaky], [flaky]]);
    expect(delays).toEqual([100, 200]);
    expect(fake.stored('events')).toHaveLength(3);
  });

  it.each(['backendError', 'internalError', 'rateLimitExceeded', 'quotaExceeded', 'timeout'])('retries %s', async (reason) => {
    const event = collectedEvent('product_viewed');
    const fake = fakeBigQuery({ transient: (_, __, call) => (call === 1 ? reason : null) });
    const { warehouse } = warehouseOn(fake);
    expect(await warehouse.insertEvents([event], REQUEST_ID)).toEqual({ failed: [] });
    expect(fake.calls).toHaveLength(2);
  });

  it('answers an invalid row as failed with its reason, and resends the rows it stopped', async () => {
    const events = [collectedEvent('search_performed'), collectedEvent('product_viewed'), collectedEvent('cart_item_added')];
    const bad = events[1]!;
    const fake = fakeBigQuery({ invalid: (_, row) => (row.insertId === eventInsertId(bad) ? 'no such field: sku2.' : null) });
    const { warehouse } = warehouseOn(fake);

    const result = await warehouse.insertEvents(events, REQUEST_ID);

    expect(result).toEqual({ failed: [{ user_id: bad.user_id, event_id: bad.event_id, reason: 'invalid: no such field: sku2.' }] });
    expect(fake.calls.map((c) => c.insertIds)).toEqual([events.map(eventInsertId), [events[0], events[2]].map((e) => eventInsertId(e!))]);
    expect(fake.stored('events').map((r) => r.event_id)).toEqual([events[0]?.event_id, events[2]?.event_id]);
  });

  it('writes no order items for an order whose event row was refused', async () => {
    const order = collectedEvent('order_completed');
    const fake = fakeBigQuery({ invalid: (table) => (table === 'events' ? 'bad row' : null) });
    const { warehouse } = warehouseOn(fake);
    expect(await warehouse.insertEvents([order], REQUEST_ID)).toEqual({
      failed: [{ user_id: order.user_id, event_id: order.event_id, reason: 'invalid: bad row' }],
    });
    expect(fake.calls.map((c) => c.table)).toEqual(['ds.events']);
  });

  it('answers an order whose item was refused as failed, naming the line', async () => {
    const order = collectedEvent('order_completed');
    const fake = fakeBigQuery({ invalid: (table, row) => (table === 'order_items' && row.json.line === 2 ? 'price out of range' : null) });
    const { warehouse } = warehouseOn(fake);
    expect(await warehouse.insertEvents([order], REQUEST_ID)).toEqual({
      failed: [{ user_id: order.user_id, event_id: order.event_id, reason: 'order_items line 2: invalid: price out of range' }],
    });
    expect(fake.stored('order_items').map((r) => r.line)).toEqual([1]);
  });

  it('throws when transient failures outlast the retries, so that Pub/Sub redelivers', async () => {
    const fake = fakeBigQuery({ transient: () => 'backendError' });
    const { warehouse, delays } = warehouseOn(fake, { maxRetries: 3 });
    await expect(warehouse.insertEvents([collectedEvent('product_viewed')], REQUEST_ID)).rejects.toThrow(
      /events: 1 rows still failing after 3 retries: backendError: backendError for this row/,
    );
    expect(fake.calls).toHaveLength(4);
    expect(delays).toEqual([100, 200, 400]);
  });

  it('retries a reason it does not know and then throws, never answering it as refused', async () => {
    const fake = fakeBigQuery({ transient: () => 'somethingNew' });
    const { warehouse } = warehouseOn(fake, { maxRetries: 1 });
    await expect(warehouse.insertEvents([collectedEvent('product_viewed')], REQUEST_ID)).rejects.toThrow(/somethingNew/);
    expect(fake.calls).toHaveLength(2);
  });

  it('spreads the backoff with jitter between half and all of the delay', async () => {
    const fake = fakeBigQuery({ transient: () => 'backendError' });
    const { warehouse, delays } = warehouseOn(fake, { maxRetries: 2, random: () => 0 });
    await expect(warehouse.insertEvents([collectedEvent('product_viewed')], REQUEST_ID)).rejects.toThrow();
    expect(delays).toEqual([50, 100]);
  });

  it.each([
    ['a network error', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a 503', Object.assign(new Error('Service Unavailable'), { name: 'ApiError', code: 503, errors: [{ reason: 'backendError' }] })],
    ['a missing table', Object.assign(new Error('Not found: Table demo:ds.events'), { name: 'ApiError', code: 404 })],
    [
      'a partial failure that names no rows',
      Object.assign(new Error('partial'), { name: 'PartialFailureError', errors: [{ errors: [{ reason: 'invalid' }] }] }),
    ],
  ])('throws %s as it is, without retrying', async (_, error) => {
    const fake = fakeBigQuery({ requestError: error });
    const { warehouse } = warehouseOn(fake);
    await expect(warehouse.insertEvents([collectedEvent('product_viewed')], REQUEST_ID)).rejects.toBe(error);
    expect(fake.calls).toHaveLength(1);
  });

  it('splits large batches into requests of at most maxRowsPerRequest rows', async () => {
    const items = Array.from({ length: 120 }, (_, i) => ({ sku: `sku-${i}`, name: 'Item', category: 'c', price: 1, quantity: 1 }));
    const order = collectedEvent('order_completed', { data: { order_id: 'big', total: 120, items } });
    const fake = fakeBigQuery();
    const { warehouse } = warehouseOn(fake, { maxRowsPerRequest: 50 });
    await warehouse.insertEvents([order], REQUEST_ID);
    expect(fake.calls.filter((c) => c.table === 'ds.order_items').map((c) => c.insertIds.length)).toEqual([50, 50, 20]);
    expect(fake.stored('order_items')).toHaveLength(120);
  });

  describe('rejected rows', () => {
    it('are streamed with an insertId that is the same on every delivery', async () => {
      const fake = fakeBigQuery();
      const { warehouse } = warehouseOn(fake);
      await warehouse.insertRejected(rejected);
      await warehouse.insertRejected(structuredClone(rejected));
      const [first, second] = fake.calls;
      expect(first?.insertIds).toEqual(rejected.map(rejectedInsertId));
      expect(second?.insertIds).toEqual(first?.insertIds);
      expect(new Set(first?.insertIds).size).toBe(2);
      expect(fake.stored('rejected_events')).toEqual(rejected);
    });

    it('get different insertIds for different unreadable messages without a request id', () => {
      const a = rejectedMessageRow({ messageId: 'unknown', raw: 'a', reason: 'bad', source: 'ingest', receivedAt: '2026-11-26T12:00:00Z' });
      const b = rejectedMessageRow({ messageId: 'unknown', raw: 'b', reason: 'bad', source: 'ingest', receivedAt: '2026-11-26T12:00:00Z' });
      expect(rejectedInsertId(a)).not.toBe(rejectedInsertId(b));
      expect(rejectedInsertId(a)).toMatch(/^[0-9a-f]{64}$/);
    });

    it('throw when one is refused for good: there is nowhere else to keep it but the dead-letter topic', async () => {
      const fake = fakeBigQuery({ invalid: (_, row) => (row.json.event_index === 0 ? 'too big' : null) });
      const { warehouse } = warehouseOn(fake);
      await expect(warehouse.insertRejected(rejected)).rejects.toThrow(/rejected_events refused 1 rows: invalid: too big/);
    });

    it('are retried on transient failures', async () => {
      const fake = fakeBigQuery({ transient: (_, __, call) => (call === 1 ? 'internalError' : null) });
      const { warehouse } = warehouseOn(fake);
      await warehouse.insertRejected(rejected);
      expect(fake.stored('rejected_events')).toHaveLength(2);
    });
  });

  describe('identity links', () => {
    const link = { anonymous_id: 'anonymous:visitor-1', user_id: 'shopper-1', linked_at: '2026-11-26T12:00:00.000Z' };

    it('are streamed with an insertId of the visitor and the shopper, the same when the link is recorded again', async () => {
      const fake = fakeBigQuery();
      const { warehouse } = warehouseOn(fake);
      await warehouse.recordLink(link);
      await warehouse.recordLink({ ...link });
      expect(fake.calls.map((c) => c.table)).toEqual(['ds.identity_links', 'ds.identity_links']);
      expect(fake.calls.map((c) => c.insertIds)).toEqual([[linkInsertId(link)], [linkInsertId(link)]]);
      expect(linkInsertId({ ...link, user_id: 'shopper-2' })).not.toBe(linkInsertId(link));
      expect(fake.stored('identity_links')).toEqual([link]);
    });

    it('throw when the row is refused, so that the link is answered 503 and sent again', async () => {
      const fake = fakeBigQuery({ invalid: () => 'no such field' });
      const { warehouse } = warehouseOn(fake);
      await expect(warehouse.recordLink(link)).rejects.toThrow(/identity_links refused the link: invalid: no such field/);
    });
  });

  it('accepts the real client, which it leaves untouched until a call', () => {
    // Compile-time half: the BigQuery client fits the narrow interfaces the fake implements.
    const bigquery: StreamingInsertClient & QueryClient = new BigQuery({ projectId: 'demo-test' });
    const warehouse = createBigQueryWarehouse(bigquery, 'ds');
    expect(typeof warehouse.insertEvents).toBe('function');
    expect(typeof warehouse.insertRejected).toBe('function');
  });
});

describe('chunks', () => {
  it('cuts by rows and by bytes, and sends a lone oversized row on its own', () => {
    const rows = ['aaaa', 'bb', 'cccccccccc', 'd', 'e'];
    // JSON sizes: 6, 4, 12, 3, 3.
    expect(chunks(rows, 2, 100)).toEqual([['aaaa', 'bb'], ['cccccccccc', 'd'], ['e']]);
    expect(chunks(rows, 10, 10)).toEqual([['aaaa', 'bb'], ['cccccccccc'], ['d', 'e']]);
    expect(chunks([], 10, 10)).toEqual([]);
  });
});

describe('createTables', () => {
  it('runs every sql/ table file with the dataset as default dataset', async () => {
    const queries: Parameters<QueryClient['query']>[0][] = [];
    const client: QueryClient = { query: async (q) => void queries.push(q) };
    await createTables(client, 'learning_loop', { location: 'EU' });
    expect(queries).toEqual(
      await Promise.all(
        WAREHOUSE_TABLES.map(async (table) => ({
          query: await readTableDdl(table),
          defaultDataset: { datasetId: 'learning_loop' },
          location: 'EU',
        })),
      ),
    );
  });

  it('stops at the first failing statement', async () => {
    let calls = 0;
    const client: QueryClient = {
      query: async () => {
        calls += 1;
        throw new Error('Access Denied');
      },
    };
    await expect(createTables(client, 'learning_loop')).rejects.toThrow('Access Denied');
    expect(calls).toBe(1);
  });
});
