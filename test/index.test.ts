import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventBatchMessage, RejectedBatchMessage } from '../functions/events/messages.ts';
import { mintShopperToken } from '../functions/local/mint-token.ts';
import { FUNCTIONS } from '../functions/registry.ts';
import { TEST_TOKEN, validEvent } from './support/fixtures.ts';
import { emulatorPubSub, freshTopic, receive } from './support/pubsub.ts';

// The production entry, wired to the real Pub/Sub emulator: the path a shopper's event takes.
const pubsub = emulatorPubSub();
let topics: { events: Awaited<ReturnType<typeof freshTopic>>; rejected: Awaited<ReturnType<typeof freshTopic>> };

beforeAll(async () => {
  topics = { events: await freshTopic(pubsub, 'events'), rejected: await freshTopic(pubsub, 'rejected-events') };
  Object.assign(process.env, {
    EVENTS_TOPIC: topics.events.name,
    REJECTED_EVENTS_TOPIC: topics.rejected.name,
    TOKEN_KEY: TEST_TOKEN.key,
    USER_HASH_KEY: 'k'.repeat(32),
    // collect reads the shopper's privacy settings.
    FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'),
    TOKEN_ISSUER: TEST_TOKEN.issuer,
    TOKEN_AUDIENCE: TEST_TOKEN.audience,
    LOG_LEVEL: 'ERROR',
    // history: where imports read from, and the patterns function it asks to run.
    IMPORT_BUCKET: 'demo-imports',
    PATTERNS_URL: 'http://127.0.0.1:9/',
  });
  await import('../functions/index.ts');
});

afterAll(async () => {
  await topics.events.subscription.close();
  await topics.rejected.subscription.close();
  await pubsub.close();
});

describe('functions entry point', () => {
  it('registers collect, which publishes accepted and rejected events to their topics', async () => {
    const token = await mintShopperToken('shopper-e2e', TEST_TOKEN);
    const now = new Date();
    const good = validEvent('order_completed', {}, now);
    const bad = validEvent('cart_item_added', { data: {} }, now);

    const res = await request(getTestServer('collect'))
      .post('/v1/events')
      .set('Authorization', `Bearer ${token}`)
      .send({ events: [good, bad] });

    expect(res.status).toBe(202);
    const [accepted] = await receive(topics.events.subscription, 1);
    const [rejected] = await receive(topics.rejected.subscription, 1);
    const batch = EventBatchMessage.parse(JSON.parse(accepted?.data.toString() ?? ''));
    expect(batch.user_id).toBe('shopper-e2e');
    expect(batch.events.map((e) => e.event_id)).toEqual([good.event_id]);
    expect(accepted?.attributes.user_id).toBe('shopper-e2e');
    const kept = RejectedBatchMessage.parse(JSON.parse(rejected?.data.toString() ?? ''));
    expect(kept.rejected.map((r) => r.event_id)).toEqual([bad.event_id]);
  });
});

describe('every function of the entry point', () => {
  const names = FUNCTIONS.map((fn) => fn.name);
  const requests: [string, (r: ReturnType<typeof request>) => request.Test][] = [
    ['GET /', (r) => r.get('/')],
    ['a POST of malformed JSON', (r) => r.post('/').set('Content-Type', 'application/json').send('{"events": [nope')],
    ['a POST of plain text', (r) => r.post('/').set('Content-Type', 'text/plain').send('hello')],
  ];

  it.each(names)("%s answers requests it cannot take with a short JSON error, never an error's text or a stack trace", async (name) => {
    const server = getTestServer(name);
    for (const [what, send] of requests) {
      const res = await send(request(server));
      expect([what, res.status >= 400 && res.status < 500]).toEqual([what, true]);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body as object)).toEqual(['error']);
      expect(res.text).not.toMatch(/Error\b|\bat \S+ \(|node_modules|\.[jt]s:\d+|<pre>/);
    }
  });
});
