import { randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFirestoreErasureStore } from '../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestoreIdentityLinks } from '../../functions/adapters/gcp/firestore-identity-links.ts';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { runErasureJob } from '../../functions/erasure/job.ts';
import { learn } from '../../functions/learn/learn.ts';
import { mergePreferences } from '../../functions/learn/merge.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { NOW, TEST_TOKEN } from '../support/fixtures.ts';
import { collectedEvent } from '../support/messages.ts';
import { usersUnderTest } from '../support/users-server.ts';

// An anonymous visitor asks to be forgotten with their own token, through users, and the erasure job carries it out
// on DuckDB and a Firestore emulator project of this file's own (the job works on every pending request there).

const hashUser = createUserHasher('visitor-erasure-test-key-0123456789abcd');
let firestore: Firestore;
let warehouse: DuckDbWarehouse;
beforeAll(async () => {
  process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreEmulatorHost');
  firestore = new Firestore({ projectId: `demo-visitor-erasure-${randomUUID().slice(0, 8)}`, ignoreUndefinedProperties: true });
  warehouse = await createDuckDbWarehouse(':memory:');
});
afterAll(async () => {
  await warehouse.close();
  await firestore.terminate();
});

const erasures = () => createFirestoreErasureStore(firestore, { hashUser });
const links = () => createFirestoreIdentityLinks(firestore, { merge: mergePreferences });
const users = async () =>
  (
    await usersUnderTest({
      privacy: createFirestorePrivacyStore(firestore, { hashUser }),
      erasures: erasures(),
      hashUser,
      links: links(),
      linkWarehouse: warehouse,
    })
  ).server;

/** A visitor who browsed: a view and an order, stored and learned under their anonymous id. */
async function browsed() {
  const subject = randomUUID();
  const visitor = `anonymous:${subject}`;
  const events = [collectedEvent('product_viewed', visitor, NOW), collectedEvent('order_completed', visitor, NOW)];
  await warehouse.insertEvents(events, randomUUID());
  await createFirestorePreferenceStore(firestore, { learn, hashUser }).apply(visitor, events, NOW);
  return { visitor, token: await mintShopperToken(subject, { ...TEST_TOKEN, anonymous: true }) };
}

const rowsOf = async (userId: string) =>
  Object.fromEntries(
    await Promise.all(
      ['events', 'order_items', 'identity_links'].map(async (table) => {
        const column = table === 'identity_links' ? 'anonymous_id' : 'user_id';
        const [row] = await warehouse.sql(`SELECT count(*)::INTEGER AS n FROM ${table} WHERE ${column} = $1`, [userId]);
        return [table, Number(row?.n)];
      }),
    ),
  );
const runJob = () =>
  runErasureJob({
    warehouse,
    erasures: erasures(),
    documents: erasures(),
    clock: () => new Date(NOW.getTime() + 3_600_000),
    logger: createMemoryLogger(),
  });

describe('an anonymous visitor erased on their own (users, the erasure job, DuckDB, emulator)', () => {
  it('asks with their own token under their anonymous id, and the job leaves nothing of them', async () => {
    const server = await users();
    const { visitor, token } = await browsed();
    expect(await rowsOf(visitor)).toEqual({ events: 2, order_items: 2, identity_links: 0 });

    const asked = await request(server)
      .delete(`/v1/users/${encodeURIComponent(visitor)}/learning-data`)
      .set('Authorization', `Bearer ${token}`);
    expect(asked.status).toBe(202);
    const statusUrl = (asked.body as { status_url: string }).status_url;
    expect(statusUrl).toMatch(/^\/v1\/users\/anonymous%3A[0-9a-f-]+\/erasures\/[0-9a-f-]+$/);

    expect(await runJob()).toMatchObject({ requests: 1, completed: 1 });
    expect(await rowsOf(visitor)).toEqual({ events: 0, order_items: 0, identity_links: 0 });
    const refs = shopperRefs(firestore, visitor);
    expect((await refs.preferences.get()).exists).toBe(false);
    expect((await refs.applied.get()).empty).toBe(true);
    const status = await request(server).get(statusUrl).set('Authorization', `Bearer ${token}`);
    expect(status.body).toMatchObject({ state: 'completed', user_hash: hashUser(visitor), rows_deleted: { events: 2, order_items: 2 } });
  });

  it("a visitor linked to a shopper takes their own rows and the link, and leaves the shopper's", async () => {
    const server = await users();
    const { visitor, token } = await browsed();
    const shopper = `shopper-${randomUUID()}`;
    const linked = await request(server)
      .post(`/v1/users/${shopper}/links`)
      .set('Authorization', `Bearer ${await mintShopperToken(shopper, TEST_TOKEN)}`)
      .send({ anonymous_token: token });
    expect(linked.status).toBe(200);
    await warehouse.insertEvents([collectedEvent('product_viewed', shopper, NOW)], randomUUID());

    expect(
      (
        await request(server)
          .delete(`/v1/users/${encodeURIComponent(visitor)}/learning-data`)
          .set('Authorization', `Bearer ${token}`)
      ).status,
    ).toBe(202);
    expect(await runJob()).toMatchObject({ requests: 1, completed: 1 });

    expect(await rowsOf(visitor)).toEqual({ events: 0, order_items: 0, identity_links: 0 });
    expect((await shopperRefs(firestore, visitor).link.get()).exists).toBe(false);
    expect(await rowsOf(shopper)).toMatchObject({ events: 1 });
    // What was merged on login is the shopper's and stays theirs.
    expect((await shopperRefs(firestore, shopper).preferences.get()).get('event_count')).toBe(2);
  });
});
