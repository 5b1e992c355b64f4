import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { Firestore } from '@google-cloud/firestore';
import { APPLIED_IDS_FIELD, appliedIdOf } from '../../functions/adapters/gcp/applied-ids.ts';
import { createFirestorePatternPublisher } from '../../functions/adapters/gcp/firestore-pattern-publisher.ts';
import { COLLECTIONS, createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { learn } from '../../functions/learn/learn.ts';
import { LearningStatus } from '../../functions/learn/learning-status.ts';
import type { PreferenceDocumentReader } from '../../functions/learn/preference-document.ts';
import type { Preferences } from '../../functions/learn/preferences.ts';
import { PREFERENCE_VIEW_LIMITS, type PreferenceView } from '../../functions/learn/preference-view.ts';
import type { Patterns } from '../../functions/patterns/patterns.ts';
import type { ErasureRequest } from '../../functions/privacy/ports.ts';
import { DEFAULT_PRIVACY, type StoredPrivacy } from '../../functions/privacy/settings.ts';
import { tokenFor } from '../support/collect-server.ts';
import { NOW } from '../support/fixtures.ts';
import { collectedEvent } from '../support/messages.ts';
import { hashUser, usersUnderTest } from '../support/users-server.ts';

const learned: Preferences = learn(
  null,
  'shopper-1',
  [collectedEvent('order_completed', 'shopper-1', NOW), collectedEvent('search_result_clicked', 'shopper-1', NOW)],
  NOW,
);
const documents: PreferenceDocumentReader = { read: async (userId) => (userId === 'shopper-1' ? { learned, patterns: null } : null) };
const newShopper = () => `shopper-${randomUUID()}`;
const bearer = async (userId: string) => `Bearer ${await tokenFor(userId)}`;
type ErrorBody = { error: { code: string; message: string } };

describe('GET /v1/users/{userId}/preferences', () => {
  it('shows a shopper what has been learned about them, strongest first', async () => {
    const { server } = await usersUnderTest({ documents });
    const res = await request(server)
      .get('/v1/users/shopper-1/preferences')
      .set('Authorization', `Bearer ${await tokenFor('shopper-1')}`);
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
    const { server } = await usersUnderTest({ documents });
    const res = await request(server)
      .get('/v1/users/shopper-2/preferences')
      .set('Authorization', `Bearer ${await tokenFor('shopper-2')}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user_id: 'shopper-2',
      event_count: 0,
      products: [],
      brands_by_category: [],
      reorder_due: [],
      patterns: null,
    });
  });

  it.each([
    [
      'another shopper’s token',
      async () => `Bearer ${await tokenFor('shopper-2')}`,
      403,
      'a shopper may access only their own preferences',
    ],
    ['an expired token', async () => `Bearer ${await tokenFor('shopper-1', { ttlSec: -3600 })}`, 401, 'token has expired'],
    ['no token', async () => '', 401, 'missing bearer token'],
  ])('refuses %s', async (_name, header, status, message) => {
    const { server } = await usersUnderTest({ documents });
    const req = request(server).get('/v1/users/shopper-1/preferences');
    const value = await header();
    if (value) req.set('Authorization', value);
    const res = await req;
    expect(res.status).toBe(status);
    expect((res.body as ErrorBody).error.message).toBe(message);
  });

  it('answers 503 when the document cannot be read, and 404/405 off its route', async () => {
    const { server } = await usersUnderTest({ documents: { read: async () => Promise.reject(new Error('UNAVAILABLE')) } });
    const token = `Bearer ${await tokenFor('shopper-1')}`;
    const unavailable = await request(server).get('/v1/users/shopper-1/preferences').set('Authorization', token);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('1');
    expect((await request(server).get('/v1/users/shopper-1').set('Authorization', token)).status).toBe(404);
    expect((await request(server).post('/v1/users/shopper-1/preferences').set('Authorization', token)).status).toBe(405);
  });
});

describe('GET /v1/users/{userId}/preferences (emulator)', () => {
  const { ranked, brandsPerCategory, brandCategories } = PREFERENCE_VIEW_LIMITS;
  const item = (sku: string, category: string, brand: string) => ({
    sku,
    name: `Product ${sku}`,
    category,
    brand,
    price: 1.99,
    quantity: 1,
  });
  const order = (user: string, items: Record<string, unknown>[]) =>
    collectedEvent('order_completed', user, NOW, { data: { order_id: `order-${randomUUID()}`, total: 1.99 * items.length, items } });
  const PATTERNS: Patterns = {
    as_of: '2026-11-26T03:00:00.000Z',
    regular_items: [],
    brands: [{ name: 'Hovis', score: 3.6, share: 0.6, purchases: 4, cart_adds: 0, clicks: 0 }],
    categories: [{ name: 'bakery', score: 3.6, share: 1, purchases: 4, cart_adds: 0, clicks: 0 }],
    price: null,
    schedule: {
      orders: 4,
      last_order_at: '2026-11-20T10:00:00.000Z',
      avg_interval_days: 7,
      next_order_at: '2026-11-27T10:00:00.000Z',
      confidence: 0.4,
      preferred_weekdays: [5],
      preferred_hours: [10],
    },
    dietary: [],
    bought_together: [],
  };

  it('shows the favourite brands of every category, where the ten strongest brands overall show a third of them', async () => {
    const { server, firestore } = await usersUnderTest();
    const user = newShopper();
    // More aisles than the view shows; in each a favourite bought twice, in the first also four brands tried once.
    const aisles = Array.from({ length: brandCategories + 2 }, (_, i) => `aisle-${String(i).padStart(2, '0')}`);
    const favourites = aisles.map((aisle) => item(`fav-${aisle}`, aisle, `Fav ${aisle}`));
    const tried = ['a', 'b', 'c', 'd'].map((x) => item(`tried-${x}`, 'aisle-00', `Tried ${x}`));
    const store = createFirestorePreferenceStore(firestore, { learn, hashUser });
    await store.apply(user, [order(user, [...favourites, ...tried]), order(user, favourites)], NOW);
    await createFirestorePatternPublisher(firestore).publish([{ userId: user, patterns: PATTERNS }]);

    const res = await request(server)
      .get(`/v1/users/${user}/preferences`)
      .set('Authorization', await bearer(user));

    expect(res.status).toBe(200);
    const view = res.body as PreferenceView;
    // Every favourite ties at two orders: the ten overall are the first ten aisles'.
    expect(view.brands.map((b) => b.name)).toEqual(aisles.slice(0, ranked).map((aisle) => `Fav ${aisle}`));
    // Per category, the favourite first, in as many aisles as the view shows (ties by the aisle's name).
    expect(view.brands_by_category.map((c) => [c.category, c.brands[0]?.name])).toEqual(
      aisles.slice(0, brandCategories).map((aisle) => [aisle, `Fav ${aisle}`]),
    );
    expect(view.brands_by_category[0]?.brands.map((b) => b.name)).toEqual(
      ['Fav aisle-00', 'Tried a', 'Tried b'].slice(0, brandsPerCategory),
    );
    expect(view.brands_by_category[0]?.brands[0]).toMatchObject({ signals: { order: 2 } });
    expect(view.patterns).toEqual(PATTERNS);
  });

  it('shows the patterns of a shopper the patterns job reached before real-time learning did', async () => {
    const { server, firestore } = await usersUnderTest();
    const user = newShopper();
    await createFirestorePatternPublisher(firestore).publish([{ userId: user, patterns: PATTERNS }]);

    const res = await request(server)
      .get(`/v1/users/${user}/preferences`)
      .set('Authorization', await bearer(user));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: user, event_count: 0, brands: [], brands_by_category: [], patterns: PATTERNS });
  });
});

describe('GET /v1/users/{userId}/learning-status (emulator)', () => {
  /** What real-time learning and the patterns job wrote: two orders of the oat drink a week apart, and the night's patterns. */
  async function seeded(firestore: Firestore, user: string) {
    const weekBefore = new Date(NOW.getTime() - 7 * 86_400_000);
    const learnedDocument = learn(
      null,
      user,
      [collectedEvent('order_completed', user, weekBefore), collectedEvent('order_completed', user, NOW)],
      NOW,
    );
    const patterns = {
      as_of: '2026-11-26T03:00:00.000Z',
      regular_items: [
        { sku: 'sku-oat-1l', product_name: 'Oat drink 1 l', category: 'dairy-alternatives', brand: 'Oatly', purchases: 4, confidence: 0.4 },
      ],
      brands: [{ name: 'Hovis', score: 3.6, share: 0.6, purchases: 4, cart_adds: 0, clicks: 0 }],
    };
    await firestore
      .collection(COLLECTIONS.preferences)
      .doc(user)
      .set({ ...learnedDocument, patterns });
    return learnedDocument;
  }

  it('sums up, for the shopper, what was learned in real time and by the patterns job', async () => {
    const { server, firestore } = await usersUnderTest();
    const user = newShopper();
    const learnedDocument = await seeded(firestore, user);

    const res = await request(server)
      .get(`/v1/users/${user}/learning-status`)
      .set('Authorization', await bearer(user));

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    const status = LearningStatus.parse(res.body);
    // Two events, each an order of the oat drink and the bread: the oat drink in 2 orders (0.2) and in the
    // patterns (0.4) counts 0.4, the bread 0.2: two regular items, mean 0.3. Oatly, ordered twice at 0.8,
    // once a week earlier: tanh(0.8 + 0.8 / 2^(7/14)) = tanh(1.3657) = 0.878; Hovis's share 0.6.
    // Confidence 0.5 × 0.3 / 0.9 + 0.5 × 2 / 52 = 0.1667 + 0.0192 = 0.186.
    expect(status).toEqual({
      user_id: user,
      state: 'learning',
      regular_item_count: 2,
      top_brands: [
        { name: 'Oatly', strength: 0.878 },
        { name: 'Hovis', strength: 0.6 },
      ],
      confidence: { overall: 0.186, level: 'low', regular_items: 0.3, evidence: 0.038 },
      event_count: 2,
      last_updated: learnedDocument.last_event_at,
      last_event_at: learnedDocument.last_event_at,
      patterns_as_of: '2026-11-26T03:00:00.000Z',
    } satisfies LearningStatus);
  });

  it('says learning is off once the shopper switched it off, and has not started for a new shopper', async () => {
    const { server, firestore } = await usersUnderTest();
    const user = newShopper();
    await seeded(firestore, user);
    await request(server)
      .put(`/v1/users/${user}/privacy`)
      .set('Authorization', await bearer(user))
      .send({ learn_preferences: false });

    const off = await request(server)
      .get(`/v1/users/${user}/learning-status`)
      .set('Authorization', await bearer(user));
    expect(off.status).toBe(200);
    expect(LearningStatus.parse(off.body)).toMatchObject({
      state: 'off',
      regular_item_count: 0,
      top_brands: [],
      confidence: { overall: 0, level: 'none' },
      last_updated: null,
    });

    const fresh = newShopper();
    const none = await request(server)
      .get(`/v1/users/${fresh}/learning-status`)
      .set('Authorization', await bearer(fresh));
    expect(LearningStatus.parse(none.body)).toMatchObject({ user_id: fresh, state: 'not_started', event_count: 0 });
  });

  it('names no brand while the shopper keeps brand learning off', async () => {
    const { server, firestore } = await usersUnderTest();
    const user = newShopper();
    await seeded(firestore, user);
    await request(server)
      .put(`/v1/users/${user}/privacy`)
      .set('Authorization', await bearer(user))
      .send({ learn_brands: false });

    const res = await request(server)
      .get(`/v1/users/${user}/learning-status`)
      .set('Authorization', await bearer(user));
    expect(res.body).toMatchObject({ state: 'learning', regular_item_count: 2, top_brands: [] });
  });

  it('is the shopper’s alone: 403 for another shopper’s token, 401 without one, 405 for other methods, 503 when Firestore fails', async () => {
    const { server } = await usersUnderTest();
    const user = newShopper();
    const theirs = await request(server)
      .get(`/v1/users/${user}/learning-status`)
      .set('Authorization', await bearer(newShopper()));
    expect(theirs.status).toBe(403);
    expect((theirs.body as ErrorBody).error.message).toBe('a shopper may access only their own learning status');
    expect((await request(server).get(`/v1/users/${user}/learning-status`)).status).toBe(401);
    const put = await request(server)
      .put(`/v1/users/${user}/learning-status`)
      .set('Authorization', await bearer(user));
    expect([put.status, put.headers.allow]).toEqual([405, 'GET, OPTIONS']);

    const failing = await usersUnderTest({ documents: { read: async () => Promise.reject(new Error('14 UNAVAILABLE')) } });
    const unavailable = await request(failing.server)
      .get(`/v1/users/${user}/learning-status`)
      .set('Authorization', await bearer(user));
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('1');
    expect(failing.logger.entries.at(-1)).toMatchObject({ message: 'users request failed', route: 'learning status' });
  });
});

describe('GET and PUT /v1/users/{userId}/privacy (emulator)', () => {
  it('answers the defaults to a shopper who set nothing', async () => {
    const { server } = await usersUnderTest();
    const user = newShopper();
    const res = await request(server)
      .get(`/v1/users/${user}/privacy`)
      .set('Authorization', await bearer(user));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.body).toEqual({ ...DEFAULT_PRIVACY, updated_at: null });
  });

  it('changes only the settings sent, keeping the others, and answers what is stored', async () => {
    const { server } = await usersUnderTest();
    const user = newShopper();
    const put = async (body: object) =>
      request(server)
        .put(`/v1/users/${user}/privacy`)
        .set('Authorization', await bearer(user))
        .send(body);

    const first = await put({ track_searches: false });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ...DEFAULT_PRIVACY, track_searches: false, updated_at: NOW.toISOString() });
    expect((await put({ retention_days: 90, learn_brands: false })).body).toEqual({
      ...DEFAULT_PRIVACY,
      track_searches: false,
      retention_days: 90,
      learn_brands: false,
      updated_at: NOW.toISOString(),
    });

    const read = await request(server)
      .get(`/v1/users/${user}/privacy`)
      .set('Authorization', await bearer(user));
    expect(read.body).toMatchObject({ track_searches: false, retention_days: 90, learn_brands: false });
  });

  it('takes an empty object: the settings stay as they were', async () => {
    const { server } = await usersUnderTest();
    const user = newShopper();
    const res = await request(server)
      .put(`/v1/users/${user}/privacy`)
      .set('Authorization', await bearer(user))
      .send({});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...DEFAULT_PRIVACY, updated_at: NOW.toISOString() });
  });

  it.each([
    [
      'unknown fields, naming them',
      { track_searches: false, colour: 'blue', trackClicks: true },
      /Unrecognized keys?: "colour", "trackClicks"/,
    ],
    ['a setting of the wrong type', { track_clicks: 'no' }, /^track_clicks: Invalid input: expected boolean/],
    ['a retention beyond the tables’ ceiling', { retention_days: 731 }, /^retention_days: Too big: expected number to be <=730/],
    ['a body that is not an object', [{ track_clicks: false }], /expected object, received array/],
  ])('refuses %s with 400 and changes nothing', async (_name, body, reason) => {
    const { server } = await usersUnderTest();
    const user = newShopper();
    const res = await request(server)
      .put(`/v1/users/${user}/privacy`)
      .set('Authorization', await bearer(user))
      .send(body);
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(reason) });
    expect(
      (
        await request(server)
          .get(`/v1/users/${user}/privacy`)
          .set('Authorization', await bearer(user))
      ).body,
    ).toEqual({ ...DEFAULT_PRIVACY, updated_at: null });
  });

  it('refuses a body that is not JSON with 415, an empty one with 400 and a large one with 413', async () => {
    const { server } = await usersUnderTest();
    const user = newShopper();
    const token = await bearer(user);
    const put = () => request(server).put(`/v1/users/${user}/privacy`).set('Authorization', token);
    const text = await put().set('Content-Type', 'text/plain').send('{"track_clicks":false}');
    expect(text.status).toBe(415);
    expect((text.body as ErrorBody).error).toEqual({
      code: 'unsupported_media_type',
      message: 'content type "text/plain" is not supported; send application/json',
    });
    expect((await put().set('Content-Type', 'application/x-www-form-urlencoded').send('track_clicks=false')).status).toBe(415);
    expect((await put()).status).toBe(415);
    expect((await put().set('Content-Type', 'application/json')).status).toBe(400);
    expect((await put().send({ track_clicks: false, padding: 'x'.repeat(5000) })).status).toBe(413);
  });

  it('switching learning off deletes what was learned, batch patterns included; the applied ids stay', async () => {
    const { server, firestore } = await usersUnderTest();
    const user = newShopper();
    const preferences = firestore.collection(COLLECTIONS.preferences).doc(user);
    const appliedIds = { '20430': appliedIdOf('event-1') };
    await preferences.set({
      ...learn(null, user, [collectedEvent('order_completed', user, NOW)], NOW),
      patterns: { as_of: NOW.toISOString() },
      [APPLIED_IDS_FIELD]: appliedIds,
    });
    expect(
      (
        await request(server)
          .get(`/v1/users/${user}/preferences`)
          .set('Authorization', await bearer(user))
      ).body,
    ).toMatchObject({ event_count: 1 });

    const res = await request(server)
      .put(`/v1/users/${user}/privacy`)
      .set('Authorization', await bearer(user))
      .send({ learn_preferences: false });
    expect(res.status).toBe(200);
    expect((await preferences.get()).data()).toEqual({ [APPLIED_IDS_FIELD]: appliedIds });
    expect(
      (
        await request(server)
          .get(`/v1/users/${user}/preferences`)
          .set('Authorization', await bearer(user))
      ).body,
    ).toMatchObject({ event_count: 0, products: [] });
  });

  it('answers 503 with Retry-After when the settings cannot be read or written', async () => {
    const failing = {
      read: async () => Promise.reject(new Error('14 UNAVAILABLE')),
      write: async () => Promise.reject(new Error('14 UNAVAILABLE')),
    };
    const { server, logger } = await usersUnderTest({ privacy: failing });
    const user = newShopper();
    for (const req of [request(server).get(`/v1/users/${user}/privacy`), request(server).put(`/v1/users/${user}/privacy`).send({})]) {
      const res = await req.set('Authorization', await bearer(user));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect((res.body as ErrorBody).error.code).toBe('unavailable');
    }
    expect(logger.entries.at(-1)).toMatchObject({ message: 'users request failed', route: 'privacy settings' });
  });
});

describe('DELETE /v1/users/{userId}/learning-data and the erasure status (emulator)', () => {
  it('accepts the request with 202 and where to follow it; the status shows it, without the user id', async () => {
    const { server, firestore } = await usersUnderTest();
    const user = newShopper();
    await firestore
      .collection(COLLECTIONS.preferences)
      .doc(user)
      .set(learn(null, user, [collectedEvent('order_completed', user, NOW)], NOW));

    const res = await request(server)
      .delete(`/v1/users/${user}/learning-data`)
      .set('Authorization', await bearer(user));
    expect(res.status).toBe(202);
    const accepted = res.body as { request_id: string; state: string; requested_at: string; status_url: string };
    expect(accepted).toEqual({
      request_id: expect.any(String),
      state: 'pending',
      requested_at: NOW.toISOString(),
      status_url: `/v1/users/${user}/erasures/${accepted.request_id}`,
    });
    expect(res.headers.location).toBe(accepted.status_url);
    // Learning data in Firestore goes at once; the erasure job does the warehouse.
    expect((await firestore.collection(COLLECTIONS.preferences).doc(user).get()).exists).toBe(false);

    const status = await request(server)
      .get(accepted.status_url)
      .set('Authorization', await bearer(user));
    expect(status.status).toBe(200);
    expect(status.headers['cache-control']).toBe('private, no-store');
    expect(status.body).toEqual({
      request_id: accepted.request_id,
      user_hash: hashUser(user),
      state: 'pending',
      requested_by: 'shopper',
      requested_at: NOW.toISOString(),
      completed_at: null,
      attempts: 0,
      rows_deleted: null,
      last_error: null,
    } satisfies ErasureRequest);
    expect(JSON.stringify(status.body)).not.toContain(user);
  });

  it('keeps the shopper’s settings through the erasure', async () => {
    const { server } = await usersUnderTest();
    const user = newShopper();
    await request(server)
      .put(`/v1/users/${user}/privacy`)
      .set('Authorization', await bearer(user))
      .send({ track_purchases: false });
    expect(
      (
        await request(server)
          .delete(`/v1/users/${user}/learning-data`)
          .set('Authorization', await bearer(user))
      ).status,
    ).toBe(202);
    const read = await request(server)
      .get(`/v1/users/${user}/privacy`)
      .set('Authorization', await bearer(user));
    expect(read.body).toMatchObject({ ...DEFAULT_PRIVACY, track_purchases: false } satisfies Partial<StoredPrivacy>);
  });

  it('answers 404 for an unknown request, and exactly the same for another shopper’s', async () => {
    const { server } = await usersUnderTest();
    const [owner, other] = [newShopper(), newShopper()];
    const created = await request(server)
      .delete(`/v1/users/${owner}/learning-data`)
      .set('Authorization', await bearer(owner));
    const requestId = (created.body as { request_id: string }).request_id;

    const theirs = await request(server)
      .get(`/v1/users/${other}/erasures/${requestId}`)
      .set('Authorization', await bearer(other));
    const unknown = await request(server)
      .get(`/v1/users/${other}/erasures/${randomUUID()}`)
      .set('Authorization', await bearer(other));
    expect([theirs.status, unknown.status]).toEqual([404, 404]);
    expect((theirs.body as ErrorBody).error).toEqual({ code: 'not_found', message: `no erasure request ${requestId}` });
    expect(Object.keys(theirs.body as object)).toEqual(Object.keys(unknown.body as object));
  });

  it.each(['..', '.', `..%2F${randomUUID()}`, `${randomUUID()}%2F..`, '__x__'])(
    'answers 404 to %s, which is no erasure request id',
    async (requestId) => {
      const { server } = await usersUnderTest();
      const user = '../x';
      const res = await request(server)
        .get(`/v1/users/..%2Fx/erasures/${requestId}`)
        .set('Authorization', await bearer(user));
      expect(res.status).toBe(404);
      expect((res.body as ErrorBody).error.code).toBe('not_found');
    },
  );

  it('answers 503 with Retry-After when the request cannot be recorded', async () => {
    const failing = { request: async () => Promise.reject(new Error('ABORTED')), get: async () => Promise.reject(new Error('ABORTED')) };
    const { server } = await usersUnderTest({ erasures: failing });
    const user = newShopper();
    const deleted = await request(server)
      .delete(`/v1/users/${user}/learning-data`)
      .set('Authorization', await bearer(user));
    const status = await request(server)
      .get(`/v1/users/${user}/erasures/${randomUUID()}`)
      .set('Authorization', await bearer(user));
    expect([deleted.status, status.status]).toEqual([503, 503]);
    expect(deleted.headers['retry-after']).toBe('1');
  });
});

describe('routing', () => {
  it('answers a CORS preflight on any route with 204 and the methods it takes', async () => {
    const { server } = await usersUnderTest();
    const res = await request(server)
      .options('/v1/users/shopper-1/privacy')
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'PUT');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST, PUT, DELETE, OPTIONS');
    expect(res.headers['access-control-allow-headers']).toBe('Authorization, Content-Type');
  });

  it.each([
    ['post', '/v1/users/shopper-1/privacy', 'GET, PUT, OPTIONS'],
    ['delete', '/v1/users/shopper-1/privacy', 'GET, PUT, OPTIONS'],
    ['get', '/v1/users/shopper-1/learning-data', 'DELETE, OPTIONS'],
    ['put', '/v1/users/shopper-1/erasures/r-1', 'GET, OPTIONS'],
    ['put', '/v1/users/shopper-1/preferences', 'GET, OPTIONS'],
  ] as const)('answers %s %s with 405 and Allow: %s, before asking for a token', async (method, path, allow) => {
    const { server } = await usersUnderTest();
    const res = await request(server)[method](path);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
  });

  it.each(['/v1/users/shopper-1', '/v1/users/shopper-1/settings', '/v1/users/shopper-1/erasures', '/v2/users/shopper-1/privacy'])(
    'answers 404 for %s',
    async (path) => {
      const { server } = await usersUnderTest();
      const res = await request(server)
        .get(path)
        .set('Authorization', await bearer('shopper-1'));
      expect(res.status).toBe(404);
      expect((res.body as ErrorBody).error.code).toBe('not_found');
    },
  );

  it('leaves a malformed %-escape to the framework: 400, never a 500', async () => {
    const { server } = await usersUnderTest();
    expect(
      (
        await request(server)
          .get('/v1/users/%E0%A4%A/privacy')
          .set('Authorization', await bearer('shopper-1'))
      ).status,
    ).toBe(400);
  });

  it('takes a trailing slash and an escaped user id', async () => {
    const { server } = await usersUnderTest();
    const user = `shopper:${randomUUID()}`;
    const res = await request(server)
      .get(`/v1/users/${encodeURIComponent(user)}/privacy/`)
      .set('Authorization', await bearer(user));
    expect(res.status).toBe(200);
  });
});
