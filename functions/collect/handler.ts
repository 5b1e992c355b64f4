import { randomUUID } from 'node:crypto';
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { LIMITS, type TimeLimits } from '../events/limits.ts';
import { MESSAGE_SCHEMA_VERSION, encodeRejectedBatch, encodeSerializedEventBatch, type RejectedEvent } from '../events/messages.ts';
import type { ClientEvent } from '../events/schema.ts';
import { authenticate, unauthenticated } from '../http/bearer-auth.ts';
import { applyCors } from '../http/cors.ts';
import { readJsonBody } from '../http/read-body.ts';
import { badRequest, retryLater, sendError, tooLarge, type ErrorReply } from '../http/reply.ts';
import { createRouter } from '../http/routes.ts';
import type { Clock, ConsentDecision, ConsentPolicy, TokenVerifier } from '../kernel/ports.ts';
import type { EventOwner } from '../identity/owner.ts';
import type { Logger } from '../logging/logger.ts';
import type { EventBus } from './ports.ts';
import { COLLECT_ROUTES, type EventsRoute } from './routes.ts';
import { createRequestScope, createValidateEventStep, type EventOutcome } from './validate-event.ts';

export type CollectDeps = {
  verifier: TokenVerifier;
  /** Whose the events are: a visitor linked to a shopper sends the shopper's. */
  owner: EventOwner;
  bus: EventBus;
  consent: ConsentPolicy<ClientEvent>;
  clock: Clock;
  logger: Logger;
  timeLimits: TimeLimits;
  corsOrigins: string[] | '*';
  newRequestId?: () => string;
};

/** What a client gets back for a request whose body was read: the per-event verdicts. */
export type CollectResponse = {
  request_id: string;
  accepted: number;
  rejected: { index: number; event_id: string | null; reason: string }[];
  /** Events the shopper's privacy settings do not allow to be tracked: answered, never stored. */
  dropped: number;
  /** Repeats of an event id already in this request, accepted once. */
  duplicates: number;
};

/**
 * `collect`: authenticate → whose events → read the body → validate each event → consent → publish → answer.
 * Each step answers with a value; only this shell writes the response. Valid events beside
 * invalid ones are still accepted; rejected events are published to their own topic to be stored.
 */
export function createCollectHandler(deps: CollectDeps): HttpFunction {
  const validate = createValidateEventStep(deps.timeLimits);
  const newRequestId = deps.newRequestId ?? randomUUID;
  const findRoute = createRouter(COLLECT_ROUTES, { preflight: true });

  return async (req: Request, res: Response) => {
    applyCors(req, res, deps.corsOrigins);
    if (req.method === 'OPTIONS') return void res.status(204).end();

    const routed = findRoute(req.method, req.path);
    if (!routed.ok) return sendError(res, routed.reply);

    // What the caches know is used as it is: each `await` costs a promise inside the framework's per-request domain.
    const authenticated = authenticate(req.get('authorization'), deps.verifier);
    const auth = authenticated instanceof Promise ? await authenticated : authenticated;
    if (!auth.ok) return sendError(res, unauthenticated(auth.reason));
    let userId: string;
    try {
      const owner = deps.owner(auth.identity);
      userId = owner instanceof Promise ? await owner : owner;
    } catch (error) {
      // Published under the visitor's id, a linked visitor's events would be decided on by the wrong settings.
      deps.logger.error('identity link could not be read', { error });
      return sendError(res, retryLater('events could not be stored right now; retry the same request'));
    }

    const body = readJsonBody(req);
    if (!body.ok) return sendError(res, body.reply);
    const items = eventsOf(body.value, routed.action);
    if (!items.ok) return sendError(res, items.reply);

    const requestId = newRequestId();
    const receivedAt = deps.clock();
    const scope = createRequestScope({
      userId,
      receivedAt,
      requestBytes: req.rawBody?.length ?? 0,
      ...(routed.action.kind === 'single' ? { routeType: routed.action.type } : {}),
    });
    const outcomes: EventOutcome[] = items.events.map((raw, index) => validate(raw, index, scope));

    const valid = outcomes.filter((o): o is Extract<EventOutcome, { kind: 'accepted' }> => o.kind === 'accepted');
    const rejected: RejectedEvent[] = outcomes.flatMap((o) => (o.kind === 'rejected' ? [o.rejected] : []));
    const duplicates = outcomes.filter((o) => o.kind === 'duplicate').length;

    let decisions: ConsentDecision[];
    try {
      const decided = deps.consent.decide(
        userId,
        valid.map((o) => o.event),
      );
      decisions = decided instanceof Promise ? await decided : decided;
    } catch (error) {
      // Without the shopper's settings nothing may be published: the client retries, as after a publish failure.
      deps.logger.error('privacy settings could not be read', { request_id: requestId, error });
      return sendError(res, retryLater('privacy settings could not be read right now; retry the same request'));
    }
    const tracked: string[] = valid.filter((_, i) => decisions[i]?.track === true).map((o) => o.json);
    const dropped = valid.length - tracked.length;

    const header = {
      schema_version: MESSAGE_SCHEMA_VERSION,
      request_id: requestId,
      user_id: userId,
      received_at: scope.receivedAtIso,
    } as const;
    try {
      const publishes = [
        ...(tracked.length ? [deps.bus.events.publish(encodeSerializedEventBatch(header, tracked))] : []),
        ...(rejected.length ? [deps.bus.rejected.publish(encodeRejectedBatch({ ...header, source: 'collect', rejected }))] : []),
      ];
      // Mostly one message: awaited alone, without Promise.all's promises.
      if (publishes.length > 0) await (publishes.length > 1 ? Promise.all(publishes) : publishes[0]);
    } catch (error) {
      // Publishing failed before Pub/Sub took the message: the client retries, and the event ids
      // make that retry safe downstream.
      deps.logger.error('publish failed', { request_id: requestId, error });
      return sendError(res, retryLater('events could not be stored right now; retry the same request'));
    }

    const answer: CollectResponse = {
      request_id: requestId,
      accepted: tracked.length,
      rejected: rejected.map(({ index, event_id, reason }) => ({ index, event_id, reason })),
      dropped,
      duplicates,
    };
    deps.logger[rejected.length ? 'warn' : 'debug']('events collected', {
      request_id: requestId,
      accepted: tracked.length,
      rejected: rejected.length,
      dropped,
      duplicates,
      reasons: rejected.slice(0, 3).map((r) => r.reason),
    });
    // Nothing accepted and something wrong: the request as a whole was bad.
    const nothingAccepted = tracked.length === 0 && dropped === 0 && duplicates === 0 && rejected.length > 0;
    res.status(nothingAccepted ? 400 : 202).json(answer);
  };
}

type EventsOutcome = { ok: true; events: unknown[] } | { ok: false; reply: ErrorReply };

function eventsOf(value: unknown, route: EventsRoute): EventsOutcome {
  if (route.kind === 'single') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, reply: badRequest('body must be one event as a JSON object') };
    }
    return { ok: true, events: [value] };
  }
  const events = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { events?: unknown }).events : undefined;
  if (!Array.isArray(events)) return { ok: false, reply: badRequest('body must be a JSON object with an "events" array') };
  if (events.length === 0) return { ok: false, reply: badRequest('"events" is empty') };
  if (events.length > LIMITS.maxEventsPerRequest) {
    return { ok: false, reply: tooLarge(`${events.length} events in one request; the limit is ${LIMITS.maxEventsPerRequest}`) };
  }
  return { ok: true, events };
}
