import { describe, expect, it } from 'vitest';
import { createExpiringCache } from '../../functions/kernel/expiring-cache.ts';

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2026-03-01T00:00:00Z')) {
  let ms = start;
  return { nowMs: () => ms, advance: (by: number) => (ms += by) };
}

describe('an expiring cache', () => {
  it('keeps a value until the instant it was kept until, and not at that instant', () => {
    const clock = manualClock();
    const cache = createExpiringCache<string, string>({ max: 10, nowMs: clock.nowMs });
    cache.set('a', 'A', clock.nowMs() + 5000);
    clock.advance(4999);
    expect(cache.get('a')).toBe('A');
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
  });

  it.each([0, 1, -1000])('keeps nothing due %i ms from now, and forgets what was kept before', (inMs) => {
    const clock = manualClock();
    const cache = createExpiringCache<string, string>({ max: 10, nowMs: clock.nowMs });
    cache.set('a', 'old', clock.nowMs() + 60_000);
    cache.set('a', 'A', clock.nowMs() + inMs);
    expect(cache.get('a')).toBeUndefined();
  });

  it('evicts the least recently used entry, not the oldest kept', () => {
    const clock = manualClock();
    const cache = createExpiringCache<string, string>({ max: 2, nowMs: clock.nowMs });
    const until = clock.nowMs() + 60_000;
    cache.set('a', 'A', until);
    cache.set('b', 'B', until);
    expect(cache.get('a')).toBe('A');
    cache.set('c', 'C', until);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['A', undefined, 'C']);
  });

  it('forgets on request', () => {
    const clock = manualClock();
    const cache = createExpiringCache<string, string>({ max: 2, nowMs: clock.nowMs });
    cache.set('a', 'A', clock.nowMs() + 60_000);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
  });
});
