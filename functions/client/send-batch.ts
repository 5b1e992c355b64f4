import { parseRetryAfter } from './backoff.ts';
import type { FetchLike, Timers } from './ports.ts';

/** One event collect refused, by its index in the request, with collect's reason. */
export type IndexedRejection = { index: number; reason: string };

/** What became of one request. */
export type SendOutcome =
  /** collect answered for every event: accepted, or refused with a reason (202, or 400 with the per-event list). */
  | { kind: 'answered'; rejected: IndexedRejection[] }
  /** Worth sending again, the same events: a network failure, a timeout, 429 or 5xx. */
  | { kind: 'retry'; retryAfterMs?: number }
  /** The token was refused: a fresh one may do. */
  | { kind: 'unauthorized'; reason: string }
  /** Another 4xx: sending these events again cannot succeed. */
  | { kind: 'refused'; reason: string };

export type SendRequest = {
  fetch: FetchLike;
  url: string;
  token: string;
  body: string;
  /** Lets the request outlive its page (browsers cap such bodies at 64 KiB in flight). */
  keepalive: boolean;
  timeoutMs: number;
  timers: Timers;
  now: () => number;
};

/** POSTs one batch and says what became of it. Never throws: a failure is an outcome. */
export async function sendBatch(request: SendRequest): Promise<SendOutcome> {
  const abort = new AbortController();
  const timer = request.timers.setTimeout(() => abort.abort(), request.timeoutMs);
  try {
    const response = await request.fetch(request.url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${request.token}`, 'Content-Type': 'application/json' },
      body: request.body,
      keepalive: request.keepalive,
      signal: abort.signal,
    });
    const body = await response.json().catch(() => undefined);
    return outcomeOf(response.status, body, parseRetryAfter(response.headers.get('retry-after'), request.now()));
  } catch {
    // No answer: offline, refused, reset, or our own timeout. The events were maybe stored, maybe not;
    // sending them again with the same ids is safe either way.
    return { kind: 'retry' };
  } finally {
    request.timers.clearTimeout(timer);
  }
}

/** The rule for every answer, in one place. */
export function outcomeOf(status: number, body: unknown, retryAfterMs?: number): SendOutcome {
  const rejected = perEventRejections(body);
  if (status >= 200 && status < 300) return { kind: 'answered', rejected: rejected ?? [] };
  // A 400 that lists every event with its reason is an answer for each, like a 202 with nothing accepted.
  if (status === 400 && rejected) return { kind: 'answered', rejected };
  const reason = `${status}${errorMessage(body)}`;
  if (status === 401) return { kind: 'unauthorized', reason };
  // 429 is a 4xx worth retrying: Cloud Run answers it when no instance is free to take the request.
  if (status === 429 || status === 408 || status >= 500)
    return retryAfterMs === undefined ? { kind: 'retry' } : { kind: 'retry', retryAfterMs };
  return { kind: 'refused', reason };
}

function perEventRejections(body: unknown): IndexedRejection[] | undefined {
  const list = typeof body === 'object' && body !== null ? (body as { rejected?: unknown }).rejected : undefined;
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((item: unknown) => {
    const { index, reason } = (typeof item === 'object' && item !== null ? item : {}) as { index?: unknown; reason?: unknown };
    return typeof index === 'number' ? [{ index, reason: typeof reason === 'string' ? reason : 'rejected' }] : [];
  });
}

function errorMessage(body: unknown): string {
  const error = typeof body === 'object' && body !== null ? (body as { error?: { message?: unknown } }).error : undefined;
  return typeof error?.message === 'string' ? `: ${error.message}` : '';
}
