import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { decodeJwt } from 'jose';
import type { Clock } from '../collect/ports.ts';
import type { Logger } from '../logging/logger.ts';
import type { ErasureRequest, ErasureStore } from '../privacy/ports.ts';

export type OperatorsDeps = {
  erasures: Pick<ErasureStore, 'request' | 'get'>;
  clock: Clock;
  logger: Logger;
};

type Reply = { status: number; body: unknown; headers?: Record<string, string> };
type Method = 'GET' | 'DELETE';
type Route = { path: RegExp; methods: Partial<Record<Method, (param: string, operator: string, deps: OperatorsDeps) => Promise<Reply>>> };

const ROUTES: readonly Route[] = [
  { path: /^\/v1\/users\/([^/]+)\/learning-data$/, methods: { DELETE: eraseForShopper } },
  { path: /^\/v1\/erasures\/([^/]+)$/, methods: { GET: erasureStatus } },
];

/**
 * `operators`: what support staff may do for a shopper who cannot (a written request, a closed
 * account). `DELETE /v1/users/{userId}/learning-data` files an erasure request as the shopper's own
 * route does, `requested_by: 'operator'`; `GET /v1/erasures/{requestId}` shows any request.
 *
 * Internal: in production only the operators' Google accounts hold the invoker role, and Cloud Run
 * checks the caller's Google identity token before a request reaches this code. So the code verifies
 * no token; the operator's identity it reads (`X-Goog-Authenticated-User-Email`, else the token's
 * `email` claim) is for the log only and decides nothing. The log names the request and the user's
 * keyed hash, never the shopper's id.
 */
export function createOperatorsHandler(deps: OperatorsDeps): HttpFunction {
  return async (req: Request, res: Response) => {
    res.set('Cache-Control', 'private, no-store');
    const matched = resolveRoute(req.path);
    if (!matched) return send(res, failure(404, 'not_found', `no route ${req.path}`));
    const action = matched.route.methods[req.method as Method];
    if (!action) {
      const allow = Object.keys(matched.route.methods).join(', ');
      return send(res, failure(405, 'method_not_allowed', `${req.method} is not allowed; use ${allow}`, { Allow: allow }));
    }
    const operator = operatorOf(req);
    try {
      send(res, await action(matched.param, operator, deps));
    } catch (error) {
      // Only the store throws, and only when Firestore does: the operator may retry.
      deps.logger.error('operators request failed', { method: req.method, operator, error });
      send(res, failure(503, 'unavailable', 'erasure requests could not be reached right now; retry', { 'Retry-After': '1' }));
    }
  };
}

async function eraseForShopper(userId: string, operator: string, deps: OperatorsDeps): Promise<Reply> {
  const request = await deps.erasures.request(userId, 'operator', deps.clock());
  deps.logger.info('erasure requested by an operator', { operator, request_id: request.request_id, user_hash: request.user_hash });
  const statusUrl = `/v1/erasures/${encodeURIComponent(request.request_id)}`;
  const { request_id, user_hash, state, requested_by, requested_at } = request;
  return { status: 202, body: { request_id, user_hash, state, requested_by, requested_at, status_url: statusUrl }, headers: { Location: statusUrl } };
}

async function erasureStatus(requestId: string, operator: string, deps: OperatorsDeps): Promise<Reply> {
  const found = await deps.erasures.get(requestId);
  if (!found) return failure(404, 'not_found', `no erasure request ${requestId}`);
  deps.logger.info('erasure request read by an operator', { operator, request_id: found.request_id, user_hash: found.user_hash });
  return { status: 200, body: erasureView(found) };
}

/** Field by field, so a store that also holds the user id (a pending request) never shows it. */
function erasureView(request: ErasureRequest): ErasureRequest {
  const { request_id, user_hash, state, requested_by, requested_at, completed_at, attempts, rows_deleted, last_error } = request;
  return { request_id, user_hash, state, requested_by, requested_at, completed_at, attempts, rows_deleted, last_error };
}

/**
 * Who called, for the log: IAP's header (`accounts.google.com:alice@shop.example`) when a proxy set
 * it, else the `email` of the identity token Cloud Run has already verified. Read, never verified or
 * trusted here; at most 256 printable characters.
 */
export function operatorOf(req: Request): string {
  const header = req.get('x-goog-authenticated-user-email');
  let who = header?.replace(/^accounts\.google\.com:/, '');
  if (!who) {
    const token = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    try {
      const email = token ? decodeJwt(token).email : undefined;
      if (typeof email === 'string') who = email;
    } catch {
      // Not a JWT: nobody to name.
    }
  }
  return who ? who.replace(/[^\x20-\x7e]/g, '?').slice(0, 256) : 'unknown';
}

function resolveRoute(path: string): { route: Route; param: string } | null {
  const normalized = path.replace(/\/+$/, '');
  for (const route of ROUTES) {
    const match = route.path.exec(normalized);
    if (!match?.[1]) continue;
    try {
      return { route, param: decodeURIComponent(match[1]) };
    } catch {
      return null; // a malformed %-escape names nothing
    }
  }
  return null;
}

function failure(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

function send(res: Response, reply: Reply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.set(name, value);
  res.status(reply.status).json(reply.body);
}
