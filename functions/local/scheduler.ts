import type { Logger } from '../logging/logger.ts';

export type ScheduledCall = {
  job: string;
  /** The job function's URL; it is POSTed `{}`, as Cloud Scheduler does in production. */
  url: string;
  everyMs: number;
};

export type LocalScheduler = {
  /** Fires a job now, unless its previous call is still running; answers the function's status. */
  fire(job: string): Promise<number | null>;
  stop(): void;
};

/**
 * Cloud Scheduler for the local stack: each job's function is called on its interval (first one
 * interval after start), one call per job at a time, each outcome logged. Production uses Cloud
 * Scheduler jobs with OIDC tokens instead (infra/scheduled-job.ts).
 */
export function startLocalScheduler(calls: readonly ScheduledCall[], logger: Logger, fetchFn: typeof fetch = fetch): LocalScheduler {
  const running = new Set<string>();
  const byJob = new Map(calls.map((c) => [c.job, c]));

  async function fire(job: string): Promise<number | null> {
    const call = byJob.get(job);
    if (!call) throw new Error(`no scheduled job ${job}`);
    if (running.has(job)) {
      logger.info('scheduled run skipped: the previous one is still running', { job });
      return null;
    }
    running.add(job);
    const started = Date.now();
    try {
      const res = await fetchFn(call.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      const summary = await res.text();
      const fields = { job, status: res.status, ms: Date.now() - started, answer: summary.slice(0, 500) };
      if (res.ok) logger.info('scheduled run finished', fields);
      else logger.warn('scheduled run failed', fields);
      return res.status;
    } catch (error) {
      logger.warn('scheduled run could not reach its function', { job, error });
      return null;
    } finally {
      running.delete(job);
    }
  }

  const timers = calls.map((c) => setInterval(() => void fire(c.job), c.everyMs));
  return {
    fire,
    stop: () => {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
