import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createPubSubDeadLetterQueue, createPubSubRepublisher } from '../../functions/adapters/gcp/pubsub-dead-letters.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { trackEverything } from '../../functions/collect/consent.ts';
import { encodeEventBatch } from '../../functions/events/messages.ts';
import { replayDeadLetters, type DeadLetterQueue } from '../../functions/ingest/dead-letters.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { batchMessage, collectedEvent } from '../support/messages.ts';
import { emulatorPubSub } from '../support/pubsub.ts';
import { hashUser } from '../support/user-hasher.ts';

/*
 * Replaying dead letters after a fix (emulators): ingest fails every delivery of a message for a transient reason
 * until it is fixed, so Pub/Sub dead-letters it; the fix; a replay sends it back to the events topic and ingest learns
 * each of its events once. Replaying again finds nothing, and a repeat of the message changes nothing.
 */

const pubsub = emulatorPubSub();
const firestore = emulatorFirestore();
const shopper = `shopper-${randomUUID()}`;
const logger = createMemoryLogger();
const names = {
  events: `replay-events-${randomUUID().slice(0, 8)}`,
  rejected: `replay-rejected-${randomUUID().slice(0, 8)}`,
  deadLetter: `replay-dead-${randomUUID().slice(0, 8)}`,
};
const keep = `${names.deadLetter}-keep`;
let warehouse: DuckDbWarehouse;
let server: ReturnType<typeof getTestServer>;
let queue: DeadLetterQueue & { close(): Promise<void> };
/** Until it is fixed, learning fails the way an outage does: a transient error, so Pub/Sub delivers again. */
const fault = { broken: true, attempts: 0 };

beforeAll(async () => {
  warehouse = await createDuckDbWarehouse(':memory:');
  const store = createFirestorePreferenceStore(firestore, { learn, hashUser });
  const preferences = {
    apply: (...args: Parameters<typeof store.apply>) => {
      fault.attempts += 1;
      if (fault.broken) return Promise.reject(Object.assign(new Error('Firestore is unavailable'), { code: 14 }));
      return store.apply(...args);
    },
  };
  ff.cloudEvent(
    'ingest-replay',
    createIngestHandler({ warehouse, preferences, consent: trackEverything, clock: () => new Date(), logger }),
  );
  server = getTestServer('ingest-replay');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const [deadLetter] = await pubsub.createTopic(names.deadLetter);
  await deadLetter.createSubscription(keep);
  await pubsub.createTopic(names.rejected);
  const [events] = await pubsub.createTopic(names.events);
  await events.createSubscription(`${names.events}-ingest`, {
    pushConfig: { pushEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/projects/demo-test/topics/${names.events}` },
    deadLetterPolicy: { deadLetterTopic: deadLetter.name, maxDeliveryAttempts: 5 },
    retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 2 } },
  });
  queue = await createPubSubDeadLetterQueue(pubsub, keep);
});

afterAll(async () => {
  server.close();
  await queue.close();
  await pubsub.close();
  await warehouse.close();
  await firestore.terminate();
});

const replay = (dryRun: boolean) =>
  replayDeadLetters(
    { queue, republisher: createPubSubRepublisher(pubsub, { events: names.events, rejected: names.rejected }), logger },
    { limit: 10, dryRun },
  );
const learned = async () => (await firestore.collection('preferences').doc(shopper).get()).get('event_count') as number | undefined;
const stored = async () => (await warehouse.sql('SELECT count(*)::INTEGER AS n FROM events WHERE user_id = $1', [shopper]))[0]?.n;

async function until<T>(what: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('npm run replay -- dead-letters (emulators)', () => {
  const poison = encodeEventBatch(
    batchMessage(shopper, [collectedEvent('product_viewed', shopper, new Date()), collectedEvent('order_completed', shopper, new Date())]),
  );

  it('finds the message ingest gave up on, and a dry run leaves it there', async () => {
    await pubsub.topic(names.events).publishMessage(poison);
    const seen = await until(
      () => replay(true),
      (outcome) => outcome.pulled > 0,
      45_000,
    );
    expect(fault.attempts).toBe(5);
    expect(seen).toEqual({ dry_run: true, pulled: 1, republished: { events: 1, rejected: 0 }, acknowledged: 0, kept: 0 });
    expect(await replay(true)).toMatchObject({ pulled: 1 });
    expect(await learned()).toBeUndefined();
  }, 60_000);

  it('after the fix, re-publishes it to the events topic and acknowledges it: each event is learned and stored once', async () => {
    fault.broken = false;
    expect(await replay(false)).toEqual({ dry_run: false, pulled: 1, republished: { events: 1, rejected: 0 }, acknowledged: 1, kept: 0 });
    expect(await until(learned, (count) => count === 2, 20_000)).toBe(2);
    expect(await stored()).toBe(2);
  }, 30_000);

  it('is harmless to repeat: nothing is left to replay, and the same message again changes nothing', async () => {
    expect(await replay(false)).toMatchObject({ pulled: 0, acknowledged: 0 });
    // As if a replay had published it and died before acknowledging: it comes round once more.
    await pubsub.topic(names.events).publishMessage(poison);
    const repeated = await until(
      async () => logger.entries.filter((e) => e.message === 'message ingested' && e.already_learned === 2),
      (found) => found.length > 0,
      20_000,
    );
    expect(repeated).toHaveLength(1);
    expect(await learned()).toBe(2);
    expect(await stored()).toBe(2);
  }, 30_000);
});
