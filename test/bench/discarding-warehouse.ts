import { createPlatform } from '../../functions/platform.ts';
import type { LinkWarehouse, Warehouse } from '../../functions/warehouse/ports.ts';

/** A warehouse that stores nothing: the ingest benches measure the learning path (Firestore) without the local DuckDB file. */
const discard: Warehouse & LinkWarehouse = {
  insertEvents: async () => ({ failed: [] }),
  insertRejected: async () => undefined,
  recordLink: async () => undefined,
};

/** The production platform, every client built as it is, but with `discard` as the event warehouse. */
export function platformWithoutWarehouse(): ReturnType<typeof createPlatform> {
  return { ...createPlatform(), eventWarehouse: async () => discard };
}
