import type { HttpFunction } from '@google-cloud/functions-framework';
import { createJobHandler } from '../jobs/http-handler.ts';
import { JOB, runWeightsJob, type WeightsJobDeps } from './job.ts';

/** `weights`: the scheduled fit over HTTP (functions/jobs/http-handler.ts); `as_of` and `since` bound the clicks it reads. */
export function createWeightsHandler(deps: WeightsJobDeps): HttpFunction {
  return createJobHandler(JOB, (request) => runWeightsJob(deps, { asOf: request.asOf, since: request.since }));
}
