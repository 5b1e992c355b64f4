import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { trackEverything } from '../../functions/collect/consent.ts';
import { registerCloudEventFunction, registerHttpFunction } from '../../functions/http/register.ts';
import { createIngestHandler, createStoreRejectedHandler } from '../../functions/ingest/handler.ts';
import type { MessagePublishedData } from '../../functions/ingest/decode-message.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { NOW } from '../support/fixtures.ts';
import { createMemoryWarehouse } from '../support/memory-warehouse.ts';
import { batchMessage, collectedEvent } from '../support/messages.ts';

/** What a response must never carry: an exception's name or text, a stack frame, a file path. */
function expectNothingInternal(res: request.Response): void {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.text).not.toMatch(/Error\b|\bat \S+ \(|node_modules|\/work\/|\.[jt]s:\d+|<html|<pre>/);
  expect(res.text.length).toBeLessThan(300);
}

let registered = 0;

/** `ingest` and `storeRejected` over an in-memory warehouse, registered as the entry file registers them. */
function cloudEventFunctions() {
  const { warehouse, state } = createMemoryWarehouse();
  const logger = createMemoryLogger();
  const preferences = { apply: async () => ({ applied: 0, alreadyApplied: 0, writes: 0 }) };
  const n = ++registered;
  registerCloudEventFunction<MessagePublishedData>(
    `ingest-${n}`,
    createIngestHandler({ warehouse, preferences, consent: trackEverything, clock: () => NOW, logger }),
    { logger },
  );
  registerCloudEventFunction<MessagePublishedData>(
    `store-rejected-${n}`,
    createStoreRejectedHandler({ warehouse, clock: () => NOW, logger }),
    { logger },
  );
  return { ingest: getTestServer(`ingest-${n}`), storeRejected: getTestServer(`store-rejected-${n}`), state, logger };
}

/** Where a push subscription delivers: the framework reads the topic from the path. */
const PUSH_PATH = '/projects/demo-test/topics/events';

/** A Pub/Sub push body, as the emulator's push subscription (and the local stack) delivers it. */
function pushBody(message: unknown) {
  return {
    message: { data: Buffer.from(JSON.stringify(message)).toString('base64'), messageId: 'm-1' },
    subscription: 'projects/demo-test/subscriptions/s',
  };
}

describe.each(['ingest', 'storeRejected'] as const)('%s, registered behind the shared guard', (name) => {
  it.each([
    ['GET /', (r: ReturnType<typeof request>) => r.get('/'), 405, 'method_not_allowed'],
    [
      'GET / with a JSON body',
      (r: ReturnType<typeof request>) => r.get('/').set('Content-Type', 'application/json').send('{}'),
      405,
      'method_not_allowed',
    ],
    [
      'a POST that is not JSON',
      (r: ReturnType<typeof request>) => r.post('/').set('Content-Type', 'application/json').send('{"message": nope'),
      400,
      'bad_request',
    ],
    [
      'a POST of plain text',
      (r: ReturnType<typeof request>) => r.post('/').set('Content-Type', 'text/plain').send('hello'),
      400,
      'bad_request',
    ],
    ['a POST with no body', (r: ReturnType<typeof request>) => r.post('/'), 400, 'bad_request'],
    [
      'a POST in a charset it cannot read',
      (r: ReturnType<typeof request>) => r.post('/').set('Content-Type', 'application/json; charset=latin1').send('{}'),
      415,
      'unsupported_media_type',
    ],
  ])('answers %s with a short JSON error', async (_case, send, status, code) => {
    const servers = cloudEventFunctions();
    const res = await send(request(servers[name]));
    expect(res.status).toBe(status);
    expect((res.body as { error: { code: string } }).error.code).toBe(code);
    expectNothingInternal(res);
    expect(servers.state.rejected).toHaveLength(0);
  });

  it('says why a POST is refused: a body that is not JSON, or a request that is not a CloudEvent', async () => {
    const { [name]: server } = cloudEventFunctions();
    const notJson = await request(server).post('/').set('Content-Type', 'application/json').send('{bad');
    expect(notJson.body).toEqual({ error: { code: 'bad_request', message: 'request body is not valid JSON (at position 1)' } });
    const notCloudEvent = await request(server).post('/').set('Content-Type', 'text/plain').send('hello');
    expect(notCloudEvent.body).toEqual({ error: { code: 'bad_request', message: 'request is not a CloudEvent' } });
  });

  it('takes a Pub/Sub push as before', async () => {
    const { [name]: server, state } = cloudEventFunctions();
    const event = collectedEvent('product_viewed', 'shopper-1', NOW);
    const message = name === 'ingest' ? batchMessage('shopper-1', [event]) : { not: 'a rejected batch' };
    const res = await request(server).post(PUSH_PATH).send(pushBody(message));
    expect(res.status).toBe(204);
    if (name === 'ingest') expect([...state.events.values()]).toEqual([event]);
    else
      expect(state.rejected).toMatchObject([
        { source: 'store-rejected', reason: expect.stringMatching(/^message does not match its contract/) },
      ]);
  });

  it('answers a failed delivery 500, so it is redelivered, without the cause, which goes to the log', async () => {
    const { warehouse } = createMemoryWarehouse();
    // Every insert fails the way a warehouse outage would.
    warehouse.insertEvents = warehouse.insertRejected = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.7:443 at /srv/secret/path.js:12');
    };
    const n = ++registered;
    const logger = createMemoryLogger();
    const handler =
      name === 'ingest'
        ? createIngestHandler({
            warehouse,
            preferences: { apply: async () => ({ applied: 0, alreadyApplied: 0, writes: 0 }) },
            consent: trackEverything,
            clock: () => NOW,
            logger,
          })
        : createStoreRejectedHandler({ warehouse, clock: () => NOW, logger });
    registerCloudEventFunction<MessagePublishedData>(`failing-${n}`, handler, { logger });
    const message =
      name === 'ingest' ? batchMessage('shopper-1', [collectedEvent('product_viewed', 'shopper-1', NOW)]) : { not: 'a rejected batch' };

    const res = await request(getTestServer(`failing-${n}`))
      .post(PUSH_PATH)
      .send(pushBody(message));

    expect(res.status).toBe(500);
    expect(res.text).not.toMatch(/ECONNREFUSED|secret|Error:/);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ severity: 'ERROR', error: expect.objectContaining({ message: expect.stringContaining('ECONNREFUSED') }) }),
    );
  });
});

describe('an HTTP function, registered behind the shared guard', () => {
  it('answers what its handler throws with 500 and a short JSON error, and logs the cause', async () => {
    const logger = createMemoryLogger();
    registerHttpFunction(
      'throws',
      () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
      { logger },
    );
    const res = await request(getTestServer('throws')).post('/').send({});

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal', message: 'the request could not be handled; it has been logged' } });
    expectNothingInternal(res);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ severity: 'ERROR', error: expect.objectContaining({ name: 'RangeError' }) }),
    );
  });

  it('answers what an async handler rejects with, after it has run a while, the same way', async () => {
    const logger = createMemoryLogger();
    registerHttpFunction(
      'rejects',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw new TypeError('Cannot read properties of undefined');
      },
      { logger },
    );
    const res = await request(getTestServer('rejects')).post('/').send({});

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal', message: 'the request could not be handled; it has been logged' } });
    expectNothingInternal(res);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ severity: 'ERROR', error: expect.objectContaining({ name: 'TypeError' }) }),
    );
  });

  it('answers a malformed JSON body before the handler runs with 400 and a short JSON error', async () => {
    let ran = false;
    registerHttpFunction('never-reached', (_req, res) => {
      ran = true;
      res.status(204).end();
    });
    const res = await request(getTestServer('never-reached')).post('/').set('Content-Type', 'application/json').send('{"a": [1,');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: 'request body is not valid JSON' } });
    expectNothingInternal(res);
    expect(ran).toBe(false);
  });
});
