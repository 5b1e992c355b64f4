import { LIMITS, type TimeLimits } from '../events/limits.ts';
import { ClientEvent, EVENT_TYPES, type EventType } from '../events/schema.ts';
import { correctClockSkew } from '../events/clock-skew.ts';
import { describeIssues } from '../events/describe-issues.ts';
import { matchesEventSchema } from '../events/event-validator.ts';
import type { RejectedEvent } from '../events/messages.ts';
import { boundedJson, nestedDeeperThan } from '../kernel/untrusted-json.ts';
import { MAX_REJECTED_PAYLOAD_BYTES } from '../warehouse/rows.ts';

export type EventOutcome =
  /** `json` is the event as published: the client's fields, then the server's (a `CollectedEvent`). */
  | { kind: 'accepted'; index: number; event: ClientEvent; json: string }
  | { kind: 'duplicate'; index: number; eventId: string }
  | { kind: 'rejected'; rejected: RejectedEvent };

export type RequestScope = {
  receivedAt: Date;
  /** `receivedAt` as stored, formatted once per request rather than once per event. */
  receivedAtIso: string;
  /** The server's fields as JSON up to the opening quote of `event_time`, written once per request. */
  serverFieldsJson: string;
  /** Event ids already accepted in this request: a repeated id is accepted once. */
  seen: Set<string>;
  /** Set on single-event routes: the route decides the type. */
  routeType?: EventType;
  /** Size of the whole request body: when it is within the per-event limit, no event can exceed it. */
  requestBytes: number;
};

export function createRequestScope(request: {
  userId: string;
  receivedAt: Date;
  requestBytes: number;
  routeType?: EventType;
}): RequestScope {
  const receivedAtIso = request.receivedAt.toISOString();
  return {
    receivedAt: request.receivedAt,
    receivedAtIso,
    serverFieldsJson: `,"user_id":${JSON.stringify(request.userId)},"received_at":"${receivedAtIso}","event_time":"`,
    seen: new Set<string>(),
    requestBytes: request.requestBytes,
    ...(request.routeType ? { routeType: request.routeType } : {}),
  };
}

export type ValidateEventStep = (raw: unknown, index: number, scope: RequestScope) => EventOutcome;

/** The rejected payload keeps the event's levels up to the nesting limit and no more than a row holds. */
const PAYLOAD_BOUNDS = { maxDepth: LIMITS.maxNestingDepth, maxBytes: MAX_REJECTED_PAYLOAD_BYTES };

/**
 * Schema, size, duplicate and time checks for one event, then the server's fields. The validator compiled from the
 * published schema accepts exactly what zod accepts (test/events/event-validator.property.test.ts) at a fifth of
 * its cost, so a valid event skips zod; anything it refuses takes the full path below, whose checks and zod's
 * messages say why.
 */
export function createValidateEventStep(timeLimits: TimeLimits): ValidateEventStep {
  const accept = createAcceptStep(timeLimits);
  return (raw, index, scope) => {
    const candidate = withRouteType(raw, scope.routeType);
    if (candidate !== null && matchesEventSchema(candidate)) {
      // zod's only change to a valid event is trimming labels: an event without padded text is its own output.
      const event = hasPaddedText(candidate)
        ? ClientEvent.safeParse(candidate)
        : { success: true as const, data: candidate as ClientEvent };
      if (event.success) return accept(raw, event.data, index, scope, { sizeChecked: false });
    }
    return checkEachRule(raw, index, scope, accept);
  };
}

type AcceptStep = (raw: unknown, event: ClientEvent, index: number, scope: RequestScope, options: { sizeChecked: boolean }) => EventOutcome;

/**
 * Nesting first, as every later step (serializing included) recurses through the event; size next, so an oversized
 * event is never parsed; then the type, zod, and what accepting checks.
 */
function checkEachRule(raw: unknown, index: number, scope: RequestScope, accept: AcceptStep): EventOutcome {
  const reject = (reason: string) => rejected(raw, index, reason);
  if (nestedDeeperThan(raw, LIMITS.maxNestingDepth)) return reject(`event is nested deeper than ${LIMITS.maxNestingDepth} levels`);
  if (scope.requestBytes > LIMITS.maxEventBytes) {
    const bytes = Buffer.byteLength(JSON.stringify(raw) ?? '');
    if (bytes > LIMITS.maxEventBytes) return reject(tooLargeReason(bytes));
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return reject('event must be a JSON object');

  const candidate = raw as Record<string, unknown>;
  if (scope.routeType) {
    if (candidate.type !== undefined && candidate.type !== scope.routeType) {
      return reject(
        `type ${typeof candidate.type === 'string' ? JSON.stringify(candidate.type) : `(a ${typeof candidate.type})`} does not match this route, which takes ${scope.routeType}`,
      );
    }
  } else if (typeof candidate.type !== 'string' || !EVENT_TYPES.includes(candidate.type as EventType)) {
    return reject(
      candidate.type === undefined
        ? `type is missing; expected one of ${EVENT_TYPES.join(', ')}`
        : `type ${JSON.stringify(candidate.type).slice(0, 80)} is not an event type; expected one of ${EVENT_TYPES.join(', ')}`,
    );
  }

  const parsed = ClientEvent.safeParse(withRouteType(raw, scope.routeType));
  if (!parsed.success) return reject(describeIssues(parsed.error));
  return accept(raw, parsed.data, index, scope, { sizeChecked: true });
}

/**
 * A valid event's size, duplicate and time checks, and its JSON as published. The event is serialized once, for
 * both: its size is the received event's, bounded by three bytes a UTF-16 unit and counted only past that bound.
 */
function createAcceptStep(timeLimits: TimeLimits): AcceptStep {
  return (raw, event, index, scope, { sizeChecked }) => {
    const json = JSON.stringify(event);
    if (!sizeChecked && scope.requestBytes > LIMITS.maxEventBytes) {
      const received = event === raw ? json : (JSON.stringify(raw) ?? '');
      const bytes = received.length * 3 <= LIMITS.maxEventBytes ? 0 : Buffer.byteLength(received);
      if (bytes > LIMITS.maxEventBytes) return rejected(raw, index, tooLargeReason(bytes));
    }

    if (scope.seen.has(event.event_id)) return { kind: 'duplicate', index, eventId: event.event_id };

    const time = correctClockSkew(event.occurred_at, event.sent_at, scope.receivedAt, timeLimits);
    if (!time.ok) return rejected(raw, index, time.reason);

    scope.seen.add(event.event_id);
    const eventTime = time.eventTime.getTime() === scope.receivedAt.getTime() ? scope.receivedAtIso : time.eventTime.toISOString();
    return { kind: 'accepted', index, event, json: `${json.slice(0, -1)}${scope.serverFieldsJson}${eventTime}"}` };
  };
}

function rejected(raw: unknown, index: number, reason: string): EventOutcome {
  return {
    kind: 'rejected',
    rejected: {
      index,
      event_id: stringField(raw, 'event_id'),
      type: stringField(raw, 'type'),
      reason,
      payload: boundedJson(raw, PAYLOAD_BOUNDS).text,
    },
  };
}

const tooLargeReason = (bytes: number) => `event is ${bytes} bytes; the limit is ${LIMITS.maxEventBytes} bytes`;

/**
 * On a single-event route the body may leave out `type`; the route supplies it. Null when `raw` is not an object
 * or names another type than the route's, which only the full path answers.
 */
function withRouteType(raw: unknown, routeType: EventType | undefined): Record<string, unknown> | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const event = raw as Record<string, unknown>;
  if (!routeType || event.type === routeType) return event;
  return event.type === undefined ? { ...event, type: routeType } : null;
}

/**
 * Whether any string in a valid event (at most five levels deep, so recursion is safe) starts or ends with white
 * space, i.e. whether trimming could change it. Only an ASCII control or space, or a non-ASCII character, at an end
 * needs `trim` to decide.
 */
function hasPaddedText(value: unknown): boolean {
  if (typeof value === 'string') {
    const first = value.charCodeAt(0);
    const last = value.charCodeAt(value.length - 1);
    return (first <= 32 || first >= 127 || last <= 32 || last >= 127) && value.trim() !== value;
  }
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(hasPaddedText);
  for (const key in value) if (hasPaddedText((value as Record<string, unknown>)[key])) return true;
  return false;
}

function stringField(raw: unknown, key: string): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const value = (raw as Record<string, unknown>)[key];
  return typeof value === 'string' ? value.slice(0, LIMITS.maxIdLength) : null;
}
