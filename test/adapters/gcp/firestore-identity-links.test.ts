import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createFirestoreIdentityLinks } from '../../../functions/adapters/gcp/firestore-identity-links.ts';
import { APPLIED_IDS_FIELD, appliedIdOf, appliedIds } from '../../../functions/adapters/gcp/applied-ids.ts';
import { createFirestorePreferenceStore, learnedPreferences } from '../../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore } from '../../../functions/adapters/gcp/firestore-privacy-store.ts';
import { shopperRefs } from '../../../functions/adapters/gcp/shopper-documents.ts';
import type { CollectedEvent } from '../../../functions/events/schema.ts';
import { DAY_MS, scaleToEpoch } from '../../../functions/learn/decay.ts';
import { learn } from '../../../functions/learn/learn.ts';
import { DEFAULT_LEARNING_CONFIG } from '../../../functions/learn/learning-config.ts';
import { mergePreferences } from '../../../functions/learn/merge.ts';
import type { Preferences } from '../../../functions/learn/preferences.ts';
import { DEFAULT_PRIVACY } from '../../../functions/privacy/settings.ts';
import { createUserHasher } from '../../../functions/privacy/user-hash.ts';
import { emulatorFirestore } from '../../support/firestore.ts';
import { NOW } from '../../support/fixtures.ts';
import { differences } from '../../support/same-document.ts';
import { collected, product } from '../../learn/collected.ts';
import { createLegacyPreferenceStore } from '../../support/legacy-preference-store.ts';

// Linking on the Firestore emulator, with the preference store ingest learns through: what a visitor did before
// logging in is the shopper's afterwards, in the document, behind the markers, and for the visitor's later events.

const firestore = emulatorFirestore();
afterAll(() => firestore.terminate());
const links = createFirestoreIdentityLinks(firestore, { merge: mergePreferences });
const hashUser = createUserHasher('identity-links-test-key-0123456789abc');
const preferences = createFirestorePreferenceStore(firestore, { learn, hashUser });
const privacy = createFirestorePrivacyStore(firestore, { hashUser });
const weightFloor = scaleToEpoch(1, NOW, new Date(DEFAULT_LEARNING_CONFIG.epoch), DEFAULT_LEARNING_CONFIG.halfLifeDays);

const pair = () => ({ visitor: `anonymous:${randomUUID()}`, shopper: `shopper-${randomUUID()}` });
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
const view = (userId: string, sku: string, at = daysAgo(1)) =>
  collected('product_viewed', at, { product: product(sku, 'bakery', 'Hovis') }, userId);
const order = (userId: string, sku: string, at: Date) =>
  collected(
    'order_completed',
    at,
    { order_id: `o-${randomUUID()}`, total: 2, items: [{ ...product(sku, 'dairy', 'Oatly', ['vegan']), quantity: 1 }] },
    userId,
  );
const as =
  (userId: string) =>
  (event: CollectedEvent): CollectedEvent => ({ ...event, user_id: userId });

const documentOf = async (userId: string) => (await shopperRefs(firestore, userId).preferences.get()).data() ?? null;
const learnedOf = async (userId: string): Promise<Preferences | null> => learnedPreferences(await documentOf(userId));

describe('linking a visitor to a shopper (Firestore emulator)', () => {
  it("merges what was learned about the visitor into the shopper's document: as if one document had learned both", async () => {
    const { visitor, shopper } = pair();
    const visitorEvents = [view(visitor, 'rye'), order(visitor, 'oat', daysAgo(20)), order(visitor, 'oat', daysAgo(10))];
    const shopperEvents = [view(shopper, 'rye', daysAgo(2)), order(shopper, 'oat', daysAgo(3))];
    await preferences.apply(visitor, visitorEvents, NOW);
    await preferences.apply(shopper, shopperEvents, NOW);

    const outcome = await links.link(visitor, shopper, NOW);

    expect(outcome).toEqual({ kind: 'linked', link: { anonymous_id: visitor, user_id: shopper, linked_at: NOW.toISOString() } });
    const expected = learn(null, shopper, [...shopperEvents, ...visitorEvents.map(as(shopper))], NOW);
    expect(differences(await learnedOf(shopper), expected, weightFloor)).toEqual([]);
    expect((await learnedOf(shopper))?.reorder.oat?.orders).toBe(3);
    expect(await links.shopperOf(visitor)).toBe(shopper);
  });

  it("deletes the visitor's documents, whose applied ids the shopper's document now holds", async () => {
    const { visitor, shopper } = pair();
    const seen = view(visitor, 'rye');
    await privacy.write(visitor, { ...DEFAULT_PRIVACY, track_clicks: false }, NOW);
    await preferences.apply(visitor, [seen], NOW);

    await links.link(visitor, shopper, NOW);

    const visitorRefs = shopperRefs(firestore, visitor);
    expect((await visitorRefs.preferences.get()).exists).toBe(false);
    expect((await visitorRefs.privacy.get()).exists).toBe(false);
    expect(appliedIds((await documentOf(shopper))?.[APPLIED_IDS_FIELD]).has(appliedIdOf(seen.event_id))).toBe(true);
  });

  it("takes in the visitor's marks of the earlier layout too, while they are live", async () => {
    const { visitor, shopper } = pair();
    const seen = view(visitor, 'rye');
    await createLegacyPreferenceStore(firestore).apply(visitor, [seen], NOW);

    await createFirestoreIdentityLinks(firestore, { merge: mergePreferences }).link(visitor, shopper, NOW);

    // The visitor's message delivered again after the link learns into the shopper's document: found there.
    expect(await preferences.apply(visitor, [seen], NOW)).toMatchObject({ applied: 0, alreadyApplied: 1 });
    expect((await learnedOf(shopper))?.event_count).toBe(1);
  });

  it("learns a visitor's later events into the shopper's document, and never one the visitor's document already took", async () => {
    const { visitor, shopper } = pair();
    const before = view(visitor, 'rye');
    await preferences.apply(visitor, [before], NOW);
    await links.link(visitor, shopper, NOW);

    // A redelivery of the visitor's old message, a message still on its way when they logged in, and the client
    // resending an event of the visitor's under the shopper's token.
    expect(await preferences.apply(visitor, [before], NOW)).toMatchObject({ applied: 0, alreadyApplied: 1 });
    const inFlight = view(visitor, 'oat');
    expect(await preferences.apply(visitor, [inFlight], NOW)).toMatchObject({ applied: 1 });
    expect(await preferences.apply(shopper, [as(shopper)(before)], NOW)).toMatchObject({ applied: 0, alreadyApplied: 1 });

    expect(await documentOf(visitor)).toBeNull();
    expect(differences(await learnedOf(shopper), learn(null, shopper, [before, inFlight].map(as(shopper)), NOW), weightFloor)).toEqual([]);
  });

  it('answers a second link of the same pair with the stored link, and changes nothing', async () => {
    const { visitor, shopper } = pair();
    await preferences.apply(visitor, [view(visitor, 'rye')], NOW);
    const first = await links.link(visitor, shopper, NOW);
    const merged = await documentOf(shopper);

    const again = await links.link(visitor, shopper, new Date(NOW.getTime() + 60_000));

    expect(again).toEqual({ kind: 'already_linked', link: first.kind === 'linked' ? first.link : null });
    expect(await documentOf(shopper)).toEqual(merged);
  });

  it('refuses a visitor already linked to another shopper, whose document it leaves alone', async () => {
    const { visitor, shopper } = pair();
    const other = `shopper-${randomUUID()}`;
    await preferences.apply(visitor, [view(visitor, 'rye')], NOW);
    await links.link(visitor, shopper, NOW);
    const theirs = await documentOf(shopper);

    expect(await links.link(visitor, other, NOW)).toEqual({ kind: 'linked_elsewhere' });

    expect(await links.shopperOf(visitor)).toBe(shopper);
    expect(await documentOf(other)).toBeNull();
    expect(await documentOf(shopper)).toEqual(theirs);
  });

  it('keeps the patterns the batch job published for the shopper', async () => {
    const { visitor, shopper } = pair();
    await shopperRefs(firestore, shopper).preferences.set({ patterns: { as_of: NOW.toISOString() } });
    await preferences.apply(visitor, [view(visitor, 'rye')], NOW);

    await links.link(visitor, shopper, NOW);

    expect(await documentOf(shopper)).toMatchObject({ patterns: { as_of: NOW.toISOString() }, event_count: 1, user_id: shopper });
  });

  it("merges nothing into a shopper who switched learning off, whose settings govern the visitor's data from now on", async () => {
    const { visitor, shopper } = pair();
    await privacy.write(shopper, { ...DEFAULT_PRIVACY, learn_preferences: false }, NOW);
    await preferences.apply(visitor, [view(visitor, 'rye')], NOW);

    await links.link(visitor, shopper, NOW);
    expect(await preferences.apply(visitor, [view(visitor, 'oat')], NOW)).toMatchObject({ applied: 0 });

    // Nothing learned: the shopper's document holds only the ids of the events applied.
    expect(Object.keys((await documentOf(shopper)) ?? {})).toEqual([APPLIED_IDS_FIELD]);
    expect(await documentOf(visitor)).toBeNull();
  });

  it('answers null for a visitor nobody linked', async () => {
    expect(await links.shopperOf(`anonymous:${randomUUID()}`)).toBeNull();
  });
});
