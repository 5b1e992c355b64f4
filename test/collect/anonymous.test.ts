import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createFirestoreIdentityLinks, createFirestoreLinkReader } from '../../functions/adapters/gcp/firestore-identity-links.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import type { EventBatchMessage } from '../../functions/events/messages.ts';
import { createEventOwner } from '../../functions/identity/owner.ts';
import { mergePreferences } from '../../functions/learn/merge.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { createCollectConsent } from '../../functions/privacy/consent.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { collectUnderTest } from '../support/collect-server.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { NOW, TEST_TOKEN, validEvent } from '../support/fixtures.ts';
import { decode } from '../support/memory-bus.ts';

// collect and anonymous visitors, with the links and privacy settings in the Firestore emulator: a visitor's events
// are the visitor's until they are linked, and the shopper's, under the shopper's settings, from then on.

const firestore = emulatorFirestore();
afterAll(() => firestore.terminate());
const links = createFirestoreIdentityLinks(firestore, { merge: mergePreferences });
const privacy = createFirestorePrivacyStore(firestore, { hashUser: createUserHasher('collect-anonymous-test-key-0123456789') });

async function collect() {
  return collectUnderTest({
    owner: createEventOwner(createFirestoreLinkReader(firestore), { cacheMs: 0 }),
    consent: createCollectConsent(privacy, { cacheMs: 0 }),
  });
}

const visitor = async () => {
  const subject = randomUUID();
  return { id: `anonymous:${subject}`, token: await mintShopperToken(subject, { ...TEST_TOKEN, anonymous: true }) };
};
const send = (server: Awaited<ReturnType<typeof collect>>['server'], token: string, events: unknown[]) =>
  request(server).post('/v1/events').set('Authorization', `Bearer ${token}`).send({ events });

describe('collect and anonymous visitors (emulator)', () => {
  it("publishes an unlinked visitor's events under their anonymous id", async () => {
    const { server, bus } = await collect();
    const { id, token } = await visitor();

    const res = await send(server, token, [validEvent('product_viewed')]);

    expect(res.status).toBe(202);
    const batch = decode<EventBatchMessage>(bus.events.messages[0]);
    expect(batch.user_id).toBe(id);
    expect(batch.events.map((e) => e.user_id)).toEqual([id]);
  });

  it("publishes a linked visitor's events under the shopper's id, decided on by the shopper's settings", async () => {
    const { server, bus } = await collect();
    const { id, token } = await visitor();
    const shopper = `shopper-${randomUUID()}`;
    await privacy.write(shopper, { ...DEFAULT_PRIVACY, track_searches: false }, NOW);
    await links.link(id, shopper, NOW);

    const res = await send(server, token, [validEvent('search_performed'), validEvent('product_viewed')]);

    expect(res.body).toMatchObject({ accepted: 1, dropped: 1 });
    const batch = decode<EventBatchMessage>(bus.events.messages[0]);
    expect(batch.user_id).toBe(shopper);
    expect(batch.events.map((e) => [e.type, e.user_id])).toEqual([['product_viewed', shopper]]);
  });

  it('answers 503 with Retry-After, and publishes nothing, when the link cannot be read', async () => {
    const { server, bus, logger } = await collectUnderTest({
      owner: createEventOwner({ shopperOf: () => Promise.reject(new Error('DEADLINE_EXCEEDED')) }),
    });
    const { token } = await visitor();

    const res = await send(server, token, [validEvent('product_viewed')]);

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(bus.events.messages).toEqual([]);
    expect(logger.entries).toContainEqual(expect.objectContaining({ message: 'identity link could not be read' }));
  });

  it("refuses a logged-in token whose subject is in the visitors' namespace, before reading anything", async () => {
    const { server, bus } = await collect();
    const res = await send(server, await mintShopperToken(`anonymous:${randomUUID()}`, TEST_TOKEN), [validEvent('product_viewed')]);
    expect(res.status).toBe(401);
    expect((res.body as { error: { message: string } }).error.message).toBe(
      'token subject may not start with "anonymous:", which names anonymous visitors',
    );
    expect(bus.events.messages).toEqual([]);
  });
});
