import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { FUNCTION_TOPICS, TOPICS } from '../events/topics.ts';
import { createLogger } from '../logging/logger.ts';
import { FUNCTIONS } from '../registry.ts';
import { missingPrerequisites, portAccepts, portIsFree, startEmulator, startProcessGroup, type RunningProcess } from './emulators.ts';
import {
  functionEnvironment,
  JOBS,
  LOCAL_ENV,
  localPorts,
  localSchedule,
  pubSubPlan,
  scheduleMinutes,
  type JobName,
  type LocalPorts,
} from './local-functions.ts';
import { LOCAL } from './local-settings.ts';
import { mintShopperToken } from './mint-token.ts';
import { provisionPubSub } from './provision.ts';
import { startLocalScheduler, type LocalScheduler } from './scheduler.ts';

// `npm start`: the whole loop on this machine — the official emulators, topics and subscriptions,
// the functions on the Functions Framework — until Ctrl-C, which stops everything it started.

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const logger = createLogger({ labels: { component: 'local-stack' } });
const started: RunningProcess[] = [];
let subscriber: PubSub | undefined;
let scheduler: LocalScheduler | undefined;
let stopping = false;

async function main(): Promise<void> {
  const missing = missingPrerequisites();
  if (missing.length) {
    process.stderr.write(`The local stack cannot start:\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);
    process.exit(1);
  }
  const ports = localPorts(process.env);
  const variables: Record<string, string> = LOCAL_ENV.ports;
  for (const [service, port] of Object.entries(ports)) {
    if (!(await portIsFree(port))) {
      throw new Error(`port ${port} (${service}) is in use; stop what uses it or set ${variables[service]}`);
    }
  }

  logger.info('starting emulators', { pubsub: ports.pubsub, firestore: ports.firestore });
  const [pubsubEmulator, firestoreEmulator] = await Promise.all([
    startEmulator('pubsub', { port: ports.pubsub, projectId: LOCAL.projectId }).then(track),
    startEmulator('firestore', { port: ports.firestore, projectId: LOCAL.projectId }).then(track),
  ]);
  const emulatorEnv = {
    PUBSUB_EMULATOR_HOST: pubsubEmulator.host,
    FIRESTORE_EMULATOR_HOST: firestoreEmulator.host,
    GOOGLE_CLOUD_PROJECT: LOCAL.projectId,
    METADATA_SERVER_DETECTION: 'none',
  };
  Object.assign(process.env, emulatorEnv);

  const pubsub = new PubSub({ projectId: LOCAL.projectId });
  await provisionPubSub(pubsub, pubSubPlan(ports));
  const warehouseFile = resolve(ROOT, process.env[LOCAL_ENV.warehouseFile] ?? LOCAL.warehouseFile);
  mkdirSync(dirname(warehouseFile), { recursive: true });

  const functionEnv = functionEnvironment(process.env, emulatorEnv, warehouseFile, ports);
  const collectHost = `127.0.0.1:${ports.collect}`;
  track(
    await startProcessGroup('functions', process.execPath, [SERVE, ...FUNCTIONS.map((fn) => `${fn.name}=${ports[fn.name]}`)], {
      host: collectHost,
      env: functionEnv,
      // serve.ts listens once every function is registered.
      ready: async () => (await Promise.all(FUNCTIONS.map((fn) => portAccepts(ports[fn.name])))).every(Boolean),
      onOutput: (line) => process.stdout.write(`${line}\n`),
    }),
  );

  const every = scheduleMinutes(process.env);
  scheduler = startLocalScheduler(localSchedule(ports, every), logger.child({ component: 'local-scheduler' }));

  subscriber = pubsub;
  for (const topic of FUNCTION_TOPICS) tail(pubsub, LOCAL.tails[topic], `published to ${TOPICS[topic]}`);

  const token = await mintShopperToken('shopper-1', {
    key: functionEnv.TOKEN_KEY ?? LOCAL.tokenKey,
    issuer: LOCAL.tokenIssuer,
    audience: LOCAL.tokenAudience,
    ttlSec: 24 * 3600,
  });
  process.stdout.write(
    banner(collectHost, `127.0.0.1:${ports.users}`, ports, every, pubsubEmulator.host, firestoreEmulator.host, warehouseFile, token),
  );
  logger.info('local stack ready', { collect: `http://${collectHost}` });
}

function track(process: RunningProcess): RunningProcess {
  started.push(process);
  return process;
}

function tail(pubsub: PubSub, subscription: string, message: string): void {
  pubsub
    .subscription(subscription)
    .on('message', (m: Message) => {
      m.ack();
      const body = JSON.parse(m.data.toString()) as {
        events?: { type: string; event_id: string }[];
        rejected?: { index: number; reason: string }[];
      };
      logger.info(message, {
        request_id: m.attributes.request_id,
        events: body.events?.map((e) => `${e.type} ${e.event_id}`),
        rejected: body.rejected?.map((r) => `#${r.index}: ${r.reason}`),
      });
    })
    .on('error', (error: Error) => logger.warn('tail subscription failed', { subscription, error: error.message }));
}

function banner(
  collect: string,
  users: string,
  ports: LocalPorts,
  every: Record<JobName, number>,
  pubsub: string,
  firestore: string,
  warehouse: string,
  token: string,
): string {
  const now = new Date().toISOString();
  const event = {
    events: [
      {
        event_id: randomUUID(),
        type: 'search_performed',
        session_id: 'session-1',
        occurred_at: now,
        sent_at: now,
        data: {
          search_id: 'search-1',
          query: 'oat milk',
          results_count: 2,
          results: [
            { sku: 'sku-oat-1l', position: 1 },
            { sku: 'sku-soy-1l', position: 2 },
          ],
          personalized: false,
        },
      },
    ],
  };
  return `
The learning loop is running locally.

  collect   http://${collect}/v1/events  (single events: /v1/events/search, /click, /view,
            /cart-add, /cart-remove, /cart-update, /order, /preference)
  users     http://${users}/v1/users/{userId}/preferences  (what has been learned; also /learning-status,
            /privacy, /learning-data to erase everything, /erasures/{requestId})
  operators http://127.0.0.1:${ports.operators}/dashboard  (the dashboard: CTR by arm, reorder precision and recall,
            events, rejects, lag, job runs; its data at /v1/dashboard/data)
            http://127.0.0.1:${ports.operators}/v1/users/{userId}/learning-data  (erasure on a shopper's behalf;
            also /v1/users/{userId}/learning-status, /v1/erasures/{requestId})
  jobs      ${JOBS.map((job) => `${job.name} http://127.0.0.1:${ports[job.name]}/ every ${every[job.name]} min`).join(',\n            ')}
            (the local scheduler; \`npm run job -- <job>\` runs one now)
  history   http://127.0.0.1:${ports.history}/v1/imports  (\`npm run import -- orders <file>\` imports past orders;
            docs/history.md)
  Pub/Sub   ${pubsub}  (PUBSUB_EMULATOR_HOST)
  Firestore ${firestore}  (FIRESTORE_EMULATOR_HOST; preferences/{userId} is learned in real time)
  DuckDB    ${warehouse}  (the warehouse: events, order_items, user_patterns, …)

Send an event (the token is for shopper-1; mint others with \`npm run token -- <userId>\`):

curl -sS -X POST http://${collect}/v1/events \\
  -H 'Authorization: Bearer ${token}' \\
  -H 'Content-Type: application/json' \\
  -d '${JSON.stringify(event)}'

See what was learned:

curl -sS http://${users}/v1/users/shopper-1/preferences -H 'Authorization: Bearer ${token}'

Published messages and what ingest did with them are logged below. Ctrl-C stops everything.

`;
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info('stopping local stack');
  scheduler?.stop();
  await subscriber?.close().catch(() => undefined);
  await Promise.all(started.reverse().map((p) => p.stop()));
  logger.info('local stack stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  void shutdown(1);
});
