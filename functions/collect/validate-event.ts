import { LIMITS, type TimeLimits } from '../events/limits.ts';
import { ClientEvent, EVENT_TYPES, type CollectedEvent, type EventType } from '../events/schema.ts';
import { correctClockSkew } from '../events/clock-skew.ts';
import { describeIssues } from '../events/describe-issues.ts';
import type { RejectedEvent } from '../events/messages.ts';
import { boundedJson, nestedDeeperThan } from '../kernel/untrusted-json.ts';
import { MAX_REJECTED_PAYLOAD_BYTES } from '../warehouse/rows.ts';

export type EventOutcome =
  | { kind: 'accepted'; index: number; event: CollectedEvent }
  | { kind: 'duplicate'; index: number; eventId: string }
  | { kind: 'rejected'; rejected: RejectedEvent };

export type RequestScope = {
  userId: string;
  receivedAt: Date;
  /** `receivedAt` as stored, formatted once per request rather than once per event. */
  receivedAtIso: string;
  /** Event ids already accepted in this request: a repeated id is accepted once. */
  seen: Set<string>;
  /** Set on single-event routes: the route decides the type. */
  routeType?: EventType;
  /** Size of the whole request body: when it is within the per-event limit, no event can exceed it. */
  requestBytes: number;
};

export type ValidateEventStep = (raw: unknown, index: number, scope: RequestScope) => EventOutcome;

/** The rejected payload keeps the event's levels up to the nesting limit and no more than a row holds. */
const PAYLOAD_BOUNDS = { maxDepth: LIMITS.maxNestingDepth, maxBytes: MAX_REJECTED_PAYLOAD_BYTES };

/**
 * Nesting, schema, size and time checks for one event, then the server's fields. Order matters:
 * nesting first, as every later step (serializing included) recurses through the event; size next,
 * so an oversized event is never parsed; the clock check last, as it needs the parsed times.
 */
export function createValidateEventStep(timeLimits: TimeLimits): ValidateEventStep {
  return (raw, index, scope) => {
    const reject = (reason: string): EventOutcome => ({
      kind: 'rejected',
      rejected: { index, event_id: stringField(raw, 'event_id'), type: stringField(raw, 'type'), reason, payload: boundedJson(raw, PAYLOAD_BOUNDS).text },
    });

    if (nestedDeeperThan(raw, LIMITS.maxNestingDepth)) return reject(`event is nested deeper than ${LIMITS.maxNestingDepth} levels`);
    if (scope.requestBytes > LIMITS.maxEventBytes) {
      const bytes = Buffer.byteLength(JSON.stringify(raw) ?? '');
      if (bytes > LIMITS.maxEventBytes) return reject(`event is ${bytes} bytes; the limit is ${LIMITS.maxEventBytes} bytes`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return reject('event must be a JSON object');

    let candidate: Record<string, unknown> = raw as Record<string, unknown>;
    if (scope.routeType) {
      if (candidate.type === undefined) candidate = { ...candidate, type: scope.routeType };
      else if (candidate.type !== scope.routeType) {
        return reject(`type ${typeof candidate.type === 'string' ? JSON.stringify(candidate.type) : `(a ${typeof candidate.type})`} does not match this route, which takes ${scope.routeType}`);
      }
    } else if (typeof candidate.type !== 'string' || !EVENT_TYPES.includes(candidate.type as EventType)) {
      return reject(
        candidate.type === undefined
          ? `type is missing; expected one of ${EVENT_TYPES.join(', ')}`
          : `type ${JSON.stringify(candidate.type).slice(0, 80)} is not an event type; expected one of ${EVENT_TYPES.join(', ')}`,
      );
    }

    const parsed = ClientEvent.safeParse(candidate);
    if (!parsed.success) return reject(describeIssues(parsed.error));
    const event = parsed.data;

    if (scope.seen.has(event.event_id)) return { kind: 'duplicate', index, eventId: event.event_id };

    const time = correctClockSkew(event.occurred_at, event.sent_at, scope.receivedAt, timeLimits);
    if (!time.ok) return reject(time.reason);

    scope.seen.add(event.event_id);
    return {
      kind: 'accepted',
      index,
      event: {
        ...event,
        user_id: scope.userId,
        received_at: scope.receivedAtIso,
        event_time: time.eventTime.toISOString(),
      },
    };
  };
}

function stringField(raw: unknown, key: string): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const value = (raw as Record<string, unknown>)[key];
  return typeof value === 'string' ? value.slice(0, LIMITS.maxIdLength) : null;
}
