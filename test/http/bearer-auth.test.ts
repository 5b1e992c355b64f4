import { exportSPKI, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { bearerToken, createJwtVerifier } from '../../functions/http/bearer-auth.ts';
import { createExpiringCache } from '../../functions/kernel/expiring-cache.ts';
import type { Identity } from '../../functions/kernel/ports.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { TEST_TOKEN } from '../support/fixtures.ts';

// The real jose, with its signature checks counted: a remembered token is one that is not checked again.
vi.mock('jose', async (importOriginal) => {
  const jose = await importOriginal<typeof import('jose')>();
  return { ...jose, jwtVerify: vi.fn(jose.jwtVerify) };
});

const settings = { ...TEST_TOKEN, clockToleranceSec: 30 };

describe('shopper token verification', () => {
  it('takes the user id from the subject of a valid token', async () => {
    const verifier = await createJwtVerifier(settings);
    const token = await mintShopperToken('shopper-42', TEST_TOKEN);
    expect(await verifier.verify(token)).toEqual({ ok: true, identity: { userId: 'shopper-42', kind: 'shopper' } });
  });

  it.each([
    ['an expired token', () => mintShopperToken('u', { ...TEST_TOKEN, ttlSec: -120 }), 'token has expired'],
    [
      'a token signed with another key',
      () => mintShopperToken('u', { ...TEST_TOKEN, key: 'another-key-that-is-also-long-enough-000' }),
      'token signature is invalid',
    ],
    [
      'a token for another audience',
      () => mintShopperToken('u', { ...TEST_TOKEN, audience: 'someone-else' }),
      'token claim "aud" is not accepted: check_failed',
    ],
    [
      'a token from another issuer',
      () => mintShopperToken('u', { ...TEST_TOKEN, issuer: 'evil' }),
      'token claim "iss" is not accepted: check_failed',
    ],
    ['garbage', async () => 'not.a.jwt', 'token is malformed'],
    [
      'a token without expiry',
      () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('u')
          .setIssuer(TEST_TOKEN.issuer)
          .setAudience(TEST_TOKEN.audience)
          .sign(new TextEncoder().encode(TEST_TOKEN.key)),
      'token claim "exp" is not accepted: missing',
    ],
    [
      'an unsigned token',
      async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u"}').toString('base64url')}.`,
      'token is signed with an algorithm that is not accepted',
    ],
  ])('refuses %s', async (_name, make, reason) => {
    const verifier = await createJwtVerifier(settings);
    expect(await verifier.verify(await make())).toEqual({ ok: false, reason });
  });

  describe('remembering verified tokens', () => {
    afterEach(() => vi.useRealTimers());

    it('still refuses a remembered token once it has expired', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const verifier = await createJwtVerifier({ ...settings, clockToleranceSec: 0 });
      const token = await mintShopperToken('shopper-1', { ...TEST_TOKEN, ttlSec: 60 });
      expect((await verifier.verify(token)).ok).toBe(true);
      expect((await verifier.verify(token)).ok).toBe(true);
      vi.setSystemTime(Date.now() + 61_000);
      expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'token has expired' });
    });

    it('keeps at most cacheEntries tokens, forgetting the least recently used first', async () => {
      const verifier = await createJwtVerifier({ ...settings, cacheEntries: 2 });
      const [a, b, c] = [
        await mintShopperToken('shopper-a', TEST_TOKEN),
        await mintShopperToken('shopper-b', TEST_TOKEN),
        await mintShopperToken('shopper-c', TEST_TOKEN),
      ];
      const checks = vi.mocked(jwtVerify);
      checks.mockClear();
      for (const token of [a, b, a, c]) await verifier.verify(token);
      // a was used after b: c takes b's place.
      expect(checks).toHaveBeenCalledTimes(3);
      expect(await verifier.verify(a)).toEqual({ ok: true, identity: { userId: 'shopper-a', kind: 'shopper' } });
      expect(checks).toHaveBeenCalledTimes(3);
      await verifier.verify(b);
      expect(checks).toHaveBeenCalledTimes(4);
    });

    it('answers a remembered token at once, without a promise to wait for', async () => {
      const verifier = await createJwtVerifier(settings);
      const token = await mintShopperToken('shopper-1', TEST_TOKEN);
      const first = verifier.verify(token);
      expect(first).toBeInstanceOf(Promise);
      await first;
      expect(verifier.verify(token)).toEqual({ ok: true, identity: { userId: 'shopper-1', kind: 'shopper' } });
    });

    it('remembers a token by its SHA-256 digest, never the token itself, until its exp at the latest', async () => {
      const kept: { key: string; untilMs: number }[] = [];
      const cache = createExpiringCache<string, Identity>({ max: 10 });
      const remembered = {
        ...cache,
        set: (key: string, value: Identity, untilMs: number) => (kept.push({ key, untilMs }), cache.set(key, value, untilMs)),
      };
      const verifier = await createJwtVerifier(settings, { remembered });
      const token = await mintShopperToken('shopper-1', { ...TEST_TOKEN, ttlSec: 60 });
      const before = Date.now();
      await verifier.verify(token);
      expect(kept).toHaveLength(1);
      expect(kept[0]?.key).toBe(createHash('sha256').update(token).digest('base64url'));
      expect(kept[0]?.untilMs).toBeLessThanOrEqual(before + 61_000);
      expect(JSON.stringify(kept)).not.toContain(token.split('.')[2]);
    });

    it('never remembers a refusal', async () => {
      const verifier = await createJwtVerifier(settings);
      const forged = await mintShopperToken('shopper-1', { ...TEST_TOKEN, key: 'another-key-that-is-also-long-enough-000' });
      expect((await verifier.verify(forged)).ok).toBe(false);
      expect((await verifier.verify(forged)).ok).toBe(false);
    });
  });

  it('refuses a subject that cannot be a user id', async () => {
    const verifier = await createJwtVerifier(settings);
    expect(await verifier.verify(await mintShopperToken('has space', TEST_TOKEN))).toEqual({
      ok: false,
      reason: 'token subject is not a valid user id',
    });
    expect(await verifier.verify(await mintShopperToken('x'.repeat(129), TEST_TOKEN))).toEqual({
      ok: false,
      reason: 'token subject is not a valid user id',
    });
  });

  it.each(['x/y', '..', '__p__'])('takes %j as a user id like any other: ids are data, never paths', async (subject) => {
    const verifier = await createJwtVerifier(settings);
    expect(await verifier.verify(await mintShopperToken(subject, TEST_TOKEN))).toEqual({
      ok: true,
      identity: { userId: subject, kind: 'shopper' },
    });
  });

  describe('anonymous visitors', () => {
    const sign = (claims: Record<string, unknown>, subject: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(subject)
        .setIssuer(TEST_TOKEN.issuer)
        .setAudience(TEST_TOKEN.audience)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(TEST_TOKEN.key));

    it('gives a token with "anonymous": true the user id anonymous:<sub>, of the anonymous kind', async () => {
      const verifier = await createJwtVerifier(settings);
      const token = await mintShopperToken('visitor-7', { ...TEST_TOKEN, anonymous: true });
      expect(await verifier.verify(token)).toEqual({ ok: true, identity: { userId: 'anonymous:visitor-7', kind: 'anonymous' } });
      // Remembered as what it is.
      expect(await verifier.verify(token)).toEqual({ ok: true, identity: { userId: 'anonymous:visitor-7', kind: 'anonymous' } });
    });

    it('takes "anonymous": false as a logged-in shopper', async () => {
      const verifier = await createJwtVerifier(settings);
      expect(await verifier.verify(await sign({ anonymous: false }, 'shopper-8'))).toEqual({
        ok: true,
        identity: { userId: 'shopper-8', kind: 'shopper' },
      });
    });

    it("refuses a logged-in token whose subject would be an anonymous visitor's id", async () => {
      const verifier = await createJwtVerifier(settings);
      expect(await verifier.verify(await mintShopperToken('anonymous:visitor-7', TEST_TOKEN))).toEqual({
        ok: false,
        reason: 'token subject may not start with "anonymous:", which names anonymous visitors',
      });
    });

    it.each([
      ['a string', 'true'],
      ['a number', 1],
      ['null', null],
    ])('refuses an "anonymous" claim that is %s', async (_name, value) => {
      const verifier = await createJwtVerifier(settings);
      expect(await verifier.verify(await sign({ anonymous: value }, 'visitor-7'))).toEqual({
        ok: false,
        reason: 'token claim "anonymous" must be true or false',
      });
    });

    it('refuses an anonymous subject whose user id would be longer than a user id may be', async () => {
      const verifier = await createJwtVerifier(settings);
      expect((await verifier.verify(await mintShopperToken('v'.repeat(118), { ...TEST_TOKEN, anonymous: true }))).ok).toBe(true);
      expect(await verifier.verify(await mintShopperToken('v'.repeat(119), { ...TEST_TOKEN, anonymous: true }))).toEqual({
        ok: false,
        reason: "an anonymous token's subject has at most 118 characters",
      });
    });
  });

  it('verifies ES256 tokens against a PEM public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const verifier = await createJwtVerifier({ ...settings, key: await exportSPKI(publicKey) });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('shopper-7')
      .setIssuer(TEST_TOKEN.issuer)
      .setAudience(TEST_TOKEN.audience)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await verifier.verify(token)).toEqual({ ok: true, identity: { userId: 'shopper-7', kind: 'shopper' } });
    // A shared-secret token must not pass where a public key is configured.
    expect((await verifier.verify(await mintShopperToken('u', TEST_TOKEN))).ok).toBe(false);
  });

  it('refuses to start with a short secret', async () => {
    await expect(createJwtVerifier({ ...settings, key: 'short' })).rejects.toThrow(/at least 32 characters/);
  });

  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['Basic dXNlcjpwYXNz', null],
    ['Bearer', null],
    [undefined, null],
  ])('reads the bearer token from %s', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
