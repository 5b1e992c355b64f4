import { describe, expect, it } from 'vitest';
import { AFFINITY_SCALE } from '../../functions/learn/affinity-strength.ts';
import { noSignals, SIGNALS, signalValues } from '../../functions/search/signals.ts';
import { cycleBinFrom, reorderModelWhere } from '../support/reorder-models.ts';
import {
  affinity,
  DAY_MS,
  daysBefore,
  learned,
  NOW,
  patterns,
  priceSensitivity,
  regularItem,
  results,
  shopper,
  weeklyRhythm,
} from './shoppers.ts';

describe('signal values', () => {
  it('read an affinity as tanh(value / AFFINITY_SCALE): one click 0.29, one order 0.72, three orders 0.99', () => {
    expect(AFFINITY_SCALE).toBe(1);
    const prefs = shopper({ learned: learned({ products: { a: affinity(0.3), b: affinity(0.9), c: affinity(2.7) } }) });
    const [a, b, c] = signalValues(prefs, results(3), { now: NOW });
    expect(a?.product).toBeCloseTo(0.291, 3);
    expect(b?.product).toBeCloseTo(0.716, 3);
    expect(c?.product).toBeCloseTo(0.991, 3);
  });

  it('decay affinities to now: one half-life (14 days) after the epoch a weight counts half', () => {
    const prefs = shopper({ learned: learned({ products: { a: affinity(0.9) } }) });
    const later = new Date(NOW.getTime() + 14 * DAY_MS);
    expect(signalValues(prefs, results(1), { now: later })[0]?.product).toBeCloseTo(Math.tanh(0.45), 12);
  });

  it('stay within [−1, 1] whatever the evidence', () => {
    const prefs = shopper({
      learned: learned({
        products: { a: affinity(1e6), b: affinity(-1e6) },
        brands: { X: affinity(50) },
        dietary: { vegan: affinity(-50) },
      }),
      patterns: patterns({ price: priceSensitivity({ position: 7, promo_share: 3 }) }),
    });
    const list = results(2, {
      a: { brand: 'X', category: 'k', price: 1, promotion: 'P' },
      b: { dietary_tags: ['vegan'], category: 'k', price: 9 },
    });
    for (const values of signalValues(prefs, list, { now: NOW }))
      for (const signal of SIGNALS) expect(Math.abs(values[signal]), signal).toBeLessThanOrEqual(1);
  });

  it('take, of several dietary tags, the strongest liking, or the strongest aversion when none is liked', () => {
    const prefs = shopper({ learned: learned({ dietary: { vegan: affinity(0.5), organic: affinity(-0.2), halal: affinity(-0.6) } }) });
    const list = results(2, { a: { dietary_tags: ['vegan', 'halal'] }, b: { dietary_tags: ['organic', 'halal'] } });
    const [a, b] = signalValues(prefs, list, { now: NOW });
    expect(a?.dietary).toBeCloseTo(Math.tanh(0.5), 12);
    expect(b?.dietary).toBeCloseTo(Math.tanh(-0.6), 12);
  });

  it('estimate an item’s price position from the results of its category in this search', () => {
    const prefs = shopper({ patterns: patterns({ price: priceSensitivity({ position: 0.5 }) }) });
    const list = results(3, { a: { category: 'milk', price: 1 }, b: { category: 'milk', price: 2 }, c: { category: 'milk', price: 3 } });
    // Positions 0, 1/2 and 1 against a shopper at 1/2: 1 − 2 × |position − 1/2| is 0, 1 and 0.
    expect(signalValues(prefs, list, { now: NOW }).map((v) => v.price)).toEqual([0, 1, 0]);
  });

  it('honour a recent window and due fraction other than learning’s', () => {
    const prefs = shopper({
      learned: learned({ recent: { brands: {}, categories: { milk: new Date(NOW.getTime() - 5 * 60_000).toISOString() } } }),
    });
    const list = results(1, { a: { category: 'milk' } });
    expect(signalValues(prefs, list, { now: NOW })[0]?.recent).toBe(0.5);
    expect(signalValues(prefs, list, { now: NOW, recentWindowMs: 60_000 })[0]?.recent).toBe(0);
  });

  it('hold a product due by its real-time rhythm, before any model is fitted, from 90% of its mean interval until 2 × it: 6.3 to 14 days for a 7-day rhythm', () => {
    const due = (lastDaysAgo: number) =>
      signalValues(shopper({ learned: learned({ reorder: { a: weeklyRhythm(lastDaysAgo) } }) }), results(1), { now: NOW })[0]?.reorder_due;
    expect([6, 6.3, 13.9, 14, 30].map((days) => due(days))).toEqual([0, 1, 1, 0, 0]);
  });

  it('hold a product due where the reorder model read with the preferences holds its cell due, by real-time rhythm and regular item alike', () => {
    // Due only from 1.25 to 1.5 intervals in: 8.75 to 10.5 days for a 7-day rhythm.
    const reorderModel = reorderModelWhere((c) => c.cycle_bin === cycleBinFrom(1.25));
    const byRhythm = (lastDaysAgo: number) =>
      signalValues(
        { ...shopper({ learned: learned({ reorder: { a: weeklyRhythm(lastDaysAgo) } }) }), reorder_model: reorderModel },
        results(1),
        { now: NOW },
      )[0]?.reorder_due;
    expect([6.3, 8.7, 8.8, 10.4, 10.5].map((days) => byRhythm(days))).toEqual([0, 0, 1, 1, 0]);
    const byPattern = (lastDaysAgo: number) =>
      signalValues(
        {
          ...shopper({
            patterns: patterns({ regular_items: [regularItem('a', { avg_interval_days: 7, last_purchased_at: daysBefore(lastDaysAgo) })] }),
          }),
          reorder_model: reorderModel,
        },
        results(1),
        { now: NOW },
      )[0]?.reorder_due;
    expect([6.3, 8.7, 8.8, 10.4, 10.5].map((days) => byPattern(days))).toEqual([0, 0, 1, 1, 0]);
  });

  it('hold a regular item of the patterns due, before any model is fitted, from 0.9 × its interval after its last purchase until 2 ×, then 0', () => {
    const due = (lastDaysAgo: number) =>
      signalValues(
        shopper({
          patterns: patterns({ regular_items: [regularItem('a', { avg_interval_days: 7, last_purchased_at: daysBefore(lastDaysAgo) })] }),
        }),
        results(1),
        { now: NOW },
      )[0]?.reorder_due;
    expect([6, 6.3, 13.9, 14, 51.6].map((days) => due(days))).toEqual([0, 1, 1, 0, 0]);
  });

  it('are all 0 when learn_preferences is off', () => {
    const prefs = shopper({ learned: learned({ products: { a: affinity(1) } }), privacy: { learn_preferences: false } });
    expect(signalValues(prefs, results(1), { now: NOW })).toEqual([noSignals()]);
  });
});
