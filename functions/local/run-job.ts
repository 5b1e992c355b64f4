import { parseArgs } from 'node:util';
import { CloudSchedulerClient } from '@google-cloud/scheduler';
import { localPorts } from './local-settings.ts';

// `npm run job -- patterns [--as-of <ISO>] [--since <ISO>]`: runs a batch job now on the local stack
// (`npm start` must be running), waiting for its summary.
// `npm run job -- patterns --project <id> --region <region>`: asks Cloud Scheduler to run the deployed
// job now (`runJob`), exactly as its schedule would, with its OIDC identity; the run's summary is in
// the function's logs. Backfills with --as-of/--since are for the local stack or a direct call.
const JOBS = ['patterns'] as const;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'as-of': { type: 'string' },
    since: { type: 'string' },
    project: { type: 'string' },
    region: { type: 'string' },
  },
});
const job = positionals[0];
if (!job || !(JOBS as readonly string[]).includes(job)) {
  process.stderr.write(`usage: npm run job -- <${JOBS.join('|')}> [--as-of ISO] [--since ISO] | [--project ID --region REGION]\n`);
  process.exit(2);
}

if (values.project) {
  if (!values.region) throw new Error('--region is needed with --project');
  if (values['as-of'] || values.since) throw new Error('--as-of and --since apply to local runs; a deployed job runs as scheduled');
  const client = new CloudSchedulerClient();
  const name = client.jobPath(values.project, values.region, job);
  const [started] = await client.runJob({ name });
  process.stdout.write(`${JSON.stringify({ job: started.name, state: started.state, lastAttemptTime: started.lastAttemptTime ?? null })}\n`);
  await client.close();
} else {
  const body: Record<string, string> = {};
  if (values['as-of']) body.as_of = values['as-of'];
  if (values.since) body.since = values.since;
  const url = `http://127.0.0.1:${localPorts(process.env).patterns}/`;
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).catch((error: unknown) => {
    throw new Error(`the local stack does not answer at ${url} (is npm start running?)`, { cause: error });
  });
  process.stdout.write(`${await res.text()}\n`);
  process.exitCode = res.ok ? 0 : 1;
}
