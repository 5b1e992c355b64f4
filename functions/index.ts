import { BigQuery } from '@google-cloud/bigquery';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import {
  loadBatchSettings,
  loadCollectSettings,
  loadIngestSettings,
  loadOperatorsSettings,
  loadPatternsSettings,
  loadPrivacyCacheMs,
  loadUserHashKey,
  loadUsersSettings,
  type BatchSettings,
} from './config.ts';
import { createBigQuerySql } from './adapters/gcp/bigquery-sql.ts';
import { createBigQueryWarehouse } from './adapters/gcp/bigquery-warehouse.ts';
import { createFirestoreErasureStore } from './adapters/gcp/firestore-erasure-store.ts';
import { createFirestorePatternPublisher } from './adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestorePreferenceStore } from './adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore, readNonDefaultPrivacy } from './adapters/gcp/firestore-privacy-store.ts';
import { createPubSubEventBus } from './adapters/gcp/pubsub-event-bus.ts';
import { createCollectHandler } from './collect/handler.ts';
import { registerCloudEventFunction, registerHttpFunction } from './http/register.ts';
import { createJwtVerifier } from './collect/verify-token.ts';
import { createIngestHandler, createStoreRejectedHandler } from './ingest/handler.ts';
import { createFirestorePreferenceReader } from './adapters/gcp/firestore-preference-reader.ts';
import { createUsersHandler } from './users/handler.ts';
import { clickThroughIncrements } from './learn/click-through.ts';
import { learn } from './learn/learn.ts';
import { createLogger } from './logging/logger.ts';
import { createErasureHandler } from './erasure/handler.ts';
import { createOperatorsHandler } from './operators/handler.ts';
import { createPatternsHandler } from './patterns/handler.ts';
import { createCollectConsent, createIngestConsent } from './privacy/consent.ts';
import { createUserHasher } from './privacy/user-hash.ts';
import { createRetentionHandler } from './retention/handler.ts';
import { createMetricsHandler } from './metrics/handler.ts';
import { createFirestorePreferenceDocumentReader } from './search/firestore-preference-document.ts';
import { openDuckDb } from './adapters/local/duckdb-files.ts';
import type { SqlWarehouse, Warehouse } from './warehouse/ports.ts';

// The one place that reads the environment and builds Google clients; every function is a thin
// shell over logic that takes these as arguments. Cloud Functions sets FUNCTION_TARGET, so a
// deployed function builds (and needs settings and permissions for) only itself; locally and in
// tests every function is registered.
const target = process.env.FUNCTION_TARGET;
const serves = (name: string) => !target || target === name;
const clock = () => new Date();

/** Firestore and the stores over it that hash user ids: privacy settings and erasure requests. */
function privacyStores(projectId: string) {
  const firestore = new Firestore({ projectId, ignoreUndefinedProperties: true });
  const hashUser = createUserHasher(loadUserHashKey(process.env));
  return { firestore, hashUser, privacy: createFirestorePrivacyStore(firestore, { hashUser }), erasures: createFirestoreErasureStore(firestore, { hashUser }) };
}

/** The batch jobs' warehouse: BigQuery, or the local DuckDB file. */
async function sqlWarehouse(settings: BatchSettings): Promise<SqlWarehouse> {
  if (settings.warehouse.kind === 'duckdb') return openDuckDb(settings.warehouse);
  return createBigQuerySql(new BigQuery({ projectId: settings.projectId }), {
    dataset: settings.warehouse.dataset,
    location: settings.location,
    maximumBytesBilled: settings.maximumBytesBilled,
  });
}

if (serves('collect')) {
  const settings = loadCollectSettings(process.env);
  const logger = createLogger({ minSeverity: settings.logLevel, labels: { function: 'collect' } });
  const { privacy } = privacyStores(settings.projectId);
  registerHttpFunction(
    'collect',
    createCollectHandler({
      verifier: await createJwtVerifier(settings.token),
      bus: createPubSubEventBus(new PubSub({ projectId: settings.projectId }), settings.topics, settings.publishBatching),
      consent: createCollectConsent(privacy, { cacheMs: loadPrivacyCacheMs(process.env) }),
      clock,
      logger,
      timeLimits: settings.timeLimits,
      corsOrigins: settings.corsOrigins,
    }),
  );
}

if (serves('ingest') || serves('storeRejected')) {
  const settings = loadIngestSettings(process.env);
  const logger = createLogger({ minSeverity: settings.logLevel });
  const warehouse: Warehouse =
    settings.warehouse.kind === 'bigquery'
      ? createBigQueryWarehouse(new BigQuery({ projectId: settings.projectId }), settings.warehouse.dataset)
      : await openDuckDb(settings.warehouse);
  if (serves('ingest')) {
    const { firestore, privacy, erasures } = privacyStores(settings.projectId);
    registerCloudEventFunction(
      'ingest',
      createIngestHandler({
        warehouse,
        preferences: createFirestorePreferenceStore(firestore, {
          learn,
          clickThrough: clickThroughIncrements,
          markerTtlDays: settings.markerTtlDays,
          counterShards: settings.clickThroughShards,
        }),
        consent: createIngestConsent(privacy, erasures),
        clock,
        logger: logger.child({ function: 'ingest' }),
      }),
    );
  }
  if (serves('storeRejected')) {
    registerCloudEventFunction('storeRejected', createStoreRejectedHandler({ warehouse, clock, logger: logger.child({ function: 'storeRejected' }) }));
  }
}

if (serves('users')) {
  const settings = loadUsersSettings(process.env);
  const { firestore, hashUser, privacy, erasures } = privacyStores(settings.projectId);
  registerHttpFunction(
    'users',
    createUsersHandler({
      verifier: await createJwtVerifier(settings.token),
      preferences: createFirestorePreferenceReader(firestore),
      documents: createFirestorePreferenceDocumentReader(firestore),
      privacy,
      erasures,
      hashUser,
      clock,
      logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'users' } }),
      corsOrigins: settings.corsOrigins,
    }),
  );
}

if (serves('operators')) {
  const settings = loadOperatorsSettings(process.env);
  const { firestore, hashUser, privacy, erasures } = privacyStores(settings.projectId);
  registerHttpFunction(
    'operators',
    createOperatorsHandler({
      erasures,
      documents: createFirestorePreferenceDocumentReader(firestore),
      privacy,
      hashUser,
      // The dashboard's queries, on the warehouse the batch jobs use.
      warehouse: await sqlWarehouse(settings),
      clock,
      logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'operators' } }),
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
