import { describe, expect, it } from 'vitest';
import { emptyPreferences, learn } from '../../functions/learn/learn.ts';
import { REORDER_RULE } from '../../functions/kernel/reorder-rule.ts';
import { dueProducts, isReorderDue } from '../../functions/learn/reorder-due.ts';
import { cycleBinFrom, reorderModelWhere } from '../support/reorder-models.ts';
import { collected, daysAfter, product, SHOPPER } from './collected.ts';

const DAY_0 = new Date('2026-10-01T08:00:00.000Z');
const milk = product('sku-oat-1l', 'dairy-alternatives', 'Oatly');
const bread = product('sku-rye', 'bakery');

function order(day: number, items: Record<string, unknown>[]) {
  return collected('order_completed', daysAfter(DAY_0, day), { order_id: `order-day-${day}`, total: 10, items });
}

// Milk on days 0, 7 and 14; bread on days 0 and 10; eggs once.
const day0 = order(0, [
  { ...milk, quantity: 2 },
  { ...bread, quantity: 1 },
]);
const day7 = order(7, [{ ...milk, quantity: 1 }]);
const day10 = order(10, [{ ...bread, quantity: 1 }]);
const day14 = order(14, [
  { ...milk, quantity: 3 },
  { ...product('sku-eggs', 'eggs'), quantity: 1 },
]);
const history = [day0, day7, day10, day14];

describe('reorder rhythm', () => {
  it('bought on days 0, 7 and 14: three orders, mean interval 7 days, next due on day 21', () => {
    const doc = learn(null, SHOPPER, history, daysAfter(DAY_0, 15));
    expect(doc.reorder['sku-oat-1l']).toEqual({
      orders: 3,
      quantity: 6,
      first_at: DAY_0.toISOString(),
      last_at: daysAfter(DAY_0, 14).toISOString(),
      mean_interval_days: 7,
      next_due_at: daysAfter(DAY_0, 21).toISOString(),
    });
  });

  it('has no rhythm after a single order', () => {
    const doc = learn(null, SHOPPER, history, daysAfter(DAY_0, 15));
    expect(doc.reorder['sku-eggs']).toMatchObject({ orders: 1, mean_interval_days: null, next_due_at: null });
  });

  it('is the same whatever order the purchases arrive in, and however they are split', () => {
    const now = daysAfter(DAY_0, 15);
    const inOrder = learn(null, SHOPPER, history, now);
    const reversed = learn(null, SHOPPER, [...history].reverse(), now);
    const oneByOne = [day10, day0, day14, day7].reduce((doc, event) => learn(doc, SHOPPER, [event], now), emptyPreferences(SHOPPER));
    expect(reversed.reorder).toEqual(inOrder.reorder);
    expect(oneByOne.reorder).toEqual(inOrder.reorder);
  });

  it('is due once the days since the last order reach 90% of the mean interval: day 20.3, not day 20.2', () => {
    const state = learn(null, SHOPPER, history, daysAfter(DAY_0, 15)).reorder['sku-oat-1l'];
    if (state === undefined) throw new Error('milk has no reorder state');
    expect(isReorderDue(state, daysAfter(DAY_0, 20.2))).toBe(false);
    expect(isReorderDue(state, daysAfter(DAY_0, 20.3))).toBe(true);
  });

  it('is due where a fitted model holds its cell due: milk (3 orders, every 7 days) from 0.75 of the interval, only while under 1.25', () => {
    const state = learn(null, SHOPPER, history, daysAfter(DAY_0, 15)).reorder['sku-oat-1l'];
    if (state === undefined) throw new Error('milk has no reorder state');
    // Three orders (bin 1), 7 days (bin 2); everything else stays not due.
    const model = reorderModelWhere(
      (c) => c.orders_bin === 1 && c.interval_bin === 2 && c.cycle_bin >= cycleBinFrom(0.75) && c.cycle_bin < cycleBinFrom(1.25),
    );
    // 0.75 × 7 = 5.25 days and 1.25 × 7 = 8.75 days after day 14.
    expect([19.2, 19.3, 22.7, 22.8].map((day) => isReorderDue(state, daysAfter(DAY_0, day), model))).toEqual([false, true, true, false]);
    // Bread (2 orders, every 10 days) is in no due cell of that model.
    const bread = learn(null, SHOPPER, history, daysAfter(DAY_0, 15)).reorder['sku-rye'];
    if (bread === undefined) throw new Error('bread has no reorder state');
    expect(isReorderDue(bread, daysAfter(DAY_0, 20), model)).toBe(false);
  });

  it('lapses at 2 × the mean interval since the last order: milk (last day 14, every 7 days) is due on day 27.9, not on day 28', () => {
    expect(REORDER_RULE.lapseCycles).toBe(2);
    const state = learn(null, SHOPPER, history, daysAfter(DAY_0, 15)).reorder['sku-oat-1l'];
    if (state === undefined) throw new Error('milk has no reorder state');
    expect(isReorderDue(state, daysAfter(DAY_0, 27.9))).toBe(true);
    expect(isReorderDue(state, daysAfter(DAY_0, 28))).toBe(false);
    expect(isReorderDue(state, daysAfter(DAY_0, 60))).toBe(false);
  });

  it('is due again after a new order once lapsed: milk on day 40 makes the mean 40 / 3 days, due from day 52 to day 66⅔', () => {
    const lapsed = learn(null, SHOPPER, history, daysAfter(DAY_0, 15));
    const again = learn(lapsed, SHOPPER, [order(40, [{ ...milk, quantity: 1 }])], daysAfter(DAY_0, 41)).reorder['sku-oat-1l'];
    if (again === undefined) throw new Error('milk has no reorder state');
    expect(again).toMatchObject({ orders: 4, last_at: daysAfter(DAY_0, 40).toISOString() });
    expect(again.mean_interval_days).toBeCloseTo(40 / 3, 12);
    expect(isReorderDue(again, daysAfter(DAY_0, 51.9))).toBe(false);
    expect(isReorderDue(again, daysAfter(DAY_0, 52.1))).toBe(true);
    expect(isReorderDue(again, daysAfter(DAY_0, 66.6))).toBe(true);
    expect(isReorderDue(again, daysAfter(DAY_0, 66.7))).toBe(false);
  });

  it('lists due products, the furthest into their own cycle first', () => {
    const doc = learn(null, SHOPPER, history, daysAfter(DAY_0, 15));
    // On day 20.3 milk is 6.3 of its 7 days in (0.9), bread 10.3 of its 10 days (1.03); eggs have no rhythm.
    const due = dueProducts(doc, daysAfter(DAY_0, 20.3));
    expect(due.map((d) => d.sku)).toEqual(['sku-rye', 'sku-oat-1l']);
    expect(due[0]?.cycle).toBeCloseTo(1.03, 12);
    expect(due[1]?.cycle).toBeCloseTo(0.9, 12);
    expect(dueProducts(doc, daysAfter(DAY_0, 15))).toEqual([]);
  });

  it('leaves lapsed products out of the list: on day 29 milk (15 days on a 7-day rhythm) has lapsed, bread (19 on 10) has not; on day 30 neither is due', () => {
    const doc = learn(null, SHOPPER, history, daysAfter(DAY_0, 15));
    const due = dueProducts(doc, daysAfter(DAY_0, 29));
    expect(due.map((d) => d.sku)).toEqual(['sku-rye']);
    expect(due[0]?.cycle).toBeCloseTo(1.9, 12);
    expect(dueProducts(doc, daysAfter(DAY_0, 30))).toEqual([]);
    // A model that holds everything from 2 cycles on due: milk (15 of 7 days: 2.14) is due, bread (1.9) not.
    expect(
      dueProducts(
        doc,
        daysAfter(DAY_0, 29),
        reorderModelWhere((c) => c.cycle_bin >= cycleBinFrom(2)),
      ).map((d) => d.sku),
    ).toEqual(['sku-oat-1l']);
  });

  it('sees no rhythm in a product ordered twice at the same instant', () => {
    const doc = learn(null, SHOPPER, [order(0, [{ ...milk, quantity: 1 }]), order(0, [{ ...milk, quantity: 1 }])], daysAfter(DAY_0, 1));
    expect(doc.reorder['sku-oat-1l']).toMatchObject({ orders: 2, mean_interval_days: 0 });
    expect(dueProducts(doc, daysAfter(DAY_0, 30))).toEqual([]);
  });
});
