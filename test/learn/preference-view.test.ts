import { describe, expect, it } from 'vitest';
import { fitReorderModel, reorderCell } from '../../functions/kernel/reorder-model.ts';
import { learn } from '../../functions/learn/learn.ts';
import { PREFERENCE_VIEW_LIMITS, preferenceView } from '../../functions/learn/preference-view.ts';
import { codeNames, pageWithHeading, tableUnder } from '../docs/markdown.ts';
import { VALID_DATA } from '../support/fixtures.ts';
import { collectedEvent } from '../support/messages.ts';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const days = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
const product = VALID_DATA.search_result_clicked.product as Record<string, unknown>;

describe('preference view', () => {
  it('decays scores to the moment it is read: half after one half-life (14 days)', () => {
    const prefs = learn(null, 'u', [collectedEvent('cart_item_added', 'u', NOW)], NOW);
    const later = new Date(NOW.getTime() + 14 * 86_400_000);
    const now = preferenceView('u', { learned: prefs, patterns: null }, NOW).brands[0]?.score ?? 0;
    expect(preferenceView('u', { learned: prefs, patterns: null }, later).brands[0]?.score).toBeCloseTo(now / 2, 3);
  });

  it('ranks strongest first and leaves out what the shopper turned away from', () => {
    const events = [
      collectedEvent('cart_item_added', 'u', NOW, {
        data: { ...VALID_DATA.cart_item_added, product: { ...product, sku: 'a', brand: 'A' } },
      }),
      collectedEvent('order_completed', 'u', NOW, {
        data: { ...VALID_DATA.order_completed, items: [{ ...product, sku: 'b', brand: 'B', quantity: 1 }] },
      }),
      collectedEvent('cart_item_removed', 'u', NOW, {
        data: { ...VALID_DATA.cart_item_removed, product: { ...product, sku: 'c', brand: 'C' } },
      }),
    ];
    const view = preferenceView('u', { learned: learn(null, 'u', events, NOW), patterns: null }, NOW);
    expect(view.brands.map((b) => b.name)).toEqual(['B', 'A']);
  });

  it('lists the categories by their favourite brand, strongest first, and leaves out one whose brands the shopper turned away from', () => {
    const inAisle = (type: 'cart_item_added' | 'cart_item_removed', sku: string, category: string, brand: string) =>
      collectedEvent(type, 'u', NOW, { data: { ...VALID_DATA[type], product: { ...product, sku, category, brand } } });
    const events = [
      inAisle('cart_item_added', 'a', 'bakery', 'Hovis'),
      inAisle('cart_item_added', 'b', 'tea', 'Twinings'),
      inAisle('cart_item_added', 'c', 'tea', 'Twinings'),
      inAisle('cart_item_removed', 'd', 'soup', 'Heinz'),
    ];
    const view = preferenceView('u', { learned: learn(null, 'u', events, NOW), patterns: null }, NOW);
    expect(view.brands_by_category.map((c) => [c.category, c.brands.map((b) => b.name)])).toEqual([
      ['tea', ['Twinings']],
      ['bakery', ['Hovis']],
    ]);
  });

  it('counts as recent interests only what happened within the last hour', () => {
    const events = [
      collectedEvent('search_result_clicked', 'u', new Date(NOW.getTime() - 10 * 60_000)),
      collectedEvent('cart_item_added', 'u', days(1), {
        data: { ...VALID_DATA.cart_item_added, product: { ...product, brand: 'Alpro', category: 'soy' } },
      }),
    ];
    const view = preferenceView('u', { learned: learn(null, 'u', events, NOW), patterns: null }, NOW);
    expect(view.recent_interests).toEqual({ brands: ['Oatly'], categories: ['dairy-alternatives'] });
  });

  it('lists products due for reordering with their rhythm', () => {
    const orders = [21, 14, 7].map((d) => collectedEvent('order_completed', 'u', days(d)));
    const view = preferenceView('u', { learned: learn(null, 'u', orders, NOW), patterns: null }, NOW);
    // Last bought 7 days ago, every 7 days: both lines of the weekly order are due.
    expect(view.reorder_due.map((d) => [d.sku, d.orders, d.mean_interval_days, d.cycle]).sort()).toEqual([
      ['sku-bread', 3, 7, 1],
      ['sku-oat-1l', 3, 7, 1],
    ]);
  });

  it('lists as due what the reorder model in force says, as search decides', () => {
    const orders = [21, 14, 7].map((d) => collectedEvent('order_completed', 'u', days(d)));
    const document = { learned: learn(null, 'u', orders, NOW), patterns: null };
    // The weekly order's cell (a cycle of 1, three orders, a 7-day rhythm) never bought again in the examples;
    // products bought far earlier in their rhythm always were.
    const weekly = reorderCell({ orders: 3, mean_interval_days: 7, last_at: days(7).toISOString() }, NOW);
    if (!weekly) throw new Error('the weekly order has a cell');
    const model = fitReorderModel(
      [
        { cycle_bin: weekly.cycle_bin, orders_bin: weekly.orders_bin, interval_bin: weekly.interval_bin, examples: 200, bought: 0 },
        { cycle_bin: 0, orders_bin: weekly.orders_bin, interval_bin: weekly.interval_bin, examples: 100, bought: 100 },
      ],
      { version: 'run-1', asOf: NOW, fittedAt: NOW },
    );
    expect(model).not.toBeNull();
    expect(preferenceView('u', document, NOW, model).reorder_due).toEqual([]);
    expect(preferenceView('u', document, NOW, null).reorder_due).toHaveLength(2);
  });

  it('has the limits the docs name', () => {
    const { markdown } = pageWithHeading('Preference view limits');
    const rows = tableUnder(markdown, 'Preference view limits')?.rows ?? [];
    expect(Object.fromEntries(rows.map(([name = '', value = '']) => [codeNames(name)[0], Number(value.replaceAll(',', ''))]))).toEqual(
      PREFERENCE_VIEW_LIMITS,
    );
  });
});
