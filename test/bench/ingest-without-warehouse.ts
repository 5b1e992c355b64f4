import * as ff from '@google-cloud/functions-framework';
import { ingestFunction } from '../../functions/ingest/function.ts';
import { platformWithoutWarehouse } from './discarding-warehouse.ts';

// The production ingest function (its consent reads, its learning transaction, the Firestore client as it is
// built) with a warehouse that stores nothing: separates the learning path (Firestore) from the local DuckDB
// warehouse, which production does not have (it writes to BigQuery).
const registration = await ingestFunction.create(ingestFunction.settings.load(process.env), platformWithoutWarehouse());
ff.cloudEvent('ingest', registration.handler);
