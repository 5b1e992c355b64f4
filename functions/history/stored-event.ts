import { CollectedEvent } from '../events/schema.ts';
import type { SqlRow } from '../warehouse/ports.ts';

/**
 * An event as the warehouse holds it (`imported_events.sql`, `backtest_events.sql`), whole again: the envelope from its
 * columns, `context` and `data` from their JSON. Checked by the contract once more, as anything read from outside is.
 */
export function storedEvent(row: SqlRow): CollectedEvent {
  const json = (value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : undefined);
  const context = json(row.context);
  return CollectedEvent.parse({
    event_id: row.event_id,
    type: row.type,
    user_id: row.user_id,
    session_id: row.session_id,
    occurred_at: row.occurred_at,
    sent_at: row.sent_at,
    received_at: row.received_at,
    event_time: row.event_time,
    ...(context === undefined || context === null ? {} : { context }),
    data: json(row.data),
  });
}
