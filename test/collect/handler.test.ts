import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CollectResponse } from '../../functions/collect/handler.ts';
import type { ConsentPolicy } from '../../functions/kernel/ports.ts';
import { LIMITS } from '../../functions/events/limits.ts';
import { EventBatchMessage, RejectedBatchMessage } from '../../functions/events/messages.ts';
import { EVENT_TYPES } from '../../functions/events/schema.ts';
import { collectUnderTest, tokenFor } from '../support/collect-server.ts';
import { NOW, VALID_DATA, validEvent } from '../support/fixtures.ts';
import { decode } from '../support/memory-bus.ts';

let token: string;
beforeAll(async () => {
  token = await tokenFor('shopper-1');
});

const post = (server: Parameters<typeof request>[0], path = '/v1/events') =>
  request(server).post(path).set('Authorization', `Bearer ${token}`);

describe('POST /v1/events', () => {
  it('accepts a batch of every event type and publishes it as one message, stamped by the server', async () => {
    const { server, bus } = await collectUnderTest();
    const events = EVENT_TYPES.map((type) => validEvent(type));
    const res = await post(server).send({ events });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 8, rejected: [], dropped: 0, duplicates: 0 });
    expect(bus.events.messages).toHaveLength(1);
    expect(bus.rejected.messages).toHaveLength(0);

    const message = EventBatchMessage.parse(decode(bus.events.messages[0]));
    expect(message.request_id).toBe((res.body as CollectResponse).request_id);
    expect(message.user_id).toBe('shopper-1');
    expect(message.events.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));
    for (const event of message.events) {
      expect(event).toMatchObject({ user_id: 'shopper-1', received_at: NOW.toISOString(), event_time: '2026-11-26T11:59:59.000Z' });
    }
    expect(bus.events.messages[0]?.attributes).toEqual({
      kind: 'events',
      schema_version: '1',
      request_id: message.request_id,
      user_id: 'shopper-1',
      event_count: '8',
    });
  });

  it('corrects the client clock: event_time = received_at − (sent_at − occurred_at)', async () => {
    const { server, bus } = await collectUnderTest();
    // The phone's clock is 3 hours behind; the event happened 20 s before it was sent.
    const event = validEvent('product_viewed', { occurred_at: '2026-11-26T08:59:40.000Z', sent_at: '2026-11-26T09:00:00.000Z' });
    await post(server)
      .send({ events: [event] })
      .expect(202);
    const [collected] = decode<EventBatchMessage>(bus.events.messages[0]).events;
    expect(collected?.event_time).toBe('2026-11-26T11:59:40.000Z');
    expect(collected?.occurred_at).toBe('2026-11-26T08:59:40.000Z');
  });

  it('accepts the valid events beside invalid ones and keeps the invalid ones with their reasons', async () => {
    const { server, bus } = await collectUnderTest();
    const good = validEvent('cart_item_added');
    const badPosition = validEvent('search_result_clicked', { data: { ...VALID_DATA.search_result_clicked, position: 0 } });
    const res = await post(server).send({ events: [badPosition, good, 'not an event'] });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      accepted: 1,
      rejected: [
        { index: 0, event_id: badPosition.event_id, reason: expect.stringMatching(/^data\.position: Too small/) },
        { index: 2, event_id: null, reason: 'event must be a JSON object' },
      ],
    });
    expect(decode<EventBatchMessage>(bus.events.messages[0]).events.map((e) => e.event_id)).toEqual([good.event_id]);

    const rejected = RejectedBatchMessage.parse(decode(bus.rejected.messages[0]));
    expect(rejected).toMatchObject({ user_id: 'shopper-1', source: 'collect', request_id: (res.body as CollectResponse).request_id });
    expect(rejected.rejected.map((r) => [r.index, r.type])).toEqual([
      [0, 'search_result_clicked'],
      [2, null],
    ]);
    expect(JSON.parse(rejected.rejected[0]?.payload ?? '')).toEqual(badPosition);
  });

  it('answers 400 when every event is rejected, and still keeps them', async () => {
    const { server, bus } = await collectUnderTest();
    const res = await post(server).send({ events: [validEvent('search_performed', { type: 'page_viewed' })] });
    expect(res.status).toBe(400);
    expect((res.body as CollectResponse).rejected[0]?.reason).toMatch(
      /^type "page_viewed" is not an event type; expected one of search_performed/,
    );
    expect(bus.events.messages).toHaveLength(0);
    expect(bus.rejected.messages).toHaveLength(1);
  });

  it('never takes the user id from the body', async () => {
    const { server, bus } = await collectUnderTest();
    const res = await post(server).send({ events: [validEvent('product_viewed', { user_id: 'shopper-2' })] });
    expect(res.status).toBe(400);
    expect((res.body as CollectResponse).rejected[0]?.reason).toBe('Unrecognized key: "user_id"');
    expect(bus.events.messages).toHaveLength(0);
  });

  it('accepts an event id repeated within a request once', async () => {
    const { server, bus } = await collectUnderTest();
    const event = validEvent('product_viewed');
    const res = await post(server).send({ events: [event, event, validEvent('product_viewed')] });
    expect(res.body).toMatchObject({ accepted: 2, duplicates: 1, rejected: [] });
    expect(decode<EventBatchMessage>(bus.events.messages[0]).events).toHaveLength(2);
  });

  it('rejects an oversized event on its own', async () => {
    const { server, bus } = await collectUnderTest();
    const huge = validEvent('product_viewed', { context: { user_agent: 'x'.repeat(2000), page_url: 'y'.repeat(2000) } });
    // Within every per-field limit, yet too large as a whole: 200 order lines with long names.
    const item = { sku: 'sku-1', name: 'n'.repeat(200), category: 'bakery', price: 1, quantity: 1 };
    const big = validEvent('order_completed', { data: { ...VALID_DATA.order_completed, items: Array.from({ length: 200 }, () => item) } });
    const res = await post(server).send({ events: [huge, big] });
    expect(res.body).toMatchObject({
      accepted: 1,
      rejected: [{ index: 1, reason: expect.stringMatching(/^event is \d+ bytes; the limit is 32768 bytes$/) }],
    });
    expect(bus.rejected.messages).toHaveLength(1);
  });

  it('rejects events from outside the time window', async () => {
    const { server } = await collectUnderTest();
    const old = validEvent('product_viewed', { occurred_at: '2026-09-01T00:00:00.000Z', sent_at: '2026-11-26T12:00:00.000Z' });
    const res = await post(server).send({ events: [old] });
    expect(res.status).toBe(400);
    expect((res.body as CollectResponse).rejected[0]?.reason).toBe('event is 87 days old; events older than 30 days are not accepted');
  });

  it.each([
    [
      'a body that is not JSON (text/plain)',
      (r: request.Test) => r.set('Content-Type', 'text/plain').send('{"events": ['),
      400,
      /^request body is not valid JSON/,
    ],
    [
      'a JSON array',
      (r: request.Test) => r.send([validEvent('product_viewed')]),
      400,
      /^body must be a JSON object with an "events" array$/,
    ],
    ['an empty events array', (r: request.Test) => r.send({ events: [] }), 400, /^"events" is empty$/],
    ['no body', (r: request.Test) => r, 400, /^request body is empty/],
    [
      'a form body',
      (r: request.Test) => r.type('form').send('events=1'),
      415,
      /^content type "application\/x-www-form-urlencoded" is not supported/,
    ],
    [
      'too many events',
      (r: request.Test) => r.send({ events: Array.from({ length: LIMITS.maxEventsPerRequest + 1 }, () => ({})) }),
      413,
      /^101 events in one request; the limit is 100$/,
    ],
    [
      'a body over the byte limit',
      (r: request.Test) => r.send({ events: [{ pad: 'x'.repeat(LIMITS.maxRequestBytes) }] }),
      413,
      /^request body is \d+ bytes; the limit is 524288 bytes$/,
    ],
  ])('answers %s with its status and a reason, publishing nothing', async (_name, send, status, reason) => {
    const { server, bus } = await collectUnderTest();
    const res = await send(post(server));
    expect(res.status).toBe(status);
    expect((res.body as { error: { message: string } }).error.message).toMatch(reason);
    expect(bus.events.messages.length + bus.rejected.messages.length).toBe(0);
  });

  it.each(['application/json', 'text/plain'])(
    "answers malformed JSON sent as %s with 400 and a reason in its own words, not the parser's",
    async (type) => {
      const { server, bus } = await collectUnderTest();
      const res = await post(server).set('Content-Type', type).send('{"events": [secret-token');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'bad_request', message: 'request body is not valid JSON' } });
      expect(bus.events.messages).toHaveLength(0);
    },
  );

  it('accepts JSON sent as text/plain', async () => {
    const { server, bus } = await collectUnderTest();
    const res = await post(server)
      .set('Content-Type', 'text/plain;charset=UTF-8')
      .send(JSON.stringify({ events: [validEvent('product_viewed')] }));
    expect(res.status).toBe(202);
    expect(bus.events.messages).toHaveLength(1);
  });
});

describe('authentication', () => {
  it.each([
    ['no token', undefined, 'missing bearer token'],
    ['a malformed header', 'Token abc', 'missing bearer token'],
    ['a bad token', 'Bearer abc.def.ghi', 'token is malformed'],
  ])('answers %s with 401', async (_name, header, reason) => {
    const { server, bus } = await collectUnderTest();
    const req = request(server).post('/v1/events');
    if (header) req.set('Authorization', header);
    const res = await req.send({ events: [validEvent('product_viewed')] });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer error="invalid_token"');
    expect(res.body).toEqual({ error: { code: 'unauthenticated', message: reason } });
    expect(bus.events.messages.length + bus.rejected.messages.length).toBe(0);
  });

  it('answers an expired token with 401, saying so', async () => {
    const { server } = await collectUnderTest();
    const expired = await tokenFor('shopper-1', { ttlSec: -3600 });
    const res = await request(server)
      .post('/v1/events')
      .set('Authorization', `Bearer ${expired}`)
      .send({ events: [validEvent('product_viewed')] });
    expect(res.status).toBe(401);
    expect((res.body as { error: { message: string } }).error.message).toBe('token has expired');
  });
});

describe('single-event routes', () => {
  it.each([
    ['/v1/events/search', 'search_performed'],
    ['/v1/events/click', 'search_result_clicked'],
    ['/v1/events/view', 'product_viewed'],
    ['/v1/events/cart-add', 'cart_item_added'],
    ['/v1/events/cart-remove', 'cart_item_removed'],
    ['/v1/events/cart-update', 'cart_item_updated'],
    ['/v1/events/order', 'order_completed'],
    ['/v1/events/preference', 'preference_updated'],
  ] as const)('%s takes one %s; the type may be left out', async (path, type) => {
    const { server, bus } = await collectUnderTest();
    const { type: _omit, ...event } = validEvent(type);
    const res = await post(server, path).send(event);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 1 });
    expect(decode<EventBatchMessage>(bus.events.messages[0]).events[0]?.type).toBe(type);
  });

  it('rejects an event whose type does not match the route', async () => {
    const { server, bus } = await collectUnderTest();
    const res = await post(server, '/v1/events/click').send(validEvent('order_completed'));
    expect(res.status).toBe(400);
    expect((res.body as CollectResponse).rejected[0]?.reason).toBe(
      'type "order_completed" does not match this route, which takes search_result_clicked',
    );
    expect(bus.rejected.messages).toHaveLength(1);
  });

  it('answers unknown routes with 404 and other methods with 405', async () => {
    const { server } = await collectUnderTest();
    await post(server, '/v1/events/checkout').send({}).expect(404);
    const res = await request(server).get('/v1/events').expect(405);
    expect(res.headers.allow).toBe('POST, OPTIONS');
  });
});

describe('consent', () => {
  it('drops events the shopper does not allow, counting them in the answer', async () => {
    const noClicks: ConsentPolicy = {
      decide: async (_user, events) =>
        events.map((e) =>
          e.type === 'search_result_clicked' ? { track: false, reason: 'track_clicks is off' } : { track: true, learn: true },
        ),
    };
    const { server, bus } = await collectUnderTest({ consent: noClicks });
    const res = await post(server).send({ events: [validEvent('search_result_clicked'), validEvent('order_completed')] });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 1, dropped: 1, rejected: [] });
    expect(decode<EventBatchMessage>(bus.events.messages[0]).events.map((e) => e.type)).toEqual(['order_completed']);
  });
});

describe('when Pub/Sub fails', () => {
  it('answers 503 with Retry-After so the client sends the same request again', async () => {
    const { server, bus, logger } = await collectUnderTest();
    bus.events.failWith = new Error('14 UNAVAILABLE: connection refused');
    const res = await post(server).send({ events: [validEvent('product_viewed')] });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(logger.entries.find((e) => e.severity === 'ERROR')).toMatchObject({ message: 'publish failed' });
  });
});

describe('when the privacy settings cannot be read', () => {
  it('publishes nothing and answers 503 with Retry-After, naming no detail of the failure', async () => {
    const unreadable = {
      decide: async () => {
        throw new Error('14 UNAVAILABLE: firestore.googleapis.com');
      },
    };
    const { server, bus, logger } = await collectUnderTest({ consent: unreadable });
    const res = await post(server).send({ events: [validEvent('product_viewed')] });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.error.message).toBe('privacy settings could not be read right now; retry the same request');
    expect(bus.events.messages).toHaveLength(0);
    expect(logger.entries.find((e) => e.severity === 'ERROR')).toMatchObject({ message: 'privacy settings could not be read' });
  });
});

describe('CORS', () => {
  it('answers a preflight from any origin by default', async () => {
    const { server } = await collectUnderTest();
    const res = await request(server)
      .options('/v1/events')
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'Authorization, Content-Type',
    });
  });

  it('echoes only allowed origins when an allow-list is set', async () => {
    const { server } = await collectUnderTest({ corsOrigins: ['https://shop.example'] });
    const allowed = await request(server).options('/v1/events').set('Origin', 'https://shop.example');
    const other = await request(server).options('/v1/events').set('Origin', 'https://evil.example');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('logs', () => {
  it('never contain the token or event bodies', async () => {
    const { server, logger } = await collectUnderTest();
    await post(server).send({ events: [validEvent('product_viewed', { session_id: 'secret-session' }), { bad: true }] });
    const text = JSON.stringify(logger.entries);
    expect(logger.entries.length).toBeGreaterThan(0);
    expect(text).not.toContain(token);
    expect(text).not.toContain('secret-session');
  });
});
