import { randomUUID } from 'node:crypto';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreReorderModelPublisher } from '../../functions/adapters/gcp/firestore-reorder-model.ts';
import { createFirestorePatternPublisher } from '../../functions/adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createErasureHandler } from '../../functions/erasure/handler.ts';
import type { RejectedBatchMessage } from '../../functions/events/messages.ts';
import type { EventType } from '../../functions/events/schema.ts';
import { createFirestoreLinkReader } from '../../functions/adapters/gcp/firestore-identity-links.ts';
import { createIngestHandler, createStoreRejectedHandler } from '../../functions/ingest/handler.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createMetricsHandler } from '../../functions/metrics/handler.ts';
import { createPatternsHandler } from '../../functions/patterns/handler.ts';
import { createIngestConsent } from '../../functions/privacy/consent.ts';
import { createRetentionHandler } from '../../functions/retention/handler.ts';
import { createFirestoreWeightsStore } from '../../functions/adapters/gcp/firestore-weights-store.ts';
import { createWeightsHandler } from '../../functions/weights/handler.ts';
import type { LinkWarehouse, SqlWarehouse, Warehouse } from '../../functions/warehouse/ports.ts';
import { orderItemRows } from '../../functions/warehouse/rows.ts';
import { readSqlFile, WAREHOUSE_TABLES, type WarehouseTable } from '../../functions/warehouse/sql-files.ts';
import { readOnlyTables } from '../../functions/warehouse/table-access.ts';
import { TABLE_ACCESS, type WarehouseFunction } from '../../functions/registry.ts';
import { resourceName } from '../../infra/functions.ts';
import { grants, runProgram, serviceAccountMember, TYPES, type Grant } from '../infra/run-program.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { NOW, TEST_TOKEN } from '../support/fixtures.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { createMemoryErasureStore, createMemoryPrivacyStore } from '../support/memory-privacy.ts';
import { batchMessage, collectedEvent, pubsubCloudEvent } from '../support/messages.ts';
import { operatorsUnderTest } from '../support/operators-server.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFirestoreImportLedger } from '../../functions/adapters/gcp/firestore-import-ledger.ts';
import { createFirestoreHistorySeeder } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestoreShopperGate } from '../../functions/adapters/gcp/firestore-shopper-gate.ts';
import { createDuckDbImportStaging } from '../../functions/adapters/local/duckdb-import-staging.ts';
import { createLocalHistoryFiles } from '../../functions/adapters/local/local-history-files.ts';
import { createHistoryHandler } from '../../functions/history/handler.ts';
import type { ImportRecord } from '../../functions/history/import-job.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { statementTables } from '../support/statement-tables.ts';
import { usersUnderTest } from '../support/users-server.ts';
import { weeklyOrders } from '../support/weekly-orders.ts';
import { standingOf } from '../support/standing.ts';
import { hashUser } from '../support/user-hasher.ts';

// Every function that touches the warehouse runs here for real, on DuckDB, through its handler: each statement it
// runs is read for the tables it names, and each bulk write counts for its table. What it touched must be exactly what
// TABLE_ACCESS declares, and the Pulumi program must grant its account exactly that.

/** What one function did in the warehouse: tables read and written, and by which kind of call. */
type Touched = { reads: Set<WarehouseTable>; writes: Set<WarehouseTable>; jobs: number; streamed: number };

const HOUR = 3_600_000;

/** The warehouse as `fn` sees it, recording what it touches in `touched`. */
function recording(
  warehouse: DuckDbWarehouse,
  touched: Touched,
): SqlWarehouse & Warehouse & LinkWarehouse & Pick<DuckDbWarehouse, 'appendRows'> {
  const statement = async (file: string) => {
    touched.jobs += 1;
    const { reads, writes } = statementTables(await readSqlFile(file), file);
    for (const table of reads) touched.reads.add(table);
    for (const table of writes) touched.writes.add(table);
  };
  const write = (table: string) => {
    if (!(WAREHOUSE_TABLES as readonly string[]).includes(table)) throw new Error(`${table} is not a table of sql/`);
    touched.writes.add(table as WarehouseTable);
  };
  return {
    async query(file, params, job) {
      await statement(file);
      return warehouse.query(file, params, job);
    },
    async execute(file, params, job) {
      await statement(file);
      return warehouse.execute(file, params, job);
    },
    async replaceRows(table, rows, job) {
      // A load with WRITE_TRUNCATE, or TRUNCATE TABLE when there are no rows: a write either way.
      touched.jobs += 1;
      write(table);
      return warehouse.replaceRows(table, rows, job);
    },
    async appendRows(table, rows) {
      // A history import's slice: on BigQuery an object of the import bucket, loaded by a load job at the end.
      touched.jobs += 1;
      write(table);
      return warehouse.appendRows(table, rows);
    },
    async insertEvents(events, requestId) {
      touched.streamed += 1;
      write('events');
      // Ordered items are inserted only for an order (an empty insertAll is never sent).
      if (events.some((event) => orderItemRows(event).length > 0)) write('order_items');
      return warehouse.insertEvents(events, requestId);
    },
    async insertRejected(rows) {
      touched.streamed += 1;
      write('rejected_events');
      return warehouse.insertRejected(rows);
    },
    async recordLink(row) {
      touched.streamed += 1;
      write('identity_links');
      return warehouse.recordLink(row);
    },
  };
}

const FUNCTIONS = Object.keys(TABLE_ACCESS) as WarehouseFunction[];
const touchedBy = Object.fromEntries(
  FUNCTIONS.map((fn): [WarehouseFunction, Touched] => [fn, { reads: new Set(), writes: new Set(), jobs: 0, streamed: 0 }]),
) as Record<WarehouseFunction, Touched>;

/** The account a function runs as (infra/): `store-rejected-fn` for `storeRejected`. */
const accountOf = (fn: WarehouseFunction) => `${resourceName(fn)}-fn`;

/** A learning shopper, one who turned learning off (so patterns forgets them) and one who asks to be erased. */
const SHOPPERS = { learning: `learning-${randomUUID()}`, notLearning: `not-learning-${randomUUID()}`, erased: `erased-${randomUUID()}` };
const SESSION: EventType[] = ['search_performed', 'search_result_clicked', 'cart_item_added', 'order_completed'];

let warehouse: DuckDbWarehouse;
let served = 0;
const serve = (handler: ff.HttpFunction) => {
  const name = `table-access-${(served += 1)}`;
  ff.http(name, handler);
  return getTestServer(name);
};

beforeAll(async () => {
  warehouse = await createDuckDbWarehouse(':memory:');
  const firestore = emulatorFirestore();
  const publisher = createFirestorePatternPublisher(firestore);
  const privacy = createMemoryPrivacyStore();
  const erasures = createMemoryErasureStore({ privacy });
  await privacy.set(SHOPPERS.notLearning, { learn_preferences: false });
  // A retention of one's own, so that the retention job stages someone.
  await privacy.set(SHOPPERS.learning, { retention_days: 30 });
  const logger = createMemoryLogger();
  const at = (ms: number) => () => new Date(NOW.getTime() + ms);

  const ingest = createIngestHandler({
    warehouse: recording(warehouse, touchedBy.ingest),
    preferences: createFirestorePreferenceStore(firestore, { learn, hashUser, markerTtlDays: 8 }),
    consent: createIngestConsent(standingOf(privacy, erasures), createFirestoreLinkReader(firestore)),
    clock: at(0),
    logger,
  });
  for (const userId of Object.values(SHOPPERS)) {
    await ingest(
      pubsubCloudEvent(
        batchMessage(
          userId,
          SESSION.map((type) => collectedEvent(type, userId, NOW)),
        ),
      ),
    );
  }
  // A message that can never be read is kept as rejected.
  await ingest(pubsubCloudEvent('not json'));

  const storeRejected = createStoreRejectedHandler({ warehouse: recording(warehouse, touchedBy.storeRejected), clock: at(0), logger });
  const rejected: RejectedBatchMessage = {
    schema_version: 1,
    request_id: randomUUID(),
    user_id: SHOPPERS.learning,
    received_at: NOW.toISOString(),
    source: 'collect',
    rejected: [
      { index: 0, event_id: null, type: 'product_viewed', reason: 'data.product is required', payload: '{"type":"product_viewed"}' },
    ],
  };
  await storeRejected(pubsubCloudEvent(rejected));

  // The learning shopper browsed as a visitor before logging in, and links that visitor.
  const visitor = randomUUID();
  const { server: users } = await usersUnderTest({ linkWarehouse: recording(warehouse, touchedBy.users), clock: at(0) });
  const linked = await request(users)
    .post(`/v1/users/${SHOPPERS.learning}/links`)
    .set('Authorization', `Bearer ${await mintShopperToken(SHOPPERS.learning, TEST_TOKEN)}`)
    .send({ anonymous_token: await mintShopperToken(visitor, { ...TEST_TOKEN, anonymous: true }) });
  expect(linked.status).toBe(200);

  // Five weekly orders of twenty products: enough outcomes for the patterns job to fit and keep a reorder model.
  expect(
    (await warehouse.insertEvents(weeklyOrders(SHOPPERS.learning, new Date(NOW.getTime() - 24 * HOUR), 5, 20), 'weekly')).failed,
  ).toEqual([]);
  const patterns = serve(
    createPatternsHandler({
      warehouse: recording(warehouse, touchedBy.patterns),
      publisher,
      reorderModels: createFirestoreReorderModelPublisher(firestore),
      privacy,
      erasures,
      clock: at(HOUR),
      logger,
      settleMs: 0,
    }),
  );
  expect((await request(patterns).post('/').send({})).status).toBe(200);

  const metrics = serve(createMetricsHandler({ warehouse: recording(warehouse, touchedBy.metrics), clock: at(2 * HOUR), logger }));
  const window = { as_of: new Date(NOW.getTime() + HOUR).toISOString(), since: new Date(NOW.getTime() - 24 * HOUR).toISOString() };
  expect((await request(metrics).post('/').send(window)).status).toBe(200);

  const weightsStore = createFirestoreWeightsStore(emulatorFirestore(`demo-weights-${randomUUID().slice(0, 8)}`));
  const weights = serve(
    createWeightsHandler({ warehouse: recording(warehouse, touchedBy.weights), store: weightsStore, clock: at(2 * HOUR), logger }),
  );
  expect((await request(weights).post('/').send(window)).status).toBe(200);

  const retention = serve(
    createRetentionHandler({ warehouse: recording(warehouse, touchedBy.retention), privacy, clock: at(2 * HOUR), logger }),
  );
  expect((await request(retention).post('/').send({})).status).toBe(200);

  await erasures.request(SHOPPERS.erased, 'shopper', NOW);
  const erasure = serve(
    createErasureHandler({
      warehouse: recording(warehouse, touchedBy.erasure),
      erasures,
      documents: { deleteAll: async () => undefined },
      clock: at(3 * HOUR),
      logger,
    }),
  );
  const erased = await request(erasure).post('/').send({});
  expect(erased.status).toBe(200);
  expect(erased.body).toMatchObject({ requests: 1, completed: 1 });

  const operators = operatorsUnderTest({ warehouse: recording(warehouse, touchedBy.operators), now: new Date(NOW.getTime() + 3 * HOUR) });
  expect((await request(operators.server).get('/v1/dashboard/data?hours=24&days=7')).status).toBe(200);

  // A history import of three orders, one line bad and one order repeated, seeded and merged.
  const dir = mkdtempSync(join(tmpdir(), 'table-access-'));
  const file = join(dir, 'orders.csv');
  const ordered = (order: string, at: string) => `${order},${SHOPPERS.learning},${at},milk,Milk,dairy,,1.00,1`;
  writeFileSync(
    file,
    [
      'order_id,shopper_id,ordered_at,sku,name,category,brand,price,quantity',
      ordered('h-1', '2026-11-01T10:00:00Z'),
      ordered('h-2', '2026-11-08T10:00:00Z'),
      'h-3,x,bad,,,,,,',
      ordered('h-1', '2026-11-01T10:00:00Z'),
    ].join('\n'),
  );
  const historyWarehouse = recording(warehouse, touchedBy.history);
  const ledger = createFirestoreImportLedger<ImportRecord>(firestore);
  const history = serve(
    createHistoryHandler({
      files: createLocalHistoryFiles(),
      sources: { kind: 'local' },
      gate: createFirestoreShopperGate(firestore, { privacy, hashUser: createUserHasher('table-access-test-key-0123456789abcdef') }),
      staging: createDuckDbImportStaging(historyWarehouse),
      warehouse: historyWarehouse,
      seeder: createFirestoreHistorySeeder(firestore, { learn, hashUser, liveWindowMs: 30 * 86_400_000, resumeWindowMs: 30 * 86_400_000 }),
      // The patterns function runs on its own account, checked above.
      patterns: { run: async () => ({}) },
      ledger,
      status: ledger,
      clock: at(4 * HOUR),
      logger,
      maxFutureSkewMs: 300_000,
    }),
  );
  const imported = await request(history).post('/v1/imports').send({ format: 'csv', source: file });
  expect(imported.text).toMatch(/"report":\{.*"events":2/);
});
afterAll(() => warehouse.close());

const sorted = (tables: Iterable<string>) => [...tables].sort();

describe('what each function touches in the warehouse, run for real', () => {
  it.each(FUNCTIONS)('%s writes only the tables it declares, and every one of them', (fn) => {
    expect(sorted(touchedBy[fn].writes), `tables ${fn} wrote (TABLE_ACCESS.${fn}.writes)`).toEqual(sorted(TABLE_ACCESS[fn].writes));
  });

  it.each(FUNCTIONS)('%s reads only the tables it declares, and every one of them', (fn) => {
    expect(sorted(touchedBy[fn].reads), `tables ${fn} read (TABLE_ACCESS.${fn}.reads)`).toEqual(sorted(TABLE_ACCESS[fn].reads));
  });

  it.each(FUNCTIONS)('%s reaches the warehouse the way it declares: by jobs, or by streaming inserts', (fn) => {
    const { jobs, streamed } = touchedBy[fn];
    const via =
      jobs > 0 && streamed === 0
        ? 'jobs'
        : streamed > 0 && jobs === 0
          ? 'streaming'
          : `both or neither (${jobs} jobs, ${streamed} inserts)`;

    expect(via).toBe(TABLE_ACCESS[fn].via);
  });
});

describe('what the Pulumi program grants each function in BigQuery', () => {
  let bigQueryGrants: Grant[];
  beforeAll(async () => {
    const all = grants(await runProgram());
    bigQueryGrants = all.filter((g) => g.role.startsWith('roles/bigquery.'));
  });
  const heldBy = (fn: WarehouseFunction) => bigQueryGrants.filter((g) => g.member === serviceAccountMember(accountOf(fn)));
  const tablesWith = (fn: WarehouseFunction, role: string) =>
    sorted(heldBy(fn).flatMap((g) => (g.type === TYPES.tableIam && g.role === role ? [String(g.inputs.tableId)] : [])));

  it.each(FUNCTIONS)('%s may write exactly the tables it declares it writes (dataEditor on each table)', (fn) => {
    expect(tablesWith(fn, 'roles/bigquery.dataEditor')).toEqual(sorted(TABLE_ACCESS[fn].writes));
  });

  it.each(FUNCTIONS)('%s may read exactly the other tables it declares it reads (dataViewer on each table)', (fn) => {
    expect(tablesWith(fn, 'roles/bigquery.dataViewer')).toEqual(sorted(readOnlyTables(TABLE_ACCESS[fn])));
  });

  it.each(FUNCTIONS)("%s holds nothing else in BigQuery but running jobs, or reading the dataset's metadata to stream", (fn) => {
    const others = heldBy(fn)
      .filter((g) => g.type !== TYPES.tableIam)
      .map((g) => `${g.type} ${g.role}`);
    const expected =
      TABLE_ACCESS[fn].via === 'jobs'
        ? [`${TYPES.projectIam} roles/bigquery.jobUser`]
        : [`${TYPES.datasetIam} roles/bigquery.metadataViewer`];

    expect(others).toEqual(expected);
  });

  it('grants no BigQuery role to an account of no function that touches the warehouse', () => {
    const accounts = new Set(FUNCTIONS.map((fn) => serviceAccountMember(accountOf(fn))));

    expect(bigQueryGrants.length).toBeGreaterThan(0);
    expect(bigQueryGrants.filter((g) => !accounts.has(g.member)).map((g) => `${g.member} ${g.role}`)).toEqual([]);
  });
});
