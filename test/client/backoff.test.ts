import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelay } from '../../functions/client/backoff.ts';

describe('the retry delay', () => {
  it('is a uniform draw below a ceiling that doubles from 500 ms up to 30 s (full jitter)', () => {
    const ceilings = Array.from({ length: 10 }, (_, attempt) => retryDelay(attempt, DEFAULT_BACKOFF, () => 0.999_999));
    expect(ceilings).toEqual([499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999, 29_999]);
    expect(retryDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(0);
    expect(retryDelay(3, DEFAULT_BACKOFF, () => 0.5)).toBe(2000);
  });

  it('is never shorter than the server’s Retry-After, which is believed up to five minutes', () => {
    expect(retryDelay(0, DEFAULT_BACKOFF, () => 0.5, 1000)).toBe(1000);
    expect(retryDelay(5, DEFAULT_BACKOFF, () => 0.9, 1000)).toBe(14_400);
    expect(retryDelay(0, DEFAULT_BACKOFF, () => 0.5, 86_400_000)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');

  it.each([
    ['1', 1000],
    ['0', 0],
    [' 30 ', 30_000],
    ['Thu, 26 Nov 2026 12:00:05 GMT', 5000],
    ['Thu, 26 Nov 2026 11:00:00 GMT', 0],
  ])('%j is %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([null, '', '-1', 'soon'])('%j is no delay the server asked for', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
