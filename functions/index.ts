import * as ff from '@google-cloud/functions-framework';
import { BigQuery } from '@google-cloud/bigquery';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { loadCollectSettings, loadIngestSettings, loadPatternsSettings, loadUsersSettings, type WarehouseSetting } from './config.ts';
import { createBigQuerySql } from './adapters/gcp/bigquery-sql.ts';
import { createBigQueryWarehouse } from './adapters/gcp/bigquery-warehouse.ts';
import { createFirestorePatternPublisher } from './adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestorePreferenceStore } from './adapters/gcp/firestore-preference-store.ts';
import { createPubSubEventBus } from './adapters/gcp/pubsub-event-bus.ts';
import { trackEverything } from './collect/consent.ts';
import { createCollectHandler } from './collect/handler.ts';
import { createJwtVerifier } from './collect/verify-token.ts';
import { createIngestHandler, createStoreRejectedHandler } from './ingest/handler.ts';
import { createFirestorePreferenceReader } from './adapters/gcp/firestore-preference-reader.ts';
import { createUsersHandler } from './users/handler.ts';
import { clickThroughIncrements } from './learn/click-through.ts';
import { learn } from './learn/learn.ts';
import { createLogger } from './logging/logger.ts';
import { createPatternsHandler } from './patterns/handler.ts';
import type { DuckDbWarehouse } from './adapters/local/duckdb-warehouse.ts';
import type { Warehouse } from './warehouse/ports.ts';

// The one place that reads the environment and builds Google clients; every function is a thin
// shell over logic that takes these as arguments. Cloud Functions sets FUNCTION_TARGET, so a
// deployed function builds (and needs settings and permissions for) only itself; locally and in
// tests every function is registered.
const target = process.env.FUNCTION_TARGET;
const serves = (name: string) => !target || target === name;
const clock = () => new Date();

/**
 * The local warehouse, one per file for the whole process: ingest and the batch jobs share it, as
 * DuckDB lets one process open a file once. DuckDB is a development dependency, loaded only here.
 */
const duckDbs = new Map<string, Promise<DuckDbWarehouse>>();
function openDuckDb(setting: Extract<WarehouseSetting, { kind: 'duckdb' }>): Promise<DuckDbWarehouse> {
  let opened = duckDbs.get(setting.path);
  if (!opened) {
    opened = import('./adapters/local/duckdb-warehouse.ts').then(({ createDuckDbWarehouse }) => createDuckDbWarehouse(setting.path));
    duckDbs.set(setting.path, opened);
  }
  return opened;
}

if (serves('collect')) {
  const settings = loadCollectSettings(process.env);
  const logger = createLogger({ minSeverity: settings.logLevel, labels: { function: 'collect' } });
  ff.http(
    'collect',
    createCollectHandler({
      verifier: await createJwtVerifier(settings.token),
      bus: createPubSubEventBus(new PubSub({ projectId: settings.projectId }), settings.topics, settings.publishBatching),
      consent: trackEverything,
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
    const firestore = new Firestore({ projectId: settings.projectId, ignoreUndefinedProperties: true });
    ff.cloudEvent(
      'ingest',
      createIngestHandler({
        warehouse,
        preferences: createFirestorePreferenceStore(firestore, {
          learn,
          clickThrough: clickThroughIncrements,
          markerTtlDays: settings.markerTtlDays,
          counterShards: settings.clickThroughShards,
        }),
        consent: trackEverything,
        clock,
        logger: logger.child({ function: 'ingest' }),
      }),
    );
  }
  if (serves('storeRejected')) {
    ff.cloudEvent('storeRejected', createStoreRejectedHandler({ warehouse, clock, logger: logger.child({ function: 'storeRejected' }) }));
  }
}

if (serves('users')) {
  const settings = loadUsersSettings(process.env);
  ff.http(
    'users',
    createUsersHandler({
      verifier: await createJwtVerifier(settings.token),
      preferences: createFirestorePreferenceReader(new Firestore({ projectId: settings.projectId })),
      clock,
      logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'users' } }),
      corsOrigins: settings.corsOrigins,
    }),
  );
}

if (serves('patterns')) {
  const settings = loadPatternsSettings(process.env);
  const warehouse =
    settings.warehouse.kind === 'bigquery'
      ? createBigQuerySql(new BigQuery({ projectId: settings.projectId }), {
          dataset: settings.warehouse.dataset,
          location: settings.location,
          maximumBytesBilled: settings.maximumBytesBilled,
        })
      : await openDuckDb(settings.warehouse);
  ff.http(
    'patterns',
    createPatternsHandler({
      warehouse,
      publisher: createFirestorePatternPublisher(new Firestore({ projectId: settings.projectId, ignoreUndefinedProperties: true })),
      clock,
      logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'patterns' } }),
      settleMs: settings.settleMs,
    }),
  );
}
