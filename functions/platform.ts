import { BigQuery } from '@google-cloud/bigquery';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { GoogleAuth } from 'google-auth-library';
import type { BatchSettings, CollectSettings, Deadlines, HistorySettings, WarehouseSetting } from './config.ts';
import { createBigQueryImportStaging } from './adapters/gcp/bigquery-import-staging.ts';
import { createCloudStorage, createCloudStorageHistoryFiles } from './adapters/gcp/cloud-storage.ts';
import { createFirestoreImportLedger } from './adapters/gcp/firestore-import-ledger.ts';
import { createFirestoreShopperGate } from './adapters/gcp/firestore-shopper-gate.ts';
import { createPatternsFunctionRunner } from './adapters/gcp/patterns-function.ts';
import { createDuckDbImportStaging } from './adapters/local/duckdb-import-staging.ts';
import { createLocalHistoryFiles } from './adapters/local/local-history-files.ts';
import type { PrivacyStore } from './privacy/ports.ts';
import type { UserHasher } from './privacy/user-hash.ts';
import { createBigQuerySql } from './adapters/gcp/bigquery-sql.ts';
import { createBigQueryWarehouse } from './adapters/gcp/bigquery-warehouse.ts';
import { connect, createBoundedFirestore, type FirestoreDeadlines } from './adapters/gcp/bounded-firestore.ts';
import { createFirestoreErasureStore } from './adapters/gcp/firestore-erasure-store.ts';
import { createFirestoreIdentityLinks, createFirestoreLinkReader, type MergeFn } from './adapters/gcp/firestore-identity-links.ts';
import { createFirestoreReorderModelPublisher, createFirestoreReorderModelReader } from './adapters/gcp/firestore-reorder-model.ts';
import { createFirestorePatternPublisher } from './adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestoreWeightsStore } from './adapters/gcp/firestore-weights-store.ts';
import { createFirestorePreferenceDocumentReader } from './adapters/gcp/firestore-preference-document.ts';
import {
  createFirestoreHistorySeeder,
  createFirestorePreferenceStore,
  type HistorySeederOptions,
  type PreferenceStoreOptions,
} from './adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore, readNonDefaultPrivacy } from './adapters/gcp/firestore-privacy-store.ts';
import { createPubSubEventBus } from './adapters/gcp/pubsub-event-bus.ts';
import { openDuckDb } from './adapters/local/duckdb-files.ts';
import { withDeadlines } from './kernel/deadline.ts';
import type { Logger } from './logging/logger.ts';
import { createUserHasher } from './privacy/user-hash.ts';
import type { LinkWarehouse, SqlWarehouse, Warehouse } from './warehouse/ports.ts';

/**
 * What the functions of one process are built from: the Google clients, stores and warehouses, each made the first
 * time a function asks for it and shared after that (locally every function runs in one process). The only place
 * that constructs a Google client or an adapter over one; nothing does so when a module is imported. A function's
 * descriptor asks for what it needs here and hands the ports to its handler.
 */
export type Platform = {
  clock: () => Date;
  /** Firestore for batch work, with the client's own timeouts and retries. */
  firestore(projectId: string): Firestore;
  /**
   * Firestore for a request path: every RPC and transaction ends by itself (`createBoundedFirestore`), and the
   * client is connected before the function takes requests, so that a cold start keeps to its deadlines.
   */
  requestFirestore(projectId: string, deadlines: FirestoreDeadlines): Promise<Firestore>;
  /** Collect's publishers to the accepted and the rejected events' topics; a publish gives up after `timeoutMs`. */
  eventBus(
    projectId: string,
    topics: CollectSettings['topics'],
    batching: CollectSettings['publishBatching'],
    options: { timeoutMs: number },
  ): ReturnType<typeof createPubSubEventBus>;
  /** Where events and links are stored as they arrive: BigQuery's streaming inserts, or the local DuckDB file. */
  eventWarehouse(settings: { projectId: string; warehouse: WarehouseSetting }): Promise<Warehouse & LinkWarehouse>;
  /**
   * The batch jobs' warehouse: BigQuery, or the local DuckDB file. A request path gives `deadlineMs`: BigQuery then
   * stops a query job that outlives it.
   */
  sqlWarehouse(settings: BatchSettings, deadlineMs?: number): Promise<SqlWarehouse>;
  /**
   * Where a history import's files come from and its rows wait: the local stack's own machine and DuckDB's appender,
   * or the import bucket and BigQuery load jobs.
   */
  importSources(settings: HistorySettings, warehouse: SqlWarehouse): Promise<ImportSourcesOf>;
  /** Another function of the stack, called over HTTP: with this process's Google identity when its URL is `https:`. */
  functionCaller(url: string): ReturnType<typeof createPatternsFunctionRunner>;
};

/** A history import's files, where they may come from, and where its rows wait (`importSources`). */
export type ImportSourcesOf = {
  files: ReturnType<typeof createLocalHistoryFiles>;
  sources: { kind: 'local' } | { kind: 'bucket'; bucket: string };
  staging: ReturnType<typeof createDuckDbImportStaging>;
};

export function createPlatform(): Platform {
  const bigQueries = memo<BigQuery>();
  const firestores = memo<Firestore>();
  const requestFirestores = memo<Promise<Firestore>>();
  const pubsubs = memo<PubSub>();
  const eventWarehouses = memo<Warehouse & LinkWarehouse>();
  const storages = memo<Storage>();
  const bigQuery = (projectId: string) => bigQueries(projectId, () => new BigQuery({ projectId }));
  return {
    clock: () => new Date(),
    firestore: (projectId) => firestores(projectId, () => new Firestore({ projectId, ignoreUndefinedProperties: true })),
    requestFirestore: (projectId, deadlines) =>
      requestFirestores(`${projectId} ${deadlines.callMs} ${deadlines.transactionMs}`, async () => {
        const firestore = createBoundedFirestore({ projectId, ignoreUndefinedProperties: true }, deadlines);
        await connect(firestore);
        return firestore;
      }),
    eventBus: (projectId, topics, batching, options) =>
      createPubSubEventBus(
        pubsubs(projectId, () => new PubSub({ projectId })),
        topics,
        batching,
        options,
      ),
    eventWarehouse: async ({ projectId, warehouse }) =>
      // BigQuery's client cannot bound its own requests here (its `timeout` reaches node-fetch 3, which dropped that
      // option): the deadline the function puts around each insert is what bounds it.
      warehouse.kind === 'bigquery'
        ? eventWarehouses(`${projectId} ${warehouse.dataset}`, () => createBigQueryWarehouse(bigQuery(projectId), warehouse.dataset))
        : openDuckDb(warehouse),
    sqlWarehouse: async (settings, deadlineMs) => {
      if (settings.warehouse.kind === 'duckdb') return openDuckDb(settings.warehouse);
      return createBigQuerySql(bigQuery(settings.projectId), {
        dataset: settings.warehouse.dataset,
        location: settings.location,
        maximumBytesBilled: settings.maximumBytesBilled,
        ...(deadlineMs === undefined ? {} : { jobTimeoutMs: deadlineMs }),
      });
    },
    importSources: async (settings, warehouse) => {
      if (settings.warehouse.kind === 'duckdb') {
        return {
          files: createLocalHistoryFiles(),
          sources: { kind: 'local' },
          staging: createDuckDbImportStaging(await openDuckDb(settings.warehouse)),
        };
      }
      const bucket = settings.importBucket ?? '';
      const storage = createCloudStorage(storages(settings.projectId, () => new Storage({ projectId: settings.projectId })));
      return {
        files: createCloudStorageHistoryFiles(storage, bucket),
        sources: { kind: 'bucket', bucket },
        staging: createBigQueryImportStaging({
          storage,
          bucket,
          bigQuery: bigQuery(settings.projectId),
          projectId: settings.projectId,
          dataset: settings.warehouse.dataset,
          ...(settings.location ? { location: settings.location } : {}),
          warehouse,
        }),
      };
    },
    // On loopback (the local stack) a function takes any caller; a deployed one wants the caller's identity token.
    functionCaller: (url) =>
      createPatternsFunctionRunner({ url, ...(url.startsWith('https:') ? { authorize: () => identityHeaders(url) } : {}) }),
  };
}

/** A Google identity token of this process's account, for `url` as its audience. */
async function identityHeaders(url: string): Promise<Record<string, string>> {
  const client = await new GoogleAuth().getIdTokenClient(url);
  return Object.fromEntries((await client.getRequestHeaders(url)).entries());
}

/** A cache of what `make` makes, by key: each thing is made once. */
function memo<T>(): (key: string, make: () => T) => T {
  const made = new Map<string, T>();
  return (key, make) => {
    const found = made.get(key);
    if (found !== undefined) return found;
    const thing = make();
    made.set(key, thing);
    return thing;
  };
}

/** The stores that know shoppers by the hash of their id: privacy settings (with tombstones) and erasure requests. */
export function shopperStores(firestore: Firestore, userHashKey: string) {
  const hashUser = createUserHasher(userHashKey);
  return {
    hashUser,
    privacy: createFirestorePrivacyStore(firestore, { hashUser }),
    erasures: createFirestoreErasureStore(firestore, { hashUser }),
  };
}

/** The stores over `firestore` that know shoppers by their id: preference documents, and privacy settings by value. */
export function firestoreStores(firestore: Firestore) {
  return {
    /** What ingest learns into, once per event. */
    learning: (options: PreferenceStoreOptions) => createFirestorePreferenceStore(firestore, options),
    /** A shopper's whole preference document, as `users` shows it and the learning status reads it. */
    documents: () => createFirestorePreferenceDocumentReader(firestore),
    /** Where the patterns job publishes each shopper's patterns. */
    patterns: () => createFirestorePatternPublisher(firestore),
    /** Where the patterns job publishes the reorder model it fits, and where shoppers' views read it. */
    reorderModels: () => ({
      publisher: createFirestoreReorderModelPublisher(firestore),
      reader: createFirestoreReorderModelReader(firestore),
    }),
    /** The stored privacy settings that differ from the default in `field`: retention reads them by value, never by shopper. */
    nonDefaultPrivacy: (field: 'retention_days') => readNonDefaultPrivacy(firestore, field),
    /** What a history import seeds shoppers' preference documents through: learning's own transaction and marks. */
    seeder: (options: HistorySeederOptions) => createFirestoreHistorySeeder(firestore, options),
    /** Where history imports keep how far they got. */
    importLedger: <Record extends object>() => createFirestoreImportLedger<Record>(firestore),
    /** A history import's shoppers' standing: their settings, and whether they were ever erased. */
    shopperGate: (privacy: Pick<PrivacyStore, 'readMany'>, hashUser: UserHasher) =>
      createFirestoreShopperGate(firestore, { privacy, hashUser }),
    /** The ranking weights' versions and which is current and challenger. */
    weights: () => createFirestoreWeightsStore(firestore),
  };
}

/** Which visitor is which shopper (`links/{visitor}`); linking merges a visitor's preferences with `merge`. */
export function identityLinks(firestore: Firestore, merge: MergeFn) {
  return createFirestoreIdentityLinks(firestore, { merge });
}

/** The shopper a visitor was linked to, read only. */
export function linkReader(firestore: Firestore) {
  return createFirestoreLinkReader(firestore);
}

/** Firestore on a request path: every RPC and every transaction within the Firestore deadline. */
export function requestDeadlines(deadlines: Deadlines): FirestoreDeadlines {
  return { callMs: deadlines.firestoreMs, transactionMs: deadlines.firestoreMs };
}

/**
 * `port` with a deadline of `ms` on each call (invariant 8): a call that passes it rejects with `DeadlineExceeded`,
 * which the function answers as a transient failure, and is logged by name.
 */
export function bounded<T extends object>(port: T, name: string, ms: number, logger: Logger): T {
  return withDeadlines(port, {
    ms,
    name,
    onPassed: (error) => logger.warn('remote call passed its deadline', { call: error.call, deadline_ms: error.deadlineMs }),
  });
}
