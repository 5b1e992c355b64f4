import { describe, expect, it } from 'vitest';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import { emptyPreferences, learn } from '../../functions/learn/learn.ts';
import { DEFAULT_LEARNING_CONFIG } from '../../functions/learn/learning-config.ts';
import type { Affinity } from '../../functions/learn/preferences.ts';
import { NOW } from '../support/fixtures.ts';
import { collected, daysAfter, product, SHOPPER } from './collected.ts';

const AT = daysAfter(NOW, -1);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('learn', () => {
  it('starts a new shopper from an empty document on the configured scale', () => {
    expect(emptyPreferences(SHOPPER)).toEqual({
      schema_version: 1,
      user_id: SHOPPER,
      epoch: '2026-01-01T00:00:00.000Z',
      half_life_days: 14,
      products: {},
      brands: {},
      categories: {},
      brands_by_category: {},
      dietary: {},
      recent: { brands: {}, categories: {} },
      reorder: {},
      explicit: {},
      event_count: 0,
      last_event_at: null,
    });
    expect(learn(null, SHOPPER, [], NOW)).toEqual(emptyPreferences(SHOPPER));
  });

  it('counts every event, searches included, and keeps the latest event time', () => {
    const first = learn(null, SHOPPER, [collected('search_performed', AT), collected('product_viewed', daysAfter(AT, -2))], NOW);
    const second = learn(first, SHOPPER, [collected('search_performed', daysAfter(AT, -5))], NOW);
    expect(second).toMatchObject({ event_count: 3, last_event_at: AT.toISOString() });
  });

  it('never changes the document or the events it is given', () => {
    const current = deepFreeze(learn(null, SHOPPER, [collected('order_completed', AT), collected('search_result_clicked', AT)], NOW));
    const events = deepFreeze([
      collected('order_completed', NOW),
      collected('cart_item_removed', NOW),
      collected('preference_updated', NOW),
    ]);
    const before = structuredClone(current);
    const after = learn(current, SHOPPER, events, NOW);
    expect(current).toEqual(before);
    expect(after.event_count).toBe(5);
  });

  it('refuses another shopper’s events or document, which would leak behaviour between shoppers', () => {
    expect(() => learn(null, SHOPPER, [collected('product_viewed', AT, undefined, 'someone-else')], NOW)).toThrow(/someone-else/);
    expect(() => learn(emptyPreferences('someone-else'), SHOPPER, [], NOW)).toThrow(/someone-else/);
  });

  it('keeps the epoch and half-life a document was written with, though the configuration changed', () => {
    const written = learn(null, SHOPPER, [collected('search_result_clicked', AT)], NOW);
    const config = { ...DEFAULT_LEARNING_CONFIG, epoch: '2027-01-01T00:00:00.000Z', halfLifeDays: 7 };
    const relearned = learn(written, SHOPPER, [collected('search_result_clicked', AT)], NOW, config);
    expect(relearned).toMatchObject({ epoch: written.epoch, half_life_days: 14 });
    expect(relearned.brands.Oatly?.weight).toBeCloseTo(2 * (written.brands.Oatly?.weight ?? Number.NaN), 6);
  });

  it('keeps what other writers stored beside the learned fields, such as batch patterns', () => {
    const withPatterns = { ...emptyPreferences(SHOPPER), patterns: { weekly_shop_day: 'saturday' } };
    expect(learn(withPatterns, SHOPPER, [collected('product_viewed', AT)], NOW)).toHaveProperty('patterns', {
      weekly_shop_day: 'saturday',
    });
  });

  it('learns each brand in the categories it was seen in, so a category’s favourite shows though the brand leads nowhere else', () => {
    const ordered = (sku: string, category: string, brand: string) => ({ ...product(sku, category, brand), quantity: 1 });
    const order = (id: string, ...items: Record<string, unknown>[]) => collected('order_completed', AT, { order_id: id, total: 1, items });
    const doc = learn(
      null,
      SHOPPER,
      [
        order('o1', ordered('oat', 'dairy-alternatives', 'Oatly'), ordered('skyr', 'yoghurt', 'Arla'), ordered('milk', 'milk', 'Arla')),
        order('o2', ordered('oat-yog', 'yoghurt', 'Oatly')),
        collected('preference_updated', AT, { preference: 'brand', value: 'Alpro', action: 'like' }),
      ],
      NOW,
    );
    const names = (byCategory: Record<string, Record<string, Affinity>> = {}) =>
      Object.fromEntries(Object.entries(byCategory).map(([category, brands]) => [category, Object.keys(brands).sort()]));
    expect(names(doc.brands_by_category)).toEqual({ 'dairy-alternatives': ['Oatly'], yoghurt: ['Arla', 'Oatly'], milk: ['Arla'] });
    // The same signals as the brand overall, counted where they happened.
    expect(doc.brands_by_category?.milk?.Arla).toEqual({
      ...doc.brands.Arla,
      weight: (doc.brands.Arla?.weight ?? 0) / 2,
      signals: { order: 1 },
    });
  });

  it('reads a document learned before brands were kept per category as having none yet', () => {
    const { brands_by_category: _absent, ...older } = learn(null, SHOPPER, [collected('product_viewed', AT)], NOW);
    const doc = learn(older, SHOPPER, [collected('product_viewed', AT)], NOW);
    expect(doc.brands_by_category).toEqual({ 'dairy-alternatives': { Oatly: expect.objectContaining({ signals: { view: 1 } }) } });
  });

  it('treats names as data: a brand called hasOwnProperty or constructor is learned like any other', () => {
    const events: CollectedEvent[] = ['hasOwnProperty', 'constructor'].map((brand) =>
      collected('search_result_clicked', AT, {
        search_id: 'search-1',
        query: 'x',
        position: 1,
        product: product(`sku-${brand}`, 'toString', brand),
      }),
    );
    const doc = learn(learn(null, SHOPPER, events, NOW), SHOPPER, events, NOW);
    const signals = (map: Record<string, Affinity>) => Object.entries(map).map(([name, affinity]) => [name, affinity.signals]);
    expect(signals(doc.brands)).toEqual([
      ['hasOwnProperty', { click: 2 }],
      ['constructor', { click: 2 }],
    ]);
    expect(signals(doc.categories)).toEqual([['toString', { click: 4 }]]);
    expect(Object.getPrototypeOf(doc.brands)).toBe(Object.prototype);
  });
});
