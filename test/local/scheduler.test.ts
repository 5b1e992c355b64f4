import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { startLocalScheduler } from '../../functions/local/scheduler.ts';

describe('the local scheduler', () => {
  afterEach(() => vi.useRealTimers());

  it('POSTs {} to each job’s function on its interval and logs the answer', async () => {
    vi.useFakeTimers();
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: url as string, init });
      return new Response('{"shoppers":2}', { status: 200 });
    }) as typeof fetch;
    const logger = createMemoryLogger();
    const scheduler = startLocalScheduler([{ job: 'patterns', url: 'http://127.0.0.1:1/', everyMs: 60_000 }], logger, fetchFn);

    await vi.advanceTimersByTimeAsync(59_999);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(60_000);
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(120_000);

    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual({
      url: 'http://127.0.0.1:1/',
      init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' },
    });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ message: 'scheduled run finished', job: 'patterns', status: 200, answer: '{"shoppers":2}' }),
    );
  });

  it('skips a run while the previous one is still going, and logs a failed run', async () => {
    let finish = (_: Response) => {};
    const fetchFn = (() => new Promise<Response>((resolve) => (finish = resolve))) as typeof fetch;
    const logger = createMemoryLogger();
    const scheduler = startLocalScheduler([{ job: 'patterns', url: 'http://127.0.0.1:1/', everyMs: 3_600_000 }], logger, fetchFn);

    const first = scheduler.fire('patterns');
    expect(await scheduler.fire('patterns')).toBeNull();
    finish(new Response('{"error":{}}', { status: 500 }));
    expect(await first).toBe(500);
    scheduler.stop();

    expect(logger.entries.map((e) => e.message)).toEqual([
      'scheduled run skipped: the previous one is still running',
      'scheduled run failed',
    ]);
  });

  it('logs, and does not throw, when the function cannot be reached', async () => {
    const fetchFn = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const logger = createMemoryLogger();
    const scheduler = startLocalScheduler([{ job: 'patterns', url: 'http://127.0.0.1:1/', everyMs: 3_600_000 }], logger, fetchFn);
    expect(await scheduler.fire('patterns')).toBeNull();
    scheduler.stop();
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ severity: 'WARNING', message: 'scheduled run could not reach its function' }),
    );
  });
});
