import type { HttpFunction } from '@google-cloud/functions-framework';
import { createJobHandler } from '../jobs/http-handler.ts';
import { JOB, runMetricsJob, type MetricsJobDeps } from './job.ts';

/**
 * `metrics`: the scheduled metrics job over HTTP (functions/jobs/http-handler.ts). `as_of` ends the
 * measured window and `since` starts it; without `since` the window is the day before `as_of`.
 */
export function createMetricsHandler(deps: MetricsJobDeps): HttpFunction {
  return createJobHandler(JOB, (request) => runMetricsJob(deps, { asOf: request.asOf, windowStart: request.since }));
}
