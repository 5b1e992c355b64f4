import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import type { IdentityLinks } from '../../functions/identity/ports.ts';
import { learn } from '../../functions/learn/learn.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import type { LinkWarehouse } from '../../functions/warehouse/ports.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { NOW, TEST_TOKEN } from '../support/fixtures.ts';
import { collectedEvent } from '../support/messages.ts';
import { usersUnderTest } from '../support/users-server.ts';
import { hashUser } from '../support/user-hasher.ts';

// POST /v1/users/{userId}/links on the Firestore emulator and a DuckDB warehouse: the shopper's token authorizes the
// call, the visitor's token in the body proves the caller is that visitor too.

type ErrorBody = { error: { code: string; message: string } };
type Link = { anonymous_id: string; user_id: string; linked_at: string };

const firestore = emulatorFirestore();
const preferences = createFirestorePreferenceStore(firestore, { learn, hashUser });
let warehouse: DuckDbWarehouse;
beforeAll(async () => {
  warehouse = await createDuckDbWarehouse(':memory:');
});
afterAll(async () => {
  await warehouse.close();
  await firestore.terminate();
});

const shopperToken = (userId: string) => mintShopperToken(userId, TEST_TOKEN);
const visitorToken = (subject: string, options: { key?: string; ttlSec?: number } = {}) =>
  mintShopperToken(subject, { ...TEST_TOKEN, ...options, anonymous: true });

/** A visitor who browsed (one order learned under their id) and the shopper they log in as. */
async function browsed() {
  const subject = randomUUID();
  const visitor = `anonymous:${subject}`;
  await preferences.apply(visitor, [collectedEvent('order_completed', visitor, NOW)], NOW);
  return { subject, visitor, shopper: `shopper-${randomUUID()}` };
}

async function users(overrides: { linkWarehouse?: LinkWarehouse; links?: IdentityLinks } = {}) {
  return (await usersUnderTest({ linkWarehouse: warehouse, ...overrides })).server;
}

const link = async (server: Awaited<ReturnType<typeof users>>, shopper: string, body: unknown, bearer?: string) =>
  request(server)
    .post(`/v1/users/${encodeURIComponent(shopper)}/links`)
    .set('Authorization', `Bearer ${bearer ?? (await shopperToken(shopper))}`)
    .send(body as object);

const rowsOf = (visitor: string) =>
  warehouse.sql('SELECT anonymous_id, user_id, linked_at FROM identity_links WHERE anonymous_id = $1', [visitor]);
const documentOf = async (userId: string) => (await shopperRefs(firestore, userId).preferences.get()).data() ?? null;

describe('POST /v1/users/{userId}/links (emulator, DuckDB)', () => {
  it("links the visitor: 200 with the link, the visitor's learning merged into the shopper's, the link in the warehouse", async () => {
    const server = await users();
    const { subject, visitor, shopper } = await browsed();

    const res = await link(server, shopper, { anonymous_token: await visitorToken(subject) });

    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ anonymous_id: visitor, user_id: shopper, linked_at: NOW.toISOString() });
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(await documentOf(shopper)).toMatchObject({ user_id: shopper, event_count: 1 });
    expect(await documentOf(visitor)).toBeNull();
    expect(await rowsOf(visitor)).toEqual([{ anonymous_id: visitor, user_id: shopper, linked_at: NOW }]);
  });

  it('answers a second link of the same visitor the same, and changes nothing', async () => {
    const server = await users();
    const { subject, visitor, shopper } = await browsed();
    const first = await link(server, shopper, { anonymous_token: await visitorToken(subject) });
    const merged = await documentOf(shopper);

    const second = await link(server, shopper, { anonymous_token: await visitorToken(subject) });

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).toEqual(first.body);
    expect(await documentOf(shopper)).toEqual(merged);
    expect(await rowsOf(visitor)).toHaveLength(1);
  });

  it('refuses a visitor already linked to another shopper with 409 and a reason, leaving both shoppers as they were', async () => {
    const server = await users();
    const { subject, visitor, shopper } = await browsed();
    await link(server, shopper, { anonymous_token: await visitorToken(subject) });
    const thief = `shopper-${randomUUID()}`;

    const res = await link(server, thief, { anonymous_token: await visitorToken(subject) });

    expect(res.status).toBe(409);
    expect((res.body as ErrorBody).error).toEqual({ code: 'conflict', message: 'this visitor is already linked to another shopper' });
    expect(await documentOf(thief)).toBeNull();
    expect(await rowsOf(visitor)).toEqual([expect.objectContaining({ user_id: shopper })]);
  });

  it.each([
    [
      'a forged anonymous token',
      (subject: string) => visitorToken(subject, { key: 'a-key-the-shop-never-had-0123456789abcdef' }),
      'anonymous_token: token signature is invalid',
    ],
    ['an expired anonymous token', (subject: string) => visitorToken(subject, { ttlSec: -3600 }), 'anonymous_token: token has expired'],
    [
      "a logged-in shopper's token",
      () => shopperToken(`shopper-${randomUUID()}`),
      "anonymous_token is a logged-in shopper's token, not an anonymous visitor's",
    ],
    ['no token at all, but text', async () => 'not-a-token', 'anonymous_token: token is malformed'],
  ])('refuses %s with 400 and a reason, and links nothing', async (_name, make, reason) => {
    const server = await users();
    const { subject, visitor, shopper } = await browsed();

    const res = await link(server, shopper, { anonymous_token: await make(subject) });

    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error).toEqual({ code: 'invalid_anonymous_token', message: reason });
    expect(await documentOf(visitor)).toMatchObject({ event_count: 1 });
    expect(await documentOf(shopper)).toBeNull();
    expect(await rowsOf(visitor)).toEqual([]);
  });

  it.each([
    ['no anonymous_token', {}, 'anonymous_token: Invalid input: expected string, received undefined'],
    ['an empty one', { anonymous_token: '' }, 'anonymous_token: Too small: expected string to have >=1 characters'],
    ['another field', { anonymous_token: 'x.y.z', user_id: 'shopper-2' }, 'Unrecognized key: "user_id"'],
  ])('refuses a body with %s with 400', async (_name, body, reason) => {
    const server = await users();
    const res = await link(server, `shopper-${randomUUID()}`, body);
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error.message).toBe(reason);
  });

  it('refuses a body that is not JSON with 415, and a large one with 413', async () => {
    const server = await users();
    const shopper = `shopper-${randomUUID()}`;
    const bearer = `Bearer ${await shopperToken(shopper)}`;
    const text = await request(server)
      .post(`/v1/users/${shopper}/links`)
      .set('Authorization', bearer)
      .set('Content-Type', 'text/plain')
      .send('{}');
    const large = await link(server, shopper, { anonymous_token: 'x'.repeat(10_000) });
    expect([text.status, large.status]).toEqual([415, 413]);
  });

  it("lets only the shopper themselves link: 403 for another's token or a visitor's, 401 without one", async () => {
    const server = await users();
    const { subject, visitor, shopper } = await browsed();
    const body = { anonymous_token: await visitorToken(subject) };

    const other = await link(server, shopper, body, await shopperToken(`shopper-${randomUUID()}`));
    const asVisitor = await link(server, visitor, body, await visitorToken(subject));
    const none = await request(server).post(`/v1/users/${shopper}/links`).send(body);

    expect([other.status, asVisitor.status, none.status]).toEqual([403, 403, 401]);
    expect((asVisitor.body as ErrorBody).error.message).toBe(
      "a visitor is linked with the token of the shopper who logged in, not a visitor's",
    );
    expect(await documentOf(visitor)).toMatchObject({ event_count: 1 });
  });

  it('answers 503 with Retry-After when the warehouse fails; the same link again records it and answers as the first would have', async () => {
    const { subject, visitor, shopper } = await browsed();
    let failing = true;
    const flaky: LinkWarehouse = {
      async recordLink(row) {
        if (failing) throw new Error('BigQuery is unavailable');
        await warehouse.recordLink(row);
      },
    };
    const server = await users({ linkWarehouse: flaky });
    const body = { anonymous_token: await visitorToken(subject) };

    const failed = await link(server, shopper, body);
    failing = false;
    const again = await link(server, shopper, body);

    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('1');
    expect(JSON.stringify(failed.body)).not.toContain('BigQuery');
    expect(again.status).toBe(200);
    expect((again.body as Link).linked_at).toBe(NOW.toISOString());
    expect(await rowsOf(visitor)).toEqual([{ anonymous_id: visitor, user_id: shopper, linked_at: NOW }]);
  });

  it('answers 503 with Retry-After when Firestore fails, and links nothing', async () => {
    const { subject, visitor, shopper } = await browsed();
    const server = await users({
      links: { shopperOf: async () => null, link: async () => Promise.reject(new Error('DEADLINE_EXCEEDED')) },
    });

    const res = await link(server, shopper, { anonymous_token: await visitorToken(subject) });

    expect(res.status).toBe(503);
    expect(await rowsOf(visitor)).toEqual([]);
  });
});
