import * as ff from '@google-cloud/functions-framework';
import { ingestFunction } from '../../functions/ingest/function.ts';
import { createPlatform } from '../../functions/platform.ts';
import type { LinkWarehouse, Warehouse } from '../../functions/warehouse/ports.ts';

// The production ingest function (its consent reads, its learning transaction, the Firestore client as it is
// built) with a warehouse that stores nothing: separates the learning path (Firestore) from the local DuckDB
// warehouse, which production does not have (it writes to BigQuery).
const discard: Warehouse & LinkWarehouse = {
  insertEvents: async () => ({ failed: [] }),
  insertRejected: async () => undefined,
  recordLink: async () => undefined,
};
const platform = { ...createPlatform(), eventWarehouse: async () => discard };
const registration = await ingestFunction.create(ingestFunction.settings.load(process.env), platform);
ff.cloudEvent('ingest', registration.handler);
