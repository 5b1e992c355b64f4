import { describe, expect, it } from 'vitest';
import { clickThroughIncrements, normalizeQuery } from '../../functions/learn/click-through.ts';
import { NOW } from '../support/fixtures.ts';
import { collected, product } from './collected.ts';

const search = (query: string, positions: number[]) =>
  collected('search_performed', NOW, {
    search_id: 'search-1',
    query,
    results_count: positions.length,
    results: positions.map((position) => ({ sku: `sku-${position}`, position })),
    personalized: false,
  });
const click = (query: string, position: number) =>
  collected('search_result_clicked', NOW, { search_id: 'search-1', query, position, product: product(`sku-${position}`, 'dairy') });

describe('normalizeQuery', () => {
  it.each([
    ['  Oat   MILK ', 'oat milk'],
    ['oat milk', 'oat milk'],
    ['Café', 'cafe'],
    ['Crème\tbrûlée\n', 'creme brulee'],
    ['Käse Äpfel', 'kase apfel'],
    ['ＭＩＬＫ', 'milk'],
    ['ﬁsh', 'fish'],
    ['   ', ''],
  ])('%j → %j', (query, normalized) => {
    expect(normalizeQuery(query)).toBe(normalized);
  });

  it('caps a query at 128 code points, never splitting one, and leaves no space at the cut', () => {
    expect(normalizeQuery('a'.repeat(300))).toBe('a'.repeat(128));
    expect(normalizeQuery('🥛'.repeat(200))).toBe('🥛'.repeat(128));
    expect(normalizeQuery(`${'a'.repeat(127)} b`)).toBe('a'.repeat(127));
  });
});

describe('clickThroughIncrements', () => {
  it('counts impressions per shown position and clicks per clicked position, per normalized query', () => {
    const events = [search('  Oat   MILK ', [1, 2]), search('oat milk', [1, 2, 3]), click('Oat Milk', 2), click('rye bread', 1), collected('product_viewed', NOW)];
    expect(clickThroughIncrements(events)).toEqual([
      { query: 'oat milk', position: 1, impressions: 2, clicks: 0 },
      { query: 'oat milk', position: 2, impressions: 2, clicks: 1 },
      { query: 'oat milk', position: 3, impressions: 1, clicks: 0 },
      { query: 'rye bread', position: 1, impressions: 0, clicks: 1 },
    ]);
  });

  it('ignores positions past 50 and queries without words', () => {
    expect(clickThroughIncrements([search('milk', [50, 51]), click('milk', 51), search('  ', [1]), click('', 1)])).toEqual([
      { query: 'milk', position: 50, impressions: 1, clicks: 0 },
    ]);
  });

  it('counts a position listed twice in one search as one impression', () => {
    expect(clickThroughIncrements([search('milk', [1, 1])])).toEqual([{ query: 'milk', position: 1, impressions: 1, clicks: 0 }]);
  });

  it('does not depend on the order of events', () => {
    const events = [search('milk', [1, 2]), click('milk', 2), search('bread', [1]), click('Bread', 1)];
    expect(clickThroughIncrements([...events].reverse())).toEqual(clickThroughIncrements(events));
  });
});
