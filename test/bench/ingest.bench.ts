import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Firestore, type DocumentSnapshot } from '@google-cloud/firestore';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { z } from 'zod';
import { encodeEventBatch, MESSAGE_SCHEMA_VERSION, type EventBatchMessage } from '../../functions/events/messages.ts';
import type { EventType } from '../../functions/events/schema.ts';
import { createTracker } from '../../functions/client/node.ts';
import type { EventData } from '../../functions/client/tracker.ts';
import { ingestFunction } from '../../functions/ingest/function.ts';
import { storeRejectedFunction } from '../../functions/ingest/store-rejected-function.ts';
import {
  freePort,
  httpAnswers,
  portAccepts,
  startEmulator,
  startProcessGroup,
  type RunningProcess,
} from '../../functions/local/emulators.ts';
import { LOCAL } from '../../functions/local/local-settings.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { provisionPubSub } from '../../functions/local/provision.ts';
import { validEvent } from '../support/fixtures.ts';
import { collectedEvent } from '../support/messages.ts';
import { groupCpuMs, sampleGroupRss } from './process-cpu.ts';
import { sessionEvent } from './shopping-session.ts';
import { stopScope } from './stop-scope.ts';

// `npm run bench:ingest`: the learning half of the loop on loopback — the official emulators, a push
// subscription to ingest as the local stack makes it, the functions in one process (functions/local/serve.ts)
// with the DuckDB warehouse — measured three ways:
//   1. end-to-end lag: collect answers 202 → the shopper's preferences document shows the event
//      (Firestore listeners, not polling), at a steady rate of 1-event requests;
//   2. ingest throughput: pre-built messages published straight to the events topic, until the
//      documents' event_counts add up, over many shoppers and over one; then the same backlogs through
//      ingest without a warehouse (test/bench/ingest-without-warehouse.ts, its own topic), since the
//      local DuckDB warehouse, which production does not have, limits the first;
//   3. Firestore writes per event, from ingest's own 'message ingested' log lines, for the runs above and for
//      events sent by the client SDK (functions/client/node.ts) with its default batching.
// Each run also samples the resident memory (RSS) of the functions process that served it.
// Options: --duration=SECONDS (lag phase, default 30), --rate=REQ_PER_SEC (20), --shoppers=N (50),
// --messages=N (1-event messages per throughput run, 2000), --batches=N (100-event messages, 100),
// --sdk-events=N (events per shopper sent through the SDK, 100),
// --profile (the functions processes run with --cpu-prof; profiles land in out/ingest-profile/),
// --no-duckdb (only the backlogs without the warehouse: the runs that size ingest, in a quarter of the time).

const option = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const DURATION_SEC = option('duration', 30);
const RATE = option('rate', 20);
const SHOPPERS = option('shoppers', 50);
const ONE_EVENT_MESSAGES = option('messages', 2000);
const BATCH_MESSAGES = option('batches', 100);
const SDK_EVENTS = option('sdk-events', 100);
const PROFILE = process.argv.includes('--profile');
const WITH_DUCKDB = !process.argv.includes('--no-duckdb');
const LAG_TARGET_MS = 2000;
/** Longer than Pub/Sub's longest redelivery backoff (60 s): a run that stalls this long is given up. */
const STALL_MS = 90_000;
const PROJECT = 'demo-bench';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVE = `${ROOT}functions/local/serve.ts`;
const FF = `${ROOT}node_modules/.bin/functions-framework`;
/** A second events topic, pushed to ingest without a warehouse (test/bench/ingest-without-warehouse.ts). */
const LEARNING_ONLY = { topic: 'events-learning-only', subscription: 'events-learning-only-ingest' };

process.env.METADATA_SERVER_DETECTION ??= 'none';
// Each Node tracker of the SDK phase listens for the process's beforeExit.
process.setMaxListeners(0);
const progress = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);

// What the functions process says: ingest's 'message ingested' lines, and anything on stderr.

const IngestedLine = z.object({
  message: z.literal('message ingested'),
  request_id: z.string(),
  events: z.number(),
  learned: z.number(),
  already_learned: z.number(),
  firestore_writes: z.number(),
  lag_ms: z.number(),
  time: z.string(),
});
type IngestedLine = z.infer<typeof IngestedLine>;

const ingested = new Map<string, IngestedLine[]>();
const stderrSamples: string[] = [];
let stderrLines = 0;
/** The Functions Framework's two-line warning per Pub/Sub push whose URL path names no topic. */
let topicWarnings = 0;

function eachLine(stream: Readable | null, onLine: (line: string) => void): void {
  // Chunks end anywhere, also inside a line: keep the unfinished rest for the next chunk.
  let rest = '';
  stream?.on('data', (chunk: Buffer) => {
    rest += chunk.toString();
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line) onLine(line);
  });
}

function readFunctionOutput(functions: RunningProcess): void {
  // Request ids are unique across runs, so every functions process feeds the same map.
  eachLine(functions.child.stdout, (line) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return;
    }
    const parsed = IngestedLine.safeParse(json);
    if (!parsed.success) return;
    const seen = ingested.get(parsed.data.request_id) ?? [];
    seen.push(parsed.data);
    ingested.set(parsed.data.request_id, seen);
  });
  eachLine(functions.child.stderr, (line) => {
    if (line.startsWith('Failed to extract the topic name from the URL path')) return void (topicWarnings += 1);
    if (line.startsWith("Configure your subscription's push endpoint")) return;
    stderrLines += 1;
    if (stderrSamples.length < 5) stderrSamples.push(line.slice(0, 300));
  });
}

// Processes: everything started is stopped on the way out, on an error, and on SIGINT/SIGTERM.
const { start, cleanup, stopAll } = stopScope(progress);

type Stack = {
  functions: RunningProcess;
  learningOnly: RunningProcess;
  pubsubEmulator: RunningProcess;
  firestoreEmulator: RunningProcess;
  collectUrl: string;
  firestore: Firestore;
  pubsub: PubSub;
  deadLetters: Map<string, number>;
};

async function startStack(): Promise<Stack> {
  progress('starting the Pub/Sub and Firestore emulators');
  const [pubsubEmulator, firestoreEmulator] = await Promise.all([
    start(freePort().then((port) => startEmulator('pubsub', { port, projectId: PROJECT }))),
    start(freePort().then((port) => startEmulator('firestore', { port, projectId: PROJECT }))),
  ]);
  const emulatorEnv = {
    PUBSUB_EMULATOR_HOST: pubsubEmulator.host,
    FIRESTORE_EMULATOR_HOST: firestoreEmulator.host,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    METADATA_SERVER_DETECTION: 'none',
  };
  Object.assign(process.env, emulatorEnv);

  const ports = { collect: await freePort(), ingest: await freePort(), storeRejected: await freePort(), learningOnly: await freePort() };
  const pubsub = new PubSub({ projectId: PROJECT });
  cleanup(() => pubsub.close());
  const local = (port: number) => `http://127.0.0.1:${port}/`;
  // The stack's plan, without the tail subscriptions that only echo messages to the terminal.
  await provisionPubSub(pubsub, [
    { topic: LOCAL.topics.deadLetter, subscriptions: [{ name: LOCAL.subscriptions.deadLetters }] },
    {
      topic: LOCAL.topics.events,
      subscriptions: [
        {
          name: ingestFunction.trigger.subscription,
          pushEndpoint: local(ports.ingest),
          deadLetterTopic: LOCAL.topics.deadLetter,
          maxDeliveryAttempts: LOCAL.maxDeliveryAttempts,
        },
      ],
    },
    {
      topic: LOCAL.topics.rejected,
      subscriptions: [
        {
          name: storeRejectedFunction.trigger.subscription,
          pushEndpoint: local(ports.storeRejected),
          deadLetterTopic: LOCAL.topics.deadLetter,
          maxDeliveryAttempts: LOCAL.maxDeliveryAttempts,
        },
      ],
    },
    {
      topic: LEARNING_ONLY.topic,
      subscriptions: [
        {
          name: LEARNING_ONLY.subscription,
          pushEndpoint: local(ports.learningOnly),
          deadLetterTopic: LOCAL.topics.deadLetter,
          maxDeliveryAttempts: LOCAL.maxDeliveryAttempts,
        },
      ],
    },
  ]);
  // Dead letters are counted per request, so a run can say how many of its messages ended there.
  const deadLetters = new Map<string, number>();
  const keep = pubsub.subscription(LOCAL.subscriptions.deadLetters);
  keep.on('message', (m: Message) => {
    m.ack();
    const id = m.attributes.request_id ?? 'unknown';
    deadLetters.set(id, (deadLetters.get(id) ?? 0) + 1);
  });
  keep.on('error', (error: Error) => progress(`dead-letter subscription: ${error.message}`));
  cleanup(() => keep.close());

  const warehouseDir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  cleanup(async () => rmSync(warehouseDir, { recursive: true, force: true }));
  const functionEnv = {
    ...process.env,
    ...emulatorEnv,
    TOKEN_KEY: LOCAL.tokenKey,
    USER_HASH_KEY: LOCAL.userHashKey,
    TOKEN_ISSUER: LOCAL.tokenIssuer,
    TOKEN_AUDIENCE: LOCAL.tokenAudience,
    EVENTS_TOPIC: LOCAL.topics.events,
    REJECTED_EVENTS_TOPIC: LOCAL.topics.rejected,
    WAREHOUSE: `duckdb:${join(warehouseDir, 'warehouse.duckdb')}`,
    LOG_LEVEL: 'INFO',
    // The entry file builds every function, history too, which needs the patterns function's URL; no run calls it.
    PATTERNS_URL: 'http://127.0.0.1:9/',
  };
  const profileArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${ROOT}out/ingest-profile`] : [];
  progress(`starting the functions (collect :${ports.collect}, ingest :${ports.ingest}, storeRejected :${ports.storeRejected})`);
  const collectHost = `127.0.0.1:${ports.collect}`;
  const functions = await start(
    startProcessGroup(
      'functions',
      process.execPath,
      [...profileArgs, SERVE, `collect=${ports.collect}`, `ingest=${ports.ingest}`, `storeRejected=${ports.storeRejected}`],
      {
        host: collectHost,
        env: functionEnv,
        ready: async () =>
          (await httpAnswers(`http://${collectHost}/v1/events`, { method: 'OPTIONS' })) &&
          (await portAccepts(ports.ingest)) &&
          (await portAccepts(ports.storeRejected)),
      },
    ),
  );
  readFunctionOutput(functions);
  progress(`starting ingest without a warehouse (:${ports.learningOnly})`);
  const learningOnly = await start(
    startProcessGroup(
      'ingest-without-warehouse',
      process.execPath,
      [...profileArgs, FF, '--target=ingest', `--source=${ROOT}test/bench/ingest-without-warehouse.ts`, `--port=${ports.learningOnly}`],
      { host: `127.0.0.1:${ports.learningOnly}`, env: functionEnv, ready: () => portAccepts(ports.learningOnly) },
    ),
  );
  readFunctionOutput(learningOnly);

  const firestore = new Firestore({ projectId: PROJECT });
  cleanup(() => firestore.terminate());
  return {
    functions,
    learningOnly,
    pubsubEmulator,
    firestoreEmulator,
    collectUrl: `http://${collectHost}/v1/events`,
    firestore,
    pubsub,
    deadLetters,
  };
}

function eventCount(snapshot: DocumentSnapshot): number {
  const count: unknown = snapshot.get('event_count');
  return typeof count === 'number' ? count : 0;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

type Cpu = { functions: number; pubsub: number; firestore: number };

function cpuNow(stack: Stack, functions: RunningProcess = stack.functions): Cpu {
  return {
    functions: groupCpuMs(functions.child.pid),
    pubsub: groupCpuMs(stack.pubsubEmulator.child.pid),
    firestore: groupCpuMs(stack.firestoreEmulator.child.pid),
  };
}

function cpuSince(stack: Stack, before: Cpu, functions: RunningProcess = stack.functions): Cpu {
  const now = cpuNow(stack, functions);
  return { functions: now.functions - before.functions, pubsub: now.pubsub - before.pubsub, firestore: now.firestore - before.firestore };
}

type Writes = { deliveries: number; learned: number; alreadyLearned: number; writes: number; lagMs: number[]; loggedAt: number[] };

/** What ingest logged for these requests: every delivery, redeliveries included. */
function writesOf(requestIds: Iterable<string>): Writes {
  const total: Writes = { deliveries: 0, learned: 0, alreadyLearned: 0, writes: 0, lagMs: [], loggedAt: [] };
  for (const id of requestIds) {
    for (const line of ingested.get(id) ?? []) {
      total.deliveries += 1;
      total.learned += line.learned;
      total.alreadyLearned += line.already_learned;
      total.writes += line.firestore_writes;
      total.lagMs.push(line.lag_ms);
      total.loggedAt.push(Date.parse(line.time));
    }
  }
  return total;
}

/** Waits until `done()`, showing `status()` every few seconds; gives up when nothing moves for STALL_MS. */
async function waitUntil(done: () => boolean, status: () => string, moved: () => number): Promise<boolean> {
  let last = moved();
  let lastMove = Date.now();
  let lastShown = Date.now();
  while (!done()) {
    await sleep(50);
    const now = Date.now();
    if (moved() !== last) {
      last = moved();
      lastMove = now;
    }
    if (now - lastShown >= 3000) {
      progress(`    ${status()}`);
      lastShown = now;
    }
    if (now - lastMove > STALL_MS) return false;
  }
  return true;
}

// 1. End-to-end lag: collect's 202 → the document shows the event.

type Sent = { shopper: string; expected: number; type: EventType; sentAt: number; acceptedAt?: number; status: number; requestId?: string };

type LagResult = {
  sent: number;
  accepted: number;
  reflected: number;
  lagMs: number[];
  /** 202 → ingest logged the message (Pub/Sub push, warehouse, Firestore transaction). */
  toIngestedMs: number[];
  /** Ingest logged it → the listener saw the document change. */
  toListenerMs: number[];
  /** Collect's received_at → ingest started (ingest's own lag_ms). */
  ingestLagMs: number[];
  requests: Sent[];
  achievedRate: number;
  cpu: Cpu;
  rss: Rss;
};

/** The peak resident memory of the functions process that served a run, MB (sampled every 250 ms). */
type Rss = { peakMb: number };

async function measureLag(stack: Stack, prefix: string, shopperCount: number, rate: number, durationSec: number): Promise<LagResult> {
  const shoppers = Array.from({ length: shopperCount }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  const tokens = await Promise.all(
    shoppers.map((u) =>
      mintShopperToken(u, { key: LOCAL.tokenKey, issuer: LOCAL.tokenIssuer, audience: LOCAL.tokenAudience, ttlSec: 3600 }),
    ),
  );
  // Each document's counts as the listener saw them, with when.
  const seen = new Map<string, { count: number; at: number }[]>(shoppers.map((u) => [u, []]));
  let initial = 0;
  const unsubscribes = shoppers.map((u) =>
    stack.firestore
      .collection('preferences')
      .doc(u)
      .onSnapshot(
        (snapshot) => {
          const at = Date.now();
          const list = seen.get(u);
          if (list?.length === 0) initial += 1;
          list?.push({ count: eventCount(snapshot), at });
        },
        (error) => progress(`listener on preferences/${u} failed: ${error.message}`),
      ),
  );
  await waitUntil(
    () => initial === shoppers.length,
    () => `${initial}/${shoppers.length} listeners attached`,
    () => initial,
  );

  const total = Math.round(rate * durationSec);
  const requests: Sent[] = [];
  const sends: Promise<void>[] = [];
  const cpuBefore = cpuNow(stack);
  const rssSampler = sampleGroupRss(stack.functions.child.pid);
  const startedAt = performance.now();
  let lastShown = Date.now();
  for (let i = 0; i < total; i++) {
    const due = startedAt + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const s = i % shoppers.length;
    const shopper = shoppers[s] ?? '';
    const { type, data } = sessionEvent(s, i);
    const request: Sent = { shopper, expected: Math.floor(i / shoppers.length) + 1, type, sentAt: Date.now(), status: 0 };
    requests.push(request);
    sends.push(
      fetch(stack.collectUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[s]}` },
        body: JSON.stringify({ events: [validEvent(type, { data }, new Date())] }),
      })
        .then(async (response) => {
          const answeredAt = Date.now();
          request.status = response.status;
          const body: unknown = await response.json();
          if (response.status === 202) {
            request.acceptedAt = answeredAt;
            request.requestId = z.object({ request_id: z.string() }).parse(body).request_id;
          }
        })
        .catch((error: unknown) => {
          request.status = -1;
          progress(`request failed: ${error instanceof Error ? error.message : String(error)}`);
        }),
    );
    if (Date.now() - lastShown >= 5000) {
      lastShown = Date.now();
      const reflected = requests.filter((r) => (seen.get(r.shopper)?.at(-1)?.count ?? 0) >= r.expected).length;
      progress(`    sent ${i + 1}/${total}, ${reflected} already in their documents`);
    }
  }
  await Promise.all(sends);
  const achievedRate = total / ((performance.now() - startedAt) / 1000);

  // Every shopper's document must reach the count of its last accepted request.
  const finalCounts = new Map<string, number>();
  for (const r of requests)
    if (r.acceptedAt !== undefined) finalCounts.set(r.shopper, Math.max(finalCounts.get(r.shopper) ?? 0, r.expected));
  const caughtUp = () => [...finalCounts].filter(([u, n]) => (seen.get(u)?.at(-1)?.count ?? 0) >= n).length;
  const complete = await waitUntil(
    () => caughtUp() === finalCounts.size,
    () => `${caughtUp()}/${finalCounts.size} documents caught up`,
    () => [...seen.values()].reduce((n, list) => n + list.length, 0),
  );
  if (!complete) progress(`    gave up: ${finalCounts.size - caughtUp()} documents never caught up`);
  const cpu = cpuSince(stack, cpuBefore);
  const rss = { peakMb: rssSampler.stop() };
  for (const unsubscribe of unsubscribes) unsubscribe();
  await sleep(500); // the last log lines

  const lagMs: number[] = [];
  const toIngestedMs: number[] = [];
  const toListenerMs: number[] = [];
  const ingestLagMs: number[] = [];
  for (const r of requests) {
    if (r.acceptedAt === undefined) continue;
    const shown = seen.get(r.shopper)?.find((s) => s.count >= r.expected);
    if (!shown) continue;
    // The document can change before the 202 has crossed back to the client: that is no lag at all.
    lagMs.push(Math.max(0, shown.at - r.acceptedAt));
    const line = r.requestId ? ingested.get(r.requestId)?.find((l) => l.learned > 0) : undefined;
    if (line) {
      const loggedAt = Date.parse(line.time);
      toIngestedMs.push(Math.max(0, loggedAt - r.acceptedAt));
      toListenerMs.push(Math.max(0, shown.at - loggedAt));
      ingestLagMs.push(line.lag_ms);
    }
  }
  const sort = (xs: number[]) => xs.sort((a, b) => a - b);
  return {
    sent: requests.length,
    accepted: requests.filter((r) => r.acceptedAt !== undefined).length,
    reflected: lagMs.length,
    lagMs: sort(lagMs),
    toIngestedMs: sort(toIngestedMs),
    toListenerMs: sort(toListenerMs),
    ingestLagMs: sort(ingestLagMs),
    requests,
    achievedRate,
    cpu,
    rss,
  };
}

// 2. Throughput: a backlog of pre-built messages, published at once, until every event is learned.

type ThroughputSpec = {
  name: string;
  shoppers: number;
  eventsPerMessage: number;
  messages: number;
  /** `duckdb`: the local stack's ingest; `none`: ingest without a warehouse, learning only. */
  warehouse: 'duckdb' | 'none';
};

type ThroughputResult = ThroughputSpec & {
  events: number;
  learned: number;
  complete: boolean;
  publishMs: number;
  totalMs: number;
  cpu: Cpu;
  writes: Writes;
  deadLettered: number;
  /** How long ingest took per delivery (its log line's time − (received_at + lag_ms)), sorted. */
  handlerMs: number[];
  /** Deliveries being handled at once, on average: their summed handling time over the run's span. */
  inFlight: number;
  /** The most deliveries handled at once. */
  maxInFlight: number;
  rss: Rss;
};

function mostAtOnce(intervals: readonly { start: number; end: number }[]): number {
  // Ends sort before starts at the same millisecond: log times are whole milliseconds.
  const edges = intervals
    .flatMap(({ start, end }) => [
      { at: start, d: 1 },
      { at: end, d: -1 },
    ])
    .sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const { d } of edges) most = Math.max(most, (now += d));
  return most;
}

function buildMessages(spec: ThroughputSpec, prefix: string): EventBatchMessage[] {
  const now = new Date();
  return Array.from({ length: spec.messages }, (_, m) => {
    const shopper = m % spec.shoppers;
    const userId = `${prefix}-${String(shopper).padStart(5, '0')}`;
    const events = Array.from({ length: spec.eventsPerMessage }, (_, j) => {
      // One-event messages take the mix across messages; hundred-event messages within each.
      const { type, data } = spec.eventsPerMessage === 1 ? sessionEvent(shopper, m) : sessionEvent(m, j);
      return collectedEvent(type, userId, now, { data });
    });
    return { schema_version: MESSAGE_SCHEMA_VERSION, request_id: randomUUID(), user_id: userId, received_at: now.toISOString(), events };
  });
}

async function measureThroughput(stack: Stack, spec: ThroughputSpec, index: number): Promise<ThroughputResult> {
  const prefix = `tp${index}`;
  const messages = buildMessages(spec, prefix);
  const events = messages.reduce((n, m) => n + m.events.length, 0);

  // One listener per document. Not one query listener over the run's id range: the Firestore
  // emulator then re-evaluates the query on every write and became the bottleneck (measured: 16
  // transactions/s with such a listener against 207/s with 1,000 document listeners).
  const counts = new Map<string, number>();
  let learned = 0;
  let doneAt = 0;
  const shoppers = [...new Set(messages.map((m) => m.user_id))];
  const unsubscribes = shoppers.map((userId) =>
    stack.firestore
      .collection('preferences')
      .doc(userId)
      .onSnapshot(
        (snapshot) => {
          const count = eventCount(snapshot);
          learned += count - (counts.get(userId) ?? 0);
          counts.set(userId, count);
          if (learned >= events && doneAt === 0) doneAt = Date.now();
        },
        (error) => progress(`listener on preferences/${userId} failed: ${error.message}`),
      ),
  );
  await waitUntil(
    () => counts.size === shoppers.length,
    () => `${counts.size}/${shoppers.length} listeners attached`,
    () => counts.size,
  );

  const functions = spec.warehouse === 'duckdb' ? stack.functions : stack.learningOnly;
  const topic = stack.pubsub.topic(spec.warehouse === 'duckdb' ? LOCAL.topics.events : LEARNING_ONLY.topic, {
    batching: { maxMessages: 100, maxMilliseconds: 10 },
  });
  const cpuBefore = cpuNow(stack, functions);
  const rssSampler = sampleGroupRss(functions.child.pid);
  const startedAt = Date.now();
  await Promise.all(messages.map((m) => topic.publishMessage(encodeEventBatch(m))));
  const publishMs = Date.now() - startedAt;
  progress(`    published ${messages.length} messages in ${publishMs} ms`);
  const complete = await waitUntil(
    () => doneAt !== 0,
    () => `${learned}/${events} events learned, ${((learned * 1000) / (Date.now() - startedAt)).toFixed(0)} events/s so far`,
    () => learned,
  );
  const totalMs = (doneAt || Date.now()) - startedAt;
  const cpu = cpuSince(stack, cpuBefore, functions);
  const rss = { peakMb: rssSampler.stop() };
  for (const unsubscribe of unsubscribes) unsubscribe();
  await sleep(500); // the last log lines
  const ids = messages.map((m) => m.request_id);
  const writes = writesOf(ids);
  const receivedAt = Date.parse(messages[0]?.received_at ?? '');
  const handlerMs = writes.loggedAt.map((end, i) => end - (receivedAt + (writes.lagMs[i] ?? 0))).sort((a, b) => a - b);
  const span = Math.max(...writes.loggedAt) - (receivedAt + Math.min(...writes.lagMs));
  return {
    ...spec,
    events,
    learned,
    complete,
    publishMs,
    totalMs,
    cpu,
    writes,
    handlerMs,
    inFlight: span > 0 ? handlerMs.reduce((a, b) => a + b, 0) / span : 0,
    maxInFlight: mostAtOnce(writes.loggedAt.map((end, i) => ({ start: receivedAt + (writes.lagMs[i] ?? 0), end }))),
    deadLettered: ids.reduce((n, id) => n + (stack.deadLetters.get(id) ?? 0), 0),
    rss,
  };
}

// 3. The client SDK's batching: shoppers' events tracked with the Node tracker's defaults, through collect.

type SdkSpec = {
  name: string;
  shoppers: number;
  eventsPerShopper: number;
  /** Between two events of one shopper; 0 tracks them at once. */ gapMs: number;
};
type SdkResult = SdkSpec & { events: number; accepted: number; writes: Writes; totalMs: number; cpu: Cpu; rss: Rss };

async function measureSdk(stack: Stack, spec: SdkSpec, index: number): Promise<SdkResult> {
  const shoppers = Array.from({ length: spec.shoppers }, (_, i) => `sdk${index}-${String(i).padStart(4, '0')}`);
  const tokens = await Promise.all(
    shoppers.map((u) =>
      mintShopperToken(u, { key: LOCAL.tokenKey, issuer: LOCAL.tokenIssuer, audience: LOCAL.tokenAudience, ttlSec: 3600 }),
    ),
  );
  // Ingest's lines for this run are those it logs for requests not seen before.
  const seenBefore = new Set(ingested.keys());
  const cpuBefore = cpuNow(stack);
  const rssSampler = sampleGroupRss(stack.functions.child.pid);
  const startedAt = Date.now();
  const endpoint = stack.collectUrl.replace(/\/v1\/events$/, '');
  const delivered = await Promise.all(
    shoppers.map(async (_, s) => {
      const tracker = createTracker({
        endpoint,
        token: tokens[s] ?? '',
        onDropped: (d) => progress(`    ${d.length} events dropped by the SDK`),
      });
      for (let i = 0; i < spec.eventsPerShopper; i++) {
        const { type, data } = sessionEvent(s, i);
        tracker.track(type, data as EventData<EventType>);
        if (spec.gapMs > 0) await sleep(spec.gapMs);
      }
      await tracker.shutdown();
      return tracker.stats();
    }),
  );
  const accepted = delivered.reduce((n, stats) => n + stats.delivered, 0);
  const newIds = () => [...ingested.keys()].filter((id) => !seenBefore.has(id));
  await waitUntil(
    () => writesOf(newIds()).learned >= accepted,
    () => `${writesOf(newIds()).learned}/${accepted} events learned`,
    () => writesOf(newIds()).learned,
  );
  const totalMs = Date.now() - startedAt;
  const cpu = cpuSince(stack, cpuBefore);
  const rss = { peakMb: rssSampler.stop() };
  return { ...spec, events: spec.shoppers * spec.eventsPerShopper, accepted, writes: writesOf(newIds()), totalMs, cpu, rss };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  const stack = await startStack();

  progress(`warm-up: ${RATE} req/s for 3 s over 10 shoppers`);
  await measureLag(stack, 'warm', 10, RATE, 3);

  progress(`[1/3] end-to-end lag: ${RATE} req/s of 1-event requests for ${DURATION_SEC} s over ${SHOPPERS} shoppers`);
  const lag = await measureLag(stack, 'lag', SHOPPERS, RATE, DURATION_SEC);
  progress(
    `    p50 ${percentile(lag.lagMs, 50)} ms, p95 ${percentile(lag.lagMs, 95)} ms, p99 ${percentile(lag.lagMs, 99)} ms, max ${lag.lagMs.at(-1)} ms (${lag.reflected}/${lag.accepted} reflected)`,
  );

  const shapes = [
    { name: '1 event/message, one message per shopper', shoppers: ONE_EVENT_MESSAGES, eventsPerMessage: 1, messages: ONE_EVENT_MESSAGES },
    { name: '100 events/message, one message per shopper', shoppers: BATCH_MESSAGES, eventsPerMessage: 100, messages: BATCH_MESSAGES },
    { name: '1 event/message, all to ONE shopper', shoppers: 1, eventsPerMessage: 1, messages: ONE_EVENT_MESSAGES },
    { name: '100 events/message, all to ONE shopper', shoppers: 1, eventsPerMessage: 100, messages: BATCH_MESSAGES },
  ];
  // The local stack as it is, then the same backlogs without its DuckDB warehouse, which serializes
  // every insert on one connection and which production replaces by BigQuery.
  const specs: ThroughputSpec[] = (WITH_DUCKDB ? (['duckdb', 'none'] as const) : (['none'] as const)).flatMap((warehouse) =>
    shapes.map((shape) => ({ ...shape, warehouse, name: `${shape.name}${warehouse === 'none' ? ', no warehouse' : ''}` })),
  );
  const throughput: ThroughputResult[] = [];
  for (const [i, spec] of specs.entries()) {
    progress(`[2/3] throughput ${i + 1}/${specs.length}: ${spec.messages} × ${spec.name}`);
    const result = await measureThroughput(stack, spec, i);
    throughput.push(result);
    progress(
      `    ${result.learned}/${result.events} events in ${(result.totalMs / 1000).toFixed(1)} s: ${rate(result.learned, result.totalMs)} events/s, ` +
        `${rate(result.writes.deliveries, result.totalMs)} messages/s, ${(result.writes.writes / (result.writes.learned || 1)).toFixed(2)} writes/event`,
    );
  }

  const sdkSpecs: SdkSpec[] = [
    { name: 'tracked at once (a page’s burst, or a server’s backlog)', shoppers: SHOPPERS, eventsPerShopper: SDK_EVENTS, gapMs: 0 },
    { name: 'one event every 250 ms per shopper', shoppers: SHOPPERS, eventsPerShopper: Math.min(SDK_EVENTS, 40), gapMs: 250 },
  ];
  const sdk: SdkResult[] = [];
  for (const [i, spec] of sdkSpecs.entries()) {
    progress(`[3/3] client SDK ${i + 1}/${sdkSpecs.length}: ${spec.shoppers} shoppers × ${spec.eventsPerShopper} events, ${spec.name}`);
    const result = await measureSdk(stack, spec, i);
    sdk.push(result);
    progress(
      `    ${result.writes.learned} events learned from ${result.writes.deliveries} messages: ${ratio(result.writes.writes, result.writes.learned)} writes/event`,
    );
  }

  const text = report({ startedAt, loadBefore, loadAfter: loadavg(), lag, throughput, sdk });
  mkdirSync(`${ROOT}out`, { recursive: true });
  writeFileSync(`${ROOT}out/bench-ingest.md`, text);
  process.stdout.write(text);
  progress('written to out/bench-ingest.md');
}

const rate = (n: number, ms: number) => {
  const perSec = ms > 0 ? (n * 1000) / ms : 0;
  return perSec < 10 ? perSec.toFixed(1) : String(Math.round(perSec));
};
const perEvent = (cpuMs: number, n: number) => (n > 0 ? Math.round((cpuMs * 1000) / n) : 0);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
const mb = (x: number) => x.toFixed(0);

function report(r: {
  startedAt: Date;
  loadBefore: number[];
  loadAfter: number[];
  lag: LagResult;
  throughput: ThroughputResult[];
  sdk: SdkResult[];
}): string {
  const { lag } = r;
  const p = (xs: readonly number[], q: number) => (xs.length ? String(percentile(xs, q)) : 'n/a');
  const lagP99 = percentile(lag.lagMs, 99);
  const lagMet = lag.reflected === lag.accepted && lagP99 < LAG_TARGET_MS;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

  // Writes per event of 1-event messages, by event type, from the lag phase's requests.
  const byType = new Map<EventType, string[]>();
  for (const req of lag.requests) if (req.requestId) byType.set(req.type, [...(byType.get(req.type) ?? []), req.requestId]);
  const lagWrites = writesOf([...byType.values()].flat());

  const lines = [
    `Measured ${r.startedAt.toISOString()} with \`npm run bench:ingest\` (${process.argv.slice(2).join(' ') || 'defaults'}), ` +
      `${cpus().length} cores, load average (1/5/15 min) ${load(r.loadBefore)} before and ${load(r.loadAfter)} after.`,
    '',
    '### End-to-end lag: collect 202 → preferences document changed (listener)',
    '',
    `${lag.sent} requests of one event at ${lag.achievedRate.toFixed(1)} req/s over ${SHOPPERS} shoppers; ${lag.accepted} answered 202, ` +
      `${lag.reflected} seen in their documents.`,
    '',
    '| stage | p50 ms | p95 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|',
    `| **202 → document changed (listener)** | ${p(lag.lagMs, 50)} | ${p(lag.lagMs, 95)} | ${p(lag.lagMs, 99)} | ${p(lag.lagMs, 100)} |`,
    `| collect received → ingest started (ingest's lag_ms) | ${p(lag.ingestLagMs, 50)} | ${p(lag.ingestLagMs, 95)} | ${p(lag.ingestLagMs, 99)} | ${p(lag.ingestLagMs, 100)} |`,
    `| 202 → ingest logged 'message ingested' | ${p(lag.toIngestedMs, 50)} | ${p(lag.toIngestedMs, 95)} | ${p(lag.toIngestedMs, 99)} | ${p(lag.toIngestedMs, 100)} |`,
    `| ingest logged → listener saw the change | ${p(lag.toListenerMs, 50)} | ${p(lag.toListenerMs, 95)} | ${p(lag.toListenerMs, 99)} | ${p(lag.toListenerMs, 100)} |`,
    '',
    `CPU during the phase, per request: functions ${perEvent(lag.cpu.functions, lag.accepted)} µs, ` +
      `Pub/Sub emulator ${perEvent(lag.cpu.pubsub, lag.accepted)} µs, Firestore emulator ${perEvent(lag.cpu.firestore, lag.accepted)} µs; ` +
      `functions RSS peak ${mb(lag.rss.peakMb)} MB.`,
    '',
    `Target p99 < ${LAG_TARGET_MS} ms: **${lagMet ? 'met' : 'missed'}** (p99 ${lagP99} ms${lag.reflected < lag.accepted ? `, ${lag.accepted - lag.reflected} accepted events never seen` : ''}).`,
    '',
    '### Ingest throughput: a published backlog until every event is learned',
    '',
    '| run | messages | events | learned | s | events/s | messages/s | ingest p50 / p95 / max ms per delivery | deliveries in flight (mean / max) | functions CPU µs/event | functions peak RSS MB | Firestore emulator µs/event | Pub/Sub emulator µs/event | deliveries | dead-lettered |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.throughput.map(
      (t) =>
        `| ${t.name} | ${t.messages} | ${t.events} | ${t.learned}${t.complete ? '' : ' (gave up)'} | ${(t.totalMs / 1000).toFixed(1)} | ${rate(t.learned, t.totalMs)} | ` +
        `${rate(Math.round((t.learned / t.events) * t.messages), t.totalMs)} | ${p(t.handlerMs, 50)} / ${p(t.handlerMs, 95)} / ${p(t.handlerMs, 100)} | ${t.inFlight.toFixed(1)} / ${t.maxInFlight} | ${perEvent(t.cpu.functions, t.learned)} | ${mb(t.rss.peakMb)} | ${perEvent(t.cpu.firestore, t.learned)} | ` +
        `${perEvent(t.cpu.pubsub, t.learned)} | ${t.writes.deliveries} | ${t.deadLettered} |`,
    ),
    '',
    "### Firestore writes per event (from ingest's log: firestore_writes / learned)",
    '',
    '| messages | deliveries | learned | writes | writes/message | writes/event | expected writes/event (one per message) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.throughput.map(
      (t) =>
        `| ${t.name} | ${t.writes.deliveries} | ${t.writes.learned} | ${t.writes.writes} | ${ratio(t.writes.writes, t.writes.deliveries)} | **${ratio(t.writes.writes, t.writes.learned)}** | ` +
        `${ratio(t.messages, t.events)} |`,
    ),
    '',
    'Events sent by the client SDK (`functions/client/node.ts`, default batching: a request at 20 queued events or after 5 s), through collect:',
    '',
    '| shoppers × events | sent as | accepted | requests (messages) | events/message | writes | writes/event | s | functions CPU µs/event | functions peak RSS MB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.sdk.map(
      (t) =>
        `| ${t.shoppers} × ${t.eventsPerShopper} | ${t.name} | ${t.accepted} | ${t.writes.deliveries} | ${ratio(t.writes.learned, t.writes.deliveries)} | ${t.writes.writes} | ` +
        `**${ratio(t.writes.writes, t.writes.learned)}** | ${(t.totalMs / 1000).toFixed(1)} | ${perEvent(t.cpu.functions, t.accepted)} | ${mb(t.rss.peakMb)} |`,
    ),
    '',
    '1-event requests through collect (the lag phase), by event type:',
    '',
    '| event type | messages | writes/event |',
    '|---|---:|---:|',
    ...[...byType]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, ids]) => {
        const w = writesOf(ids);
        return `| ${type} | ${w.deliveries} | ${ratio(w.writes, w.learned)} |`;
      }),
    `| all | ${lagWrites.deliveries} | ${ratio(lagWrites.writes, lagWrites.learned)} |`,
    '',
    `The functions processes warned ${topicWarnings} time(s) "Failed to extract the topic name from the URL path" (the push endpoint is ` +
      `\`http://127.0.0.1:PORT/\`, as the local stack makes it) and wrote ${stderrLines} other line(s) to stderr` +
      `${stderrSamples.length ? `, e.g.:\n\n\`\`\`\n${stderrSamples.join('\n')}\n\`\`\`` : '.'}`,
    '',
  ];
  return `${lines.join('\n')}\n`;
}

try {
  await main();
} finally {
  await stopAll();
}
