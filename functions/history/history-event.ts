import { LIMITS } from '../events/limits.ts';
import { formatDuration } from '../events/clock-skew.ts';
import { CollectedEvent, EVENT_TYPES, type EventType } from '../events/schema.ts';
import { describeIssues } from '../events/describe-issues.ts';
import { boundedJson, nestedDeeperThan } from '../kernel/untrusted-json.ts';
import { MAX_REJECTED_PAYLOAD_BYTES } from '../warehouse/rows.ts';

/** What every event of one import shares: when the import received it, and how far ahead a time may be. */
export type HistoryScope = {
  receivedAt: Date;
  /** `receivedAt` as stored. */
  receivedAtIso: string;
  /** How far `occurred_at` may lie after `sent_at`, and an event after the import's own time: collect's tolerance. */
  maxFutureSkewMs: number;
};

export type HistoryEventOutcome = { ok: true; event: CollectedEvent } | { ok: false; reason: string };

/** A rejected payload keeps the input's levels up to the nesting limit and no more than a row holds. */
export const PAYLOAD_BOUNDS = { maxDepth: LIMITS.maxNestingDepth, maxBytes: MAX_REJECTED_PAYLOAD_BYTES };

/**
 * A past event checked by the contract's rules, as collect checks one — nesting, size, the schema, the clock
 * tolerance — except the age limit, which is for delivery and not for history. The event happened at `event_time`
 * when the history says so, else at `occurred_at`: a past client clock cannot be corrected (there is no receipt of
 * it to compare with), so history is taken as written. Nothing may lie ahead of the import beyond the tolerance.
 */
export function historyEvent(raw: unknown, userId: unknown, eventTime: unknown, scope: HistoryScope): HistoryEventOutcome {
  if (nestedDeeperThan(raw, LIMITS.maxNestingDepth))
    return { ok: false, reason: `event is nested deeper than ${LIMITS.maxNestingDepth} levels` };
  const bytes = Buffer.byteLength(JSON.stringify(raw) ?? '');
  if (bytes > LIMITS.maxEventBytes) return { ok: false, reason: `event is ${bytes} bytes; the limit is ${LIMITS.maxEventBytes} bytes` };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'event must be a JSON object' };
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !EVENT_TYPES.includes(type as EventType)) {
    return {
      ok: false,
      reason: `type ${type === undefined ? 'is missing' : `${JSON.stringify(type).slice(0, 80)} is not an event type`}; expected one of ${EVENT_TYPES.join(', ')}`,
    };
  }
  const occurredAt = (raw as { occurred_at?: unknown }).occurred_at;
  const candidate = { ...raw, user_id: userId, received_at: scope.receivedAtIso, event_time: eventTime ?? occurredAt };
  const parsed = CollectedEvent.safeParse(candidate);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  const event = parsed.data;
  const ahead = Date.parse(event.occurred_at) - Date.parse(event.sent_at);
  if (ahead > scope.maxFutureSkewMs) {
    return {
      ok: false,
      reason: `occurred_at is ${formatDuration(ahead)} after sent_at; at most ${formatDuration(scope.maxFutureSkewMs)} is allowed`,
    };
  }
  const future = Date.parse(event.event_time) - scope.receivedAt.getTime();
  if (future > scope.maxFutureSkewMs)
    return { ok: false, reason: `event_time is ${formatDuration(future)} after the import; history cannot lie in the future` };
  return { ok: true, event: { ...event, event_time: new Date(event.event_time).toISOString() } };
}

/** A payload for `rejected_events`: the input as JSON, within the bounds a row keeps. */
export function rejectedPayload(raw: unknown): string {
  return boundedJson(raw, PAYLOAD_BOUNDS).text;
}
