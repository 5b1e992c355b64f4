import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../../functions/collect/verify-token.ts';
import { learn } from '../../functions/learn/learn.ts';
import type { Preferences } from '../../functions/learn/preferences.ts';
import type { PreferenceView } from '../../functions/learn/preference-view.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createUsersHandler } from '../../functions/users/handler.ts';
import type { PreferenceReader } from '../../functions/users/ports.ts';
import { tokenFor } from '../support/collect-server.ts';
import { NOW, TEST_TOKEN } from '../support/fixtures.ts';
import { collectedEvent } from '../support/messages.ts';

let registered = 0;
async function usersUnderTest(reader: PreferenceReader) {
  const name = `users-under-test-${++registered}`;
  ff.http(
    name,
    createUsersHandler({
      verifier: await createJwtVerifier({ ...TEST_TOKEN, clockToleranceSec: 30 }),
      preferences: reader,
      clock: () => NOW,
      logger: createMemoryLogger(),
      corsOrigins: '*',
    }),
  );
  return getTestServer(name);
}

const learned: Preferences = learn(null, 'shopper-1', [collectedEvent('order_completed', 'shopper-1', NOW), collectedEvent('search_result_clicked', 'shopper-1', NOW)], NOW);
const reader: PreferenceReader = { read: async (userId) => (userId === 'shopper-1' ? learned : null) };

describe('GET /v1/users/{userId}/preferences', () => {
  it("shows a shopper what has been learned about them, strongest first", async () => {
    const server = await usersUnderTest(reader);
    const res = await request(server).get('/v1/users/shopper-1/preferences').set('Authorization', `Bearer ${await tokenFor('shopper-1')}`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    const view = res.body as PreferenceView;
    expect(view).toMatchObject({ user_id: 'shopper-1', event_count: 2 });
    // The ordered oat drink was also clicked: order 0.9 + click 0.3 on the product.
    expect(view.products[0]).toMatchObject({ name: 'sku-oat-1l', signals: { order: 1, click: 1 } });
    expect(view.products[0]?.score).toBeCloseTo(1.2, 2);
    expect(view.brands.map((b) => b.name)).toEqual(['Oatly']);
    expect(view.recent_interests.categories).toContain('dairy-alternatives');
  });

  it('answers an empty view when nothing has been learned yet', async () => {
    const server = await usersUnderTest(reader);
    const res = await request(server).get('/v1/users/shopper-2/preferences').set('Authorization', `Bearer ${await tokenFor('shopper-2')}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: 'shopper-2', event_count: 0, products: [], reorder_due: [] });
  });

  it.each([
    ['another shopper’s token', async () => `Bearer ${await tokenFor('shopper-2')}`, 403, 'a shopper may read only their own preferences'],
    ['an expired token', async () => `Bearer ${await tokenFor('shopper-1', { ttlSec: -3600 })}`, 401, 'token has expired'],
    ['no token', async () => '', 401, 'missing bearer token'],
  ])('refuses %s', async (_name, header, status, message) => {
    const server = await usersUnderTest(reader);
    const req = request(server).get('/v1/users/shopper-1/preferences');
    const value = await header();
    if (value) req.set('Authorization', value);
    const res = await req;
    expect(res.status).toBe(status);
    expect((res.body as { error: { message: string } }).error.message).toBe(message);
  });

  it('answers 503 when the document cannot be read, and 404/405 off its route', async () => {
    const server = await usersUnderTest({ read: async () => Promise.reject(new Error('UNAVAILABLE')) });
    const token = `Bearer ${await tokenFor('shopper-1')}`;
    expect((await request(server).get('/v1/users/shopper-1/preferences').set('Authorization', token)).status).toBe(503);
    expect((await request(server).get('/v1/users/shopper-1').set('Authorization', token)).status).toBe(404);
    expect((await request(server).post('/v1/users/shopper-1/preferences').set('Authorization', token)).status).toBe(405);
  });
});
