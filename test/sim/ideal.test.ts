import { describe, expect, it } from 'vitest';
import type { Product } from './catalog.ts';
import { ALL_EVIDENCE, idealObserver, stapleChance } from './ideal.ts';
import type { Need } from './shoppers.ts';
import { catalogOf, teaShopper } from '../support/tea-shopper.ts';

// The ideal observer reads the behaviour model and the shopper's parameters, never the favourite it names: the
// truth says Acorn (teaShopper), and every test below that expects another brand shows the observer does not read it.

const product = (sku: string, brand: string, category = 'tea', dietary_tags: string[] = []): Product => ({
  sku,
  name: `${brand} ${category}`,
  category,
  brand,
  price: 2,
  price_position: 0.5,
  dietary_tags,
  popularity: 0.5,
});

const A1 = product('a1', 'Acorn');
const A2 = product('a2', 'Acorn');
const B1 = product('b1', 'Birch');
const B2 = product('b2', 'Birch');
const C1 = product('c1', 'Cedar', 'tea', ['organic']);
const M1 = product('m1', 'Maple', 'coffee');

const catalog = catalogOf([A1, A2, B1, B2, C1, M1]);

const need: Need = { kind: 'need', category: 'tea' };

describe('the ideal observer', () => {
  it('names the first brand by name while it has seen nothing, and nothing for a category the shopper does not buy from', () => {
    const observer = idealObserver(catalog, teaShopper());
    expect(observer.favourite('tea')).toBe('Acorn');
    expect(observer.favourite('coffee')).toBeNull();
  });

  it('reads a click after passing over another brand as the cascade model does', () => {
    const observer = idealObserver(catalog, teaShopper());
    observer.searched(need, [A1, B1, C1], 2);
    // Loyalty 1, no price or organic pull: a favourite appeals 0.08 + 0.45 = 0.53, any other product 0.08.
    // Acorn: A1 passed over, 1 − 0.95 × 0.53, then B1 clicked, 0.95 × 0.85 × 0.08: 0.4965 × 0.0646 = 0.032.
    // Birch: 1 − 0.95 × 0.08, then 0.95 × 0.85 × 0.53: 0.924 × 0.428 = 0.396. Cedar: 0.924 × 0.0646 = 0.060.
    expect(observer.favourite('tea')).toBe('Birch');
  });

  it('takes results passed over as evidence against their brand when nothing is clicked', () => {
    const observer = idealObserver(catalog, teaShopper());
    // Acorn and Birch passed over twice each, Cedar never shown: Cedar is the likeliest favourite.
    observer.searched(need, [A1, B1, A2, B2], null);
    expect(observer.favourite('tea')).toBe('Cedar');
  });

  it('counts a staple once, however often it is ordered, and learns nothing from other products ordered', () => {
    const observer = idealObserver(
      catalog,
      teaShopper({
        loyalty: 0.8,
        staples: [
          { sku: 'b1', intervalDays: 7, lastBoughtAt: 0 },
          { sku: 'c1', intervalDays: 7, lastBoughtAt: 0 },
        ],
      }),
    );
    observer.ordered([B1, A1, A2]);
    expect(observer.favourite('tea')).toBe('Birch');
    observer.ordered([B1]);
    // Birch and Cedar each chose one staple, Cedar from fewer products of its own: Cedar's staple is the likelier pick.
    observer.ordered([C1]);
    expect(observer.favourite('tea')).toBe('Cedar');
  });

  it('gives each brand its posterior chance: alike before any evidence, most to the one it names after', () => {
    const observer = idealObserver(catalog, teaShopper());
    expect([...observer.chances('tea').values()]).toEqual([1 / 3, 1 / 3, 1 / 3]);
    observer.searched(need, [A1, B1, C1], 2);
    const chances = observer.chances('tea');
    expect([...chances.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // The likelihoods of the click test above: 0.032, 0.396 and 0.060, over their sum.
    expect(chances.get('Birch')).toBeCloseTo(0.396 / (0.032 + 0.396 + 0.06), 2);
    expect(observer.chances('coffee').size).toBe(0);
  });

  it('told to leave results passed over out, learns nothing from a search without a click', () => {
    const observer = idealObserver(catalog, teaShopper(), { ...ALL_EVIDENCE, skips: false });
    observer.searched(need, [A1, B1, A2, B2], null);
    // No evidence: the first brand by name, where the whole observer names Cedar (above).
    expect(observer.favourite('tea')).toBe('Acorn');
  });

  it('reading the need from the events, takes a click on a product ordered before as a search for it, which names no brand', () => {
    const fromRepeats = idealObserver(catalog, teaShopper(), { ...ALL_EVIDENCE, needs: 'repeat' });
    const unknown = idealObserver(catalog, teaShopper(), { ...ALL_EVIDENCE, needs: 'unknown' });
    for (const observer of [fromRepeats, unknown]) {
      observer.ordered([B1]);
      // The shopper went for B1 again; the need told is the staple, but neither observer is told it.
      observer.searched({ kind: 'staple', product: B1 }, [B1], 1);
    }
    // A search for B1 is clicked at 0.9 whatever the favourite: no evidence. Read as an ordinary need, it is Birch's.
    expect(fromRepeats.favourite('tea')).toBe('Acorn');
    expect(unknown.favourite('tea')).toBe('Birch');
  });

  it('not told the parameters, weighs a click by the population’s, or summed over how shoppers are drawn', () => {
    for (const parameters of ['means', 'marginal'] as const) {
      const observer = idealObserver(catalog, teaShopper({ loyalty: 0.55, priceSensitivity: 1 }), { ...ALL_EVIDENCE, parameters });
      observer.searched(need, [A1, B1, C1], 2);
      expect(observer.favourite('tea')).toBe('Birch');
      expect(observer.favourite('coffee')).toBeNull();
    }
  });

  it('weighs only brands the shopper would buy at all', () => {
    const observer = idealObserver(catalog, teaShopper({ strictTags: ['organic'] }));
    expect(observer.favourite('tea')).toBe('Cedar');
  });
});

describe('the chance of a staple under a supposed favourite', () => {
  it('is one of the favourite’s products when loyalty is 1, and any product alike when it is 0', () => {
    const tea = [A1, A2, B1, B2, C1];
    expect(stapleChance(tea, 'Acorn', A1, 1)).toBe(1 / 2);
    expect(stapleChance(tea, 'Acorn', B1, 1)).toBe(0);
    for (const p of tea) expect(stapleChance(tea, 'Birch', p, 0)).toBe(1 / 5);
  });

  it('adds up to one over the products at any loyalty in between', () => {
    const tea = [A1, A2, B1, B2, C1];
    for (const loyalty of [0.55, 0.75, 0.95]) {
      const total = tea.reduce((sum, p) => sum + stapleChance(tea, 'Cedar', p, loyalty), 0);
      expect(total).toBeCloseTo(1, 12);
    }
  });

  it('is the exact chance for a small category: one favourite product and one other', () => {
    // The other product is a candidate half the time at loyalty 0.5: the favourite's is picked with
    // chance 0.5 × 1 + 0.5 × 1/2 = 0.75, the other's 0.5 × 1/2 = 0.25.
    expect(stapleChance([A1, B1], 'Acorn', A1, 0.5)).toBeCloseTo(0.75, 12);
    expect(stapleChance([A1, B1], 'Acorn', B1, 0.5)).toBeCloseTo(0.25, 12);
  });
});
