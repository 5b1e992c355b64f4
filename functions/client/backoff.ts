export type BackoffPolicy = {
  /** The ceiling of the first retry's delay, ms. Default 500. */
  baseMs: number;
  /** The highest ceiling, ms: delays stop doubling there. Default 30,000. */
  maxMs: number;
};

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/** A misconfigured proxy's `Retry-After: 86400` must not silence a shop's pages for a day. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * Exponential backoff with full jitter (a uniform draw below the doubling ceiling), so that pages
 * that failed together do not retry together; never sooner than the server's `Retry-After`.
 * `attempt` counts from 0 for the first retry.
 */
export function retryDelay(attempt: number, policy: BackoffPolicy, random: () => number, retryAfterMs = 0): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.max(Math.floor(random() * ceiling), Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** `Retry-After` as ms from now: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
