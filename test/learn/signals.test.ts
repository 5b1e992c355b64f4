import { describe, expect, it } from 'vitest';
import type { EventType } from '../../functions/events/schema.ts';
import { currentValue } from '../../functions/learn/decay.ts';
import { learn } from '../../functions/learn/learn.ts';
import type { Affinity, Preferences } from '../../functions/learn/preferences.ts';
import { NOW, VALID_DATA } from '../support/fixtures.ts';
import { collected, product, SHOPPER } from './collected.ts';

const AT = new Date(NOW.getTime() - 60 * 60 * 1000);
const milk = product('sku-oat-1l', 'dairy-alternatives', 'Oatly', ['vegan', 'lactose_free']);

/** What one event is worth in each affinity map at the moment it happened. */
function learnedFrom(type: EventType, data?: Record<string, unknown>) {
  const doc = learn(null, SHOPPER, [collected(type, AT, data)], NOW);
  const worth = (map: Record<string, Affinity>) =>
    Object.fromEntries(Object.entries(map).map(([key, a]) => [key, currentValue(a.weight, AT, new Date(doc.epoch), doc.half_life_days)]));
  return { products: worth(doc.products), brands: worth(doc.brands), categories: worth(doc.categories), dietary: worth(doc.dietary) };
}

const close = (value: number) => expect.closeTo(value, 12);
const onMilk = (product: number, brand: number, category: number, dietary?: number) => ({
  products: { 'sku-oat-1l': close(product) },
  brands: { Oatly: close(brand) },
  categories: { 'dairy-alternatives': close(category) },
  dietary: dietary === undefined ? {} : { vegan: close(dietary), lactose_free: close(dietary) },
});
const cartUpdate = (from: number, to: number) => ({ product: milk, previous_quantity: from, quantity: to, cart_value: 10 });

describe('the signal table: what each event teaches', () => {
  it.each([
    ['a product view is weak evidence', 'product_viewed', undefined, onMilk(0.1, 0.1, 0.1)],
    ['a search click', 'search_result_clicked', undefined, onMilk(0.3, 0.3, 0.2)],
    ['a cart add, whatever its quantity', 'cart_item_added', { product: milk, quantity: 6, cart_value: 15 }, onMilk(0.7, 0.6, 0.5, 0.5)],
    ['a cart removal, negative at half an add', 'cart_item_removed', undefined, onMilk(-0.35, -0.3, -0.25, -0.25)],
    [
      'a cart update from 1 to 3 units: an add scaled by the added share 2/3',
      'cart_item_updated',
      cartUpdate(1, 3),
      onMilk(0.7 * (2 / 3), 0.6 * (2 / 3), 0.5 * (2 / 3), 0.5 * (2 / 3)),
    ],
    ['a cart update from 0 units: a full add', 'cart_item_updated', cartUpdate(0, 2), onMilk(0.7, 0.6, 0.5, 0.5)],
    [
      'a cart update from 3 to 1 units: a removal scaled by the removed share 2/3',
      'cart_item_updated',
      cartUpdate(3, 1),
      onMilk(-0.35 * (2 / 3), -0.3 * (2 / 3), -0.25 * (2 / 3), -0.25 * (2 / 3)),
    ],
    ['a cart update to 0 units: a full removal', 'cart_item_updated', cartUpdate(2, 0), onMilk(-0.35, -0.3, -0.25, -0.25)],
    [
      'a cart update that changes nothing',
      'cart_item_updated',
      cartUpdate(2, 2),
      { products: {}, brands: {}, categories: {}, dietary: {} },
    ],
    [
      'a search whose results carry no brands: nothing',
      'search_performed',
      undefined,
      { products: {}, brands: {}, categories: {}, dietary: {} },
    ],
  ] as const)('%s', (_, type, data, expected) => {
    expect(learnedFrom(type, data)).toEqual(expected);
  });

  it('a search teaches a little against each brand it showed in its first four, by 1 / position, in its category', () => {
    const shown = (position: number, brand: string, category = 'dairy-alternatives') => ({
      sku: `sku-${position}`,
      position,
      brand,
      category,
    });
    const search = {
      ...VALID_DATA.search_performed,
      results: [
        shown(1, 'Oatly'),
        shown(2, 'Alpro'),
        shown(4, 'Oatly'),
        { sku: 'sku-5', position: 5 },
        shown(3, 'Minor Figures'),
        shown(5, 'Deep Down', 'bakery'),
      ],
    };
    expect(learnedFrom('search_performed', search)).toEqual({
      products: {},
      brands: { Oatly: close(-0.05 - 0.05 / 4), Alpro: close(-0.05 / 2), 'Minor Figures': close(-0.05 / 3) },
      categories: {},
      dietary: {},
    });
    const doc = learn(null, SHOPPER, [collected('search_performed', AT, search)], NOW);
    expect(Object.keys(doc.brands_by_category ?? {})).toEqual(['dairy-alternatives']);
    expect(doc.brands.Oatly?.signals).toEqual({ shown: 2 });
    // Being passed over is no interest.
    expect(doc.recent.brands).toEqual({});
  });

  it('a brand shown and clicked ends up liked: the click outweighs being shown', () => {
    const search = {
      ...VALID_DATA.search_performed,
      results: [{ sku: 'sku-oat-1l', position: 1, brand: 'Oatly', category: 'dairy-alternatives' }],
    };
    const doc = learn(null, SHOPPER, [collected('search_performed', AT, search), collected('search_result_clicked', AT)], NOW);
    expect(currentValue(doc.brands.Oatly?.weight ?? 0, AT, new Date(doc.epoch), doc.half_life_days)).toBeCloseTo(0.3 - 0.05, 12);
  });

  it('an order teaches "regularly buys" per product, not per unit', () => {
    // The fixture order: 3 × oat drink (Oatly, vegan, lactose free) and 1 × rye bread (no brand, no tags).
    expect(learnedFrom('order_completed', VALID_DATA.order_completed)).toEqual({
      products: { 'sku-oat-1l': close(0.9), 'sku-bread': close(0.9) },
      brands: { Oatly: close(0.8) },
      categories: { 'dairy-alternatives': close(0.7), bakery: close(0.7) },
      dietary: { vegan: close(0.5), lactose_free: close(0.5) },
    });
  });

  it('an order listing one product on two lines counts it once', () => {
    const order = {
      order_id: 'o-2',
      total: 5,
      items: [
        { ...milk, quantity: 1 },
        { ...milk, quantity: 2 },
      ],
    };
    expect(learnedFrom('order_completed', order)).toEqual(onMilk(0.9, 0.8, 0.7, 0.5));
  });

  it('an explicit statement is counted on its affinity but carries no weight', () => {
    const doc = learn(null, SHOPPER, [collected('preference_updated', AT, { preference: 'brand', value: 'Oatly', action: 'like' })], NOW);
    expect(doc.brands).toEqual({ Oatly: { weight: 0, signals: { explicit: 1 }, last_at: AT.toISOString() } });
    expect(doc.explicit).toEqual({ 'brand:Oatly': { action: 'like', at: AT.toISOString() } });
  });

  it('names the kind of evidence behind each affinity: updates count as adds or removals', () => {
    const events = [
      collected('product_viewed', AT),
      collected('search_result_clicked', AT),
      collected('cart_item_added', AT),
      collected('cart_item_updated', AT, cartUpdate(2, 1)),
      collected('order_completed', AT),
    ];
    const doc: Preferences = learn(null, SHOPPER, events, NOW);
    expect(doc.products['sku-oat-1l']?.signals).toEqual({ view: 1, click: 1, cart_add: 1, cart_remove: 1, order: 1 });
    expect(doc.dietary.vegan?.signals).toEqual({ cart_add: 1, cart_remove: 1, order: 1 });
  });

  it('makes brands and categories shown interest in recent interests, but not removals', () => {
    const doc = learn(
      null,
      SHOPPER,
      [
        collected('search_result_clicked', AT),
        collected('cart_item_removed', AT, { product: product('sku-rye', 'bakery', 'Harry'), quantity: 1, cart_value: 0 }),
      ],
      NOW,
    );
    expect(doc.recent).toEqual({ brands: { Oatly: AT.toISOString() }, categories: { 'dairy-alternatives': AT.toISOString() } });
  });
});
