import { describe, expect, it } from 'vitest';
import { learn } from '../../functions/learn/learn.ts';
import { DEFAULT_LEARNING_CONFIG, type LearningConfig } from '../../functions/learn/learning-config.ts';
import { NOW } from '../support/fixtures.ts';
import { collected, daysAfter, product, SHOPPER } from './collected.ts';

const daysAgo = (days: number) => daysAfter(NOW, -days);
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const viewOf = (sku: string, brand: string, at: Date) => collected('product_viewed', at, { product: product(sku, 'bakery', brand) });

describe('pruning', () => {
  it('removes an affinity whose current value has faded below 0.01: a view 60 days ago (0.005), not one 30 days ago (0.023)', () => {
    const doc = learn(null, SHOPPER, [viewOf('sku-old', 'Old', daysAgo(60)), viewOf('sku-recent', 'Recent', daysAgo(30))], NOW);
    expect(Object.keys(doc.products)).toEqual(['sku-recent']);
    expect(Object.keys(doc.brands)).toEqual(['Recent']);
  });

  it('removes an interest that removals have cancelled out', () => {
    const milk = product('sku-oat-1l', 'dairy-alternatives', 'Oatly');
    const at = minutesAgo(5);
    const doc = learn(
      null,
      SHOPPER,
      [
        collected('cart_item_updated', at, { product: milk, previous_quantity: 0, quantity: 2, cart_value: 5 }),
        collected('cart_item_removed', at, { product: milk, quantity: 1, cart_value: 2.5 }),
        collected('cart_item_removed', at, { product: milk, quantity: 1, cart_value: 0 }),
      ],
      NOW,
    );
    expect(doc.products).toEqual({});
  });

  it('prunes what has faded since the last call when the document is learned again: a view is 0.0084 after 50 days', () => {
    const doc = learn(null, SHOPPER, [viewOf('sku-rye', 'Harry', NOW)], NOW);
    expect(Object.keys(learn(doc, SHOPPER, [], daysAfter(NOW, 45)).products)).toEqual(['sku-rye']);
    expect(Object.keys(learn(doc, SHOPPER, [], daysAfter(NOW, 50)).products)).toEqual([]);
  });

  it('keeps an affinity an explicit statement was counted on, though it carries no weight', () => {
    const doc = learn(
      null,
      SHOPPER,
      [collected('preference_updated', daysAgo(90), { preference: 'brand', value: 'Oatly', action: 'dislike' })],
      NOW,
    );
    expect(Object.keys(doc.brands)).toEqual(['Oatly']);
  });

  it('keeps the strongest affinities by |value| once a map overflows its top-K, strong dislikes included', () => {
    const config: LearningConfig = { ...DEFAULT_LEARNING_CONFIG, topK: { ...DEFAULT_LEARNING_CONFIG.topK, brands: 2 } };
    const at = minutesAgo(5);
    const removal = (brand: string) =>
      collected('cart_item_removed', at, { product: product('sku-b', 'bakery', brand), quantity: 1, cart_value: 0 });
    const doc = learn(
      null,
      SHOPPER,
      [
        collected('cart_item_added', at, { product: product('sku-a', 'bakery', 'Added'), quantity: 1, cart_value: 2 }),
        removal('Removed thrice'),
        removal('Removed thrice'),
        removal('Removed thrice'),
        viewOf('sku-c', 'Viewed', at),
      ],
      NOW,
      config,
    );
    expect(Object.keys(doc.brands).sort()).toEqual(['Added', 'Removed thrice']);
  });

  it('keeps the strongest brands of each category, in the categories whose strongest brand is strongest', () => {
    const config: LearningConfig = {
      ...DEFAULT_LEARNING_CONFIG,
      topK: { ...DEFAULT_LEARNING_CONFIG.topK, brandsPerCategory: 1, brandCategories: 2 },
    };
    const at = minutesAgo(5);
    const added = (sku: string, category: string, brand: string) =>
      collected('cart_item_added', at, { product: product(sku, category, brand), quantity: 1, cart_value: 2 });
    const doc = learn(
      null,
      SHOPPER,
      [
        added('sku-a', 'bakery', 'Hovis'),
        added('sku-b', 'bakery', 'Hovis'),
        added('sku-c', 'bakery', 'Warburtons'),
        added('sku-d', 'dairy', 'Arla'),
        collected('product_viewed', at, { product: product('sku-e', 'stock', 'Kallo') }),
      ],
      NOW,
      config,
    );
    const kept = Object.fromEntries(
      Object.entries(doc.brands_by_category ?? {}).map(([category, brands]) => [category, Object.keys(brands)]),
    );
    // The viewed brand's category is the weakest of three: two are kept.
    expect(kept).toEqual({ bakery: ['Hovis'], dairy: ['Arla'] });
  });

  it('keeps recent interests only within the last hour', () => {
    const doc = learn(null, SHOPPER, [viewOf('sku-a', 'Just now', minutesAgo(59)), viewOf('sku-b', 'Earlier today', minutesAgo(61))], NOW);
    expect(doc.recent.brands).toEqual({ 'Just now': minutesAgo(59).toISOString() });
  });

  it('keeps the most recently bought products’ reorder state once it overflows its top-K', () => {
    const config: LearningConfig = { ...DEFAULT_LEARNING_CONFIG, topK: { ...DEFAULT_LEARNING_CONFIG.topK, reorder: 2 } };
    const order = (sku: string, days: number) =>
      collected('order_completed', daysAgo(days), {
        order_id: `order-${sku}`,
        total: 1,
        items: [{ ...product(sku, 'bakery'), quantity: 1 }],
      });
    const doc = learn(null, SHOPPER, [order('sku-a', 3), order('sku-b', 30), order('sku-c', 1)], NOW, config);
    expect(Object.keys(doc.reorder).sort()).toEqual(['sku-a', 'sku-c']);
  });
});
