import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Firestore } from '@google-cloud/firestore';
import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { getFunction, getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub } from '@google-cloud/pubsub';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoundedFirestore } from '../functions/adapters/gcp/bounded-firestore.ts';
import { createPubSubEventBus } from '../functions/adapters/gcp/pubsub-event-bus.ts';
import type { MessagePublishedData } from '../functions/ingest/decode-message.ts';
import { freePort, startEmulator, type RunningProcess } from '../functions/local/emulators.ts';
import { mintShopperToken } from '../functions/local/mint-token.ts';
import { TEST_TOKEN, validEvent } from './support/fixtures.ts';
import { batchMessage, collectedEvent, pubsubCloudEvent } from './support/messages.ts';

// Invariant 8: an outage is answered fast. The production entry runs against emulators of its own,
// which these tests freeze (SIGSTOP: connections open, nothing answers) and kill (connections
// refused). Never the run's shared emulators: other test files use them at the same time.

/** Every deadline of the entry, for these tests. */
const DEADLINE_MS = 1000;
/** How long an answer may take: the deadline plus room for a loaded machine. Without deadlines: 40 s to minutes. */
const ANSWER_BOUND_MS = 5000;
/** When a measurement stops waiting: well past the bound, so a failure shows how far off it was. */
const GIVE_UP_MS = 20_000;
const SLOW = { timeout: 3 * GIVE_UP_MS };
/** gRPC's status code for a call that passed its own deadline. */
const DEADLINE_EXCEEDED = 4;

let firestoreEmulator: RunningProcess;
let pubsubEmulator: RunningProcess;
let firestore: Firestore;

beforeAll(async () => {
  [firestoreEmulator, pubsubEmulator] = await Promise.all([
    startEmulator('firestore', { port: await freePort(), projectId: 'demo-test' }),
    startEmulator('pubsub', { port: await freePort(), projectId: 'demo-test' }),
  ]);
  process.env.PUBSUB_EMULATOR_HOST = pubsubEmulator.host;
  process.env.FIRESTORE_EMULATOR_HOST = firestoreEmulator.host;
  const pubsub = new PubSub({ projectId: 'demo-test' });
  await Promise.all([pubsub.createTopic('events'), pubsub.createTopic('rejected-events')]);
  await pubsub.close();
  firestore = new Firestore({ projectId: 'demo-test' });
  Object.assign(process.env, {
    TOKEN_KEY: TEST_TOKEN.key,
    TOKEN_ISSUER: TEST_TOKEN.issuer,
    TOKEN_AUDIENCE: TEST_TOKEN.audience,
    USER_HASH_KEY: 'k'.repeat(32),
    WAREHOUSE: 'duckdb::memory:',
    FIRESTORE_DEADLINE_MS: String(DEADLINE_MS),
    LEARNING_DEADLINE_MS: String(DEADLINE_MS),
    PUBLISH_DEADLINE_MS: String(DEADLINE_MS),
    LOG_LEVEL: 'ERROR',
    PATTERNS_URL: 'http://127.0.0.1:9/',
  });
  await import('../functions/index.ts');
  // A running service: every client has its connections (a first call may pass the test's short
  // deadline on a loaded machine) before anything stops answering.
  const { userId, token } = await newShopper();
  expect((await retriedAnswer(() => collect(token, { events: [validEvent('product_viewed', {}, new Date())] }))).status).toBe(202);
  expect((await retriedAnswer(() => privacy(userId, token))).status).toBe(200);
  expect((await retriedAnswer(() => learningStatus(userId))).status).toBe(200);
  expect(
    (
      await retried(
        () => ending(ingest()(deliveryOf(userId))),
        (e) => e.outcome === 'thrown',
      )
    ).outcome,
  ).toBe('returned');
});

afterAll(async () => {
  for (const emulator of [firestoreEmulator, pubsubEmulator]) signal(emulator, 'SIGCONT');
  await firestore?.terminate();
  await Promise.all([firestoreEmulator?.stop(), pubsubEmulator?.stop()]);
});

function signal(emulator: RunningProcess | undefined, name: NodeJS.Signals): void {
  if (emulator?.child.pid === undefined) return;
  try {
    process.kill(-emulator.child.pid, name);
  } catch {
    // already gone
  }
}

/** Runs `work` while the emulator's whole process group is stopped, then lets it go on. */
async function frozen<T>(emulator: RunningProcess, work: () => Promise<T>): Promise<T> {
  signal(emulator, 'SIGSTOP');
  try {
    return await work();
  } finally {
    signal(emulator, 'SIGCONT');
  }
}

type Answer = { status: number | 'none'; retryAfter: string | undefined; ms: number };

/** An HTTP answer and how long it took; `none` when nothing came within GIVE_UP_MS. */
async function answer(call: request.Test): Promise<Answer> {
  const started = performance.now();
  const res = await call.timeout(GIVE_UP_MS).catch(() => null);
  return { status: res?.status ?? 'none', retryAfter: res?.get('retry-after'), ms: Math.round(performance.now() - started) };
}

/** How a call ended and how long it took; `none` when it did not within GIVE_UP_MS. */
async function ending(work: Promise<unknown>): Promise<{ outcome: 'returned' | 'thrown' | 'none'; error: unknown; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'none'>((resolve) => (timer = setTimeout(() => resolve('none'), GIVE_UP_MS)));
  let error: unknown;
  const ended = work.then(
    () => 'returned' as const,
    (thrown: unknown) => ((error = thrown), 'thrown' as const),
  );
  const outcome = await Promise.race([ended, gaveUp]);
  clearTimeout(timer);
  return { outcome, error, ms: Math.round(performance.now() - started) };
}

/**
 * The same call again, as a client (or Pub/Sub) retries a transient failure, until it is no longer
 * one: a thawed emulator may take a moment to catch up on what queued while it was stopped.
 */
async function retried<T>(call: () => Promise<T>, transient: (outcome: T) => boolean): Promise<T> {
  let outcome = await call();
  for (let attempt = 1; attempt < 10 && transient(outcome); attempt += 1) {
    await sleep(1000);
    outcome = await call();
  }
  return outcome;
}
const retriedAnswer = (call: () => request.Test) =>
  retried(
    () => answer(call()),
    (a) => a.status === 503,
  );

/** A transient failure's answer: retry in a second. */
const UNAVAILABLE = { status: 503, retryAfter: '1', ms: expect.any(Number) };

/** A shopper nobody has asked about yet: collect has no cached settings for them. */
async function newShopper() {
  const userId = `outage-${randomUUID()}`;
  return { userId, token: await mintShopperToken(userId, TEST_TOKEN) };
}

const collect = (token: string, body: unknown) =>
  request(getTestServer('collect'))
    .post('/v1/events')
    .set('Authorization', `Bearer ${token}`)
    .send(body as object);
const privacy = (userId: string, token: string) =>
  request(getTestServer('users'))
    .get(`/v1/users/${encodeURIComponent(userId)}/privacy`)
    .set('Authorization', `Bearer ${token}`);
const link = (userId: string, token: string, visitorToken: string) =>
  request(getTestServer('users'))
    .post(`/v1/users/${encodeURIComponent(userId)}/links`)
    .set('Authorization', `Bearer ${token}`)
    .send({ anonymous_token: visitorToken });
const learningStatus = (userId: string) =>
  request(getTestServer('operators')).get(`/v1/users/${encodeURIComponent(userId)}/learning-status`);

function ingest(): CloudEventFunction<MessagePublishedData> {
  const handler = getFunction('ingest');
  if (!handler) throw new Error('ingest is not registered');
  return handler as CloudEventFunction<MessagePublishedData>;
}

function deliveryOf(userId: string) {
  return pubsubCloudEvent(batchMessage(userId, [collectedEvent('cart_item_added', userId, new Date())]));
}

describe('while Firestore is frozen', () => {
  it('collect answers 503 with Retry-After within its deadline, and accepts the same request once Firestore answers', SLOW, async () => {
    const { token } = await newShopper();
    const body = { events: [validEvent('cart_item_added', {}, new Date())] };

    const during = await frozen(firestoreEmulator, () => answer(collect(token, body)));
    expect(during).toEqual(UNAVAILABLE);
    expect(during.ms).toBeLessThan(ANSWER_BOUND_MS);

    expect((await retriedAnswer(() => collect(token, body))).status).toBe(202);
  });

  it('users answers GET …/privacy with 503 and Retry-After within its deadline, then 200', SLOW, async () => {
    const { userId, token } = await newShopper();

    const during = await frozen(firestoreEmulator, () => answer(privacy(userId, token)));
    expect(during).toEqual(UNAVAILABLE);
    expect(during.ms).toBeLessThan(ANSWER_BOUND_MS);

    expect((await retriedAnswer(() => privacy(userId, token))).status).toBe(200);
  });

  it(
    'collect answers a visitor (whose link it reads) and users a link with 503 and Retry-After within their deadline, then 202 and 200',
    SLOW,
    async () => {
      const { userId, token } = await newShopper();
      const visitorToken = await mintShopperToken(randomUUID(), { ...TEST_TOKEN, anonymous: true });
      const body = { events: [validEvent('product_viewed', {}, new Date())] };

      const during = await frozen(firestoreEmulator, async () => ({
        collect: await answer(collect(visitorToken, body)),
        users: await answer(link(userId, token, visitorToken)),
      }));
      expect(during).toEqual({ collect: UNAVAILABLE, users: UNAVAILABLE });
      for (const { ms } of Object.values(during)) expect(ms).toBeLessThan(ANSWER_BOUND_MS);

      expect((await retriedAnswer(() => collect(visitorToken, body))).status).toBe(202);
      // The link abandoned at its deadline holds its documents' locks until Firestore expires its transaction: a link of
      // that pair waits for it, while another pair's goes through as soon as Firestore answers.
      const next = await newShopper();
      const nextVisitor = await mintShopperToken(randomUUID(), { ...TEST_TOKEN, anonymous: true });
      expect((await retriedAnswer(() => link(next.userId, next.token, nextVisitor))).status).toBe(200);
    },
  );

  it('operators answers a learning status with 503 and Retry-After within its deadline, then 200', SLOW, async () => {
    const { userId } = await newShopper();

    const during = await frozen(firestoreEmulator, () => answer(learningStatus(userId)));
    expect(during).toEqual(UNAVAILABLE);
    expect(during.ms).toBeLessThan(ANSWER_BOUND_MS);

    expect((await retriedAnswer(() => learningStatus(userId))).status).toBe(200);
  });

  it('ingest throws within its deadline, so Pub/Sub redelivers; the redelivery is learned once Firestore answers', SLOW, async () => {
    const { userId } = await newShopper();
    const event = deliveryOf(userId);

    const during = await frozen(firestoreEmulator, () => ending(ingest()(event)));
    expect(during).toMatchObject({ outcome: 'thrown', error: { name: 'DeliveryFailed', cause: { name: 'DeadlineExceeded' } } });
    expect(during.ms).toBeLessThan(ANSWER_BOUND_MS);

    expect(
      (
        await retried(
          () => ending(ingest()(event)),
          (e) => e.outcome === 'thrown',
        )
      ).outcome,
    ).toBe('returned');
    expect((await firestore.collection('preferences').doc(userId).get()).get('event_count')).toBe(1);
  });

  it(
    'the Firestore client of a request path ends a read it was left with by itself; a default client waits for minutes',
    SLOW,
    async () => {
      const client = createBoundedFirestore({ projectId: 'demo-test' }, { callMs: 500, transactionMs: 500 });
      await client.collection('preferences').doc('warm-up').get();

      const read = await frozen(firestoreEmulator, () => ending(client.collection('preferences').doc(randomUUID()).get()));
      await client.terminate();

      // Each RPC ends at 500 ms; the client's own 5 attempts with backoffs from 1 s (not configurable) take the rest.
      expect(read).toMatchObject({ outcome: 'thrown', error: { code: DEADLINE_EXCEEDED } });
    },
  );
});

describe('while Pub/Sub is frozen', () => {
  it(
    'collect answers 503 with Retry-After within its publish deadline, and accepts the same request once Pub/Sub answers',
    SLOW,
    async () => {
      const { token } = await newShopper();
      const body = { events: [validEvent('product_viewed', {}, new Date())] };

      const during = await frozen(pubsubEmulator, () => answer(collect(token, body)));
      expect(during).toEqual(UNAVAILABLE);
      expect(during.ms).toBeLessThan(ANSWER_BOUND_MS);

      expect((await retriedAnswer(() => collect(token, body))).status).toBe(202);
    },
  );

  it("collect's publisher ends a publish it was left with by itself; by default it retries for 600 s", SLOW, async () => {
    const pubsub = new PubSub({ projectId: 'demo-test' });
    const bus = createPubSubEventBus(
      pubsub,
      { events: 'events', rejected: 'rejected-events' },
      { maxMessages: 1, maxMilliseconds: 0, maxBytes: 1024 },
      { timeoutMs: 500 },
    );
    const message = { data: Buffer.from('{}'), attributes: {} };
    await bus.events.publish(message);

    const publish = await frozen(pubsubEmulator, () => ending(bus.events.publish(message)));
    await pubsub.close();

    expect(publish).toMatchObject({ outcome: 'thrown', error: { code: DEADLINE_EXCEEDED } });
    expect(publish.ms).toBeLessThan(ANSWER_BOUND_MS);
  });
});

// Last: nothing brings the emulator back.
describe('once Firestore is gone (connections refused)', () => {
  beforeAll(() => signal(firestoreEmulator, 'SIGKILL'));

  it('collect, users and operators answer 503 with Retry-After within their deadline', SLOW, async () => {
    const { userId, token } = await newShopper();
    const answers = {
      collect: await answer(collect(token, { events: [validEvent('cart_item_added', {}, new Date())] })),
      users: await answer(privacy(userId, token)),
      operators: await answer(learningStatus(userId)),
    };
    expect(answers).toEqual({ collect: UNAVAILABLE, users: UNAVAILABLE, operators: UNAVAILABLE });
    for (const { ms } of Object.values(answers)) expect(ms).toBeLessThan(ANSWER_BOUND_MS);
  });

  it('ingest throws within its deadline', SLOW, async () => {
    const { userId } = await newShopper();
    const ended = await ending(ingest()(deliveryOf(userId)));
    expect(ended).toMatchObject({ outcome: 'thrown', error: { name: 'DeliveryFailed', cause: { name: 'DeadlineExceeded' } } });
    expect(ended.ms).toBeLessThan(ANSWER_BOUND_MS);
  });
});
