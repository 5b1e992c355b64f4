import { BigQuery } from '@google-cloud/bigquery';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import {
  loadBatchSettings,
  loadCollectSettings,
  loadDeadlines,
  loadIngestSettings,
  loadOperatorsSettings,
  loadPatternsSettings,
  loadPrivacyCacheMs,
  loadUserHashKey,
  loadUsersSettings,
  type BatchSettings,
  type Deadlines,
} from './config.ts';
import { createBigQuerySql } from './adapters/gcp/bigquery-sql.ts';
import { createBigQueryWarehouse } from './adapters/gcp/bigquery-warehouse.ts';
import { connect, createBoundedFirestore, type FirestoreDeadlines } from './adapters/gcp/bounded-firestore.ts';
import { createFirestoreErasureStore } from './adapters/gcp/firestore-erasure-store.ts';
import { createFirestorePatternPublisher } from './adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestorePreferenceStore } from './adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore, readNonDefaultPrivacy } from './adapters/gcp/firestore-privacy-store.ts';
import { createPubSubEventBus } from './adapters/gcp/pubsub-event-bus.ts';
import { createCollectHandler } from './collect/handler.ts';
import { registerCloudEventFunction, registerHttpFunction } from './http/register.ts';
import { createJwtVerifier } from './http/bearer-auth.ts';
import { createIngestHandler, createStoreRejectedHandler } from './ingest/handler.ts';
import { createFirestorePreferenceReader } from './adapters/gcp/firestore-preference-reader.ts';
import { createUsersHandler } from './users/handler.ts';
import { clickThroughIncrements } from './learn/click-through.ts';
import { learn } from './learn/learn.ts';
import { withDeadlines } from './kernel/deadline.ts';
import { createLogger, type Logger } from './logging/logger.ts';
import { createErasureHandler } from './erasure/handler.ts';
import { createOperatorsHandler } from './operators/handler.ts';
import { createPatternsHandler } from './patterns/handler.ts';
import { createCollectConsent, createIngestConsent } from './privacy/consent.ts';
import { createUserHasher } from './privacy/user-hash.ts';
import { createRetentionHandler } from './retention/handler.ts';
import { createMetricsHandler } from './metrics/handler.ts';
import { createFirestorePreferenceDocumentReader } from './adapters/gcp/firestore-preference-document.ts';
import { openDuckDb } from './adapters/local/duckdb-files.ts';
import type { SqlWarehouse, Warehouse } from './warehouse/ports.ts';

// The one place that reads the environment and builds Google clients; every function is a thin
// shell over logic that takes these as arguments. Cloud Functions sets FUNCTION_TARGET, so a
// deployed function builds (and needs settings and permissions for) only itself; locally and in
// tests every function is registered.
const target = process.env.FUNCTION_TARGET;
const serves = (name: string) => !target || target === name;
const clock = () => new Date();

/**
 * Firestore and the stores over it that hash user ids: privacy settings and erasure requests. A
 * request path gives `deadlines`: its client then ends each call by itself (`createBoundedFirestore`).
 */
function privacyStores(projectId: string, deadlines?: FirestoreDeadlines) {
  const settings = { projectId, ignoreUndefinedProperties: true };
  const firestore = deadlines ? createBoundedFirestore(settings, deadlines) : new Firestore(settings);
  const hashUser = createUserHasher(loadUserHashKey(process.env));
  return { firestore, hashUser, privacy: createFirestorePrivacyStore(firestore, { hashUser }), erasures: createFirestoreErasureStore(firestore, { hashUser }) };
}

/**
 * The batch jobs' warehouse: BigQuery, or the local DuckDB file. A request path gives `deadlineMs`:
 * BigQuery then stops a query job that outlives it.
 */
async function sqlWarehouse(settings: BatchSettings, deadlineMs?: number): Promise<SqlWarehouse> {
  if (settings.warehouse.kind === 'duckdb') return openDuckDb(settings.warehouse);
  return createBigQuerySql(new BigQuery({ projectId: settings.projectId }), {
    dataset: settings.warehouse.dataset,
    location: settings.location,
    maximumBytesBilled: settings.maximumBytesBilled,
    ...(deadlineMs === undefined ? {} : { jobTimeoutMs: deadlineMs }),
  });
}

/** Firestore on a request path: every RPC and every transaction within the Firestore deadline. */
const requestFirestore = (deadlines: Deadlines): FirestoreDeadlines => ({ callMs: deadlines.firestoreMs, transactionMs: deadlines.firestoreMs });

/** `privacyStores` of a request path: a bounded client, connected before the function takes requests. */
async function requestPathStores(projectId: string, deadlines: FirestoreDeadlines) {
  const stores = privacyStores(projectId, deadlines);
  await connect(stores.firestore);
  return stores;
}

/**
 * `port` with a deadline of `ms` on each call (invariant 8): a call that passes it rejects with
 * `DeadlineExceeded`, which the function answers as a transient failure, and is logged by name.
 */
function bounded<T extends object>(port: T, name: string, ms: number, logger: Logger): T {
  return withDeadlines(port, {
    ms,
    name,
    onPassed: (error) => logger.warn('remote call passed its deadline', { call: error.call, deadline_ms: error.deadlineMs }),
  });
}

if (serves('collect')) {
  const settings = loadCollectSettings(process.env);
  const deadlines = loadDeadlines(process.env);
  const logger = createLogger({ minSeverity: settings.logLevel, labels: { function: 'collect' } });
  const { privacy } = await requestPathStores(settings.projectId, requestFirestore(deadlines));
  const bus = createPubSubEventBus(new PubSub({ projectId: settings.projectId }), settings.topics, settings.publishBatching, { timeoutMs: deadlines.publishMs });
  registerHttpFunction(
    'collect',
    createCollectHandler({
      verifier: await createJwtVerifier(settings.token),
      bus: { events: bounded(bus.events, 'events', deadlines.publishMs, logger), rejected: bounded(bus.rejected, 'rejected', deadlines.publishMs, logger) },
      consent: createCollectConsent(bounded(privacy, 'privacy', deadlines.firestoreMs, logger), { cacheMs: loadPrivacyCacheMs(process.env) }),
      clock,
      logger,
      timeLimits: settings.timeLimits,
      corsOrigins: settings.corsOrigins,
    }),
  );
}

if (serves('ingest') || serves('storeRejected')) {
  const settings = loadIngestSettings(process.env);
  const deadlines = loadDeadlines(process.env);
  const logger = createLogger({ minSeverity: settings.logLevel });
  // BigQuery's client cannot bound its own requests here (its `timeout` reaches node-fetch 3, which
  // dropped that option): the deadline below is what bounds an insert.
  const warehouse: Warehouse =
    settings.warehouse.kind === 'bigquery'
      ? createBigQueryWarehouse(new BigQuery({ projectId: settings.projectId }), settings.warehouse.dataset)
      : await openDuckDb(settings.warehouse);
  // A delivery that passes a deadline throws: Pub/Sub redelivers it after its backoff, and the
  // idempotent writes absorb whatever the abandoned calls still did.
  if (serves('ingest')) {
    const ingestLogger = logger.child({ function: 'ingest' });
    // Reads within the Firestore deadline; the learning transaction may take longer (see LEARNING_DEADLINE_MS).
    const { firestore, privacy, erasures } = await requestPathStores(settings.projectId, { callMs: deadlines.firestoreMs, transactionMs: deadlines.learningMs });
    const preferences = createFirestorePreferenceStore(firestore, {
      learn,
      clickThrough: clickThroughIncrements,
      markerTtlDays: settings.markerTtlDays,
      counterShards: settings.clickThroughShards,
    });
    registerCloudEventFunction(
      'ingest',
      createIngestHandler({
        warehouse: bounded(warehouse, 'warehouse', deadlines.warehouseInsertMs, ingestLogger),
        preferences: bounded(preferences, 'preferences', deadlines.learningMs, ingestLogger),
        consent: createIngestConsent(bounded(privacy, 'privacy', deadlines.firestoreMs, ingestLogger), bounded(erasures, 'erasures', deadlines.firestoreMs, ingestLogger)),
        clock,
        logger: ingestLogger,
      }),
    );
  }
  if (serves('storeRejected')) {
    const storeLogger = logger.child({ function: 'storeRejected' });
    registerCloudEventFunction(
      'storeRejected',
      createStoreRejectedHandler({ warehouse: bounded(warehouse, 'warehouse', deadlines.warehouseInsertMs, storeLogger), clock, logger: storeLogger }),
    );
  }
}

if (serves('users')) {
  const settings = loadUsersSettings(process.env);
  const deadlines = loadDeadlines(process.env);
  const logger = createLogger({ minSeverity: settings.logLevel, labels: { function: 'users' } });
  const { firestore, hashUser, privacy, erasures } = await requestPathStores(settings.projectId, requestFirestore(deadlines));
  const within = <T extends object>(port: T, name: string) => bounded(port, name, deadlines.firestoreMs, logger);
  registerHttpFunction(
    'users',
    createUsersHandler({
      verifier: await createJwtVerifier(settings.token),
      preferences: within(createFirestorePreferenceReader(firestore), 'preferences'),
      documents: within(createFirestorePreferenceDocumentReader(firestore), 'documents'),
      privacy: within(privacy, 'privacy'),
      erasures: within(erasures, 'erasures'),
      hashUser,
      clock,
      logger,
      corsOrigins: settings.corsOrigins,
    }),
  );
}

if (serves('operators')) {
  const settings = loadOperatorsSettings(process.env);
  const deadlines = loadDeadlines(process.env);
  const logger = createLogger({ minSeverity: settings.logLevel, labels: { function: 'operators' } });
  const { firestore, hashUser, privacy, erasures } = await requestPathStores(settings.projectId, requestFirestore(deadlines));
  const within = <T extends object>(port: T, name: string) => bounded(port, name, deadlines.firestoreMs, logger);
  registerHttpFunction(
    'operators',
    createOperatorsHandler({
      erasures: within(erasures, 'erasures'),
      documents: within(createFirestorePreferenceDocumentReader(firestore), 'documents'),
      privacy: within(privacy, 'privacy'),
      hashUser,
      // The dashboard's queries, on the warehouse the batch jobs use.
      warehouse: bounded(await sqlWarehouse(settings, deadlines.dashboardMs), 'warehouse', deadlines.dashboardMs, logger),
      clock,
      logger,
    }),
  );
}

if (serves('patterns')) {
  const settings = loadPatternsSettings(process.env);
  const { firestore, privacy, erasures } = privacyStores(settings.projectId);
  registerHttpFunction(
    'patterns',
    createPatternsHandler({
      warehouse: await sqlWarehouse(settings),
      publisher: createFirestorePatternPublisher(firestore),
      privacy,
      erasures,
      clock,
      logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'patterns' } }),
      settleMs: settings.settleMs,
      sliceShoppers: settings.sliceShoppers,
    }),
  );
}

if (serves('erasure')) {
  const settings = loadBatchSettings(process.env);
  const { erasures } = privacyStores(settings.projectId);
  registerHttpFunction(
    'erasure',
    createErasureHandler({
      warehouse: await sqlWarehouse(settings),
      erasures,
      documents: erasures,
      clock,
      logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'erasure' } }),
    }),
  );
}

if (serves('retention')) {
  const settings = loadBatchSettings(process.env);
  const firestore = new Firestore({ projectId: settings.projectId });
  registerHttpFunction(
    'retention',
    createRetentionHandler({
      warehouse: await sqlWarehouse(settings),
      // Retention reads stored settings by their retention_days, never a tombstone: it needs no hash key.
      privacy: { nonDefault: (field) => readNonDefaultPrivacy(firestore, field) },
      clock,
      logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'retention' } }),
    }),
  );
}

if (serves('metrics')) {
  const settings = loadBatchSettings(process.env);
  // Aggregates over the warehouse alone: no Firestore, no user ids, no hash key.
  registerHttpFunction(
    'metrics',
    createMetricsHandler({
      warehouse: await sqlWarehouse(settings),
      clock,
      logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'metrics' } }),
    }),
  );
}
