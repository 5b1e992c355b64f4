import { describe, expect, it } from 'vitest';
import { JOBS } from '../../functions/local/local-functions.ts';
import { parseRunJobArgs, runJobNow, type SchedulerClient } from '../../functions/local/run-job.ts';

function recordingScheduler() {
  const calls: { name: string }[] = [];
  let closed = false;
  const client: SchedulerClient = {
    jobPath: (project, location, job) => `projects/${project}/locations/${location}/jobs/${job}`,
    runJob: async (request) => {
      calls.push(request);
      return [{ name: request.name, state: 'ENABLED' }];
    },
    close: async () => {
      closed = true;
    },
  };
  return { client, calls, closed: () => closed };
}

const noFetch = (async () => {
  throw new Error('no local call expected');
}) as typeof fetch;

describe('npm run job', () => {
  it('asks Cloud Scheduler to run the deployed job now, by its full name', async () => {
    const scheduler = recordingScheduler();
    const result = await runJobNow(parseRunJobArgs(['patterns', '--project', 'my-shop', '--region', 'europe-west1']), {
      scheduler: async () => scheduler.client,
      fetchFn: noFetch,
      env: {},
    });
    expect(scheduler.calls).toEqual([{ name: 'projects/my-shop/locations/europe-west1/jobs/patterns' }]);
    expect(scheduler.closed()).toBe(true);
    expect(result).toEqual({
      ok: true,
      output: JSON.stringify({ job: 'projects/my-shop/locations/europe-west1/jobs/patterns', state: 'ENABLED' }),
    });
  });

  it('posts a backfill to the local stack’s patterns port', async () => {
    const sent: { url: string; body: unknown }[] = [];
    const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
      sent.push({ url: url as string, body: JSON.parse(init?.body as string) });
      return new Response('{"shoppers":1}', { status: 200 });
    }) as typeof fetch;
    const result = await runJobNow(parseRunJobArgs(['patterns', '--as-of', '2026-03-01T00:00:00Z', '--since', '2026-02-01T00:00:00Z']), {
      scheduler: async () => {
        throw new Error('no scheduler expected');
      },
      fetchFn,
      env: { PATTERNS_PORT: '9999' },
    });
    expect(sent).toEqual([{ url: 'http://127.0.0.1:9999/', body: { as_of: '2026-03-01T00:00:00Z', since: '2026-02-01T00:00:00Z' } }]);
    expect(result).toEqual({ ok: true, output: '{"shoppers":1}' });
  });

  it('posts a metrics window to the local stack’s metrics port: --since starts it, --as-of ends it', async () => {
    const sent: { url: string; body: unknown }[] = [];
    const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
      sent.push({ url: url as string, body: JSON.parse(init?.body as string) });
      return new Response('{"rows":23}', { status: 200 });
    }) as typeof fetch;
    const result = await runJobNow(parseRunJobArgs(['metrics', '--as-of', '2026-03-02T00:00:00Z', '--since', '2026-02-23T00:00:00Z']), {
      scheduler: async () => {
        throw new Error('no scheduler expected');
      },
      fetchFn,
      env: { METRICS_PORT: '9998' },
    });
    expect(sent).toEqual([{ url: 'http://127.0.0.1:9998/', body: { as_of: '2026-03-02T00:00:00Z', since: '2026-02-23T00:00:00Z' } }]);
    expect(result).toEqual({ ok: true, output: '{"rows":23}' });
  });

  it.each([
    [[], new RegExp(`usage: npm run job -- <${JOBS.map((job) => job.name).join('\\|')}>`)],
    [['metric'], /usage/],
    [['patterns', '--project', 'p'], /--region is needed/],
    [['patterns', '--project', 'p', '--region', 'r', '--as-of', '2026-03-01T00:00:00Z'], /apply to local runs/],
  ])('refuses %j', (args, message) => {
    expect(() => parseRunJobArgs(args)).toThrow(message);
  });
});
