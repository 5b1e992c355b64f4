import type { CloudEvent, CloudEventFunction } from '@google-cloud/functions-framework';
import type { ConsentPolicy, Clock } from '../kernel/ports.ts';
import type { CollectedEvent } from '../events/schema.ts';
import { EventBatchMessage, RejectedBatchMessage } from '../events/messages.ts';
import { eventKey } from '../kernel/event-identity.ts';
import { failureKind, grpcStatusName } from '../kernel/failure-kind.ts';
import type { Logger } from '../logging/logger.ts';
import type { RejectedRow, Warehouse } from '../warehouse/ports.ts';
import { rejectedMessageRow, rejectedRows } from '../warehouse/rows.ts';
import { decodeMessage, type MessagePublishedData } from './decode-message.ts';
import type { PreferenceStore } from './ports.ts';
import { APPLIED_IDS_FORGOTTEN, MESSAGE_INGESTED } from './log-messages.ts';

export type IngestDeps = {
  warehouse: Warehouse;
  preferences: PreferenceStore;
  /** Read afresh for every message (see `createIngestConsent`): settings may have changed since collect. */
  consent: ConsentPolicy<CollectedEvent>;
  clock: Clock;
  logger: Logger;
};

/** Longest part of an error's text kept in a rejected row's reason. */
const MAX_FAILURE_TEXT = 300;

/**
 * `ingest`: one Pub/Sub message (one request's accepted events) → warehouse rows → learning.
 * Returning acknowledges the message; throwing makes Pub/Sub redeliver it, so only transient
 * failures throw: one that can never succeed keeps the events it left undone as rejected, with why.
 * Order matters: the warehouse first, so a learning failure retries both and the idempotent writes
 * absorb the repeat; learning last, behind its markers.
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
    // What a failure for good leaves undone: every event until they are stored, then those to learn from.
    let undone: { step: 'ingest' | 'learning'; events: readonly CollectedEvent[] } = { step: 'ingest', events: batch.events };
    try {
      // Consent is checked again here: settings may have changed since collect accepted the events,
      // and the shopper may have been erased since. A read that fails for now throws, so Pub/Sub redelivers.
      const decisions = await deps.consent.decide(batch.user_id, batch.events);
      const learnable = new Set<string>();
      const allowed = batch.events.filter((event, i) => {
        const decision = decisions[i];
        if (decision?.track !== true) return false;
        if (decision.learn) learnable.add(eventKey(event));
        return true;
      });

      const { failed } = allowed.length ? await deps.warehouse.insertEvents(allowed, batch.request_id) : { failed: [] };
      if (failed.length) {
        const indexOf = new Map(batch.events.map((e, i) => [eventKey(e), i]));
        const refused = failed.map((f) =>
          rejectedEventRow(batch, indexOf.get(eventKey(f)) ?? -1, `warehouse refused the row: ${f.reason}`),
        );
        await deps.warehouse.insertRejected(refused);
      }
      const refusedIds = new Set(failed.map(eventKey));
      const stored = allowed.filter((e) => !refusedIds.has(eventKey(e)));
      // Kept in the warehouse either way; learned from only when the shopper lets us learn.
      const toLearn = stored.filter((e) => learnable.has(eventKey(e)));

      undone = { step: 'learning', events: toLearn };
      const outcome = toLearn.length
        ? await deps.preferences.apply(batch.user_id, toLearn, now)
        : { applied: 0, alreadyApplied: 0, writes: 0 };
      deps.logger.info(MESSAGE_INGESTED, {
        message_id: decoded.messageId,
        request_id: batch.request_id,
        events: batch.events.length,
        not_consented: batch.events.length - allowed.length,
        refused_by_warehouse: failed.length,
        not_learned: stored.length - toLearn.length,
        learned: outcome.applied,
        already_learned: outcome.alreadyApplied,
        ...(outcome.erased ? { erased_since_consent: outcome.erased } : {}),
        firestore_writes: outcome.writes,
        lag_ms: now.getTime() - Date.parse(batch.received_at),
      });
      // Exactly-once for this shopper now reaches back less far than the marks' lifetime: worth an alert.
      if (outcome.forgottenIds)
        deps.logger.warn(APPLIED_IDS_FORGOTTEN, { message_id: decoded.messageId, forgotten_ids: outcome.forgottenIds });
    } catch (error) {
      if (failureKind(error) === 'transient') throw error;
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
