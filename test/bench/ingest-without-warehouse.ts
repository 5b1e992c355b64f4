import * as ff from '@google-cloud/functions-framework';
import { Firestore } from '@google-cloud/firestore';
import { trackEverything } from '../../functions/collect/consent.ts';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { loadIngestSettings } from '../../functions/config.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createLogger } from '../../functions/logging/logger.ts';
import type { Warehouse } from '../../functions/warehouse/ports.ts';

// ingest with a warehouse that stores nothing: separates the learning path (Firestore) from the
// local DuckDB warehouse, which production does not have (it writes to BigQuery).
const settings = loadIngestSettings(process.env);
const discard: Warehouse = { insertEvents: async () => ({ failed: [] }), insertRejected: async () => undefined };
ff.cloudEvent(
  'ingest',
  createIngestHandler({
    warehouse: discard,
    preferences: createFirestorePreferenceStore(new Firestore({ projectId: settings.projectId, ignoreUndefinedProperties: true }), {
      learn,
      markerTtlDays: settings.markerTtlDays,
    }),
    consent: trackEverything,
    clock: () => new Date(),
    logger: createLogger({ minSeverity: settings.logLevel, labels: { function: 'ingest' } }),
  }),
);
