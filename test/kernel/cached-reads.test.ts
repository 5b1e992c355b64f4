import { describe, expect, it } from 'vitest';
import { createCachedReads } from '../../functions/kernel/cached-reads.ts';

/** A read of `{ key, n }` (the nth read), settled by hand. */
function manualReads() {
  const pending: { key: string; resolve: (value: { key: string; n: number }) => void; reject: (error: Error) => void }[] = [];
  let n = 0;
  const read = (key: string) =>
    new Promise<{ key: string; n: number }>((resolve, reject) => {
      n += 1;
      pending.push({ key, resolve: (value) => resolve(value), reject });
    });
  return { read, pending, reads: () => n };
}

describe('cached reads', () => {
  it('shares a read in flight, then answers its value at once until cacheMs after the read began', async () => {
    let now = 0;
    const { read, pending, reads } = manualReads();
    const cached = createCachedReads(read, { cacheMs: 1000, max: 10, nowMs: () => now });
    const a = cached('k');
    const b = cached('k');
    expect(a).toBe(b);
    expect(a).toBeInstanceOf(Promise);
    now = 200;
    pending[0]?.resolve({ key: 'k', n: 1 });
    await a;
    expect(cached('k')).toEqual({ key: 'k', n: 1 });
    now = 999;
    expect(cached('k')).toEqual({ key: 'k', n: 1 });
    now = 1000;
    expect(cached('k')).toBeInstanceOf(Promise);
    expect(reads()).toBe(2);
  });

  it('keeps nothing of a read that answered after cacheMs', async () => {
    let now = 0;
    const { read, pending, reads } = manualReads();
    const cached = createCachedReads(read, { cacheMs: 100, max: 10, nowMs: () => now });
    const slow = cached('k');
    now = 150;
    pending[0]?.resolve({ key: 'k', n: 1 });
    await slow;
    expect(cached('k')).toBeInstanceOf(Promise);
    expect(reads()).toBe(2);
  });

  it('forgets a failed read: its callers get the failure, the next caller reads again', async () => {
    const { read, pending, reads } = manualReads();
    const cached = createCachedReads(read, { cacheMs: 1000, max: 10, nowMs: () => 0 });
    const failing = cached('k');
    pending[0]?.reject(new Error('UNAVAILABLE'));
    await expect(failing).rejects.toThrow('UNAVAILABLE');
    const again = cached('k');
    expect(again).toBeInstanceOf(Promise);
    expect(reads()).toBe(2);
  });

  it('keeps nothing when cacheMs is 0', async () => {
    const { read, pending, reads } = manualReads();
    const cached = createCachedReads(read, { cacheMs: 0, max: 10, nowMs: () => 0 });
    const first = cached('k');
    pending[0]?.resolve({ key: 'k', n: 1 });
    await first;
    expect(cached('k')).toBeInstanceOf(Promise);
    expect(reads()).toBe(2);
  });
});
