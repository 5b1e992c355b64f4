import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KEEPALIVE_MAX_BYTES, type Rejection } from '../../functions/client/delivery.ts';
import type { Dropped } from '../../functions/client/tracker.ts';
import { LIMITS } from '../../functions/events/limits.ts';
import { fakeCollect, memoryStorage, MILK, trackerUnderTest, type Answer } from './fakes.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-11-26T12:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

const view = { product: MILK };
/** Lets the fake fetch answer and the tracker settle, `ms` later. */
const after = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

describe('batching', () => {
  it('sends a lone event after flushIntervalMs, not before', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushIntervalMs: 1000 });
    tracker.trackView(view);
    await after(999);
    expect(collect.requests).toHaveLength(0);
    await after(1);
    expect(collect.requests).toHaveLength(1);
  });

  it('does not restart the oldest event’s wait for newer ones', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushIntervalMs: 1000 });
    tracker.trackView(view);
    await after(600);
    tracker.trackView(view);
    await after(400);
    expect(collect.requests.map((r) => r.events.length)).toEqual([2]);
  });

  it('by default, sends a shopper who tracks an event every 250 ms in requests of 20 events: one write per 20 events', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({ fetch: collect.fetch });
    for (let i = 0; i < 40; i++) {
      tracker.trackView(view);
      await after(250);
    }
    expect(collect.requests.map((r) => r.events.length)).toEqual([20, 20]);
  });

  it('by default, sends a lone event within 5 s', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({ fetch: collect.fetch });
    tracker.trackView(view);
    await after(4999);
    expect(collect.requests).toHaveLength(0);
    await after(1);
    expect(collect.requests).toHaveLength(1);
  });

  it('sends at once when flushAt events are queued', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushAt: 3 });
    for (let i = 0; i < 3; i++) tracker.trackView(view);
    await after();
    expect(collect.requests.map((r) => r.events.length)).toEqual([3]);
  });

  it('splits a long queue into requests within collect’s limits, one at a time, oldest first', async () => {
    let inFlight = 0;
    let most = 0;
    const collect = fakeCollect();
    const fetch: typeof collect.fetch = async (url, init) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 50));
      inFlight -= 1;
      return collect.fetch(url, init);
    };
    const { tracker } = trackerUnderTest({ fetch, flushAt: 1000 });
    const tracked = Array.from({ length: 250 }, () => tracker.trackView(view));
    const flushed = tracker.flush();
    await after(1000);
    await expect(flushed).resolves.toEqual({ pending: 0 });
    expect(collect.requests.map((r) => r.events.length)).toEqual([100, 100, 50]);
    expect(collect.sentIds()).toEqual(tracked);
    expect(collect.requests.every((r) => Buffer.byteLength(r.init.body ?? '') <= LIMITS.maxRequestBytes)).toBe(true);
    expect(most).toBe(1);
  });

  it('sets sent_at when a request carries an event, occurred_at when it was tracked', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushIntervalMs: 3000 });
    tracker.trackView(view);
    await after(3000);
    expect(collect.requests[0]?.events[0]).toMatchObject({ occurred_at: '2026-11-26T12:00:00.000Z', sent_at: '2026-11-26T12:00:03.000Z' });
  });
});

describe('retries', () => {
  /** Answers from a script, then 202 for ever. */
  const scripted = (...answers: Answer[]) => fakeCollect((_, i) => answers[i] ?? { status: 202 });

  it('resend the same events after a 503, no sooner than Retry-After, with fresh sent_at', async () => {
    const collect = scripted({ status: 503, headers: { 'Retry-After': '5' } });
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushAt: 2, random: () => 0 });
    tracker.trackView(view);
    tracker.trackView(view);
    await after();
    await after(4999);
    expect(collect.requests).toHaveLength(1);
    await after(1);
    const [first, second] = collect.requests;
    expect(second?.events.map((e) => e.event_id)).toEqual(first?.events.map((e) => e.event_id));
    expect(second?.events[0]?.sent_at).toBe('2026-11-26T12:00:05.000Z');
    expect(tracker.stats()).toMatchObject({ delivered: 2, retries: 1, queued: 0 });
  });

  it('back off exponentially with full jitter while collect cannot be reached', async () => {
    const collect = fakeCollect(() => 'network-error');
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushAt: 1, random: () => 0.999_999 });
    const start = Date.now();
    tracker.trackView(view);
    await after(70_000);
    const times = collect.requests.map((_, i) => i);
    expect(times.length).toBeGreaterThan(4);
    // Each wait is just under its ceiling (random ≈ 1): 500, 1000, 2000, … ms, then 30 s at most.
    const sentAt = collect.requests.map((r) => Date.parse(r.events[0]?.sent_at ?? '') - start);
    const waits = sentAt.slice(1).map((t, i) => t - (sentAt[i] ?? 0));
    expect(waits).toEqual([499, 999, 1999, 3999, 7999, 15_999, 29_999].slice(0, waits.length));
    expect(new Set(collect.sentIds()).size).toBe(1);
  });

  it('go on after a failure at once when the network is back', async () => {
    const collect = scripted('network-error');
    const core = trackerUnderTest({ fetch: collect.fetch, flushAt: 1, random: () => 0.999_999, backoff: { baseMs: 60_000 } });
    core.tracker.trackView(view);
    await after();
    core.online();
    await after();
    expect(collect.requests).toHaveLength(2);
    expect(core.tracker.stats().queued).toBe(0);
  });

  it('wait while the browser is offline, and drain when it is back online', async () => {
    const collect = fakeCollect();
    const core = trackerUnderTest({ fetch: collect.fetch, flushAt: 1 }, { online: false });
    core.tracker.trackView(view);
    await after(60_000);
    expect(collect.requests).toHaveLength(0);
    core.platform.online = true;
    core.online();
    await after();
    expect(collect.requests).toHaveLength(1);
  });

  it.each([400, 403, 404, 413, 415])('never resend after %i: the events are rejected with collect’s reason', async (status) => {
    const collect = scripted({ status, body: { error: { code: 'x', message: 'no' } } });
    const rejected: Rejection[] = [];
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushAt: 1, onRejected: (r) => rejected.push(...r) });
    const id = tracker.trackView(view);
    await after(120_000);
    expect(collect.requests).toHaveLength(1);
    expect(rejected).toEqual([{ event_id: id, type: 'product_viewed', reason: `${status}: no` }]);
    expect(tracker.stats()).toMatchObject({ rejected: 1, queued: 0 });
  });

  it('surface each event collect rejected in a 202, and keep none of the batch', async () => {
    const collect = fakeCollect((request) => ({
      status: 202,
      body: {
        accepted: 1,
        rejected: [{ index: 1, event_id: request.events[1]?.event_id, reason: 'data.product.price: Too big' }],
        dropped: 0,
        duplicates: 0,
      },
    }));
    const rejected: Rejection[] = [];
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushAt: 2, onRejected: (r) => rejected.push(...r) });
    tracker.trackView(view);
    const second = tracker.trackView(view);
    await after();
    expect(rejected).toEqual([{ event_id: second, type: 'product_viewed', reason: 'data.product.price: Too big' }]);
    expect(tracker.stats()).toMatchObject({ delivered: 1, rejected: 1, queued: 0 });
  });
});

describe('the token', () => {
  it('is asked for again once after a 401, and the batch sent once more with it', async () => {
    const collect = fakeCollect((request) =>
      request.token === 'fresh' ? { status: 202 } : { status: 401, body: { error: { message: 'token expired' } } },
    );
    const tokens = ['stale', 'fresh'];
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushAt: 1, token: async () => tokens.shift() ?? 'none' });
    tracker.trackView(view);
    await after();
    expect(collect.requests.map((r) => r.token)).toEqual(['stale', 'fresh']);
    expect(tracker.stats()).toMatchObject({ delivered: 1, queued: 0 });
    tracker.trackView(view);
    await after();
    expect(collect.requests.map((r) => r.token)).toEqual(['stale', 'fresh', 'fresh']);
  });

  it('refused again after the refresh rejects the batch, with no more retries', async () => {
    const collect = fakeCollect(() => ({ status: 401, body: { error: { message: 'wrong issuer' } } }));
    const rejected: Rejection[] = [];
    let calls = 0;
    const { tracker } = trackerUnderTest({
      fetch: collect.fetch,
      flushAt: 1,
      token: () => `token-${++calls}`,
      onRejected: (r) => rejected.push(...r),
    });
    tracker.trackView(view);
    await after(120_000);
    expect(collect.requests).toHaveLength(2);
    expect(calls).toBe(2);
    expect(rejected.map((r) => r.reason)).toEqual(['401: wrong issuer']);
  });

  it('that cannot be had for now is retried like a failed request', async () => {
    const collect = fakeCollect();
    let calls = 0;
    const { tracker } = trackerUnderTest({
      fetch: collect.fetch,
      flushAt: 1,
      random: () => 0,
      token: () => {
        if (++calls === 1) throw new Error('session not ready');
        return 'token';
      },
    });
    tracker.trackView(view);
    await after(10);
    await after(10);
    expect(collect.requests.map((r) => r.token)).toEqual(['token']);
  });
});

describe('the queue across pages', () => {
  it('outlives a reload: the next page sends the same events', async () => {
    const storage = memoryStorage();
    const down = fakeCollect(() => 'network-error');
    const first = trackerUnderTest({ fetch: down.fetch, storage, flushAt: 1 });
    const ids = [first.tracker.trackView(view), first.tracker.trackView(view)];
    await after();
    first.hidden();
    await after();

    const collect = fakeCollect();
    trackerUnderTest({ fetch: collect.fetch, storage, flushIntervalMs: 1000 });
    await after(1000);
    expect(collect.sentIds()).toEqual(ids);
    expect(storage.items.size).toBe(0);
  });

  it('is bounded: the oldest events are dropped first, counted and reported', async () => {
    const dropped: Dropped[] = [];
    const collect = fakeCollect(() => 'network-error');
    const { tracker } = trackerUnderTest({
      fetch: collect.fetch,
      storage: memoryStorage(),
      flushAt: 1000,
      queue: { maxEvents: 3 },
      onDropped: (d) => dropped.push(...d),
    });
    const ids = [1, 2, 3, 4, 5].map(() => tracker.trackView(view));
    expect(dropped).toEqual(ids.slice(0, 2).map((event_id) => ({ event_id, type: 'product_viewed', reason: 'queue_full' })));
    expect(tracker.stats()).toMatchObject({ queued: 3, dropped: 2 });
  });
});

describe('a hidden page', () => {
  it('sends everything queued at once with keepalive, within 64 KiB in flight, and keeps the rest stored', async () => {
    const storage = memoryStorage();
    const collect = fakeCollect();
    const core = trackerUnderTest({ fetch: collect.fetch, storage, flushAt: 1000, flushIntervalMs: 60_000 });
    // About 1.2 KB each: 150 of them are more than 64 KiB.
    const big = { product: { ...MILK, name: 'n'.repeat(1000) } };
    const ids = Array.from({ length: 150 }, () => core.tracker.trackView(big));
    core.hidden();
    expect(collect.requests.length).toBeGreaterThan(0);
    expect(collect.requests.every((r) => r.init.keepalive === true)).toBe(true);
    const bytes = collect.requests.reduce((sum, r) => sum + Buffer.byteLength(r.init.body ?? ''), 0);
    expect(bytes).toBeLessThanOrEqual(KEEPALIVE_MAX_BYTES);
    expect(bytes).toBeGreaterThan(KEEPALIVE_MAX_BYTES - 1300);
    const sent = collect.sentIds();
    expect(sent).toEqual(ids.slice(0, sent.length));
    // The page went away: the stored queue is marked closed and still holds every event.
    const stored = JSON.parse([...storage.items.values()][0] ?? '') as { closed: boolean; events: unknown[] };
    expect(stored).toMatchObject({ closed: true });
    expect(stored.events).toHaveLength(150);
  });

  it('sends at once with the token at hand, before the page can go', async () => {
    const collect = fakeCollect();
    const core = trackerUnderTest({ fetch: collect.fetch, flushIntervalMs: 60_000 });
    core.tracker.trackView(view);
    await core.tracker.flush();
    core.tracker.trackView(view);
    core.hidden();
    // No await: the fetch was called while the pagehide handler ran.
    expect(collect.requests).toHaveLength(2);
  });

  it('resends what a regular request in flight carries, as unloading cancels it, but not what a keepalive one does', async () => {
    const collect = fakeCollect();
    const pending: (() => void)[] = [];
    const fetch: typeof collect.fetch = (url, init) => new Promise((resolve) => pending.push(() => resolve(collect.fetch(url, init))));
    const core = trackerUnderTest({ fetch, flushAt: 1, token: 'token' });
    const id = core.tracker.trackView(view);
    await after();
    expect(pending).toHaveLength(1);
    core.hidden();
    core.hidden();
    expect(pending).toHaveLength(2);
    for (const answer of pending) answer();
    await after();
    expect(collect.requests.map((r) => [r.init.keepalive, r.events.map((e) => e.event_id)])).toEqual([
      [false, [id]],
      [true, [id]],
    ]);
    expect(core.tracker.stats().queued).toBe(0);
  });
});

describe('flush and shutdown', () => {
  it('flush resolves once collect answered for everything queued', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushIntervalMs: 60_000 });
    tracker.trackView(view);
    tracker.trackView(view);
    await expect(tracker.flush()).resolves.toEqual({ pending: 0 });
    expect(collect.sentIds()).toHaveLength(2);
  });

  it('flush gives up after flushTimeoutMs and says how many are still pending', async () => {
    const collect = fakeCollect(() => ({ status: 503, headers: { 'Retry-After': '1' } }));
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, flushTimeoutMs: 5000 });
    tracker.trackView(view);
    const flushed = tracker.flush();
    await after(5000);
    await expect(flushed).resolves.toEqual({ pending: 1 });
  });

  it('shutdown tracks nothing more; in Node what is still unsent is dropped and reported', async () => {
    const dropped: Dropped[] = [];
    const collect = fakeCollect(() => 'network-error');
    const { tracker } = trackerUnderTest(
      { fetch: collect.fetch, flushTimeoutMs: 1000, onDropped: (d) => dropped.push(...d) },
      { dropOnShutdown: true },
    );
    const id = tracker.trackView(view);
    const done = tracker.shutdown();
    await after(1000);
    await expect(done).resolves.toEqual({ pending: 1 });
    expect(dropped).toEqual([{ event_id: id, type: 'product_viewed', reason: 'shutdown' }]);
    expect(tracker.trackView(view)).toBeNull();
  });
});
