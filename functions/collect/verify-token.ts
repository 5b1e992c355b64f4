import { errors, importSPKI, jwtVerify, type CryptoKey, type JWTVerifyOptions } from 'jose';
import type { AuthOutcome, TokenVerifier } from './ports.ts';

export type TokenSettings = {
  /** An HS256 shared secret (at least 32 characters) or a PEM public key (RS256/ES256). */
  key: string;
  issuer: string;
  audience: string;
  /** Seconds of clock difference tolerated on `exp`, `nbf` and `iat`. */
  clockToleranceSec: number;
};

const MIN_SECRET_LENGTH = 32;

/** Builds the shopper-token check once, at start-up: a bad key fails the deployment, not a request. */
export async function createJwtVerifier(settings: TokenSettings): Promise<TokenVerifier> {
  const { key, algorithms } = await importVerificationKey(settings.key);
  const options: JWTVerifyOptions = {
    algorithms,
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: settings.clockToleranceSec,
    requiredClaims: ['sub', 'exp'],
  };
  return {
    async verify(token: string): Promise<AuthOutcome> {
      try {
        const { payload } = await jwtVerify(token, key, options);
        if (typeof payload.sub !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(payload.sub)) {
          return { ok: false, reason: 'token subject is not a valid user id' };
        }
        return { ok: true, identity: { userId: payload.sub } };
      } catch (error) {
        return { ok: false, reason: describeTokenError(error) };
      }
    },
  };
}

async function importVerificationKey(
  material: string,
): Promise<{ key: CryptoKey | Uint8Array; algorithms: string[] }> {
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
  return { key: new TextEncoder().encode(material), algorithms: ['HS256'] };
}

function describeTokenError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim "${error.claim}" is not accepted: ${error.reason}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token is signed with an algorithm that is not accepted';
  if (error instanceof errors.JOSEError) return 'token is malformed';
  return 'token could not be verified';
}

/** Extracts the token from `Authorization: Bearer <token>`. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
