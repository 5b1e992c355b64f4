import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { decodeJwt } from 'jose';
import { describeIssues } from '../events/describe-issues.ts';
import { badRequest, retryLater, sendError, sendReply, type Reply } from '../http/reply.ts';
import { createRouter, type Route } from '../http/routes.ts';
import type { Clock } from '../kernel/ports.ts';
import { ShopperId } from '../kernel/shopper-id.ts';
import { learningStatus } from '../learn/learning-status.ts';
import type { PreferenceDocumentReader } from '../learn/preference-document.ts';
import type { Logger } from '../logging/logger.ts';
import type { ErasureRequest, ErasureStore, PrivacyStore } from '../privacy/ports.ts';
import type { UserHasher } from '../privacy/user-hash.ts';
import type { SqlWarehouse } from '../warehouse/ports.ts';
import { DashboardQuery, dashboardWindow, readDashboard } from './dashboard-data.ts';
import { renderDashboardPage } from './dashboard-page.ts';

export type OperatorsDeps = {
  erasures: Pick<ErasureStore, 'request' | 'get'>;
  /** A shopper's preference document, for their learning status. */
  documents: PreferenceDocumentReader;
  /** A shopper's settings (from their tombstone once erased): whether learning is on. */
  privacy: Pick<PrivacyStore, 'read'>;
  /** The keyed hash the log names a shopper by. */
  hashUser: UserHasher;
  /** The dashboard's queries: BigQuery, or DuckDB locally. */
  warehouse: Pick<SqlWarehouse, 'query'>;
  clock: Clock;
  logger: Logger;
};

type Call = { req: Request; params: Readonly<Record<string, string>>; operator: string; deps: OperatorsDeps };
/** `what` names what the route serves, in the answer and the log line of a failure. */
type OperatorsRoute = Route<(call: Call) => Promise<Reply>> & { what: string };

const ROUTES: readonly OperatorsRoute[] = [
  { path: '/v1/users/:userId/learning-data', what: 'erasure requests', methods: { DELETE: eraseForShopper } },
  { path: '/v1/users/:userId/learning-status', what: 'learning status', methods: { GET: readLearningStatus } },
  { path: '/v1/erasures/:requestId', what: 'erasure requests', methods: { GET: erasureStatus } },
  { path: '/dashboard', what: 'the dashboard', methods: { GET: dashboardPage } },
  { path: '/v1/dashboard/data', what: 'the dashboard', methods: { GET: dashboardData } },
];

/**
 * `operators`: what support staff may do for a shopper who cannot (a written request, a closed
 * account), and the loop's dashboard. `DELETE /v1/users/{userId}/learning-data` files an erasure
 * request as the shopper's own route does, `requested_by: 'operator'`; `GET /v1/erasures/{requestId}`
 * shows any request; `GET /v1/users/{userId}/learning-status` answers what the shopper's own route
 * does; `GET /dashboard` is the dashboard page and `GET /v1/dashboard/data` its data.
 *
 * Internal: in production only the operators' Google accounts hold the invoker role, and Cloud Run
 * checks the caller's Google identity token before a request reaches this code. So the code verifies
 * no token; the operator's identity it reads (`X-Goog-Authenticated-User-Email`, else the token's
 * `email` claim) is for the log only and decides nothing. The log names the request and the user's
 * keyed hash, never the shopper's id.
 */
export function createOperatorsHandler(deps: OperatorsDeps): HttpFunction {
  const findRoute = createRouter(ROUTES);
  return async (req: Request, res: Response) => {
    res.set('Cache-Control', 'private, no-store');
    const routed = findRoute(req.method, req.path);
    if (!routed.ok) return sendError(res, routed.reply);
    const { route, action, params } = routed;
    const operator = operatorOf(req);
    try {
      sendReply(res, await action({ req, params, operator, deps }));
    } catch (error) {
      // Only the stores and the warehouse throw, and only when Firestore or BigQuery does: the operator may retry.
      deps.logger.error('operators request failed', { method: req.method, route: route.what, operator, error });
      sendError(res, retryLater(`${route.what} could not be reached right now; retry`));
    }
  };
}

async function eraseForShopper({ params, operator, deps }: Call): Promise<Reply> {
  const userId = params.userId ?? '';
  const malformed = malformedShopperId(userId);
  if (malformed) return malformed;
  const request = await deps.erasures.request(userId, 'operator', deps.clock());
  deps.logger.info('erasure requested by an operator', { operator, request_id: request.request_id, user_hash: request.user_hash });
  const statusUrl = `/v1/erasures/${encodeURIComponent(request.request_id)}`;
  const { request_id, user_hash, state, requested_by, requested_at } = request;
  return {
    status: 202,
    body: { request_id, user_hash, state, requested_by, requested_at, status_url: statusUrl },
    headers: { Location: statusUrl },
  };
}

/** A request id that is no UUID names no request: the store answers null without asking Firestore. */
async function erasureStatus({ params, operator, deps }: Call): Promise<Reply> {
  const requestId = params.requestId ?? '';
  const found = await deps.erasures.get(requestId);
  if (!found) return { status: 404, code: 'not_found', message: `no erasure request ${requestId}` };
  deps.logger.info('erasure request read by an operator', { operator, request_id: found.request_id, user_hash: found.user_hash });
  return { status: 200, body: erasureView(found) };
}

/** The shopper's learning status, as their own route answers it: a shopper with no document is `not_started`, never 404. */
async function readLearningStatus({ params, operator, deps }: Call): Promise<Reply> {
  const userId = params.userId ?? '';
  const malformed = malformedShopperId(userId);
  if (malformed) return malformed;
  const [document, privacy] = await Promise.all([deps.documents.read(userId), deps.privacy.read(userId)]);
  deps.logger.info('learning status read by an operator', { operator, user_hash: deps.hashUser(userId) });
  return {
    status: 200,
    body: learningStatus(userId, { learned: document?.learned ?? null, patterns: document?.patterns ?? null, privacy }, deps.clock()),
  };
}

async function dashboardPage({ req, deps }: Call): Promise<Reply> {
  const query = DashboardQuery.safeParse(req.query);
  if (!query.success) return badRequest(describeIssues(query.error));
  const html = renderDashboardPage(await readDashboard(deps.warehouse, dashboardWindow(deps.clock(), query.data)));
  return {
    status: 200,
    html,
    // Inline SVG and one style sheet: the page needs no script and loads nothing.
    headers: {
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    },
  };
}

async function dashboardData({ req, deps }: Call): Promise<Reply> {
  const query = DashboardQuery.safeParse(req.query);
  if (!query.success) return badRequest(describeIssues(query.error));
  return { status: 200, body: await readDashboard(deps.warehouse, dashboardWindow(deps.clock(), query.data)) };
}

/** Any id a token may carry is a shopper's (`a/b` too); anything else could not be one, and is refused before a store sees it. */
function malformedShopperId(userId: string): Reply | null {
  const parsed = ShopperId.safeParse(userId);
  return parsed.success ? null : badRequest(`user id ${describeIssues(parsed.error)}`);
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
