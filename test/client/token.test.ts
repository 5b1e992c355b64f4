import { describe, expect, it } from 'vitest';
import { createTokenProvider, jwtSubject } from '../../functions/client/token.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';

describe('the token provider', () => {
  it('asks the shop once for concurrent requests, and again only to refresh', async () => {
    let calls = 0;
    const tokens = createTokenProvider(async () => `token-${++calls}`);
    expect(tokens.cached()).toBeUndefined();
    await expect(Promise.all([tokens.get(), tokens.get()])).resolves.toEqual(['token-1', 'token-1']);
    await expect(tokens.get()).resolves.toBe('token-1');
    expect(tokens.cached()).toBe('token-1');
    await expect(tokens.refresh()).resolves.toBe('token-2');
    expect(calls).toBe(2);
  });

  it('asks again after a failed call', async () => {
    let calls = 0;
    const tokens = createTokenProvider(() => {
      calls += 1;
      if (calls === 1) throw new Error('signed out');
      return 'token';
    });
    await expect(tokens.get()).rejects.toThrow('signed out');
    await expect(tokens.get()).resolves.toBe('token');
  });

  it('reads the shopper from the token’s sub, any characters included', async () => {
    const token = await mintShopperToken('shopper/ü 1', { key: 'k'.repeat(32), issuer: 'i', audience: 'a' });
    await expect(createTokenProvider(token).subject()).resolves.toBe('shopper/ü 1');
    expect(jwtSubject('not-a-jwt')).toBeUndefined();
  });
});
