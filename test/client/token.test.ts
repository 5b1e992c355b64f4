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

  it('takes its tokens from a new source once told to use it, and never keeps a late answer of the old one', async () => {
    let answer = (_token: string) => {};
    const tokens = createTokenProvider(() => new Promise<string>((resolve) => (answer = resolve)));
    const late = tokens.get();
    await new Promise((resolve) => setImmediate(resolve)); // the shop has been asked

    tokens.use(async () => 'shopper-token');
    answer('visitor-token');

    await expect(late).resolves.toBe('visitor-token');
    await expect(tokens.get()).resolves.toBe('shopper-token');
    expect(tokens.cached()).toBe('shopper-token');
    tokens.use('fixed-token');
    expect(tokens.cached()).toBe('fixed-token');
  });

  it('reads the shopper from the token’s sub, any characters included', async () => {
    const token = await mintShopperToken('shopper/ü 1', { key: 'k'.repeat(32), issuer: 'i', audience: 'a' });
    await expect(createTokenProvider(token).subject()).resolves.toBe('shopper/ü 1');
    expect(jwtSubject('not-a-jwt')).toBeUndefined();
  });
});
