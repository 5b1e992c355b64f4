import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineExceeded, withDeadline, withDeadlines } from '../../functions/kernel/deadline.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A call that answers `value` after `ms`, or never. */
const answering = <T>(value: T, ms: number | 'never') =>
  new Promise<T>((resolve) => {
    if (ms !== 'never') setTimeout(() => resolve(value), ms);
  });

/** How `promise` ended, once the fake clock has run `ms`. */
async function settleAfter<T>(promise: Promise<T>, ms: number) {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.advanceTimersByTimeAsync(ms);
  return Promise.race([outcome, Promise.resolve('pending' as const)]);
}

describe('withDeadline', () => {
  it('answers what the call answers when it answers in time', async () => {
    expect(await settleAfter(withDeadline(answering('settings', 900), 1000, 'privacy.read'), 900)).toEqual({ value: 'settings' });
  });

  it('rejects with DeadlineExceeded naming the call once the deadline passes, however long the call would take', async () => {
    const call = withDeadline(answering('settings', 'never'), 1000, 'privacy.read');
    expect(await settleAfter(call, 999)).toBe('pending');
    const { error } = (await settleAfter(call, 1)) as { error: unknown };
    expect(error).toBeInstanceOf(DeadlineExceeded);
    expect(error).toMatchObject({
      name: 'DeadlineExceeded',
      call: 'privacy.read',
      deadlineMs: 1000,
      message: 'privacy.read did not answer within 1000 ms',
    });
  });

  it("passes the call's own failure on unchanged", async () => {
    const failure = new Error('14 UNAVAILABLE');
    expect(await settleAfter(withDeadline(Promise.reject(failure), 1000, 'privacy.read'), 0)).toEqual({ error: failure });
  });

  it('leaves no timer behind once the call has answered', async () => {
    await settleAfter(withDeadline(answering('settings', 10), 60_000, 'privacy.read'), 10);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the call wins exactly when it answers before the deadline', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 5000 }), async (answerMs, deadlineMs) => {
        fc.pre(answerMs !== deadlineMs);
        const ended = await settleAfter(
          withDeadline(answering('value', answerMs), deadlineMs, 'port.call'),
          Math.max(answerMs, deadlineMs),
        );
        if (answerMs < deadlineMs) expect(ended).toEqual({ value: 'value' });
        else expect(ended).toEqual({ error: expect.any(DeadlineExceeded) });
      }),
      { numRuns: 50 },
    );
  });
});

describe('withDeadlines', () => {
  /** A store as the adapters build them: asynchronous methods over closures, and one synchronous member. */
  function store() {
    const calls: string[] = [];
    return {
      calls,
      read: (userId: string) => (calls.push(userId), answering({ userId }, userId === 'slow' ? 'never' : 10)),
      write: async (userId: string) => void calls.push(userId),
      name: () => 'firestore',
    };
  }

  it('bounds every asynchronous method, names the call by port and method, and never by its arguments', async () => {
    const passed: DeadlineExceeded[] = [];
    const bounded = withDeadlines(store(), { ms: 1000, name: 'privacy', onPassed: (error) => passed.push(error) });

    const { error } = (await settleAfter(bounded.read('slow'), 1000)) as { error: Error };
    expect(error).toMatchObject({ name: 'DeadlineExceeded', call: 'privacy.read' });
    expect(error.message).not.toContain('slow');
    expect(passed.map((e) => e.call)).toEqual(['privacy.read']);
  });

  it('answers as the port does when it answers in time, with the same arguments', async () => {
    const port = store();
    const bounded = withDeadlines(port, { ms: 1000, name: 'privacy' });

    expect(await settleAfter(bounded.read('shopper-1'), 10)).toEqual({ value: { userId: 'shopper-1' } });
    expect(await settleAfter(bounded.write('shopper-2'), 0)).toEqual({ value: undefined });
    expect(port.calls).toEqual(['shopper-1', 'shopper-2']);
  });

  it('passes synchronous members through', () => {
    expect(withDeadlines(store(), { ms: 1000, name: 'privacy' }).name()).toBe('firestore');
  });

  it("does not report a deadline passed further down as its own (a transaction's, inside a store call)", async () => {
    const passed: DeadlineExceeded[] = [];
    const port = { apply: async () => Promise.reject(new DeadlineExceeded('Firestore transaction', 500)) };
    const bounded = withDeadlines(port, { ms: 1000, name: 'preferences', onPassed: (error) => passed.push(error) });

    expect(await settleAfter(bounded.apply(), 0)).toEqual({ error: expect.objectContaining({ call: 'Firestore transaction' }) });
    expect(passed).toEqual([]);
  });

  it('bounds the methods of a port built as a class, calling them on the instance', async () => {
    class Warehouse {
      readonly #rows: string[] = [];
      async insert(row: string): Promise<number> {
        this.#rows.push(row);
        return this.#rows.length;
      }
      hang(): Promise<never> {
        return new Promise(() => {});
      }
    }
    const bounded = withDeadlines(new Warehouse(), { ms: 1000, name: 'warehouse' });

    expect(await settleAfter(bounded.insert('row'), 0)).toEqual({ value: 1 });
    expect(await settleAfter(bounded.hang(), 1000)).toEqual({ error: expect.objectContaining({ call: 'warehouse.hang' }) });
  });
});
