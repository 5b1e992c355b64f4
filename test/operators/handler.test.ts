import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { ERASURE_REQUESTS_COLLECTION, createFirestoreErasureStore } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';
import { learn } from '../../functions/learn/learn.ts';
import { LearningStatus } from '../../functions/learn/learning-status.ts';
import type { OperatorsDeps } from '../../functions/operators/handler.ts';
import type { ErasureRequest } from '../../functions/privacy/ports.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { collectedEvent } from '../support/messages.ts';
import { operatorsHashUser as hashUser, operatorsUnderTest } from '../support/operators-server.ts';

const NOW = new Date('2026-11-26T12:00:00.000Z');

function serve(erasures: OperatorsDeps['erasures']) {
  const { server, logger } = operatorsUnderTest({ erasures, now: NOW });
  return { server, logger };
}

const firestore = emulatorFirestore();
afterAll(() => firestore.terminate());
const store = createFirestoreErasureStore(firestore, { hashUser });

/** An unsigned identity token as Cloud Run would have verified it; the handler only reads its email. */
function identityToken(email: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ email, aud: 'https://operators', iss: 'https://accounts.google.com' })}.signature`;
}

describe('operators (internal HTTP function)', () => {
  it('DELETE /v1/users/{userId}/learning-data files an erasure request by an operator: 202, a status URL, no user id', async () => {
    const userId = `shopper-${randomUUID()}`;
    await firestore.collection('preferences').doc(userId).set({ user_id: userId, event_count: 1 });
    const { server, logger } = serve(store);

    const res = await request(server)
      .delete(`/v1/users/${encodeURIComponent(userId)}/learning-data`)
      .set('X-Goog-Authenticated-User-Email', 'accounts.google.com:ops@shop.example');

    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      request_id: expect.any(String),
      user_hash: hashUser(userId),
      state: 'pending',
      requested_by: 'operator',
      requested_at: NOW.toISOString(),
      status_url: `/v1/erasures/${res.body.request_id}`,
    });
    expect(res.headers.location).toBe(`/v1/erasures/${res.body.request_id}`);
    expect(JSON.stringify(res.body)).not.toContain(userId);
    expect((await firestore.collection('preferences').doc(userId).get()).exists).toBe(false);
    expect(await store.get(res.body.request_id)).toMatchObject({ requested_by: 'operator', state: 'pending' });
    // Who asked, and what, without the shopper's id.
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        message: 'erasure requested by an operator',
        operator: 'ops@shop.example',
        request_id: res.body.request_id,
        user_hash: hashUser(userId),
      }),
    );
    expect(JSON.stringify(logger.entries)).not.toContain(userId);
  });

  it('GET /v1/erasures/{requestId} answers any request without the user id, or 404', async () => {
    const userId = `shopper-${randomUUID()}`;
    const filed = await store.request(userId, 'shopper', NOW);
    const { server, logger } = serve(store);

    const res = await request(server)
      .get(`/v1/erasures/${filed.request_id}`)
      .set('Authorization', `Bearer ${identityToken('oncall@shop.example')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(filed);
    expect(JSON.stringify(res.body)).not.toContain(userId);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ message: 'erasure request read by an operator', operator: 'oncall@shop.example' }),
    );

    const missing = await request(server).get(`/v1/erasures/missing-${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('never shows a user id even when the store hands one over', async () => {
    const leaky: OperatorsDeps['erasures'] = {
      request: async () => {
        throw new Error('not used');
      },
      get: async (id) => ({ ...pendingRequest(id), user_id: 'shopper-secret' }) as ErasureRequest,
    };
    const res = await request(serve(leaky).server).get('/v1/erasures/r-1');
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('user_id');
  });

  it.each([
    ['GET', '/v1/users/u1/learning-data', 405, 'DELETE'],
    ['POST', '/v1/erasures/r-1', 405, 'GET'],
    ['DELETE', '/v1/erasures/r-1', 405, 'GET'],
    ['DELETE', '/v1/users/u1/learning-status', 405, 'GET'],
    ['POST', '/dashboard', 405, 'GET'],
    ['DELETE', '/v1/dashboard/data', 405, 'GET'],
    ['GET', '/v1/users/u1/preferences', 404, undefined],
    ['GET', '/', 404, undefined],
    ['GET', '/dashboard/charts', 404, undefined],
    ['GET', '/v1/dashboard', 404, undefined],
  ])('%s %s → %i', async (method, path, status, allow) => {
    const res = await request(serve(store).server)[method.toLowerCase() as 'get' | 'post' | 'delete'](path);
    expect(res.status).toBe(status);
    expect(res.headers.allow).toBe(allow);
    expect(res.body.error.code).toBe(status === 404 ? 'not_found' : 'method_not_allowed');
  });

  it('answers 503 with Retry-After when Firestore fails, naming no shopper', async () => {
    const failing: OperatorsDeps['erasures'] = {
      request: async () => {
        throw new Error('14 UNAVAILABLE');
      },
      get: async () => {
        throw new Error('14 UNAVAILABLE');
      },
    };
    const { server, logger } = serve(failing);
    const res = await request(server).delete('/v1/users/shopper-secret/learning-data');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.stringify(logger.entries)).not.toContain('shopper-secret');
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ severity: 'ERROR', message: 'operators request failed', operator: 'unknown' }),
    );
  });
});

describe('GET /v1/users/{userId}/learning-status (operators, emulator)', () => {
  it('answers what the shopper’s own route answers, and logs who read whose status by the keyed hash', async () => {
    const userId = `shopper-${randomUUID()}`;
    await firestore
      .collection('preferences')
      .doc(userId)
      .set({
        ...learn(
          null,
          userId,
          [
            collectedEvent('order_completed', userId, new Date(NOW.getTime() - 7 * 86_400_000)),
            collectedEvent('order_completed', userId, NOW),
          ],
          NOW,
        ),
        patterns: { as_of: '2026-11-26T03:00:00.000Z', regular_items: [{ sku: 'sku-oat-1l', confidence: 0.4 }], brands: [] },
      });
    const { server, logger } = operatorsUnderTest({ now: NOW });

    const res = await request(server)
      .get(`/v1/users/${encodeURIComponent(userId)}/learning-status`)
      .set('X-Goog-Authenticated-User-Email', 'accounts.google.com:ops@shop.example');

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    // As in test/users: the oat drink 0.4 and the bread 0.2; Oatly tanh(0.8 + 0.8 / √2) = 0.878; 2 events.
    expect(LearningStatus.parse(res.body)).toMatchObject({
      user_id: userId,
      state: 'learning',
      regular_item_count: 2,
      top_brands: [{ name: 'Oatly', strength: 0.878 }],
      confidence: { overall: 0.186, level: 'low' },
      event_count: 2,
      patterns_as_of: '2026-11-26T03:00:00.000Z',
    });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        message: 'learning status read by an operator',
        operator: 'ops@shop.example',
        user_hash: hashUser(userId),
      }),
    );
    expect(JSON.stringify(logger.entries)).not.toContain(userId);
  });

  it('says learning is off for a shopper who switched it off, even after their erasure; not started for one never seen', async () => {
    const userId = `shopper-${randomUUID()}`;
    const privacy = createFirestorePrivacyStore(firestore, { hashUser });
    await privacy.write(userId, { ...DEFAULT_PRIVACY, learn_preferences: false }, NOW);
    await store.request(userId, 'shopper', NOW);
    const { server } = operatorsUnderTest({ now: NOW });

    const off = await request(server).get(`/v1/users/${userId}/learning-status`);
    expect(LearningStatus.parse(off.body)).toMatchObject({ state: 'off', regular_item_count: 0, top_brands: [], last_updated: null });
    const unknown = await request(server).get(`/v1/users/shopper-${randomUUID()}/learning-status`);
    expect([unknown.status, unknown.body.state]).toEqual([200, 'not_started']);
  });

  it('answers 503 with Retry-After when Firestore fails, naming no shopper', async () => {
    const { server, logger } = operatorsUnderTest({ documents: { read: async () => Promise.reject(new Error('14 UNAVAILABLE')) } });
    const res = await request(server).get('/v1/users/shopper-secret/learning-status');
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({ code: 'unavailable', message: 'learning status could not be reached right now; retry' });
    expect(JSON.stringify(logger.entries)).not.toContain('shopper-secret');
  });
});

describe('ids in the path are data (operators, emulator)', () => {
  /** The id as one path segment, dots included, as a client that keeps the path as it is sends it. */
  const segment = (userId: string) => encodeURIComponent(userId).replaceAll('.', '%2E');

  it.each(['a/b', `../${randomUUID()}`, `__${randomUUID()}__`])(
    'answers the learning status of %j, a shopper id like any other',
    async (userId) => {
      const res = await request(operatorsUnderTest({ now: NOW }).server).get(`/v1/users/${segment(userId)}/learning-status`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ user_id: userId, state: 'not_started' });
    },
  );

  it('erases the shopper a path-like id names, and no other', async () => {
    const victim = `shopper-${randomUUID()}`;
    const { preferences, applied } = shopperRefs(firestore, victim);
    await preferences.set({ user_id: victim, event_count: 5 });
    await applied.doc('3').set({ ids: { 'event-1': NOW.getTime() } });

    const res = await request(operatorsUnderTest({ now: NOW }).server).delete(`/v1/users/${segment(`${victim}/applied/3`)}/learning-data`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ user_hash: hashUser(`${victim}/applied/3`) });
    expect((await preferences.get()).data()).toEqual({ user_id: victim, event_count: 5 });
    expect((await applied.doc('3').get()).exists).toBe(true);
  });

  it.each(['a%20b', '%C3%A9', 'x'.repeat(129)])('refuses %s, which no token could carry, with 400 and files nothing', async (path) => {
    const { server } = operatorsUnderTest({ now: NOW });
    const status = await request(server).get(`/v1/users/${path}/learning-status`);
    const erased = await request(server).delete(`/v1/users/${path}/learning-data`);
    expect([status.status, erased.status]).toEqual([400, 400]);
    expect(erased.body.error).toEqual({ code: 'bad_request', message: 'user id must be 1–128 printable ASCII characters without spaces' });
    const filed = await firestore
      .collection(ERASURE_REQUESTS_COLLECTION)
      .where('user_hash', '==', hashUser(decodeURIComponent(path)))
      .get();
    expect(filed.empty).toBe(true);
  });

  it.each([
    ['..%2F<id>', (id: string) => `..%2F${id}`],
    ['<id>%2F..', (id: string) => `${id}%2F..`],
    ['%2E%2E', () => '%2E%2E'],
  ])('answers 404 to /v1/erasures/%s, which is no request id', async (_name, path) => {
    const filed = await store.request(`shopper-${randomUUID()}`, 'shopper', NOW);
    const res = await request(operatorsUnderTest({ now: NOW }).server).get(`/v1/erasures/${path(filed.request_id)}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

function pendingRequest(id: string): ErasureRequest {
  return {
    request_id: id,
    user_hash: 'h',
    state: 'pending',
    requested_by: 'shopper',
    requested_at: NOW.toISOString(),
    completed_at: null,
    attempts: 0,
    rows_deleted: null,
    last_error: null,
  };
}
