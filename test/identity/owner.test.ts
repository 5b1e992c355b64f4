import { describe, expect, it } from 'vitest';
import { createEventOwner } from '../../functions/identity/owner.ts';
import type { Identity } from '../../functions/kernel/ports.ts';

const visitor: Identity = { userId: 'anonymous:visitor-1', kind: 'anonymous' };
const shopper: Identity = { userId: 'shopper-1', kind: 'shopper' };

/** Links read from a map, counting the reads; `fail` makes the next read reject. */
function links(linked: Record<string, string>) {
  const state = { reads: 0, fail: false, pending: [] as (() => void)[] };
  return {
    state,
    shopperOf: async (anonymousId: string) => {
      state.reads += 1;
      if (state.fail) throw new Error('UNAVAILABLE');
      return linked[anonymousId] ?? null;
    },
  };
}

describe("whose events a request's are", () => {
  it("a shopper's are their own, without reading any link", async () => {
    const store = links({ 'shopper-1': 'someone-else' });
    expect(await createEventOwner(store)(shopper)).toBe('shopper-1');
    expect(store.state.reads).toBe(0);
  });

  it("a visitor's are the shopper's they were linked to, else their own", async () => {
    const owner = createEventOwner(links({ 'anonymous:visitor-1': 'shopper-1' }));
    expect(await owner(visitor)).toBe('shopper-1');
    expect(await owner({ userId: 'anonymous:visitor-2', kind: 'anonymous' })).toBe('anonymous:visitor-2');
  });

  it("reuses a visitor's link, or that there is none, for cacheMs, and reads it again after", async () => {
    let now = 1_000_000;
    const linked: Record<string, string> = {};
    const store = links(linked);
    const owner = createEventOwner(store, { cacheMs: 5000, clock: () => new Date(now) });

    expect(await owner(visitor)).toBe('anonymous:visitor-1');
    linked['anonymous:visitor-1'] = 'shopper-1';
    now += 4999;
    expect(await owner(visitor)).toBe('anonymous:visitor-1');
    now += 1;
    expect(await owner(visitor)).toBe('shopper-1');
    expect(store.state.reads).toBe(2);
  });

  it("knows a shopper's at once, and a visitor's once their link has been read: no promise to wait for", async () => {
    const owner = createEventOwner(links({ 'anonymous:visitor-1': 'shopper-1' }));
    expect(owner(shopper)).toBe('shopper-1');
    const first = owner(visitor);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe('shopper-1');
    expect(owner(visitor)).toBe('shopper-1');
  });

  it('shares one read among concurrent requests of a visitor', async () => {
    const store = links({ 'anonymous:visitor-1': 'shopper-1' });
    const owner = createEventOwner(store);
    expect(await Promise.all([owner(visitor), owner(visitor), owner(visitor)])).toEqual(['shopper-1', 'shopper-1', 'shopper-1']);
    expect(store.state.reads).toBe(1);
  });

  it('throws when the link cannot be read, and keeps no failure: the next request reads it again', async () => {
    const store = links({ 'anonymous:visitor-1': 'shopper-1' });
    const owner = createEventOwner(store);
    store.state.fail = true;
    await expect(owner(visitor)).rejects.toThrow('UNAVAILABLE');
    store.state.fail = false;
    expect(await owner(visitor)).toBe('shopper-1');
  });

  it('keeps at most maxVisitors links, forgetting the least recently used first', async () => {
    const store = links({});
    const owner = createEventOwner(store, { maxVisitors: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((id): Identity => ({ userId: `anonymous:${id}`, kind: 'anonymous' }));
    for (const identity of [a, b, a, c, a] as Identity[]) await owner(identity);
    expect(store.state.reads).toBe(3);
    await owner(b as Identity);
    expect(store.state.reads).toBe(4);
  });
});
