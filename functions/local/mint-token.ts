import { SignJWT } from 'jose';

export type MintOptions = {
  key: string;
  issuer: string;
  audience: string;
  /** Lifetime in seconds; negative values make an already expired token (for tests). */
  ttlSec?: number;
  now?: Date;
  /** A token for an anonymous visitor: the claim `"anonymous": true`, and `sub` the visitor's id. Default false. */
  anonymous?: boolean;
};

/**
 * Signs a shopper token the way the shop's sign-in would (HS256 with the shared secret); with `anonymous`, the token
 * the shop gives a visitor who has not logged in, `subject` being the visitor's id.
 */
export async function mintShopperToken(subject: string, options: MintOptions): Promise<string> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT(options.anonymous ? { anonymous: true } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSec ?? 3600))
    .sign(new TextEncoder().encode(options.key));
}
