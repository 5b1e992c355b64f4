import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { describeIssues } from '../events/describe-issues.ts';
import { authenticate, unauthenticated } from '../http/bearer-auth.ts';
import { applyCors } from '../http/cors.ts';
import { readJsonBody, unsupportedContentType } from '../http/read-body.ts';
import { badRequest, retryLater, sendError, sendReply, type Reply } from '../http/reply.ts';
import { createRouter, type Route } from '../http/routes.ts';
import { z } from 'zod';
import type { IdentityLinks } from '../identity/ports.ts';
import type { Clock, Identity, TokenVerifier } from '../kernel/ports.ts';
import { learningStatus } from '../learn/learning-status.ts';
import type { PreferenceDocumentReader } from '../learn/preference-document.ts';
import { preferenceView } from '../learn/preference-view.ts';
import type { Logger } from '../logging/logger.ts';
import type { ErasureRequest } from '../privacy/ports.ts';
import { PrivacyUpdate } from '../privacy/settings.ts';
import type { UserHasher } from '../privacy/user-hash.ts';
import type { LinkWarehouse } from '../warehouse/ports.ts';
import type { ReorderModel, ReorderModelReader } from '../kernel/reorder-model.ts';
import type { ShopperErasures, ShopperPrivacy } from './ports.ts';

export type UsersDeps = {
  verifier: TokenVerifier;
  /** The whole preference document, batch patterns included: what the preferences show and the learning status sums up. */
  documents: PreferenceDocumentReader;
  privacy: ShopperPrivacy;
  erasures: ShopperErasures;
  /** The same keyed hash the erasure store files requests under: how a request is matched to its shopper. */
  hashUser: UserHasher;
  /** Which visitor is which shopper, in Firestore: the record linking decides by. */
  links: IdentityLinks;
  /** Where a link is recorded for the batch jobs. */
  linkWarehouse: LinkWarehouse;
  /** The reorder model in force, so the preferences show as due what search would offer again. */
  reorderModel: ReorderModelReader;
  clock: Clock;
  logger: Logger;
  corsOrigins: string[] | '*';
};

type Call = { req: Request; userId: string; identity: Identity; params: Readonly<Record<string, string>>; deps: UsersDeps };
type Action = (call: Call) => Promise<Reply>;
/** `what` names what the route serves, in the answers that refuse or fail it. */
type UsersRoute = Route<Action> & { what: string };

/** Settings are a handful of booleans and a number; anything larger is not a settings change. */
const PRIVACY_BODY_MAX_BYTES = 4096;
/** Longest anonymous token a link takes, in characters: a JWT of a few claims is a few hundred. */
const MAX_LINK_TOKEN_LENGTH = 4096;
/** A link's body: the visitor's token and its JSON around it. */
const LINK_BODY_MAX_BYTES = MAX_LINK_TOKEN_LENGTH + 256;

const LinkRequest = z.strictObject({ anonymous_token: z.string().min(1).max(MAX_LINK_TOKEN_LENGTH) });

/** The shopper's routes. `:userId` must be the token's subject. */
const ROUTES: readonly UsersRoute[] = [
  { path: '/v1/users/:userId/preferences', what: 'preferences', methods: { GET: readPreferences } },
  { path: '/v1/users/:userId/learning-status', what: 'learning status', methods: { GET: readLearningStatus } },
  { path: '/v1/users/:userId/privacy', what: 'privacy settings', methods: { GET: readPrivacy, PUT: changePrivacy } },
  { path: '/v1/users/:userId/learning-data', what: 'learning data', methods: { DELETE: eraseLearningData } },
  { path: '/v1/users/:userId/erasures/:requestId', what: 'erasure requests', methods: { GET: erasureStatus } },
  { path: '/v1/users/:userId/links', what: 'links', methods: { POST: linkVisitor } },
];

/**
 * `users`: what a shopper may see and decide about themselves — what was learned, their privacy
 * settings, and erasing what was learned. Only the shopper the token names may call their routes.
 * Each route answers with a value; only this shell writes the response.
 */
export function createUsersHandler(deps: UsersDeps): HttpFunction {
  const findRoute = createRouter(ROUTES, { preflight: true });
  return async (req: Request, res: Response) => {
    applyCors(req, res, deps.corsOrigins, { methods: 'GET, POST, PUT, DELETE, OPTIONS', headers: 'Authorization, Content-Type' });
    // Every answer is about one shopper: no shared cache may keep it.
    res.set('Cache-Control', 'private, no-store');
    if (req.method === 'OPTIONS') return void res.status(204).end();

    const routed = findRoute(req.method, req.path);
    if (!routed.ok) return sendError(res, routed.reply);
    const { route, action, params } = routed;
    const userId = params.userId ?? '';

    const auth = await authenticate(req.get('authorization'), deps.verifier);
    if (!auth.ok) return sendError(res, unauthenticated(auth.reason));
    if (auth.identity.userId !== userId)
      return sendError(res, { status: 403, code: 'forbidden', message: `a shopper may access only their own ${route.what}` });

    try {
      sendReply(res, await action({ req, userId, identity: auth.identity, params, deps }));
    } catch (error) {
      // Only the stores throw, and only when Firestore does: the client may retry.
      deps.logger.error('users request failed', { route: route.what, method: req.method, error });
      sendError(res, retryLater(`${route.what} could not be reached right now; retry`));
    }
  };
}

async function readPreferences({ userId, deps }: Call): Promise<Reply> {
  const [document, reorderModel] = await Promise.all([deps.documents.read(userId), readReorderModel(deps)]);
  return { status: 200, body: preferenceView(userId, document, deps.clock(), reorderModel) };
}

/** The model in force; if it cannot be read, the default rule decides, as search does before its first read. */
async function readReorderModel(deps: UsersDeps): Promise<ReorderModel | null> {
  try {
    return await deps.reorderModel.read();
  } catch (error) {
    deps.logger.warn('reorder model could not be read; the default rule decides', { error });
    return null;
  }
}

/** What the guide shows: regular items, top brands, confidence, last update; or that learning is off. */
async function readLearningStatus({ userId, deps }: Call): Promise<Reply> {
  const [document, privacy] = await Promise.all([deps.documents.read(userId), deps.privacy.read(userId)]);
  return {
    status: 200,
    body: learningStatus(userId, { learned: document?.learned ?? null, patterns: document?.patterns ?? null, privacy }, deps.clock()),
  };
}

async function readPrivacy({ userId, deps }: Call): Promise<Reply> {
  return { status: 200, body: await deps.privacy.read(userId) };
}

/** Settings left out of the body keep their value; `{}` stores the current settings unchanged. */
async function changePrivacy({ req, userId, deps }: Call): Promise<Reply> {
  const unsupported = unsupportedContentType(req, ['application/json']);
  if (unsupported) return unsupported;
  const body = readJsonBody(req, PRIVACY_BODY_MAX_BYTES);
  if (!body.ok) return body.reply;
  const update = PrivacyUpdate.safeParse(body.value);
  if (!update.success) return badRequest(describeIssues(update.error));

  const { updated_at: _previous, ...current } = await deps.privacy.read(userId);
  return { status: 200, body: await deps.privacy.write(userId, { ...current, ...update.data }, deps.clock()) };
}

async function eraseLearningData({ userId, deps }: Call): Promise<Reply> {
  const request = await deps.erasures.request(userId, 'shopper', deps.clock());
  const statusUrl = `/v1/users/${pathSegment(userId)}/erasures/${pathSegment(request.request_id)}`;
  return {
    status: 202,
    body: { request_id: request.request_id, state: request.state, requested_at: request.requested_at, status_url: statusUrl },
    headers: { Location: statusUrl },
  };
}

/**
 * Links the anonymous visitor the shopper was before logging in: the shopper's token authorizes the call and the
 * visitor's token, in the body, proves the caller holds that identity too, so nobody takes a visitor's history by
 * naming its id. The Firestore record decides (and merges what was learned); the warehouse row follows, so that a
 * 503 after the first is completed by sending the same link again, which is answered as the first was.
 */
async function linkVisitor({ req, userId, identity, deps }: Call): Promise<Reply> {
  if (identity.kind !== 'shopper')
    return { status: 403, code: 'forbidden', message: "a visitor is linked with the token of the shopper who logged in, not a visitor's" };
  const unsupported = unsupportedContentType(req, ['application/json']);
  if (unsupported) return unsupported;
  const body = readJsonBody(req, LINK_BODY_MAX_BYTES);
  if (!body.ok) return body.reply;
  const parsed = LinkRequest.safeParse(body.value);
  if (!parsed.success) return badRequest(describeIssues(parsed.error));

  const visitor = await deps.verifier.verify(parsed.data.anonymous_token);
  if (!visitor.ok) return { status: 400, code: 'invalid_anonymous_token', message: `anonymous_token: ${visitor.reason}` };
  if (visitor.identity.kind !== 'anonymous') {
    return {
      status: 400,
      code: 'invalid_anonymous_token',
      message: "anonymous_token is a logged-in shopper's token, not an anonymous visitor's",
    };
  }
  const outcome = await deps.links.link(visitor.identity.userId, userId, deps.clock());
  if (outcome.kind === 'linked_elsewhere')
    return { status: 409, code: 'conflict', message: 'this visitor is already linked to another shopper' };
  await deps.linkWarehouse.recordLink(outcome.link);
  deps.logger.info('visitor linked', { first_time: outcome.kind === 'linked' });
  return { status: 200, body: outcome.link };
}

/** Another shopper's request is answered exactly like one that does not exist. */
async function erasureStatus({ userId, params, deps }: Call): Promise<Reply> {
  const requestId = params.requestId ?? '';
  const found = await deps.erasures.get(requestId);
  if (!found || found.user_hash !== deps.hashUser(userId))
    return { status: 404, code: 'not_found', message: `no erasure request ${requestId}` };
  return { status: 200, body: erasureView(found) };
}

/** Field by field, so a store that also holds the user id (a pending request) never shows it. */
function erasureView(request: ErasureRequest): ErasureRequest {
  const { request_id, user_hash, state, requested_by, requested_at, completed_at, attempts, rows_deleted, last_error } = request;
  return { request_id, user_hash, state, requested_by, requested_at, completed_at, attempts, rows_deleted, last_error };
}

/** A value as one path segment: `.` and `..` escaped too, which a client would otherwise resolve away. */
function pathSegment(value: string): string {
  const segment = encodeURIComponent(value);
  return /^\.{1,2}$/.test(segment) ? segment.replaceAll('.', '%2E') : segment;
}
