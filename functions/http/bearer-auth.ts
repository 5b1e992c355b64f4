import { createHash } from 'node:crypto';
import { errors, importSPKI, jwtVerify, type CryptoKey, type JWTVerifyOptions } from 'jose';
import { createExpiringCache, type ExpiringCache } from '../kernel/expiring-cache.ts';
import type { AuthOutcome, Identity, MaybePromise, TokenVerifier } from '../kernel/ports.ts';
import { ANONYMOUS_PREFIX, anonymousUserId, isAnonymousUserId, MAX_ANONYMOUS_SUBJECT_LENGTH, ShopperId } from '../kernel/shopper-id.ts';
import type { ErrorReply } from './reply.ts';

export type TokenSettings = {
  /**
   * Verified tokens remembered per instance, so a shopper's next request skips the signature check; the
   * least recently used is forgotten first. Default 10,000.
   */
  cacheEntries?: number;
  /** An HS256 shared secret (at least 32 characters) or a PEM public key (RS256/ES256). */
  key: string;
  issuer: string;
  audience: string;
  /** Seconds of clock difference tolerated on `exp`, `nbf` and `iat`. */
  clockToleranceSec: number;
};

export type VerifierOptions = {
  /** Where verified tokens are remembered, by their digest. Default: an LRU of `cacheEntries`. */
  remembered?: ExpiringCache<string, Identity>;
};

/** Fewest characters of an HS256 shared secret. */
export const MIN_SECRET_LENGTH = 32;
/** A remembered verification is trusted for at most this long, even if the token lives longer. */
const CACHE_TTL_MS = 5 * 60 * 1000;

/** Builds the shopper-token check once, at start-up: a bad key fails the deployment, not a request. */
export async function createJwtVerifier(settings: TokenSettings, options: VerifierOptions = {}): Promise<TokenVerifier> {
  const { key, algorithms } = await importVerificationKey(settings.key);
  const verifyOptions: JWTVerifyOptions = {
    algorithms,
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: settings.clockToleranceSec,
    requiredClaims: ['sub', 'exp'],
  };
  // WebCrypto verification runs on the libuv thread pool; a shopper sends many requests with one
  // token, so remembering successful checks (never failures) removes that hop from the hot path.
  const remembered = options.remembered ?? createExpiringCache<string, Identity>({ max: settings.cacheEntries ?? 10_000 });

  async function check(token: string, digest: string): Promise<AuthOutcome> {
    const now = Date.now();
    try {
      const { payload } = await jwtVerify(token, key, verifyOptions);
      const identity = identityOf(payload);
      if (!identity.ok) return identity;
      // Never past `exp` (the clock tolerance is not extended to a remembered token), never longer than the TTL.
      remembered.set(digest, identity.identity, Math.min((payload.exp ?? 0) * 1000, now + CACHE_TTL_MS));
      return identity;
    } catch (error) {
      return { ok: false, reason: describeTokenError(error) };
    }
  }

  return {
    // A remembered token is answered at once, without a promise.
    verify(token: string): MaybePromise<AuthOutcome> {
      const digest = tokenDigest(token);
      const known = remembered.get(digest);
      return known === undefined ? check(token, digest) : { ok: true, identity: known };
    },
  };
}

/** A token is remembered by its SHA-256, never as itself: an instance's memory holds no shopper's credential. */
function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Who a verified token's claims name. `"anonymous": true` marks an anonymous visitor, whose user id is
 * `anonymous:<sub>`; without the claim (or with `false`) `sub` is the shopper's id, which may not start with
 * `anonymous:`: a shop whose ids could would otherwise let a shopper take a visitor's id.
 */
function identityOf(claims: { sub?: string; anonymous?: unknown }): AuthOutcome {
  const { anonymous } = claims;
  if (anonymous !== undefined && typeof anonymous !== 'boolean')
    return { ok: false, reason: 'token claim "anonymous" must be true or false' };
  const subject = ShopperId.safeParse(claims.sub);
  if (!subject.success) return { ok: false, reason: 'token subject is not a valid user id' };
  if (anonymous === true) {
    if (subject.data.length > MAX_ANONYMOUS_SUBJECT_LENGTH)
      return { ok: false, reason: `an anonymous token's subject has at most ${MAX_ANONYMOUS_SUBJECT_LENGTH} characters` };
    return { ok: true, identity: { userId: anonymousUserId(subject.data), kind: 'anonymous' } };
  }
  if (isAnonymousUserId(subject.data))
    return { ok: false, reason: `token subject may not start with "${ANONYMOUS_PREFIX}", which names anonymous visitors` };
  return { ok: true, identity: { userId: subject.data, kind: 'shopper' } };
}

async function importVerificationKey(material: string): Promise<{ key: CryptoKey | Uint8Array; algorithms: string[] }> {
  const pem = material.trim();
  if (pem.startsWith('-----BEGIN PUBLIC KEY-----')) {
    // The same SPKI text imports for either family; try the one the key is for.
    for (const alg of ['ES256', 'RS256']) {
      try {
        return { key: await importSPKI(pem, alg), algorithms: [alg] };
      } catch {
        // not this family
      }
    }
    throw new Error('the token key is a PEM public key but neither an EC P-256 nor an RSA key');
  }
  if (material.length < MIN_SECRET_LENGTH) {
    throw new Error(`the token key must be a PEM public key or a secret of at least ${MIN_SECRET_LENGTH} characters`);
  }
  // Imported once: handing jose raw bytes would re-import the key on every request.
  const secret = await crypto.subtle.importKey('raw', new TextEncoder().encode(material), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  return { key: secret, algorithms: ['HS256'] };
}

function describeTokenError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim "${error.claim}" is not accepted: ${error.reason}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token is signed with an algorithm that is not accepted';
  if (error instanceof errors.JOSEError) return 'token is malformed';
  return 'token could not be verified';
}

/** Authenticates a request by its `Authorization` header: the check `collect` and `users` share. */
export function authenticate(authorization: string | undefined, verifier: TokenVerifier): MaybePromise<AuthOutcome> {
  const token = bearerToken(authorization);
  return token ? verifier.verify(token) : { ok: false, reason: 'missing bearer token' };
}

/** 401 with the `WWW-Authenticate` challenge that goes with it (RFC 6750). */
export function unauthenticated(reason: string): ErrorReply {
  return {
    status: 401,
    code: 'unauthenticated',
    message: reason,
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${reason}"` },
  };
}

/** Extracts the token from `Authorization: Bearer <token>`. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
