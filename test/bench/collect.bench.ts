import { event } from './collect-body.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { PubSub } from '@google-cloud/pubsub';
import { freePort, httpAnswers, startEmulator, startProcessGroup, type RunningProcess } from '../../functions/local/emulators.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { LOCAL } from '../../functions/local/local-settings.ts';
import { groupCpuMs, sampleGroupRss } from './process-cpu.ts';

// `npm run bench`: collect on loopback against two baselines measured in the same run — a bare
// node:http server and a bare Functions Framework handler, both answering 202 — since these
// machines are too noisy for absolute numbers to mean much. Options: --duration=SECONDS; --only=TEXT runs the baselines
// and the servers whose name contains TEXT; --profile runs every server with --cpu-prof (profiles in out/collect-profile/).

const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const DURATION_SEC = Number(option('duration') ?? 10);
const ONLY = option('only');
const PROFILE = process.argv.includes('--profile');
const CONNECTIONS = 50;
const RATE = 200;
const KEY = 'bench-signing-key-that-is-long-enough-0123456789';
const ISSUER = 'grocery-shop';
const AUDIENCE = 'learning-loop';
process.env.METADATA_SERVER_DETECTION ??= 'none';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FF = `${ROOT}node_modules/.bin/functions-framework`;
/** The least any collect must spend: the body published as it came, through the same adapter and window, nothing checked. */
const FLOOR = 'bare Functions Framework publishing the body, batching 10 ms';

type Row = {
  server: string;
  body: string;
  load: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU the server's own process spent per request, µs: a throughput figure the noise of a shared machine barely moves. */
  cpuUsPerRequest: number;
  /** CPU the Pub/Sub emulator spent per request, µs (it shares this machine; in production it is Google's). */
  emulatorCpuUsPerRequest: number;
  /** Highest resident memory of the server's processes during the run, MB (sampled every 250 ms). */
  peakRssMb: number;
};

const progress = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);

async function serve(name: string, port: number, args: string[], env: NodeJS.ProcessEnv): Promise<RunningProcess> {
  const host = `127.0.0.1:${port}`;
  const profileArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${ROOT}out/collect-profile`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  return startProcessGroup(name, process.execPath, [...profileArgs, ...args], {
    host,
    env: { ...process.env, ...env },
    ready: () => httpAnswers(`http://${host}/v1/events`, { method: 'OPTIONS' }),
  });
}

/** Warm-up runs (JIT, connection pools, the publisher's channel) use the same call with 2 s. */
function load(url: string, body: string, headers: Record<string, string>, rate: number | undefined, duration: number) {
  return autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
    connections: rate ? 20 : CONNECTIONS,
    duration,
    ...(rate ? { overallRate: rate } : {}),
  });
}

async function main(): Promise<void> {
  const token = await mintShopperToken('bench-shopper', { key: KEY, issuer: ISSUER, audience: AUDIENCE, ttlSec: 3600 });
  const now = new Date().toISOString();
  const bodies = {
    '1 event': JSON.stringify({ events: [event(now)] }),
    '100 events': JSON.stringify({ events: Array.from({ length: 100 }, () => event(now)) }),
  };
  const headers = { authorization: `Bearer ${token}` };

  progress('starting the Pub/Sub emulator, and the Firestore emulator collect reads privacy settings from');
  const emulator = await startEmulator('pubsub', { port: await freePort(), projectId: 'demo-bench' });
  const firestoreEmulator = await startEmulator('firestore', { port: await freePort(), projectId: 'demo-bench' });
  const pubsub = new PubSub({ projectId: 'demo-bench', apiEndpoint: emulator.host, emulatorMode: true });
  await pubsub.createTopic('events');
  await pubsub.createTopic('rejected-events');
  await pubsub.close();

  const collectEnv = (batchMs: number) => ({
    // As Cloud Functions sets it: the entry builds collect alone, with collect's settings alone.
    FUNCTION_TARGET: 'collect',
    GOOGLE_CLOUD_PROJECT: 'demo-bench',
    PUBSUB_EMULATOR_HOST: emulator.host,
    FIRESTORE_EMULATOR_HOST: firestoreEmulator.host,
    METADATA_SERVER_DETECTION: 'none',
    TOKEN_KEY: KEY,
    USER_HASH_KEY: LOCAL.userHashKey,
    LOG_LEVEL: 'ERROR',
    PUBLISH_BATCH_MAX_MILLISECONDS: String(batchMs),
  });
  const servers: { name: string; start: (port: number) => Promise<RunningProcess>; bodies: (keyof typeof bodies)[]; rate?: boolean }[] = [
    {
      name: 'bare node:http',
      start: (p) => serve('bare-http', p, [`${ROOT}test/bench/bare-servers.ts`, 'http', String(p)], {}),
      bodies: ['1 event', '100 events'],
    },
    {
      name: 'bare Functions Framework',
      start: (p) => serve('bare-ff', p, [FF, '--target=bare', `--source=${ROOT}test/bench/bare-servers.ts`, `--port=${p}`], {}),
      bodies: ['1 event', '100 events'],
      // At 200 req/s too: a server woken for each request spends more CPU on it than a saturated one.
      rate: true,
    },
    {
      name: FLOOR,
      start: (p) =>
        serve('publish-floor', p, [FF, '--target=publishBody', `--source=${ROOT}test/bench/bare-servers.ts`, `--port=${p}`], {
          ...collectEnv(10),
          FUNCTION_TARGET: 'publishBody',
        }),
      bodies: ['1 event', '100 events'],
      rate: true,
    },
    {
      name: 'collect, publisher discarding',
      start: (p) =>
        serve(
          'collect-null',
          p,
          [FF, '--target=collect', `--source=${ROOT}test/bench/collect-without-pubsub.ts`, `--port=${p}`],
          collectEnv(5),
        ),
      bodies: ['1 event', '100 events'],
      rate: true,
    },
    ...[0, 5, 10, 20].map((ms) => ({
      name: `collect → Pub/Sub emulator, batching ${ms} ms`,
      start: (p: number) =>
        serve(`collect-${ms}`, p, [FF, '--target=collect', `--source=${ROOT}functions/index.ts`, `--port=${p}`], collectEnv(ms)),
      bodies: ['1 event', '100 events'] as (keyof typeof bodies)[],
      rate: true,
    })),
  ];

  const chosen = servers.filter((s) => s.name.startsWith('bare') || !ONLY || s.name.includes(ONLY));
  const rows: Row[] = [];
  // Stop what we started if the run is interrupted, so no emulator or server outlives it.
  let current: RunningProcess | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      void Promise.all([current?.stop(), emulator.stop(), firestoreEmulator.stop()]).then(() => process.exit(130));
    });
  }
  try {
    for (const [i, server] of chosen.entries()) {
      const port = await freePort();
      progress(`[${i + 1}/${chosen.length}] ${server.name}`);
      const running = await server.start(port);
      current = running;
      try {
        const url = `http://127.0.0.1:${port}/v1/events`;
        for (const body of server.bodies) {
          const loads: (number | undefined)[] = server.rate ? [undefined, RATE] : [undefined];
          for (const rate of loads) {
            await load(url, bodies[body], headers, rate, 2);
            const cpuBefore = groupCpuMs(running.child.pid);
            const emulatorBefore = groupCpuMs(emulator.child.pid);
            const rss = sampleGroupRss(running.child.pid);
            const result = await load(url, bodies[body], headers, rate, DURATION_SEC);
            const peakRssMb = rss.stop();
            const requests = result.requests.total || 1;
            const cpuUsPerRequest = Math.round(((groupCpuMs(running.child.pid) - cpuBefore) * 1000) / requests);
            const emulatorCpuUsPerRequest = Math.round(((groupCpuMs(emulator.child.pid) - emulatorBefore) * 1000) / requests);
            const row: Row = {
              server: server.name,
              body,
              load: rate ? `${rate} req/s` : `${CONNECTIONS} connections`,
              rps: Math.round(result.requests.average),
              p50: result.latency.p50,
              p99: result.latency.p99,
              non2xx: result.non2xx,
              errors: result.errors,
              cpuUsPerRequest,
              emulatorCpuUsPerRequest,
              peakRssMb,
            };
            rows.push(row);
            progress(
              `    ${body}, ${row.load}: ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, CPU ${row.cpuUsPerRequest} µs/request (+ emulator ${row.emulatorCpuUsPerRequest}), peak RSS ${row.peakRssMb} MB, non-2xx ${row.non2xx}`,
            );
          }
        }
      } finally {
        await running.stop();
      }
    }
  } finally {
    await Promise.all([emulator.stop(), firestoreEmulator.stop()]);
  }
  report(rows);
}

function report(rows: Row[]): void {
  const find = (server: string, body: string, load = 'connections') =>
    rows.find((r) => r.server === server && r.body === body && r.load.includes(load));
  const lines = [
    `Measured ${new Date().toISOString()}, ${DURATION_SEC} s per run after a 2 s warm-up, with \`npm run bench\`.`,
    '',
    '| server | body | load | req/s | p50 ms | p99 ms | server CPU µs/req | emulator CPU µs/req | server peak RSS MB | non-2xx | errors |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.server} | ${r.body} | ${r.load} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.cpuUsPerRequest} | ${r.emulatorCpuUsPerRequest} | ${r.peakRssMb} | ${r.non2xx} | ${r.errors} |`,
    ),
    '',
    'Ratios against the bare Functions Framework handler, same run: measured throughput, and capacity',
    '(its CPU per request divided by ours: the throughput ratio on a machine where the server has the CPU to itself).',
    '',
    '| ratio | throughput, 1 event | throughput, 100 events | capacity, 1 event | capacity, 100 events |',
    '|---|---:|---:|---:|---:|',
  ];
  const ratio = (a: string, b: string, body: string) => {
    const x = find(a, body);
    const y = find(b, body);
    return x && y ? (x.rps / y.rps).toFixed(2) : 'n/a';
  };
  const capacity = (a: string, b: string, body: string) => {
    const x = find(a, body);
    const y = find(b, body);
    return x && y && x.cpuUsPerRequest ? (y.cpuUsPerRequest / x.cpuUsPerRequest).toFixed(2) : 'n/a';
  };
  for (const [a, b] of [
    ['bare Functions Framework', 'bare node:http'],
    [FLOOR, 'bare Functions Framework'],
    ['collect, publisher discarding', 'bare Functions Framework'],
    ['collect → Pub/Sub emulator, batching 0 ms', 'bare Functions Framework'],
    ['collect → Pub/Sub emulator, batching 5 ms', 'bare Functions Framework'],
    ['collect → Pub/Sub emulator, batching 10 ms', 'bare Functions Framework'],
    ['collect → Pub/Sub emulator, batching 20 ms', 'bare Functions Framework'],
    ['collect → Pub/Sub emulator, batching 10 ms', FLOOR],
  ] as const) {
    lines.push(
      `| ${a} / ${b} | ${ratio(a, b, '1 event')} | ${ratio(a, b, '100 events')} | ${capacity(a, b, '1 event')} | ${capacity(a, b, '100 events')} |`,
    );
  }
  lines.push(
    '',
    `At ${RATE} req/s: capacity against the bare Functions Framework at the same rate (a server woken for each request`,
    'spends more CPU on it than a saturated one), and p99 beside the bare p99.',
    '',
    '| server | capacity, 1 event | capacity, 100 events | p99 ms, 1 event | p99 ms, 100 events | bare p99 ms, 1 / 100 events |',
    '|---|---:|---:|---:|---:|---:|',
  );
  const bare = (body: string) => find('bare Functions Framework', body, 'req/s');
  for (const server of new Set(
    rows.filter((r) => r.load.includes('req/s') && r.server !== 'bare Functions Framework').map((r) => r.server),
  )) {
    const at = (body: string) => find(server, body, 'req/s');
    const capacityAtRate = (body: string) => {
      const x = at(body);
      const y = bare(body);
      return x && y && x.cpuUsPerRequest ? (y.cpuUsPerRequest / x.cpuUsPerRequest).toFixed(2) : 'n/a';
    };
    lines.push(
      `| ${server} | ${capacityAtRate('1 event')} | ${capacityAtRate('100 events')} | ${at('1 event')?.p99 ?? 'n/a'} | ${at('100 events')?.p99 ?? 'n/a'} | ${bare('1 event')?.p99 ?? 'n/a'} / ${bare('100 events')?.p99 ?? 'n/a'} |`,
    );
  }
  const text = `${lines.join('\n')}\n`;
  mkdirSync(`${ROOT}out`, { recursive: true });
  writeFileSync(`${ROOT}out/bench-collect.md`, text);
  process.stdout.write(text);
  progress('written to out/bench-collect.md');
}

await main();
