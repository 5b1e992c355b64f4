import { afterEach, describe, expect, it, vi } from 'vitest';
import { SYSTEM_TIMERS } from '../../functions/client/ports.ts';
import { outcomeOf, sendBatch } from '../../functions/client/send-batch.ts';
import { fakeCollect } from './fakes.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('what collect’s answer means for a batch', () => {
  const listed = { accepted: 1, rejected: [{ index: 1, event_id: 'b', reason: 'data.position: Too small' }], dropped: 0, duplicates: 0 };

  it.each([
    ['202, every event accepted', 202, { accepted: 2, rejected: [] }, { kind: 'answered', rejected: [] }],
    ['202 with a rejected event', 202, listed, { kind: 'answered', rejected: [{ index: 1, reason: 'data.position: Too small' }] }],
    [
      '400 listing every event',
      400,
      { ...listed, accepted: 0 },
      { kind: 'answered', rejected: [{ index: 1, reason: 'data.position: Too small' }] },
    ],
    [
      '400, a malformed body',
      400,
      { error: { code: 'bad_request', message: '"events" is empty' } },
      { kind: 'refused', reason: '400: "events" is empty' },
    ],
    ['401', 401, { error: { code: 'unauthenticated', message: 'token expired' } }, { kind: 'unauthorized', reason: '401: token expired' }],
    ['413', 413, { error: { message: 'too large' } }, { kind: 'refused', reason: '413: too large' }],
    ['404', 404, undefined, { kind: 'refused', reason: '404' }],
    ['415', 415, {}, { kind: 'refused', reason: '415' }],
    ['429', 429, undefined, { kind: 'retry' }],
    ['500', 500, undefined, { kind: 'retry' }],
    ['503', 503, { error: { message: 'unavailable' } }, { kind: 'retry' }],
  ])('%s', (_, status, body, outcome) => {
    expect(outcomeOf(status, body)).toEqual(outcome);
  });

  it('keeps the server’s Retry-After on a retry', () => {
    expect(outcomeOf(503, undefined, 1000)).toEqual({ kind: 'retry', retryAfterMs: 1000 });
  });
});

describe('sending a batch', () => {
  const request = {
    url: 'https://collect.test/v1/events',
    token: 't',
    body: '{"events":[]}',
    keepalive: false,
    timeoutMs: 5000,
    timers: SYSTEM_TIMERS,
    now: Date.now,
  };

  it('posts JSON with the bearer token, and reads Retry-After', async () => {
    const collect = fakeCollect(() => ({ status: 503, headers: { 'Retry-After': '2' } }));
    await expect(sendBatch({ ...request, fetch: collect.fetch })).resolves.toEqual({ kind: 'retry', retryAfterMs: 2000 });
    expect(collect.requests[0]?.init).toMatchObject({
      method: 'POST',
      headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
      keepalive: false,
    });
  });

  it('is retried when the network fails', async () => {
    const collect = fakeCollect(() => 'network-error');
    await expect(sendBatch({ ...request, fetch: collect.fetch })).resolves.toEqual({ kind: 'retry' });
  });

  it('gives up waiting after its timeout, and is retried', async () => {
    vi.useFakeTimers();
    let aborted = false;
    const hung = sendBatch({
      ...request,
      fetch: (_, init) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => ((aborted = true), reject(new Error('aborted'))));
        }),
    });
    await vi.advanceTimersByTimeAsync(4999);
    expect(aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(hung).resolves.toEqual({ kind: 'retry' });
    expect(aborted).toBe(true);
  });

  it('is answered for even when collect’s body is not JSON', async () => {
    const fetch = async () => ({
      status: 202,
      headers: { get: () => null },
      json: () => Promise.reject(new SyntaxError('Unexpected token')),
    });
    await expect(sendBatch({ ...request, fetch })).resolves.toEqual({ kind: 'answered', rejected: [] });
  });
});
