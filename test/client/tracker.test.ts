import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Rejection } from '../../functions/client/delivery.ts';
import type { Dropped, Tracker } from '../../functions/client/tracker.ts';
import { ClientEvent, EVENT_TYPES } from '../../functions/events/schema.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { collectUnderTest, tokenFor } from '../support/collect-server.ts';
import { VALID_DATA } from '../support/fixtures.ts';
import { usersUnderTest } from '../support/users-server.ts';
import { fakeCollect, memoryStorage, MILK, trackerUnderTest } from './fakes.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** Every helper once, with the contract's sample data; returns the ids it gave. */
function trackEveryType(tracker: Tracker): (string | null)[] {
  const searchId = tracker.trackSearch({
    query: 'oat milk',
    results: ['sku-oat-1l', { sku: 'sku-soy-1l' }, { sku: 'sku-rice-1l', brand: 'Alpro', category: 'dairy-alternatives' }],
    results_count: 42,
    personalized: true,
  });
  return [
    searchId,
    tracker.trackClick(searchId, MILK, 1),
    tracker.trackView({ product: MILK, search_id: searchId, source: 'search' }),
    tracker.trackCartAdd({ product: MILK, quantity: 2, cart_value: 4.98, search_id: searchId }),
    tracker.trackCartRemove({ product: MILK, quantity: 1, cart_value: 2.49 }),
    tracker.trackCartUpdate({ product: MILK, quantity: 3, previous_quantity: 1, cart_value: 7.47 }),
    tracker.trackOrder({ order_id: 'order-1', total: 7.47, currency: 'EUR', items: [{ ...MILK, quantity: 3 }] }),
    tracker.trackPreference({ preference: 'brand', value: 'Oatly', action: 'like' }),
  ];
}

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the events a tracker sends', () => {
  it('are every type of the contract, each one the contract accepts', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, experiments: { personalization: 'treatment' } });
    trackEveryType(tracker);
    for (const type of EVENT_TYPES) tracker.track(type, VALID_DATA[type] as never);
    await tracker.flush();
    const sent = collect.requests.flatMap((r) => r.events);
    expect(sent.map((e) => e.type)).toEqual([...EVENT_TYPES, ...EVENT_TYPES]);
    for (const event of sent) expect(ClientEvent.safeParse(event).error, JSON.stringify(event)).toBeUndefined();
    // A result's brand and category go with it, for learning to read what was passed over.
    expect(sent[0]?.data).toMatchObject({
      results: [
        { sku: 'sku-oat-1l', position: 1 },
        { sku: 'sku-soy-1l', position: 2 },
        { sku: 'sku-rice-1l', position: 3, brand: 'Alpro', category: 'dairy-alternatives' },
      ],
    });
  });

  it('are accepted by collect, none rejected', async () => {
    const { server, bus } = await collectUnderTest({ clock: () => new Date() });
    const endpoint = await listening(server);
    try {
      const rejected: Rejection[] = [];
      const tracker = trackerUnderTest({
        fetch: (url, init) => fetch(url, init),
        endpoint,
        token: await tokenFor('shopper-client'),
        onRejected: (r) => rejected.push(...r),
      }).tracker;
      const ids = trackEveryType(tracker);
      await expect(tracker.flush()).resolves.toEqual({ pending: 0 });
      expect(rejected).toEqual([]);
      const published = bus.events.messages.flatMap((m) =>
        (JSON.parse(m.data.toString()) as { events: { event_id: string }[] }).events.map((e) => e.event_id),
      );
      expect(published).toHaveLength(ids.length);
      expect(tracker.stats()).toMatchObject({ delivered: ids.length, rejected: 0, queued: 0 });
    } finally {
      server.close();
    }
  });

  it('attribute a click, a view and a cart add to the search they came from', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({ fetch: collect.fetch });
    const searchId = tracker.trackSearch({ query: 'oat milk', results: ['sku-soy-1l', 'sku-oat-1l'] });
    tracker.trackClick(searchId, MILK, 2);
    tracker.trackClick({ search_id: 'from-another-page', query: 'rye' }, MILK, 1);
    tracker.trackView({ product: MILK, search_id: searchId });
    tracker.trackCartAdd({ product: MILK, quantity: 1, cart_value: 2.49, search_id: searchId });
    await tracker.flush();
    const [search, click, otherClick, viewed, added] = collect.requests.flatMap((r) => r.events);
    expect(search?.data).toMatchObject({
      search_id: searchId,
      results: [
        { sku: 'sku-soy-1l', position: 1 },
        { sku: 'sku-oat-1l', position: 2 },
      ],
      results_count: 2,
      personalized: false,
    });
    expect(click?.data).toMatchObject({ search_id: searchId, query: 'oat milk', position: 2, product: MILK });
    expect(otherClick?.data).toMatchObject({ search_id: 'from-another-page', query: 'rye' });
    for (const event of [search, click, viewed, added]) expect(event?.context?.search_id).toBe(searchId);
  });

  it('carry the experiment arms in context: the tracker’s, then setExperiments’, and a call’s over them', async () => {
    const collect = fakeCollect();
    const { tracker } = trackerUnderTest({
      fetch: collect.fetch,
      experiments: { personalization: 'control' },
      context: { locale: 'de-DE' },
    });
    tracker.trackView({ product: MILK });
    tracker.setExperiments({ personalization: 'treatment', ranking: 'b' });
    tracker.trackView({ product: MILK }, { experiments: { ranking: 'c' } });
    await tracker.flush();
    expect(collect.requests.flatMap((r) => r.events.map((e) => e.context))).toEqual([
      { platform: 'web', locale: 'de-DE', experiments: { personalization: 'control' } },
      { platform: 'web', locale: 'de-DE', experiments: { personalization: 'treatment', ranking: 'c' } },
    ]);
  });

  it('are refused before sending when one is over collect’s per-event limit', async () => {
    const collect = fakeCollect();
    const rejected: Rejection[] = [];
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, onRejected: (r) => rejected.push(...r) });
    expect(tracker.trackView({ product: { ...MILK, name: 'n'.repeat(40_000) } })).toBeNull();
    await tracker.flush();
    expect(collect.requests).toEqual([]);
    expect(rejected).toEqual([
      {
        event_id: expect.any(String),
        type: 'product_viewed',
        reason: expect.stringMatching(/^event is \d+ bytes; the limit is 32768 bytes$/),
      },
    ]);
  });
});

describe('consent', () => {
  it('stops tracking a type at once: queued events of it are dropped, later ones not tracked', async () => {
    const collect = fakeCollect();
    const dropped: Dropped[] = [];
    const { tracker } = trackerUnderTest({ fetch: collect.fetch, onDropped: (d) => dropped.push(...d) });
    const searchId = tracker.trackSearch({ query: 'oat milk', results: [] });
    const viewed = tracker.trackView({ product: MILK });
    expect(tracker.setConsent({ track_searches: false })).toEqual({ track_searches: false, track_clicks: true, track_purchases: true });
    expect(dropped.map((d) => [d.type, d.reason])).toEqual([['search_performed', 'consent']]);
    // The search id is still given, so the page can attribute clicks; the event is not tracked.
    expect(tracker.trackSearch({ query: 'rye', results: [] })).toEqual(expect.any(String));
    expect(tracker.trackPreference({ preference: 'brand', value: 'Oatly', action: 'dislike' })).toEqual(expect.any(String));
    await tracker.flush();
    expect(collect.requests.flatMap((r) => r.events.map((e) => e.type))).toEqual(['product_viewed', 'preference_updated']);
    expect(collect.sentIds()).toContain(viewed);
    expect(collect.sentIds()).not.toContain(searchId);
  });

  it('mirrors a whole privacy settings object, and outlives a reload', async () => {
    const storage = memoryStorage();
    const collect = fakeCollect();
    const first = trackerUnderTest({ fetch: collect.fetch, storage }).tracker;
    first.setConsent({ ...DEFAULT_PRIVACY, track_clicks: false, learn_preferences: false });
    const next = trackerUnderTest({ fetch: collect.fetch, storage }).tracker;
    expect(next.trackView({ product: MILK })).toBeNull();
    expect(next.trackCartRemove({ product: MILK, quantity: 1, cart_value: 0 })).toEqual(expect.any(String));
  });

  it('starts as a shopper who changed nothing: the defaults of the privacy settings', () => {
    const { tracker } = trackerUnderTest({ fetch: fakeCollect().fetch });
    expect(tracker.setConsent({})).toEqual({
      track_searches: DEFAULT_PRIVACY.track_searches,
      track_clicks: DEFAULT_PRIVACY.track_clicks,
      track_purchases: DEFAULT_PRIVACY.track_purchases,
    });
  });

  it('is loaded from the shopper’s settings in users, for the shopper the token names', async () => {
    const { server } = await usersUnderTest();
    const usersUrl = await listening(server);
    try {
      const shopper = `client-consent-${randomUUID()}`;
      const token = await tokenFor(shopper);
      const put = await fetch(`${usersUrl}/v1/users/${shopper}/privacy`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ track_purchases: false }),
      });
      expect(put.status).toBe(200);
      const { tracker } = trackerUnderTest({ fetch: (url, init) => fetch(url, init), token: async () => token });
      await expect(tracker.loadConsent(usersUrl)).resolves.toEqual({ track_searches: true, track_clicks: true, track_purchases: false });
      expect(tracker.trackOrder({ order_id: 'o', total: 1, items: [{ ...MILK, quantity: 1 }] })).toBeNull();
      // users refuses another shopper's settings: nothing changes.
      await expect(tracker.loadConsent(usersUrl, 'someone-else')).resolves.toBeNull();
    } finally {
      server.close();
    }
  });
});
