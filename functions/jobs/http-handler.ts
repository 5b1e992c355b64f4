import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { describeIssues } from '../events/describe-issues.ts';
import { sendError } from '../http/reply.ts';
import { createRouter } from '../http/routes.ts';

/** What a batch job's run takes from the request: `{}` from Cloud Scheduler, or a backfill's instants. */
export type JobRequest = { asOf?: Date; since?: Date };

const Body = z
  .strictObject({
    /** Events before this count; default now. */
    as_of: z.iso.datetime({ offset: true }).optional(),
    /** Where the run starts; default where the last one ended. */
    since: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((b) => !b.as_of || !b.since || Date.parse(b.since) <= Date.parse(b.as_of), 'since must not be after as_of');

/**
 * A scheduled batch job over HTTP, for Cloud Scheduler (which authenticates with OIDC; only the job's
 * own scheduler account may invoke the function) and for operators: `POST /` with `{}` or
 * `{ "as_of": …, "since": … }` (each job says which it reads). Answers 200 with the run's summary,
 * 409 while a run is in progress here, 500 when the run failed (so Cloud Scheduler retries it; the
 * run has logged why).
 */
export function createJobHandler<Summary>(job: string, run: (request: JobRequest) => Promise<Summary>): HttpFunction {
  // Whatever the path: the function is the job.
  const findRoute = createRouter([{ path: '*', methods: { POST: run } }]);
  let running = false;
  return async (req: Request, res: Response) => {
    const routed = findRoute(req.method, req.path);
    if (!routed.ok) return sendError(res, routed.reply);
    const parsed = Body.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, { status: 400, code: 'invalid_request', message: describeIssues(parsed.error) });
    // A job's runs may share state (a staging table); in production max instances 1 and concurrency 1 keep them apart too.
    if (running)
      return sendError(res, { status: 409, code: 'already_running', message: `a ${job} run is in progress; try again when it ends` });

    const request: JobRequest = {};
    if (parsed.data.as_of) request.asOf = new Date(parsed.data.as_of);
    if (parsed.data.since) request.since = new Date(parsed.data.since);
    running = true;
    try {
      res.status(200).json(await routed.action(request));
    } catch {
      // The run has logged why; the answer names no shopper or query detail.
      sendError(res, { status: 500, code: 'job_failed', message: `the ${job} run failed; see the logs` });
    } finally {
      running = false;
    }
  };
}
