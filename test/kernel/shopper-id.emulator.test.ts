import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLIED_IDS_FIELD } from '../../functions/adapters/gcp/applied-ids.ts';
import { createFirestorePreferenceStore } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { legacyShardOf } from '../../functions/adapters/gcp/legacy-applied-markers.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import type { CollectResponse } from '../../functions/collect/handler.ts';
import { createFirestoreLinkReader } from '../../functions/adapters/gcp/firestore-identity-links.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createCollectConsent, createIngestConsent } from '../../functions/privacy/consent.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { collectUnderTest, tokenFor } from '../support/collect-server.ts';
import { NOW, validEvent, type RawEvent } from '../support/fixtures.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { pubsubCloudEvent } from '../support/messages.ts';
import { hashUser, usersUnderTest } from '../support/users-server.ts';

// Invariant 6: a shopper id is data, never a path. A token's subject travels from collect through
// ingest into Firestore, and back through users; whatever it holds, it reaches its own documents only.

const firestore = emulatorFirestore();
const privacy = createFirestorePrivacyStore(firestore, { hashUser });
let warehouse: DuckDbWarehouse;
let collect: Awaited<ReturnType<typeof collectUnderTest>>;
let users: Awaited<ReturnType<typeof usersUnderTest>>;
let ingest: ReturnType<typeof createIngestHandler>;

beforeAll(async () => {
  warehouse = await createDuckDbWarehouse(':memory:');
  collect = await collectUnderTest({ consent: createCollectConsent(privacy, { cacheMs: 0 }) });
  users = await usersUnderTest();
  ingest = createIngestHandler({
    warehouse,
    preferences: createFirestorePreferenceStore(firestore, { learn, hashUser }),
    consent: createIngestConsent(privacy, createFirestoreLinkReader(firestore)),
    clock: () => NOW,
    logger: createMemoryLogger(),
  });
});
afterAll(async () => {
  await warehouse.close();
  await firestore.terminate();
});

const bearer = async (userId: string) => `Bearer ${await tokenFor(userId)}`;
/** The id as one path segment, dots included, as a client that keeps the path as it is sends it. */
const segment = (userId: string) => encodeURIComponent(userId).replaceAll('.', '%2E');

/** collect, then ingest of what it published, as Pub/Sub would deliver it. */
async function send(userId: string, events: RawEvent[]) {
  const res = await request(collect.server)
    .post('/v1/events')
    .set('Authorization', await bearer(userId))
    .send({ events });
  for (const message of collect.bus.events.messages.splice(0)) await ingest(pubsubCloudEvent(message.data.toString('utf8')));
  return res;
}

async function eventCount(userId: string): Promise<unknown> {
  return (await shopperRefs(firestore, userId).preferences.get()).get('event_count');
}

/** The shopper's applied ids, in their document, and any marker document under it (the earlier layout's). */
async function markers(userId: string) {
  const { preferences, applied } = shopperRefs(firestore, userId);
  const [document, shards] = await Promise.all([preferences.get(), applied.get()]);
  return { ids: document.get(APPLIED_IDS_FIELD) as unknown, shards: shards.docs.map((doc) => [doc.id, doc.data()]) };
}

describe('a shopper id is data, never a path (emulators)', () => {
  it('a subject naming another shopper’s marker document neither writes nor erases it', async () => {
    const victim = `shopper-${randomUUID()}`;
    const sent = Array.from({ length: 5 }, () => validEvent('product_viewed'));
    expect((await send(victim, sent)).status).toBe(202);
    expect(await eventCount(victim)).toBe(5);
    const before = await markers(victim);
    const resent = sent[0] as RawEvent;

    const attacker = `${victim}/applied/${legacyShardOf(String(resent.event_id))}`;
    expect((await send(attacker, [validEvent('order_completed')])).status).toBe(202);
    const erased = await request(users.server)
      .delete(`/v1/users/${segment(attacker)}/learning-data`)
      .set('Authorization', await bearer(attacker));
    expect(erased.status).toBe(202);
    expect(await markers(victim)).toEqual(before);

    expect((await send(victim, [resent])).status).toBe(202);
    expect(await eventCount(victim)).toBe(5);
    expect(await markers(victim)).toEqual(before);
  });

  it.each(['x/y', '..', '.', '__p__'])(
    '%j is a shopper like any other: collected, learned under its own document, and its settings read',
    async (userId) => {
      const res = await send(userId, [validEvent('order_completed')]);
      expect(res.status).toBe(202);
      expect(res.body as CollectResponse).toMatchObject({ accepted: 1, rejected: [] });
      expect((await shopperRefs(firestore, userId).preferences.get()).data()).toMatchObject({ user_id: userId, event_count: 1 });

      const settings = await request(users.server)
        .get(`/v1/users/${segment(userId)}/privacy`)
        .set('Authorization', await bearer(userId));
      expect(settings.status).toBe(200);
      expect(settings.body).toMatchObject(DEFAULT_PRIVACY);
    },
  );

  it('answers an erasure of such a shopper with a status URL that leads back to it', async () => {
    const userId = '..';
    const erased = await request(users.server)
      .delete(`/v1/users/${segment(userId)}/learning-data`)
      .set('Authorization', await bearer(userId));
    expect(erased.status).toBe(202);
    const statusUrl = (erased.body as { status_url: string }).status_url;
    expect(statusUrl).toMatch(/^\/v1\/users\/%2E%2E\/erasures\/[0-9a-f-]{36}$/);
    const status = await request(users.server)
      .get(statusUrl)
      .set('Authorization', await bearer(userId));
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ state: 'pending', user_hash: hashUser(userId) });
  });
});
