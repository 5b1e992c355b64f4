import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERASURE_REQUESTS_COLLECTION } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { COLLECTIONS } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { PRIVACY_COLLECTION, TOMBSTONES_COLLECTION } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { learn } from '../../functions/learn/learn.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { NOW, TEST_TOKEN } from '../support/fixtures.ts';
import { collectedEvent } from '../support/messages.ts';
import { hashUser, usersUnderTest } from '../support/users-server.ts';

type ShopperRoute = {
  name: string;
  /** Calls the route for `userId`; `requestId` is that shopper's erasure request. */
  call: (server: Server, userId: string, requestId: string) => request.Test;
  /** What the shopper themselves gets. */
  ownStatus: number;
};

/** Every route a shopper calls, each with a request that would change or reveal something. */
const ROUTES: ShopperRoute[] = [
  { name: 'GET privacy', call: (s, u) => request(s).get(`/v1/users/${u}/privacy`), ownStatus: 200 },
  {
    name: 'PUT privacy',
    call: (s, u) => request(s).put(`/v1/users/${u}/privacy`).send({ learn_preferences: false, track_purchases: false }),
    ownStatus: 200,
  },
  { name: 'DELETE learning-data', call: (s, u) => request(s).delete(`/v1/users/${u}/learning-data`), ownStatus: 202 },
  { name: 'GET erasure status', call: (s, u, r) => request(s).get(`/v1/users/${u}/erasures/${r}`), ownStatus: 200 },
  { name: 'GET preferences', call: (s, u) => request(s).get(`/v1/users/${u}/preferences`), ownStatus: 200 },
  { name: 'GET learning-status', call: (s, u) => request(s).get(`/v1/users/${u}/learning-status`), ownStatus: 200 },
  { name: 'POST links', call: (s, u) => request(s).post(`/v1/users/${u}/links`).send({ anonymous_token: VISITOR_TOKEN }), ownStatus: 200 },
];

const sign = (userId: string, options: { key?: string; ttlSec?: number } = {}) =>
  mintShopperToken(userId, { ...TEST_TOKEN, now: new Date(), ...options });
/** A visitor's token, which a refused link must not link to anyone. */
const VISITOR_TOKEN = await mintShopperToken(randomUUID(), { ...TEST_TOKEN, anonymous: true });

/** Ways to call as `victim` without being them. */
const REFUSALS: [string, (victim: string) => Promise<string | null>, number, string][] = [
  ['another shopper’s valid token', async () => `Bearer ${await sign('shopper-attacker')}`, 403, 'a shopper may access only their own'],
  ['an expired token', async (victim) => `Bearer ${await sign(victim, { ttlSec: -3600 })}`, 401, 'token has expired'],
  [
    'a token signed with another key',
    async (victim) => `Bearer ${await sign(victim, { key: 'another-signing-key-that-is-long-enough-9876543210' })}`,
    401,
    'token signature is invalid',
  ],
  ['no token', async () => null, 401, 'missing bearer token'],
  [
    'a malformed Authorization header',
    async (victim) => `Basic ${Buffer.from(`${victim}:password`).toString('base64')}`,
    401,
    'missing bearer token',
  ],
  ['a bearer token that is no JWT', async () => 'Bearer not-a-token', 401, 'token is malformed'],
];

/** Everything of a shopper's in Firestore: what a refused call must leave exactly as it was. */
async function shopperState(firestore: Firestore, userId: string) {
  const preferences = firestore.collection(COLLECTIONS.preferences).doc(userId);
  const [privacy, learned, applied, tombstone, requests, links] = await Promise.all([
    firestore.collection(PRIVACY_COLLECTION).doc(userId).get(),
    preferences.get(),
    preferences.collection(COLLECTIONS.applied).get(),
    firestore.collection(TOMBSTONES_COLLECTION).doc(hashUser(userId)).get(),
    firestore.collection(ERASURE_REQUESTS_COLLECTION).where('user_hash', '==', hashUser(userId)).get(),
    firestore.collection(COLLECTIONS.links).where('user_id', '==', userId).get(),
  ]);
  return {
    privacy: privacy.data() ?? null,
    preferences: learned.data() ?? null,
    applied: applied.docs.map((d) => [d.id, d.data()]),
    tombstone: tombstone.data() ?? null,
    requests: requests.docs.map((d) => d.data()),
    links: links.docs.map((d) => d.data()),
  };
}

/** A shopper with settings, learned preferences, applied markers and one erasure request behind them. */
async function seededShopper(server: Server, firestore: Firestore) {
  const userId = `shopper-${randomUUID()}`;
  const created = await request(server)
    .delete(`/v1/users/${userId}/learning-data`)
    .set('Authorization', `Bearer ${await sign(userId)}`);
  const requestId = (created.body as { request_id: string }).request_id;
  await request(server)
    .put(`/v1/users/${userId}/privacy`)
    .set('Authorization', `Bearer ${await sign(userId)}`)
    .send({ retention_days: 90 });
  const preferences = firestore.collection(COLLECTIONS.preferences).doc(userId);
  await preferences.set(learn(null, userId, [collectedEvent('order_completed', userId, NOW)], NOW));
  await preferences
    .collection(COLLECTIONS.applied)
    .doc('5')
    .set({ ids: { 'event-1': NOW.getTime() } });
  return { userId, requestId };
}

describe('a shopper’s routes are theirs alone (emulator)', () => {
  let server: Server;
  let firestore: Firestore;
  let victim: { userId: string; requestId: string };
  let before: Awaited<ReturnType<typeof shopperState>>;

  beforeAll(async () => {
    ({ server, firestore } = await usersUnderTest({ clock: () => new Date() }));
    victim = await seededShopper(server, firestore);
    before = await shopperState(firestore, victim.userId);
    expect(before).toMatchObject({
      privacy: { ...DEFAULT_PRIVACY, retention_days: 90 },
      preferences: { event_count: 1 },
      requests: [{ state: 'pending' }],
    });
  });

  it('hides another shopper’s erasure request from a shopper asking under their own id', async () => {
    const attacker = `shopper-${randomUUID()}`;
    const res = await request(server)
      .get(`/v1/users/${attacker}/erasures/${victim.requestId}`)
      .set('Authorization', `Bearer ${await sign(attacker)}`);
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain(hashUser(victim.userId));
  });

  describe.each(ROUTES)('$name', (route) => {
    it.each(REFUSALS)('refuses %s, and changes nothing', async (_name, authorization, status, message) => {
      const call = route.call(server, victim.userId, victim.requestId);
      const header = await authorization(victim.userId);
      if (header !== null) call.set('Authorization', header);
      const res = await call;

      expect(res.status).toBe(status);
      expect((res.body as { error: { message: string } }).error.message).toContain(message);
      if (status === 401) expect(res.headers['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="${message}"`);
      // Nothing of the victim's leaks into a refusal.
      expect(JSON.stringify(res.body)).not.toContain(victim.userId);
      expect(JSON.stringify(res.body)).not.toContain(hashUser(victim.userId));
      expect(await shopperState(firestore, victim.userId)).toEqual(before);
    });

    it('lets the shopper themselves through', async () => {
      // A shopper of their own, so the victim above stays as seeded.
      const own = await seededShopper(server, firestore);
      const res = await route.call(server, own.userId, own.requestId).set('Authorization', `Bearer ${await sign(own.userId)}`);
      expect(res.status).toBe(route.ownStatus);
    });
  });
});
