import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../../functions/events/schema.ts';
import { seededRandom, type Product } from './catalog.ts';
import { idealObserver } from './ideal.ts';
import { expectedClick, fullOracle, informedOracle, oracleOrder, posteriorOnlyOracle, shopperOracle, type RankContext } from './oracle.ts';
import { chooseClick, type Need, type ShopperTruth } from './shoppers.ts';
import { catalogOf, teaShopper } from '../support/tea-shopper.ts';

// The oracles read the shoppers' truth to bound what any ranking of the same results could earn.

const product = (sku: string, brand: string, overrides: Partial<Product> = {}): Product => ({
  sku,
  name: `${brand} classic tea`,
  category: 'tea',
  brand,
  price: 2,
  price_position: 0.5,
  dietary_tags: [],
  popularity: 0.5,
  ...overrides,
});

const A1 = product('a1', 'Acorn');
const A2 = product('a2', 'Acorn', { dietary_tags: ['vegan'] });
const B1 = product('b1', 'Birch', { dietary_tags: ['vegan'] });
const B2 = product('b2', 'Birch', { dietary_tags: ['vegan'], name: 'Birch mild tea' });
const C1 = product('c1', 'Cedar', { dietary_tags: ['vegan', 'organic'] });
const TEA = [A1, A2, B1, B2, C1];

const catalog = catalogOf(TEA);

const need: Need = { kind: 'need', category: 'tea' };
const NOW = new Date('2026-11-20T10:00:00Z');
const DAY_MS = 86_400_000;

function context(truth: ShopperTruth, overrides: Partial<RankContext> = {}): RankContext {
  return { truth, need, query: 'tea', ideal: idealObserver(catalog, truth), history: [], at: NOW, catalog, ...overrides };
}

/** An order of `products` sent `daysAgo` days before NOW. */
function order(daysAgo: number, products: Product[]): ClientEvent {
  const at = new Date(NOW.getTime() - daysAgo * DAY_MS).toISOString();
  return {
    event_id: crypto.randomUUID(),
    type: 'order_completed',
    session_id: 's',
    occurred_at: at,
    sent_at: at,
    data: {
      order_id: `o-${daysAgo}`,
      total: 2,
      currency: 'EUR',
      items: products.map((p) => ({ sku: p.sku, name: p.name, category: p.category, brand: p.brand, price: p.price, quantity: 1 })),
    },
  };
}

const skus = (products: readonly Product[]) => products.map((p) => p.sku);

describe('the full oracle', () => {
  it('puts the favourite brand’s product the shopper would take first, never one their habits rule out', () => {
    // A vegan shopper whose favourite is Acorn: A1 is not vegan, so A2 is the product they would click.
    const truth = teaShopper({ strictTags: ['vegan'] });
    const ranked = fullOracle(context(truth), [B1, A1, C1, A2]);
    expect(ranked[0]).toBe(A2);
    expect(ranked.at(-1)).toBe(A1);
  });

  it('puts the staple a search is for first', () => {
    const truth = teaShopper();
    expect(fullOracle(context(truth, { need: { kind: 'staple', product: B2 } }), [A1, B1, B2])[0]).toBe(B2);
  });

  it('earns at least the expected clicks of any other order of the same results', () => {
    const arbitraryTruth = fc.record({
      favourite: fc.constantFrom('Acorn', 'Birch', 'Cedar'),
      loyalty: fc.double({ min: 0.55, max: 0.95, noNaN: true }),
      priceSensitivity: fc.double({ min: 0, max: 1, noNaN: true }),
      likesOrganic: fc.boolean(),
      vegan: fc.boolean(),
    });
    const prices = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: TEA.length, maxLength: TEA.length });
    fc.assert(
      fc.property(arbitraryTruth, prices, fc.shuffledSubarray(TEA.map((_, i) => i)), (t, positions, order) => {
        const truth = teaShopper({
          favouriteBrand: new Map([['tea', t.favourite]]),
          loyalty: t.loyalty,
          priceSensitivity: t.priceSensitivity,
          likesOrganic: t.likesOrganic,
          strictTags: t.vegan ? ['vegan'] : [],
        });
        const results = order.map((i) => ({ ...(TEA[i] as Product), price_position: positions[i] ?? 0 }));
        const best = expectedClick(truth, need, oracleOrder(truth, need, results));
        expect(best).toBeGreaterThanOrEqual(expectedClick(truth, need, results) - 1e-12);
        expect(best).toBeGreaterThanOrEqual(expectedClick(truth, need, results.toReversed()) - 1e-12);
      }),
    );
  });
});

describe('the expected click', () => {
  it('is the cascade’s chance of a click, as the shoppers draw it', () => {
    const truth = teaShopper({ loyalty: 0.7, priceSensitivity: 0.5, likesOrganic: true });
    const shown = [B1, C1, A1, B2];
    const random = seededRandom(7);
    const draws = 40_000;
    let clicks = 0;
    for (let i = 0; i < draws; i++) if (chooseClick(random, truth, need, shown) !== null) clicks++;
    // Four standard errors of the drawn share.
    expect(Math.abs(clicks / draws - expectedClick(truth, need, shown))).toBeLessThan(0.01);
  });
});

describe('the shopper oracle', () => {
  it('puts a due staple typed as its category first, without being told the search is for it', () => {
    // B2 is a staple bought 10 days ago every 7: due. The query is the category, as for an ordinary need.
    // Among ten categories a shopper buys from, an ordinary need or an idle search is rarely in this one.
    const truth = teaShopper({
      categories: ['tea', 'coffee', 'milk', 'bread', 'eggs', 'rice', 'pasta', 'fish', 'juice', 'beer'],
      staples: [{ sku: 'b2', intervalDays: 7, lastBoughtAt: NOW.getTime() - 10 * DAY_MS }],
    });
    expect(shopperOracle(context(truth), [A1, B1, B2])[0]).toBe(B2);
    // The same search for an ordinary need ranks the same: the oracle reads the query, not the need.
    expect(skus(shopperOracle(context(truth, { need: { kind: 'staple', product: B2 } }), [A1, B1, B2]))).toEqual(
      skus(shopperOracle(context(truth), [A1, B1, B2])),
    );
  });

  it('ranks by the favourite when no staple is due, as the full oracle does for an ordinary need', () => {
    const truth = teaShopper({ staples: [{ sku: 'b2', intervalDays: 28, lastBoughtAt: NOW.getTime() - DAY_MS }] });
    expect(skus(shopperOracle(context(truth), [B1, C1, A1]))).toEqual(skus(fullOracle(context(truth), [B1, C1, A1])));
  });
});

describe('the informed oracle', () => {
  it('ranks by the brand the events point to, not by the hidden favourite', () => {
    // The truth says Acorn; the shopper passed over Acorn and clicked Birch: the observer, and so the oracle, say Birch.
    const truth = teaShopper();
    const ideal = idealObserver(catalog, truth);
    ideal.searched(need, [A1, B1, C1], 2);
    expect(informedOracle(context(truth, { ideal }), [A1, C1, B1])[0]).toBe(B1);
  });

  it('puts a product ordered before first once a staple could be due again, and not the day after', () => {
    const truth = teaShopper();
    const due = informedOracle(context(truth, { history: [order(6, [C1])] }), [A1, B1, C1]);
    expect(due[0]).toBe(C1);
    const tooSoon = informedOracle(context(truth, { history: [order(1, [C1])] }), [A1, B1, C1]);
    expect(tooSoon[0]).not.toBe(C1);
  });

  it('never puts first a product ordered before that the shopper’s habits rule out', () => {
    const truth = teaShopper({ strictTags: ['vegan'] });
    expect(informedOracle(context(truth, { history: [order(6, [A1])] }), [A1, B1])[0]).toBe(B1);
  });

  it('without the parameters, reads only the posterior and the orders: not the shopper’s taste for organic', () => {
    // Nothing seen yet: every brand alike. The informed oracle knows the shopper likes organic; without it, the engine's order stays.
    const truth = teaShopper({ likesOrganic: true });
    expect(informedOracle(context(truth), [A1, B1, C1])[0]).toBe(C1);
    expect(skus(posteriorOnlyOracle(context(truth), [A1, B1, C1]))).toEqual(['a1', 'b1', 'c1']);
  });
});
