import { parseArgs } from 'node:util';
import { JOBS, localPorts, type JobName } from './local-functions.ts';

// `npm run job -- <job> [--as-of <ISO>] [--since <ISO>]`: runs a batch job (a scheduled function of the registry:
// patterns, erasure, retention, metrics) now on the local stack (`npm start` must be running), waiting for its
// summary. For metrics, --since starts the measured window.
// `npm run job -- patterns --project <id> --region <region>`: asks Cloud Scheduler to run the deployed
// job now (`runJob`), exactly as its schedule would, with its OIDC identity; the run's summary is in
// the function's logs. Backfills with --as-of/--since are for the local stack or a direct call.
const JOB_NAMES: readonly string[] = JOBS.map((job) => job.name);

/** The part of `CloudSchedulerClient` this command uses. */
export interface SchedulerClient {
  jobPath(project: string, location: string, job: string): string;
  runJob(request: { name: string }): Promise<[{ name?: string | null; state?: unknown }, ...unknown[]]>;
  close(): Promise<void>;
}

export type RunJobOptions = { job: JobName; asOf?: string; since?: string; project?: string; region?: string };

export function parseRunJobArgs(args: string[]): RunJobOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'as-of': { type: 'string' }, since: { type: 'string' }, project: { type: 'string' }, region: { type: 'string' } },
  });
  const job = JOBS.find((candidate) => candidate.name === positionals[0])?.name;
  if (!job || positionals.length > 1) {
    throw new Error(`usage: npm run job -- <${JOB_NAMES.join('|')}> [--as-of ISO] [--since ISO] | [--project ID --region REGION]`);
  }
  if (values.project && !values.region) throw new Error('--region is needed with --project');
  if (values.project && (values['as-of'] || values.since))
    throw new Error('--as-of and --since apply to local runs; a deployed job runs as scheduled');
  return { job, asOf: values['as-of'], since: values.since, project: values.project, region: values.region };
}

/** Runs the job now; answers what to print and whether it went well. */
export async function runJobNow(
  options: RunJobOptions,
  deps: { scheduler: () => Promise<SchedulerClient>; fetchFn: typeof fetch; env: NodeJS.ProcessEnv },
): Promise<{ ok: boolean; output: string }> {
  if (options.project && options.region) {
    const client = await deps.scheduler();
    try {
      const [started] = await client.runJob({ name: client.jobPath(options.project, options.region, options.job) });
      return { ok: true, output: JSON.stringify({ job: started.name, state: started.state }) };
    } finally {
      await client.close();
    }
  }
  const body: Record<string, string> = {};
  if (options.asOf) body.as_of = options.asOf;
  if (options.since) body.since = options.since;
  const url = `http://127.0.0.1:${localPorts(deps.env)[options.job]}/`;
  const res = await deps
    .fetchFn(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    .catch((error: unknown) => {
      throw new Error(`the local stack does not answer at ${url} (is npm start running?)`, { cause: error });
    });
  return { ok: res.ok, output: await res.text() };
}

if (import.meta.main) {
  try {
    const result = await runJobNow(parseRunJobArgs(process.argv.slice(2)), {
      // Loaded only for a deployed job: the local path needs no Google client.
      scheduler: async () => new (await import('@google-cloud/scheduler')).CloudSchedulerClient(),
      fetchFn: fetch,
      env: process.env,
    });
    process.stdout.write(`${result.output}\n`);
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
