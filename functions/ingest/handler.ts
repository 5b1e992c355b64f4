import type { CloudEvent, CloudEventFunction } from '@google-cloud/functions-framework';
import type { Clock } from '../kernel/ports.ts';
import type { CollectedEvent } from '../events/schema.ts';
import { EventBatchMessage, RejectedBatchMessage } from '../events/messages.ts';
import { eventKey } from '../kernel/event-identity.ts';
import { failureKind, grpcStatusName } from '../kernel/failure-kind.ts';
import type { Logger } from '../logging/logger.ts';
import type { RejectedRow, Warehouse } from '../warehouse/ports.ts';
import { rejectedMessageRow, rejectedRows } from '../warehouse/rows.ts';
import { decodeMessage, type MessagePublishedData } from './decode-message.ts';
import type { PreferenceStore, StoreConsented } from './ports.ts';
import { APPLIED_IDS_FORGOTTEN, MESSAGE_INGESTED } from './log-messages.ts';

export type IngestDeps = {
  warehouse: Warehouse;
  /** Decides consent afresh for every message, from what its transaction reads: settings may have changed since collect. */
  preferences: PreferenceStore;
  clock: Clock;
  logger: Logger;
};

/** Longest part of an error's text kept in a rejected row's reason. */
const MAX_FAILURE_TEXT = 300;

/**
 * `ingest`: one Pub/Sub message (one request's accepted events) → consent → warehouse rows → learning.
 * Returning acknowledges the message; throwing makes Pub/Sub redeliver it, so only transient
 * failures throw: one that can never succeed keeps the events it left undone as rejected, with why.
 * Order matters: the warehouse first, so a learning failure retries both and the idempotent writes
 * absorb the repeat; learning last, behind its markers. Both run in learning's transaction, between its read
 * (which decides consent) and its commit: one read and one commit a message.
 */
export function createIngestHandler(deps: IngestDeps): CloudEventFunction<MessagePublishedData> {
  return async (event: CloudEvent<MessagePublishedData>) => {
    const now = deps.clock();
    const decoded = decodeMessage(event.data, EventBatchMessage);
    if (!decoded.ok) {
      await deps.warehouse.insertRejected([
        rejectedMessageRow({ reason: decoded.reason, raw: decoded.raw, messageId: decoded.messageId, source: 'ingest', receivedAt: now }),
      ]);
      deps.logger.warn('unreadable message kept as rejected', { message_id: decoded.messageId, reason: decoded.reason });
      return;
    }
    const batch = decoded.value;
    // What the storing step last did (a contention retry runs it again): until it stored, a failure for good leaves
    // every event undone; after, those to learn from.
    const progress: { stored: Stored | null } = { stored: null };
    try {
      // Consent is decided again, in learning's transaction: settings may have changed since collect accepted the
      // events, and the shopper may have been erased since. A read that fails for now throws, so Pub/Sub redelivers.
      const store = storeConsented(deps.warehouse, batch, (stored) => (progress.stored = stored));
      const outcome = await deps.preferences.apply(batch.user_id, batch.events, now, store);
      const counts = progress.stored ?? { allowed: [], refused: 0, stored: [], toLearn: [] };
      deps.logger.info(MESSAGE_INGESTED, {
        message_id: decoded.messageId,
        request_id: batch.request_id,
        events: batch.events.length,
        not_consented: batch.events.length - counts.allowed.length,
        ...(outcome.erased ? { erased: outcome.erased } : {}),
        refused_by_warehouse: counts.refused,
        not_learned: counts.stored.length - counts.toLearn.length,
        learned: outcome.applied,
        already_learned: outcome.alreadyApplied,
        firestore_writes: outcome.writes,
        lag_ms: now.getTime() - Date.parse(batch.received_at),
      });
      // Exactly-once for this shopper now reaches back less far than the marks' lifetime: worth an alert.
      if (outcome.forgottenIds)
        deps.logger.warn(APPLIED_IDS_FORGOTTEN, { message_id: decoded.messageId, forgotten_ids: outcome.forgottenIds });
    } catch (error) {
      if (failureKind(error) === 'transient') throw error;
      const undone = progress.stored ? { step: 'learning', events: progress.stored.toLearn } : { step: 'ingest', events: batch.events };
      const reason = `${undone.step} failed for good: ${describeFailure(error)}`;
      await deps.warehouse.insertRejected(undone.events.map((event) => rejectedEventRow(batch, batch.events.indexOf(event), reason)));
      deps.logger.error('message can never be ingested; its events are kept as rejected', {
        message_id: decoded.messageId,
        request_id: batch.request_id,
        step: undone.step,
        events: undone.events.length,
        code: grpcStatusName(error),
      });
    }
  };
}

/** What the storing step did with one message's events. */
type Stored = { allowed: CollectedEvent[]; refused: number; stored: CollectedEvent[]; toLearn: CollectedEvent[] };

/**
 * The storing step of one message, run in learning's transaction once consent is decided: the tracked events into the
 * warehouse, rows it refuses for good kept as rejected; answers the events stored, which learning takes. `done` is told
 * what it did, and told null when it starts again.
 */
function storeConsented(warehouse: Warehouse, batch: EventBatchMessage, done: (stored: Stored | null) => void): StoreConsented {
  return async (decisions) => {
    done(null);
    const learnable = new Set<string>();
    const allowed = batch.events.filter((event, i) => {
      const decision = decisions[i];
      if (decision?.track !== true) return false;
      if (decision.learn) learnable.add(eventKey(event));
      return true;
    });
    const { failed } = allowed.length ? await warehouse.insertEvents(allowed, batch.request_id) : { failed: [] };
    if (failed.length) {
      const indexOf = new Map(batch.events.map((e, i) => [eventKey(e), i]));
      await warehouse.insertRejected(
        failed.map((f) => rejectedEventRow(batch, indexOf.get(eventKey(f)) ?? -1, `warehouse refused the row: ${f.reason}`)),
      );
    }
    const refusedIds = new Set(failed.map(eventKey));
    const stored = allowed.filter((e) => !refusedIds.has(eventKey(e)));
    // Kept in the warehouse either way; learned from only when the shopper lets us learn (and marked either way).
    const toLearn = stored.filter((e) => learnable.has(eventKey(e)));
    done({ allowed, refused: failed.length, stored, toLearn });
    return stored;
  };
}

function rejectedEventRow(batch: EventBatchMessage, index: number, reason: string): RejectedRow {
  const event = batch.events[index];
  return {
    request_id: batch.request_id,
    event_index: index,
    event_id: event?.event_id ?? null,
    type: event?.type ?? null,
    user_id: batch.user_id,
    reason,
    payload: JSON.stringify(event ?? null),
    source: 'ingest',
    received_at: batch.received_at,
  };
}

function describeFailure(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, MAX_FAILURE_TEXT);
}

/** `storeRejected`: rejected events published by collect → the `rejected_events` table. */
export function createStoreRejectedHandler(
  deps: Pick<IngestDeps, 'warehouse' | 'clock' | 'logger'>,
): CloudEventFunction<MessagePublishedData> {
  return async (event: CloudEvent<MessagePublishedData>) => {
    const decoded = decodeMessage(event.data, RejectedBatchMessage);
    const rows = decoded.ok
      ? rejectedRows(decoded.value)
      : [
          rejectedMessageRow({
            reason: decoded.reason,
            raw: decoded.raw,
            messageId: decoded.messageId,
            source: 'store-rejected',
            receivedAt: deps.clock(),
          }),
        ];
    await deps.warehouse.insertRejected(rows);
    deps.logger.info('rejected events stored', { message_id: decoded.messageId, rows: rows.length });
  };
}
