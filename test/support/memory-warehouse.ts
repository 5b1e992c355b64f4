import type { CollectedEvent } from '../../functions/events/schema.ts';
import type { RejectedRow, RowFailure, Warehouse } from '../../functions/warehouse/ports.ts';

/** A warehouse that keeps rows in memory and can be told to fail, for tests of the ingest logic. */
export function createMemoryWarehouse() {
  const state = {
    events: new Map<string, CollectedEvent>(),
    rejected: [] as RejectedRow[],
    /** Thrown by the next insert (a transient failure). */
    failNextWith: undefined as Error | undefined,
    /** Event ids the warehouse refuses for good. */
    refuse: new Map<string, string>(),
  };
  const warehouse: Warehouse = {
    async insertEvents(events) {
      if (state.failNextWith) {
        const error = state.failNextWith;
        state.failNextWith = undefined;
        throw error;
      }
      const failed: RowFailure[] = [];
      for (const event of events) {
        const reason = state.refuse.get(event.event_id);
        if (reason) failed.push({ event_id: event.event_id, reason });
        else state.events.set(event.event_id, event);
      }
      return { failed };
    },
    async insertRejected(rows) {
      state.rejected.push(...rows);
    },
  };
  return { warehouse, state };
}
