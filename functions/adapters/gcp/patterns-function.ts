import type { PatternsRunner } from '../../history/ports.ts';

export type PatternsFunctionOptions = {
  /** The patterns function's URL (`PATTERNS_URL`). */
  url: string;
  /** Headers that let this function call it: in production a Google identity token for the URL; none on loopback. */
  authorize?: () => Promise<Record<string, string>>;
  /** While a scheduled run is in progress (409), how long to wait before asking again, and for how long at most. */
  retryEveryMs?: number;
  maxWaitMs?: number;
  fetchFn?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
};

/**
 * The patterns job, run by its own function over HTTP with `as_of` and `since`, as a backfill is: the function keeps
 * its runs apart (one at a time, 409 otherwise), which running the job's code here would not, as both would fill the
 * same staging tables. A run in progress is waited for; any other failure is thrown.
 */
export function createPatternsFunctionRunner(options: PatternsFunctionOptions): PatternsRunner {
  const fetchFn = options.fetchFn ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retryEveryMs = options.retryEveryMs ?? 15_000;
  const maxWaitMs = options.maxWaitMs ?? 30 * 60_000;
  return {
    async run({ asOf, since }) {
      const body = JSON.stringify({ as_of: asOf.toISOString(), since: since.toISOString() });
      for (let waited = 0; ; waited += retryEveryMs) {
        const headers = { 'Content-Type': 'application/json', ...(await options.authorize?.()) };
        const response = await fetchFn(options.url, { method: 'POST', headers, body });
        const text = await response.text();
        if (response.ok) return JSON.parse(text) as Record<string, unknown>;
        if (response.status !== 409 || waited >= maxWaitMs)
          throw new Error(`the patterns function answered ${response.status}: ${text.slice(0, 300)}`);
        await sleep(retryEveryMs);
      }
    },
  };
}
