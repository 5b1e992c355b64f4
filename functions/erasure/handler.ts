import type { HttpFunction } from '@google-cloud/functions-framework';
import { createJobHandler } from '../jobs/http-handler.ts';
import { JOB, runErasureJob, type ErasureJobDeps } from './job.ts';

/**
 * `erasure`: the scheduled erasure job over HTTP (functions/jobs/http-handler.ts). It reads neither
 * `as_of` nor `since`: every run works on every pending request.
 */
export function createErasureHandler(deps: ErasureJobDeps): HttpFunction {
  return createJobHandler(JOB, (request) => runErasureJob(deps, request));
}
