import { SignJWT } from 'jose';

export type MintOptions = {
  key: string;
  issuer: string;
  audience: string;
  /** Lifetime in seconds; negative values make an already expired token (for tests). */
  ttlSec?: number;
  now?: Date;
};

/** Signs a shopper token the way the shop's sign-in would (HS256 with the shared secret). */
export async function mintShopperToken(userId: string, options: MintOptions): Promise<string> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSec ?? 3600))
    .sign(new TextEncoder().encode(options.key));
}
