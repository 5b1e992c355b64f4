import { describe, expect, it } from 'vitest';
import { emptyPreferences } from '../../functions/learn/learn.ts';
import type { Patterns } from '../../functions/patterns/patterns.ts';
import { cycleBinFrom, reorderModelWhere } from '../support/reorder-models.ts';
import { brandEvidence, learnedTopBrands, predictedDue, reorderCandidates } from './observe.ts';
import { uplift, wilson } from './score.ts';

// What the simulation reads as the loop's predictions, and how the scorer turns counts into figures.

const now = new Date('2026-11-20T12:00:00Z');

function patterns(partial: Partial<Patterns>): Patterns {
  return {
    as_of: '2026-11-20T00:00:00Z',
    regular_items: [],
    brands: [],
    categories: [],
    price: null,
    schedule: null,
    dietary: [],
    bought_together: [],
    ...partial,
  };
}

describe('the loop as the simulation reads it', () => {
  it('holds due what real-time rhythm or the patterns hold due, as search does, until it lapses at 2 × the interval', () => {
    const learned = emptyPreferences('s');
    learned.reorder.milk = {
      orders: 2,
      quantity: 2,
      first_at: '2026-11-06T12:00:00Z',
      last_at: '2026-11-13T12:00:00Z',
      mean_interval_days: 7,
      next_due_at: '2026-11-20T12:00:00Z',
    };
    learned.reorder.bread = {
      orders: 2,
      quantity: 2,
      first_at: '2026-11-05T12:00:00Z',
      last_at: '2026-11-19T12:00:00Z',
      mean_interval_days: 14,
      next_due_at: '2026-12-03T12:00:00Z',
    };
    // Every 5 days, last bought 10 days ago: lapsed at exactly 2 × 5 days.
    learned.reorder.butter = {
      orders: 2,
      quantity: 2,
      first_at: '2026-11-05T12:00:00Z',
      last_at: '2026-11-10T12:00:00Z',
      mean_interval_days: 5,
      next_due_at: '2026-11-15T12:00:00Z',
    };
    const item = (sku: string, lastPurchasedAt: string, dueAt: string) =>
      ({ sku, purchases: 3, avg_interval_days: 7, last_purchased_at: lastPurchasedAt, due_at: dueAt }) as Patterns['regular_items'][number];
    // Every 7 days, due 6.3 days (6 d 7 h 12 min) after the last purchase, lapsed 14 days after it.
    const regular = item('eggs', '2026-11-14T03:48:00Z', '2026-11-20T11:00:00Z');
    const later = item('tea', '2026-11-14T16:48:00Z', '2026-11-21T00:00:00Z');
    // Last bought 19 days ago: past its due_at, but lapsed 5 days ago.
    const lapsed = item('jam', '2026-11-01T12:00:00Z', '2026-11-07T19:12:00Z');
    expect(predictedDue({ learned, patterns: patterns({ regular_items: [regular, later, lapsed] }) }, now)).toEqual(['eggs', 'milk']);
    expect(predictedDue(null, now)).toEqual([]);
    // The model search reads: one that holds everything from 2 intervals on due keeps butter (2 × 5 days) and jam (19 of 7 days).
    const late = reorderModelWhere((c) => c.cycle_bin >= cycleBinFrom(2));
    expect(predictedDue({ learned, patterns: patterns({ regular_items: [regular, later, lapsed] }) }, now, late)).toEqual([
      'butter',
      'jam',
    ]);
  });

  it('lists each product with a rhythm once, with its fitted probability and the naive rule beside the model', () => {
    const learned = emptyPreferences('s');
    // 7 days in of a 7-day rhythm: the naive rule's (at least one interval since); 0.9 of a 10-day one is not.
    learned.reorder.milk = {
      orders: 2,
      quantity: 2,
      first_at: '2026-11-06T12:00:00Z',
      last_at: '2026-11-13T12:00:00Z',
      mean_interval_days: 7,
      next_due_at: '2026-11-20T12:00:00Z',
    };
    learned.reorder.bread = {
      orders: 2,
      quantity: 2,
      first_at: '2026-11-01T12:00:00Z',
      last_at: '2026-11-11T12:00:00Z',
      mean_interval_days: 10,
      next_due_at: '2026-11-21T12:00:00Z',
    };
    const model = reorderModelWhere((c) => c.cycle_bin === cycleBinFrom(0.9));
    expect(reorderCandidates({ learned, patterns: null }, now, model)).toEqual([
      { sku: 'bread', due: true, probability: 0.9, naive: false },
      { sku: 'milk', due: false, probability: 0.1, naive: true },
    ]);
    expect(reorderCandidates({ learned, patterns: null }, now, null).map((c) => c.probability)).toEqual([null, null]);
  });

  it("counts the brand signals behind each category's brands, from the real-time document only", () => {
    const learned = emptyPreferences('s');
    const at = { weight: 1, last_at: '2026-11-20T00:00:00Z' };
    learned.brands.Oatly = { ...at, signals: { click: 2, cart_add: 1, order: 1 } };
    learned.brands.Alpro = { ...at, signals: { view: 1, cart_remove: 3, explicit: 1 } };
    learned.brands.Hovis = { ...at, signals: { order: 4 } };
    learned.brands.Unknown = { ...at, signals: { order: 9 } };
    const categories: Record<string, string> = { Oatly: 'plant milk', Alpro: 'plant milk', Hovis: 'bread' };
    const brands = [{ name: 'Warburtons', share: 1, score: 9, purchases: 10, cart_adds: 0, clicks: 0 }];
    // Removals and statements are no evidence of a taste; patterns' counts are the warehouse's, not the loop's reads.
    expect(Object.fromEntries(brandEvidence({ learned, patterns: patterns({ brands }) }, (b) => categories[b]))).toEqual({
      'plant milk': 5,
      bread: 4,
    });
    expect(brandEvidence(null, (b) => categories[b])).toEqual(new Map());
  });

  it("takes each category's strongest brand, real-time or batch, and never a brand with a negative affinity", () => {
    const learned = emptyPreferences('s');
    const at = { signals: {}, last_at: '2026-11-20T00:00:00Z' };
    const scale = 2 ** ((now.getTime() - Date.parse(learned.epoch)) / (learned.half_life_days * 86_400_000));
    learned.brands.Oatly = { weight: 0.9 * scale, ...at };
    learned.brands.Alpro = { weight: 0.3 * scale, ...at };
    learned.brands.Hovis = { weight: -0.3 * scale, ...at };
    const categories: Record<string, string> = { Oatly: 'plant milk', Alpro: 'plant milk', Hovis: 'bread', Warburtons: 'bread' };
    const brandPattern = (name: string, share: number) => ({ name, share, score: 3, purchases: 3, cart_adds: 0, clicks: 0 });
    const top = learnedTopBrands(
      {
        learned,
        patterns: patterns({ brands: [brandPattern('Alpro', 0.9), brandPattern('Hovis', 0.8), brandPattern('Warburtons', 0.1)] }),
      },
      now,
      (b) => categories[b],
    );
    expect(Object.fromEntries(top)).toEqual({ 'plant milk': 'Alpro', bread: 'Warburtons' });
  });

  it('answers uplift with an interval, and nothing without clicks in both arms', () => {
    const u = uplift(wilson(60, 100), wilson(50, 100));
    expect(u.value).toBeCloseTo(0.2, 10);
    expect(u.low).toBeLessThan(0.2);
    expect(u.high).toBeGreaterThan(0.2);
    expect(uplift(wilson(0, 10), wilson(5, 10)).value).toBeNull();
  });
});
