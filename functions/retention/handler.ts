import type { HttpFunction } from '@google-cloud/functions-framework';
import { createJobHandler } from '../jobs/http-handler.ts';
import { JOB, runRetentionJob, type RetentionJobDeps } from './job.ts';

/** `retention`: the scheduled retention job over HTTP (functions/jobs/http-handler.ts); it reads `as_of` only. */
export function createRetentionHandler(deps: RetentionJobDeps): HttpFunction {
  return createJobHandler(JOB, (request) => runRetentionJob(deps, { asOf: request.asOf }));
}
