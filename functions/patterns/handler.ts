import type { HttpFunction } from '@google-cloud/functions-framework';
import { createJobHandler } from '../jobs/http-handler.ts';
import { JOB, runPatternsJob, type PatternsJobDeps } from './job.ts';

/** `patterns`: the scheduled patterns job over HTTP (functions/jobs/http-handler.ts); it reads `as_of` and `since`. */
export function createPatternsHandler(deps: PatternsJobDeps): HttpFunction {
  return createJobHandler(JOB, (request) => runPatternsJob(deps, request));
}
