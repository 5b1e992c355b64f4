import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import type { Clock, TokenVerifier } from '../collect/ports.ts';
import { applyCors } from '../collect/cors.ts';
import { authenticate, bearerChallenge } from '../collect/verify-token.ts';
import { preferenceView } from '../learn/preference-view.ts';
import type { Logger } from '../logging/logger.ts';
import type { PreferenceReader } from './ports.ts';

export type UsersDeps = {
  verifier: TokenVerifier;
  preferences: PreferenceReader;
  clock: Clock;
  logger: Logger;
  corsOrigins: string[] | '*';
};

const ROUTE = /^\/v1\/users\/([^/]+)\/preferences\/?$/;

/**
 * `users`: what a shopper may read about themselves. `GET /v1/users/{userId}/preferences` shows
 * what has been learned, decayed to now; only the shopper the token names may read it.
 */
export function createUsersHandler(deps: UsersDeps): HttpFunction {
  return async (req: Request, res: Response) => {
    applyCors(req, res, deps.corsOrigins, { methods: 'GET, OPTIONS', headers: 'Authorization' });
    if (req.method === 'OPTIONS') return void res.status(204).end();
    const match = ROUTE.exec(req.path);
    if (!match?.[1]) return fail(res, 404, 'not_found', `no route ${req.path}`);
    if (req.method !== 'GET') {
      res.set('Allow', 'GET, OPTIONS');
      return fail(res, 405, 'method_not_allowed', `${req.method} is not allowed; use GET`);
    }
    const userId = decodeURIComponent(match[1]);

    const auth = await authenticate(req.get('authorization'), deps.verifier);
    if (!auth.ok) {
      res.set('WWW-Authenticate', bearerChallenge(auth.reason));
      return fail(res, 401, 'unauthenticated', auth.reason);
    }
    if (auth.identity.userId !== userId) return fail(res, 403, 'forbidden', 'a shopper may read only their own preferences');

    try {
      const preferences = await deps.preferences.read(userId);
      res.set('Cache-Control', 'private, no-store');
      res.status(200).json(preferenceView(userId, preferences, deps.clock()));
    } catch (error) {
      deps.logger.error('preferences could not be read', { error });
      res.set('Retry-After', '1');
      fail(res, 503, 'unavailable', 'preferences could not be read right now; retry');
    }
  };
}

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}
