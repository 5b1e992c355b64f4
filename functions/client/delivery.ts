import type { EventType } from '../events/schema.ts';
import { retryDelay, type BackoffPolicy } from './backoff.ts';
import { REQUEST_LIMITS, requestBody, takeBatch, type Entry } from './batch.ts';
import { unref, type FetchLike, type Timers } from './ports.ts';
import type { Queue } from './queue.ts';
import { sendBatch, type SendOutcome } from './send-batch.ts';
import type { TokenProvider } from './token.ts';

/** Browsers refuse `keepalive` requests once the bodies of those in flight would pass 64 KiB in all. */
export const KEEPALIVE_MAX_BYTES = 64 * 1024;

/** An event collect (or the client, before sending) refused for good, with the reason. */
export type Rejection = { event_id: string; type: EventType; reason: string };

export type FlushResult = {
  /** Events of the flush still queued when it ended: collect could not be reached in time. */
  pending: number;
};

export type DeliveryCounts = { delivered: number; rejected: number; retries: number; requests: number };

export type DeliveryOptions = {
  queue: Queue;
  tokens: TokenProvider;
  fetch: FetchLike;
  /** collect's batch route. */
  url: string;
  timers: Timers;
  now: () => number;
  random: () => number;
  backoff: BackoffPolicy;
  /** Events that make a request go at once. */
  flushAt: number;
  /** Longest wait of a queued event before a request carries it, ms. */
  flushIntervalMs: number;
  requestTimeoutMs: number;
  isOnline: () => boolean;
  onRejected: (rejections: Rejection[]) => void;
};

type Flush = { ids: Set<string>; timer: unknown; resolve: (result: FlushResult) => void };
type Flight = { id: number; keepalive: boolean };
type Batch = ReturnType<typeof takeBatch>;

/**
 * Sends the queue to collect: one regular request at a time, batched by count, bytes and time;
 * transient failures retried with backoff and the same event ids; an event leaves the queue only
 * once collect answered for it. When the page is hidden, what is queued goes at once in requests that
 * outlive the page.
 */
export function createDelivery(options: DeliveryOptions) {
  const { queue, timers } = options;
  const counts: DeliveryCounts = { delivered: 0, rejected: 0, retries: 0, requests: 0 };
  const flying = new Map<string, Flight>();
  const flushes: Flush[] = [];
  let regularInFlight = false;
  let flights = 0;
  let keepaliveBytes = 0;
  let attempt = 0;
  let retryAt = 0;
  let timer: unknown;
  let timerAt = Infinity;
  let stopped = false;

  const waiting = () => queue.entries.filter((entry) => !flying.has(entry.id));

  /** Sets when the next regular request goes: now, after the backoff, or when the oldest event has waited long enough. */
  function schedule(): void {
    if (stopped || regularInFlight) return;
    const count = waiting().length;
    if (count === 0) return clearTimer();
    const now = options.now();
    let due = flushes.length > 0 || count >= options.flushAt ? now : now + options.flushIntervalMs;
    // Offline, look again now and then: the browser's online event is the quicker way back.
    if (!options.isOnline()) due = Math.max(due, now + options.flushIntervalMs);
    due = Math.max(due, retryAt);
    // An earlier timer stands: newer events do not restart the oldest one's wait.
    if (timer !== undefined && timerAt <= due) return;
    clearTimer();
    timerAt = due;
    timer = timers.setTimeout(pump, Math.max(0, due - now));
    // In Node an idle tracker must not keep the process alive; beforeExit flushes what is left.
    unref(timer);
  }

  function clearTimer(): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
    timerAt = Infinity;
  }

  function pump(): void {
    clearTimer();
    if (stopped || regularInFlight) return;
    if (!options.isOnline() || options.now() < retryAt) return schedule();
    const batch = takeBatch(waiting(), REQUEST_LIMITS);
    if (batch.entries.length === 0) return;
    regularInFlight = true;
    void send(batch, false).then(() => {
      regularInFlight = false;
      schedule();
    });
  }

  /** One request for `batch`; a 401 asks for a fresh token once and sends the batch once more. */
  function send({ entries: batch, bytes: bodyBytes }: Batch, keepalive: boolean): Promise<void> {
    const flight = { id: ++flights, keepalive };
    const bytes = keepalive ? bodyBytes : 0;
    keepaliveBytes += bytes;
    for (const entry of batch) flying.set(entry.id, flight);
    const post = (token: string) => {
      counts.requests++;
      return sendBatch({
        fetch: options.fetch,
        url: options.url,
        token,
        body: requestBody(batch, new Date(options.now()).toISOString()),
        keepalive,
        timeoutMs: options.requestTimeoutMs,
        timers,
        now: options.now,
      });
    };
    // With a token at hand the request starts before this returns: a page being hidden may not wait.
    const cached = options.tokens.cached();
    const first = cached === undefined ? options.tokens.get().then(post) : post(cached);
    return first
      .then(async (outcome): Promise<SendOutcome> => {
        if (outcome.kind !== 'unauthorized') return outcome;
        const again = await post(await options.tokens.refresh());
        return again.kind === 'unauthorized' ? { kind: 'refused', reason: again.reason } : again;
      })
      .catch((): SendOutcome => ({ kind: 'retry' }))
      .then((outcome) => {
        keepaliveBytes -= bytes;
        settle(batch, flight, outcome);
      });
  }

  function settle(batch: Entry[], flight: Flight, outcome: SendOutcome): void {
    for (const entry of batch) if (flying.get(entry.id) === flight) flying.delete(entry.id);
    if (outcome.kind === 'retry') {
      counts.retries++;
      retryAt = options.now() + retryDelay(attempt++, options.backoff, options.random, outcome.retryAfterMs);
    } else {
      attempt = 0;
      retryAt = 0;
      const rejections: Rejection[] =
        outcome.kind === 'answered'
          ? outcome.rejected.flatMap(({ index, reason }) => {
              const entry = batch[index];
              return entry ? [{ event_id: entry.id, type: entry.type, reason }] : [];
            })
          : batch.map((entry) => ({ event_id: entry.id, type: entry.type, reason: outcome.reason }));
      const ids = new Set(batch.map((entry) => entry.id));
      queue.removeWhere((entry) => ids.has(entry.id));
      counts.delivered += batch.length - rejections.length;
      counts.rejected += rejections.length;
      if (rejections.length) options.onRejected(rejections);
    }
    settleFlushes();
  }

  function settleFlushes(): void {
    const queued = new Set(queue.entries.map((entry) => entry.id));
    for (const flush of [...flushes]) if (![...flush.ids].some((id) => queued.has(id))) finish(flush);
  }

  function finish(flush: Flush): void {
    timers.clearTimeout(flush.timer);
    flushes.splice(flushes.indexOf(flush), 1);
    const queued = new Set(queue.entries.map((entry) => entry.id));
    flush.resolve({ pending: [...flush.ids].filter((id) => queued.has(id)).length });
  }

  return {
    counts,

    /** A new event is queued. */
    queued: schedule,

    /** Sends what is queued now, and resolves once collect answered for all of it, or after `timeoutMs`. */
    flush(timeoutMs: number): Promise<FlushResult> {
      const ids = new Set(queue.entries.map((entry) => entry.id));
      if (ids.size === 0) return Promise.resolve({ pending: 0 });
      return new Promise((resolve) => {
        // Not unref'd: in Node this timer keeps the process alive until the flush ends.
        const flush: Flush = { ids, resolve, timer: undefined };
        flush.timer = timers.setTimeout(() => finish(flush), timeoutMs);
        flushes.push(flush);
        pump();
      });
    },

    /**
     * The page is being hidden, maybe for good: everything queued goes now in `keepalive` requests,
     * within their 64 KiB, even during a backoff (this may be the page's last chance; a later page
     * would send at once anyway). Events already in such a request are not sent twice; those of a
     * regular request in flight are, as unloading the page cancels it. What does not fit stays stored.
     */
    hidden(): void {
      if (stopped || !options.isOnline()) return;
      let budget = KEEPALIVE_MAX_BYTES - keepaliveBytes;
      let rest = queue.entries.filter((entry) => flying.get(entry.id)?.keepalive !== true);
      while (rest.length > 0) {
        const batch = takeBatch(rest, { maxEvents: REQUEST_LIMITS.maxEvents, maxBytes: Math.min(REQUEST_LIMITS.maxBytes, budget) });
        if (batch.entries.length === 0) break;
        budget -= batch.bytes;
        void send(batch, true);
        rest = rest.slice(batch.entries.length);
      }
    },

    /** The network is back: no reason to wait out the backoff. */
    online(): void {
      attempt = 0;
      retryAt = 0;
      pump();
    },

    stop(): void {
      stopped = true;
      clearTimer();
    },
  };
}

export type Delivery = ReturnType<typeof createDelivery>;
