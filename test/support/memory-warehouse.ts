import type { CollectedEvent } from '../../functions/events/schema.ts';
import { eventKey } from '../../functions/kernel/event-identity.ts';
import type { IdentityLinkRow, LinkWarehouse, RejectedRow, RowFailure, Warehouse } from '../../functions/warehouse/ports.ts';

/** A warehouse that keeps rows in memory and can be told to fail, for tests of the ingest logic. */
export function createMemoryWarehouse() {
  const state = {
    /** The stored events by `eventKey`: one per (user_id, event_id), as the real warehouses keep them. */
    events: new Map<string, CollectedEvent>(),
    rejected: [] as RejectedRow[],
    /** Thrown by the next insert (a transient failure). */
    failNextWith: undefined as Error | undefined,
    /** Events the warehouse refuses for good, by `eventKey`, with the reason. */
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
        const reason = state.refuse.get(eventKey(event));
        if (reason) failed.push({ user_id: event.user_id, event_id: event.event_id, reason });
        else state.events.set(eventKey(event), event);
      }
      return { failed };
    },
    async insertRejected(rows) {
      state.rejected.push(...rows);
    },
  };
  return { warehouse, state };
}

/** Where `users` records links, in memory, one row per visitor as the real warehouses keep them; can be told to fail. */
export function createMemoryLinkWarehouse() {
  const state = { links: new Map<string, IdentityLinkRow>(), failNextWith: undefined as Error | undefined };
  const warehouse: LinkWarehouse = {
    async recordLink(row) {
      if (state.failNextWith) {
        const error = state.failNextWith;
        state.failNextWith = undefined;
        throw error;
      }
      if (!state.links.has(row.anonymous_id)) state.links.set(row.anonymous_id, row);
    },
  };
  return { warehouse, state };
}
