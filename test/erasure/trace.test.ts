import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Firestore, type CollectionReference } from '@google-cloud/firestore';
import * as ff from '@google-cloud/functions-framework';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Message } from '@google-cloud/pubsub';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFirestoreErasureStore } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestoreIdentityLinks, createFirestoreLinkReader } from '../../functions/adapters/gcp/firestore-identity-links.ts';
import { createFirestorePreferenceDocumentReader } from '../../functions/adapters/gcp/firestore-preference-document.ts';
import { createFirestorePatternPublisher } from '../../functions/adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { createPubSubEventBus } from '../../functions/adapters/gcp/pubsub-event-bus.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createCollectHandler } from '../../functions/collect/handler.ts';
import { createJwtVerifier } from '../../functions/http/bearer-auth.ts';
import { createEventOwner } from '../../functions/identity/owner.ts';
import { runErasureJob } from '../../functions/erasure/job.ts';
import { DEFAULT_TIME_LIMITS } from '../../functions/events/limits.ts';
import type { MessagePublishedData } from '../../functions/ingest/decode-message.ts';
import { createIngestHandler, createStoreRejectedHandler } from '../../functions/ingest/handler.ts';
import { shopperDocumentId } from '../../functions/kernel/shopper-id.ts';
import { learn } from '../../functions/learn/learn.ts';
import { mergePreferences } from '../../functions/learn/merge.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createFirestoreReorderModelPublisher } from '../../functions/adapters/gcp/firestore-reorder-model.ts';
import { runPatternsJob } from '../../functions/patterns/job.ts';
import { createCollectConsent, createIngestConsent } from '../../functions/privacy/consent.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { runRetentionJob } from '../../functions/retention/job.ts';
import { TEST_TOKEN } from '../support/fixtures.ts';
import { writeFileSync } from 'node:fs';
import { createFirestoreImportLedger } from '../../functions/adapters/gcp/firestore-import-ledger.ts';
import { createFirestoreHistorySeeder } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestoreShopperGate } from '../../functions/adapters/gcp/firestore-shopper-gate.ts';
import { createDuckDbImportStaging } from '../../functions/adapters/local/duckdb-import-staging.ts';
import { createLocalHistoryFiles } from '../../functions/adapters/local/local-history-files.ts';
import { planImport, runImport, type ImportRecord } from '../../functions/history/import-job.ts';
import { emulatorPubSub, freshTopic, receive } from '../support/pubsub.ts';
import { usersUnderTest } from '../support/users-server.ts';

/*
 * Invariant 4, end to end: erasure is complete and sticky. A shopper walks the whole loop in-process
 * on the emulators and a DuckDB file — browsing as an anonymous visitor first, then logging in and linking
 * that visitor through users, events through collect with a real token, Pub/Sub, ingest into
 * the warehouse and Firestore, a rejected event, privacy settings, imported order history (a bad line
 * of it rejected), the patterns and retention jobs —
 * then asks to be forgotten. After the erasure job, every DuckDB table (every column as text) and every
 * Firestore document (ids and data, every collection and subcollection) is searched for the shopper's
 * id, their visitor's id (as it is and as a document id) and both tokens: nothing may remain, while a second
 * shopper's traces, and their visitor's, are found everywhere (the search works). Events the shopper and their
 * visitor sent before the request but delivered after it are dropped.
 *
 * Firestore is this file's own emulator project, so the search covers everything the loop wrote and
 * the erasure job works on this file's requests only.
 */

const hashUser = createUserHasher('erasure-trace-test-key-0123456789abcdef');
const DAY = 86_400_000;

let firestore: Firestore;
let warehouse: DuckDbWarehouse;
let dir: string;
const pubsub = emulatorPubSub();
const topics = {} as { events: Awaited<ReturnType<typeof freshTopic>>; rejected: Awaited<ReturnType<typeof freshTopic>> };

beforeAll(async () => {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  firestore = new Firestore({ projectId: `demo-erasure-trace-${randomUUID().slice(0, 8)}`, ignoreUndefinedProperties: true });
  dir = mkdtempSync(join(tmpdir(), 'erasure-trace-'));
  warehouse = await createDuckDbWarehouse(join(dir, 'warehouse.duckdb'));
  topics.events = await freshTopic(pubsub, 'trace-events');
  topics.rejected = await freshTopic(pubsub, 'trace-rejected');
});

afterAll(async () => {
  await topics.events?.subscription.close();
  await topics.rejected?.subscription.close();
  await pubsub.close();
  await warehouse?.close();
  await firestore?.terminate();
  rmSync(dir, { recursive: true, force: true });
});

/** The CloudEvent Eventarc makes of a pulled message, as the push subscription would deliver it. */
function asCloudEvent(message: Message, subscription: string): CloudEvent<MessagePublishedData> {
  return {
    specversion: '1.0',
    id: message.id,
    source: '//pubsub.googleapis.com/projects/demo-test/topics/events',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    data: {
      message: { data: message.data.toString('base64'), messageId: message.id, attributes: { ...message.attributes } },
      subscription,
    },
  };
}

/** Every place in the DuckDB file whose text holds `needle`: `table (rows)`, searching every column cast to text. */
async function findInWarehouse(needle: string): Promise<string[]> {
  const columns = await warehouse.sql(
    "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' ORDER BY table_name, column_index",
  );
  const byTable = new Map<string, string[]>();
  for (const { table_name, column_name } of columns) {
    const list = byTable.get(table_name as string) ?? [];
    list.push(column_name as string);
    byTable.set(table_name as string, list);
  }
  const found: string[] = [];
  for (const [table, names] of byTable) {
    const where = names.map((c) => `CAST("${c}" AS VARCHAR) LIKE '%' || $1 || '%'`).join(' OR ');
    const [row] = await warehouse.sql(`SELECT count(*)::INTEGER AS n FROM "${table}" WHERE ${where}`, [needle]);
    if (Number(row?.n) > 0) found.push(`${table} (${Number(row?.n)})`);
  }
  return found;
}

/**
 * The warehouse's files on disk (the database file and its write-ahead log) whose raw bytes hold `needle`:
 * a deleted row that no table shows can still be there.
 */
function findInWarehouseFiles(needle: string): string[] {
  const path = join(dir, 'warehouse.duckdb');
  return [path, `${path}.wal`].filter((file) => existsSync(file) && readFileSync(file).includes(Buffer.from(needle)));
}

/** Every table of the DuckDB file, so the search is known to have looked at all of them. */
async function warehouseTables(): Promise<string[]> {
  return (await warehouse.sql("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name")).map(
    (r) => r.table_name as string,
  );
}

/**
 * Every Firestore document whose path (collection and document ids) or data (as JSON) holds `needle`,
 * walking every collection and subcollection — documents that exist only as parents of a
 * subcollection included (`listDocuments`).
 */
async function findInFirestore(needle: string): Promise<{ found: string[]; collections: string[] }> {
  const found: string[] = [];
  const visited = new Set<string>();
  const walk = async (collections: CollectionReference[]): Promise<void> => {
    for (const collection of collections) {
      visited.add(collection.id);
      const refs = await collection.listDocuments();
      for (let i = 0; i < refs.length; i += 300) {
        const snapshots = await firestore.getAll(...refs.slice(i, i + 300));
        for (const snapshot of snapshots) {
          const data = snapshot.exists ? JSON.stringify(snapshot.data()) : '';
          if (snapshot.ref.path.includes(needle) || data.includes(needle)) found.push(snapshot.ref.path);
        }
      }
      for (const ref of refs) await walk(await ref.listCollections());
    }
  };
  await walk(await firestore.listCollections());
  return { found, collections: [...visited].sort() };
}

describe('a shopper walks the whole loop, is erased, and leaves no trace (emulators, DuckDB file)', () => {
  const erased = `shopper-${randomUUID()}`;
  const kept = `shopper-${randomUUID()}`;
  const tokens = new Map<string, string>();
  const logger = createMemoryLogger();
  const clock = () => new Date();
  let privacy: ReturnType<typeof createFirestorePrivacyStore>;
  let erasures: ReturnType<typeof createFirestoreErasureStore>;
  let collect: ReturnType<typeof getTestServer>;
  let ingest: ReturnType<typeof createIngestHandler>;
  let storeRejected: ReturnType<typeof createStoreRejectedHandler>;
  /** Received by collect before the erasure request; delivered only after the erasure job. */
  let late: Message | undefined;
  /** The visitor's, received by collect before they logged in; delivered only after the erasure job. */
  let lateVisitor: Message | undefined;
  /** Each shopper's visitor: the anonymous id they browsed under before logging in. */
  const visitors = new Map<string, string>();
  let users: Awaited<ReturnType<typeof usersUnderTest>>['server'];

  beforeAll(async () => {
    privacy = createFirestorePrivacyStore(firestore, { hashUser });
    erasures = createFirestoreErasureStore(firestore, { hashUser });
    ff.http(
      'collect-erasure-trace',
      createCollectHandler({
        verifier: await createJwtVerifier({ ...TEST_TOKEN, clockToleranceSec: 30 }),
        owner: createEventOwner(createFirestoreLinkReader(firestore), { cacheMs: 0 }),
        bus: createPubSubEventBus(
          pubsub,
          { events: topics.events.name, rejected: topics.rejected.name },
          { maxMessages: 1, maxMilliseconds: 1, maxBytes: 1_000_000 },
        ),
        consent: createCollectConsent(privacy, { cacheMs: 0 }),
        clock,
        logger,
        timeLimits: DEFAULT_TIME_LIMITS,
        corsOrigins: '*',
      }),
    );
    collect = getTestServer('collect-erasure-trace');
    ingest = createIngestHandler({
      warehouse,
      preferences: createFirestorePreferenceStore(firestore, { learn, hashUser }),
      consent: createIngestConsent(privacy, createFirestoreLinkReader(firestore)),
      clock,
      logger,
    });
    storeRejected = createStoreRejectedHandler({ warehouse, clock, logger });
    for (const userId of [erased, kept]) {
      const subject = randomUUID();
      visitors.set(userId, `anonymous:${subject}`);
      tokens.set(userId, await mintShopperToken(userId, TEST_TOKEN));
      tokens.set(`anonymous:${subject}`, await mintShopperToken(subject, { ...TEST_TOKEN, anonymous: true }));
    }
    // users over this file's Firestore project and warehouse.
    ({ server: users } = await usersUnderTest({
      documents: createFirestorePreferenceDocumentReader(firestore),
      privacy,
      erasures,
      hashUser,
      links: createFirestoreIdentityLinks(firestore, { merge: mergePreferences }),
      linkWarehouse: warehouse,
      clock,
    }));
  });

  const visitorOf = (userId: string) => visitors.get(userId) ?? '';

  /** Sends the events through collect with the shopper's token; answers collect's verdict. */
  const send = async (userId: string, events: Record<string, unknown>[]) => {
    const res = await request(collect)
      .post('/v1/events')
      .set('Authorization', `Bearer ${tokens.get(userId)}`)
      .send({ events });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body as { accepted: number; rejected: unknown[] };
  };

  /** A shopper's week: a search, a click, a cart add, two orders, and one malformed event (rejected). */
  const aWeekOfShopping = () => {
    const now = Date.now();
    const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
    const sent = new Date(now).toISOString();
    const milk = { sku: 'milk', name: 'Oat milk', category: 'Dairy alternatives', brand: 'Oatly', price: 2, dietary_tags: ['vegan'] };
    const base = (type: string, daysAgo: number, data: Record<string, unknown>) => ({
      event_id: randomUUID(),
      type,
      session_id: 'session-1',
      occurred_at: at(daysAgo),
      sent_at: sent,
      data,
    });
    return [
      base('search_performed', 7, {
        search_id: 'q-1',
        query: 'oat milk',
        results_count: 1,
        results: [{ sku: 'milk', position: 1 }],
        personalized: false,
      }),
      base('search_result_clicked', 7, { search_id: 'q-1', query: 'oat milk', product: milk, position: 1 }),
      base('cart_item_added', 7, { product: milk, quantity: 1, cart_value: 2 }),
      ...[7, 1].map((daysAgo) =>
        base('order_completed', daysAgo, {
          order_id: `order-${daysAgo}-${randomUUID().slice(0, 8)}`,
          total: 3.5,
          items: [
            { ...milk, quantity: 1 },
            { sku: 'bread', name: 'Rye bread', category: 'Bakery', brand: 'Hovis', price: 1.5, quantity: 1 },
          ],
        }),
      ),
      base('cart_item_added', 0, { quantity: 'two' }),
    ];
  };

  const deliver = async (count: { events: number; rejected: number }) => {
    for (const message of count.events ? await receive(topics.events.subscription, count.events) : [])
      await ingest(asCloudEvent(message, 'events-ingest'));
    for (const message of count.rejected ? await receive(topics.rejected.subscription, count.rejected) : []) {
      await storeRejected(asCloudEvent(message, 'rejected-events-store'));
    }
  };

  /** Each shopper's order history, as a shop exports it: an order 200 days ago, one 20 days ago, and a line without a price. */
  const importHistory = async (name = 'history.csv', shoppers = [erased, kept]) => {
    const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
    const lines = shoppers.flatMap((userId) => [
      `h-200,${userId},${ago(200)},jam,Jam,Spreads,Bonne,3.00,1`,
      `h-20,${userId},${ago(20)},jam,Jam,Spreads,Bonne,3.00,1`,
      `h-19,${userId},${ago(19)},tea,Tea,Tea,,n/a,1`,
    ]);
    const file = join(dir, name);
    writeFileSync(file, ['order_id,shopper_id,ordered_at,sku,name,category,brand,price,quantity', ...lines].join('\n'));
    const deps = {
      files: createLocalHistoryFiles(),
      gate: createFirestoreShopperGate(firestore, { privacy, hashUser }),
      staging: createDuckDbImportStaging(warehouse),
      warehouse,
      seeder: createFirestoreHistorySeeder(firestore, {
        learn,
        hashUser,
        liveWindowMs: DEFAULT_TIME_LIMITS.maxEventAgeMs,
        resumeWindowMs: 30 * DAY,
      }),
      patterns: { run: async () => ({}) },
      ledger: createFirestoreImportLedger<ImportRecord>(firestore),
      clock,
      logger,
      maxFutureSkewMs: DEFAULT_TIME_LIMITS.maxFutureSkewMs,
    };
    const { record } = await planImport(deps, { format: 'csv', source: file });
    return runImport(deps, record);
  };

  it('both shoppers leave traces everywhere the loop keeps them', async () => {
    for (const userId of [erased, kept]) {
      // Before logging in: the visitor searches, clicks and adds to the cart.
      const visitor = visitorOf(userId);
      expect(await send(visitor, aWeekOfShopping().slice(0, 3))).toMatchObject({ accepted: 3 });
      await deliver({ events: 1, rejected: 0 });
      if (userId === erased) {
        // One more view, which Pub/Sub is slow to deliver.
        expect(
          await send(visitor, [
            {
              event_id: randomUUID(),
              type: 'product_viewed',
              session_id: 'session-0',
              occurred_at: new Date().toISOString(),
              sent_at: new Date().toISOString(),
              data: { product: { sku: 'tea', name: 'Green tea', category: 'Tea', price: 3 } },
            },
          ]),
        ).toMatchObject({ accepted: 1 });
        [lateVisitor] = await receive(topics.events.subscription, 1);
      }
      // Logging in links the visitor.
      const linked = await request(users)
        .post(`/v1/users/${userId}/links`)
        .set('Authorization', `Bearer ${tokens.get(userId)}`)
        .send({ anonymous_token: tokens.get(visitor) });
      expect(linked.status, JSON.stringify(linked.body)).toBe(200);

      await privacy.write(userId, { ...DEFAULT_PRIVACY, share_patterns: true, retention_days: 400 }, new Date());
      expect(await send(userId, aWeekOfShopping())).toMatchObject({ accepted: 5, rejected: [expect.anything()] });
      await deliver({ events: 1, rejected: 1 });
      // A page still holding the visitor's token sends one more: it is the shopper's now.
      expect(await send(visitor, aWeekOfShopping().slice(0, 1))).toMatchObject({ accepted: 1 });
      await deliver({ events: 1, rejected: 0 });
      // What the visitor did was learned, and is the shopper's: 3 + 5 + 1 events.
      expect((await firestore.collection('preferences').doc(userId).get()).get('event_count')).toBe(9);
    }
    const imported = await importHistory();
    expect(imported.imported).toMatchObject({ events: 4, order_lines: 4, shoppers: 2, rejected: 2 });
    // The shopper looks at one more product; Pub/Sub is slow to deliver it.
    expect(
      await send(erased, [
        {
          event_id: randomUUID(),
          type: 'product_viewed',
          session_id: 'session-2',
          occurred_at: new Date().toISOString(),
          sent_at: new Date().toISOString(),
          data: { product: { sku: 'tea', name: 'Green tea', category: 'Tea', price: 3 } },
        },
      ]),
    ).toMatchObject({ accepted: 1 });
    [late] = await receive(topics.events.subscription, 1);

    const patterns = await runPatternsJob({
      warehouse,
      publisher: createFirestorePatternPublisher(firestore),
      reorderModels: createFirestoreReorderModelPublisher(firestore),
      privacy,
      erasures,
      clock,
      logger,
      settleMs: 0,
    });
    expect(patterns).toMatchObject({ shoppers: 2, changed: 2 });
    expect(await runRetentionJob({ warehouse, privacy, clock, logger })).toMatchObject({ shoppers: 2 });

    for (const userId of [erased, kept]) {
      expect(await findInWarehouse(userId)).toEqual([
        'events (8)',
        'identity_links (1)',
        'order_items (6)',
        'rejected_events (2)',
        'shopper_privacy_staging (1)',
        'shopper_retention_staging (1)',
        'user_patterns (1)',
        'user_patterns_staging (1)',
      ]);
      // The visitor's rows keep their id; the link makes them the shopper's, kept as long as the shopper's.
      expect(await findInWarehouse(visitorOf(userId))).toEqual(['events (3)', 'identity_links (1)', 'shopper_retention_staging (1)']);
      expect((await findInFirestore(visitorOf(userId))).found).toEqual([`links/${shopperDocumentId(visitorOf(userId))}`]);
      // The byte search finds what it looks for: every id is in the files, in the log at least.
      expect(findInWarehouseFiles(userId)).not.toEqual([]);
      const { found } = await findInFirestore(userId);
      expect(found).toEqual(expect.arrayContaining([`preferences/${userId}`, `privacy/${userId}`]));
      expect((await firestore.collection('preferences').doc(userId).get()).get('patterns')).toBeDefined();
    }
  });

  it('retention deletes the imported rows past a shopper’s retention, as it deletes any', async () => {
    await privacy.write(kept, { ...DEFAULT_PRIVACY, share_patterns: true, retention_days: 100 }, new Date());
    expect(await runRetentionJob({ warehouse, privacy, clock, logger })).toMatchObject({ deleted: { events: 1, order_items: 1 } });
    const orders = await warehouse.sql(
      "SELECT order_id, import_id IS NOT NULL AS imported FROM events WHERE user_id = $1 AND type = 'order_completed' ORDER BY event_time",
      [kept],
    );
    expect(orders.filter((o) => o.imported).map((o) => o.order_id)).toEqual(['h-20']);
    await privacy.write(kept, { ...DEFAULT_PRIVACY, share_patterns: true, retention_days: 400 }, new Date());
  });

  it('the erasure request and the erasure job leave nothing of the shopper — not their id, not their token — and keep the other shopper', async () => {
    const filed = await erasures.request(erased, 'shopper', new Date());
    const run = await runErasureJob({ warehouse, erasures, documents: erasures, clock, logger });
    expect(run).toMatchObject({ requests: 1, completed: 1, deferred: 0 });

    // Delivered after all that: received before the request, so dropped — neither stored nor learned; the visitor's
    // too, though the link that made them the shopper's is gone.
    for (const message of [late, lateVisitor]) {
      expect(message).toBeDefined();
      logger.entries.length = 0;
      if (message) await ingest(asCloudEvent(message, 'events-ingest'));
      expect(logger.entries).toContainEqual(
        expect.objectContaining({ message: 'message ingested', events: 1, not_consented: 1, learned: 0 }),
      );
    }

    const tables = await warehouseTables();
    expect(tables).toEqual(
      expect.arrayContaining(['events', 'order_items', 'rejected_events', 'user_patterns', 'erasure_log', 'job_runs']),
    );
    const visitor = visitorOf(erased);
    const needles = {
      'user id': erased,
      token: tokens.get(erased) ?? '',
      "visitor's id": visitor,
      "visitor's document id": shopperDocumentId(visitor),
      "visitor's token": tokens.get(visitor) ?? '',
    };
    for (const [what, needle] of Object.entries(needles)) {
      expect(needle).not.toBe('');
      expect(await findInWarehouse(needle), `${what} in DuckDB`).toEqual([]);
      expect(findInWarehouseFiles(needle), `${what} in the bytes of DuckDB's files`).toEqual([]);
      const firestoreSearch = await findInFirestore(needle);
      expect(firestoreSearch.found, `${what} in Firestore`).toEqual([]);
      // Every kind of document the loop writes was looked at.
      expect(firestoreSearch.collections).toEqual(['erasure_requests', 'erasures', 'imports', 'links', 'preferences', 'privacy']);
    }

    // The other shopper is all there, and their visitor; the search that found nothing finds them.
    expect(await findInWarehouse(kept)).toHaveLength(8);
    expect(await findInWarehouse(visitorOf(kept))).toEqual(['events (3)', 'identity_links (1)', 'shopper_retention_staging (1)']);
    // Linked, the visitor's documents went into the shopper's: their link is what is left under their id.
    expect((await findInFirestore(shopperDocumentId(visitorOf(kept)))).found).toEqual([`links/${shopperDocumentId(visitorOf(kept))}`]);
    expect(findInWarehouseFiles(kept)).not.toEqual([]);
    expect((await findInFirestore(kept)).found).toEqual(expect.arrayContaining([`preferences/${kept}`, `privacy/${kept}`]));

    // What erasure keeps is the keyed hash only: the tombstone, the receipt and the log row.
    const hash = hashUser(erased);
    expect((await firestore.collection('erasures').doc(hash).get()).get('privacy')).toMatchObject({
      share_patterns: true,
      retention_days: 400,
    });
    expect(await erasures.get(filed.request_id)).toMatchObject({
      state: 'completed',
      user_hash: hash,
      rows_deleted: { events: 11, order_items: 6, rejected_events: 2, user_patterns: 1, identity_links: 1 },
    });
    expect(await findInWarehouse(hash)).toEqual(['erasure_log (1)']);
    // The shopper's settings outlive the erasure, so tracking stays as they chose it — for their visitor too.
    expect(await privacy.read(erased)).toMatchObject({ share_patterns: true, retention_days: 400 });
    expect(await privacy.read(visitor)).toMatchObject({ share_patterns: true, retention_days: 400 });
  });

  it('the shop importing the erased shopper’s history again brings nothing of it back, not even its bad line', async () => {
    const again = await importHistory('history-again.csv', [erased]);
    expect(again.imported).toMatchObject({ events: 0, order_lines: 0, shoppers: 0, rejected: 0 });
    expect(again.progress).toMatchObject({ rejected_rows: 0, events_skipped: { erased: 3 }, shoppers_skipped: { erased: 1 } });
    expect(await findInWarehouse(erased)).toEqual([]);
    expect((await findInFirestore(erased)).found).toEqual([]);
  });
});
