import { describe, expect, it } from 'vitest';
import { ATTRIBUTION_MINUTES } from '../../functions/warehouse/sql-macros.ts';
import type { Product } from './catalog.ts';
import { boughtPositions } from './trip.ts';

const product = (sku: string) => ({ sku }) as Product;
const SEARCHED = Date.parse('2026-11-20T10:00:00Z');
const minutes = (n: number) => SEARCHED + n * 60_000;

describe('the positions of what a search showed and its shopper then bought', () => {
  const shown = ['a', 'b', 'c', 'b', 'd'].map(product);

  it('counts a product put in the cart after the search, once, at its best position', () => {
    expect(boughtPositions(shown, SEARCHED, new Map([['b', minutes(2)]]), null)).toEqual([2]);
  });

  it('counts a product the order took within the window though its cart add came before the search', () => {
    const added = new Map([['c', minutes(-5)]]);
    expect(boughtPositions(shown, SEARCHED, added, minutes(10))).toEqual([3]);
    expect(boughtPositions(shown, SEARCHED, added, null)).toEqual([]);
  });

  it(`leaves out what came more than ${ATTRIBUTION_MINUTES} minutes later, or was never shown`, () => {
    const added = new Map([
      ['a', minutes(ATTRIBUTION_MINUTES + 1)],
      ['d', minutes(ATTRIBUTION_MINUTES)],
      ['z', minutes(1)],
    ]);
    expect(boughtPositions(shown, SEARCHED, added, minutes(ATTRIBUTION_MINUTES + 2))).toEqual([5]);
  });
});
