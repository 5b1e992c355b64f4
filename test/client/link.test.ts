import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createFirestoreLinkReader } from '../../functions/adapters/gcp/firestore-identity-links.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import type { FetchLike } from '../../functions/client/ports.ts';
import type { EventBatchMessage } from '../../functions/events/messages.ts';
import { createEventOwner } from '../../functions/identity/owner.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import type { LinkWarehouse } from '../../functions/warehouse/ports.ts';
import { collectUnderTest, tokenFor } from '../support/collect-server.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { NOW, TEST_TOKEN } from '../support/fixtures.ts';
import { decode } from '../support/memory-bus.ts';
import { hashUser, usersUnderTest } from '../support/users-server.ts';
import { MILK, trackerUnderTest } from './fakes.ts';

// tracker.identify on login, against collect and users on the Firestore emulator: the visitor's token is the proof,
// the shopper's authorizes the link and every later event.

const firestore = emulatorFirestore();
const privacy = createFirestorePrivacyStore(firestore, { hashUser });
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});
afterAll(() => firestore.terminate());

async function listening(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** collect, which reads the links as production does, and users; the fetch records each request's path and bearer. */
async function shop(usersOverrides: { linkWarehouse?: LinkWarehouse } = {}) {
  const collect = await collectUnderTest({
    clock: () => new Date(),
    owner: createEventOwner(createFirestoreLinkReader(firestore), { cacheMs: 0 }),
  });
  const collectUrl = await listening(collect.server);
  const usersUrl = await listening((await usersUnderTest(usersOverrides)).server);
  const requests: { path: string; bearer: string; body?: string }[] = [];
  const recording: FetchLike = (url, init) => {
    requests.push({ path: new URL(url).pathname, bearer: (init.headers.Authorization ?? '').replace(/^Bearer /, ''), body: init.body });
    return fetch(url, init);
  };
  const published = () => collect.bus.events.messages.map((message) => decode<EventBatchMessage>(message).user_id);
  return { collectUrl, usersUrl, requests, published, fetch: recording };
}

async function visitor() {
  const subject = randomUUID();
  return { id: `anonymous:${subject}`, token: await mintShopperToken(subject, { ...TEST_TOKEN, anonymous: true }) };
}

async function shopper() {
  const id = `client-link-${randomUUID()}`;
  return { id, token: await tokenFor(id) };
}

const order = { order_id: 'order-1', total: 2.49, items: [{ ...MILK, quantity: 1 }] };

describe('tracker.identify: linking the visitor on login', () => {
  it("sends the visitor's events with their token, links them with both tokens, then sends as the shopper", async () => {
    const { collectUrl, usersUrl, requests, published, fetch } = await shop();
    const [anonymous, logged] = [await visitor(), await shopper()];
    const { tracker } = trackerUnderTest({ fetch, endpoint: collectUrl, token: anonymous.token });
    const searchId = tracker.trackSearch({ query: 'oat milk', results: [MILK.sku] });

    const result = await tracker.identify(usersUrl, async () => logged.token);
    tracker.trackClick(searchId, MILK, 1);
    await tracker.flush();

    expect(result).toEqual({ ok: true, link: { anonymous_id: anonymous.id, user_id: logged.id, linked_at: NOW.toISOString() } });
    const link = requests.find((r) => r.path.endsWith('/links'));
    expect(link).toEqual({
      path: `/v1/users/${logged.id}/links`,
      bearer: logged.token,
      body: JSON.stringify({ anonymous_token: anonymous.token }),
    });
    expect(requests.filter((r) => r.path === '/v1/events').map((r) => r.bearer)).toEqual([anonymous.token, logged.token]);
    expect(published()).toEqual([anonymous.id, logged.id]);
    expect(await createFirestoreLinkReader(firestore).shopperOf(anonymous.id)).toBe(logged.id);
  });

  it("takes up the shopper's settings at once: what the shopper turned off is no longer tracked", async () => {
    const { collectUrl, usersUrl, fetch } = await shop();
    const [anonymous, logged] = [await visitor(), await shopper()];
    await privacy.write(logged.id, { ...DEFAULT_PRIVACY, track_purchases: false }, NOW);
    const { tracker } = trackerUnderTest({ fetch, endpoint: collectUrl, token: anonymous.token });
    expect(tracker.trackOrder(order)).toEqual(expect.any(String));

    await tracker.identify(usersUrl, logged.token);

    expect(tracker.trackOrder(order)).toBeNull();
  });

  it('answers a visitor already linked to another shopper with the reason, and tracks the new shopper all the same', async () => {
    const { collectUrl, usersUrl, published, fetch } = await shop();
    const [anonymous, first, second] = [await visitor(), await shopper(), await shopper()];
    await trackerUnderTest({ fetch, endpoint: collectUrl, token: anonymous.token }).tracker.identify(usersUrl, first.token);
    const { tracker } = trackerUnderTest({ fetch, endpoint: collectUrl, token: anonymous.token });

    const result = await tracker.identify(usersUrl, second.token);
    tracker.trackView({ product: MILK });
    await tracker.flush();

    expect(result).toEqual({ ok: false, reason: '409: this visitor is already linked to another shopper', retry: false });
    expect(published()).toEqual([second.id]);
  });

  it('answers a forged visitor token with the reason users gives, not to be retried', async () => {
    const { collectUrl, usersUrl, fetch } = await shop();
    const logged = await shopper();
    const forged = await mintShopperToken(randomUUID(), {
      ...TEST_TOKEN,
      key: 'a-key-the-shop-never-had-0123456789abcdef',
      anonymous: true,
    });
    const { tracker } = trackerUnderTest({ fetch, endpoint: collectUrl, token: forged });

    await expect(tracker.identify(usersUrl, logged.token)).resolves.toEqual({
      ok: false,
      reason: '400: anonymous_token: token signature is invalid',
      retry: false,
    });
  });

  it('keeps the visitor after a 503: identify again links the same visitor, though the tracker sends as the shopper', async () => {
    let failing = true;
    const warehouse: LinkWarehouse = {
      async recordLink() {
        if (failing) throw new Error('BigQuery is unavailable');
      },
    };
    const { collectUrl, usersUrl, fetch } = await shop({ linkWarehouse: warehouse });
    const [anonymous, logged] = [await visitor(), await shopper()];
    const { tracker } = trackerUnderTest({ fetch, endpoint: collectUrl, token: anonymous.token });

    const failed = await tracker.identify(usersUrl, logged.token);
    failing = false;
    const again = await tracker.identify(usersUrl, logged.token);

    expect(failed).toEqual({ ok: false, reason: '503', retry: true });
    expect(again).toMatchObject({ ok: true, link: { anonymous_id: anonymous.id, user_id: logged.id } });
  });

  it("asks the shopper's token provider again once after a 401", async () => {
    const { collectUrl, usersUrl, fetch } = await shop();
    const [anonymous, logged] = [await visitor(), await shopper()];
    const tokens = [await tokenFor(logged.id, { ttlSec: -3600 }), logged.token];
    let calls = 0;
    const { tracker } = trackerUnderTest({ fetch, endpoint: collectUrl, token: anonymous.token });

    const result = await tracker.identify(usersUrl, async () => tokens[calls++] ?? logged.token);

    expect(result).toMatchObject({ ok: true, link: { user_id: logged.id } });
    expect(calls).toBe(2);
  });
});
