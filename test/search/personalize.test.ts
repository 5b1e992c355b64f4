import { describe, expect, it } from 'vitest';
import { DEFAULT_RANKING_WEIGHTS } from '../../functions/kernel/signal-weights.ts';
import { personalize, prior, type Explanation } from '../../functions/search/personalize.ts';
import type { PersonalizationFlags, ShopperPreferences } from '../../functions/search/ports.ts';
import { SIGNALS, type SearchResult } from '../../functions/search/signals.ts';
import {
  affinity,
  daysBefore,
  learned,
  minutesBefore,
  NOW,
  patterns,
  priceSensitivity,
  regularItem,
  results,
  shopper,
  skus,
  weeklyRhythm,
} from './shoppers.ts';

// The worked examples below are computed with these weights, named here so the arithmetic in each test
// stays readable; the defaults are checked on their own at the end.
const WORKED = {
  product: 0.3,
  brand: 0.2,
  category: 0.1,
  reorder_due: 0.4,
  recent: 0.15,
  dietary: 0.2,
  price: 0.1,
  promotion: 0.05,
  explicit: 1,
};
const ranked = (list: readonly SearchResult[], prefs: ShopperPreferences | null, strength?: number) =>
  personalize(list, prefs, { now: NOW, weights: WORKED, ...(strength === undefined ? {} : { strength }) });
const explanationOf = (explanations: readonly Explanation[], sku: string) => {
  const found = explanations.find((e) => e.sku === sku);
  if (!found) throw new Error(`no explanation for ${sku}`);
  return found;
};

// Priors of a, b, c, d: 1, 1/2, 1/3, 1/4. At default strength 1 an item moves past a neighbour when its
// gain exceeds the difference of their priors: d passes c with more than 1/12 ≈ 0.083, b with more than 0.25.
describe('personalize: the engine order is kept', () => {
  const list = results(5, { c: { brand: 'Oatly', category: 'dairy' } });
  const strong = shopper({ learned: learned({ products: { e: affinity(5) }, brands: { Oatly: affinity(5) } }) });

  it('without preferences', () => {
    const { results: out, explanations, applied, signalsRead } = ranked(list, null);
    expect(skus(out)).toBe('abcde');
    expect(applied).toBe(false);
    expect(signalsRead).toBe(false);
    expect(explanations.map((e) => [e.original_position, e.position])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
  });

  it('with a document in which nothing has been learned', () => {
    expect(skus(ranked(list, shopper({ learned: learned(), patterns: patterns() })).results)).toBe('abcde');
  });

  it('when the shopper switched learn_preferences off', () => {
    const off = { ...strong, privacy: { ...strong.privacy, learn_preferences: false } };
    const { results: out, applied } = ranked(list, off);
    expect(skus(out)).toBe('abcde');
    expect(applied).toBe(false);
  });

  it('at strength 0, however strong the preferences', () => {
    // c: 1/3 + 0.2 × tanh(5) passes b; e: 1/5 + 0.3 × tanh(5) ≈ 0.49997 stops just short of b's 1/2.
    expect(skus(ranked(list, strong).results)).toBe('acbed');
    const { results: out, explanations, applied, signalsRead } = ranked(list, strong, 0);
    expect(skus(out)).toBe('abcde');
    expect(applied).toBe(false);
    expect(signalsRead).toBe(false);
    expect(explanations.every((e) => SIGNALS.every((s) => e.contributions[s] === 0 && e.values[s] === 0))).toBe(true);
  });

  it('when no result is one the preferences speak of', () => {
    const { results: out, applied } = ranked(results(3), shopper({ learned: learned({ brands: { Alpro: affinity(2) } }) }));
    expect(skus(out)).toBe('abc');
    expect(applied).toBe(false);
  });

  it('for an empty result list', () => {
    expect(ranked([], strong)).toEqual({ results: [], explanations: [], applied: false, signalsRead: true });
  });
});

describe('personalize: each signal moves results as documented', () => {
  it('product: a product affinity of 0.9 adds 0.3 × tanh(0.9) ≈ 0.215, lifting c (1/3) past b (1/2)', () => {
    const { results: out, explanations } = ranked(results(3), shopper({ learned: learned({ products: { c: affinity(0.9) } }) }));
    expect(skus(out)).toBe('acb');
    const c = explanationOf(explanations, 'c');
    expect(c.contributions.product).toBeCloseTo(0.3 * Math.tanh(0.9), 12);
    expect(c.contributions.product).toBeCloseTo(0.21489, 5);
    expect(c.score).toBeCloseTo(1 / 3 + 0.21489, 5);
    expect(c).toMatchObject({ original_position: 3, position: 2 });
    // The value before the weight, as the search event logs it for fitting the weights.
    expect(c.values.product).toBeCloseTo(Math.tanh(0.9), 12);
  });

  it('product: a regular item of the batch patterns counts its confidence when real-time learning knows less', () => {
    const { results: out, explanations } = ranked(
      results(3),
      shopper({ patterns: patterns({ regular_items: [regularItem('c', { confidence: 0.8 })] }) }),
    );
    expect(skus(out)).toBe('acb');
    expect(explanationOf(explanations, 'c').contributions.product).toBeCloseTo(0.3 * 0.8, 12);
  });

  it('product: a negative real-time affinity (cart removals) wins over a regular purchase and pushes down', () => {
    const prefs = shopper({
      learned: learned({ products: { a: affinity(-0.35) } }),
      patterns: patterns({ regular_items: [regularItem('a', { confidence: 0.9 })] }),
    });
    const a = explanationOf(ranked(results(3), prefs).explanations, 'a');
    expect(a.contributions.product).toBeCloseTo(0.3 * Math.tanh(-0.35), 12);
    expect(a.contributions.product).toBeLessThan(0);
  });

  it('brand: a brand affinity of 0.9 adds 0.2 × tanh(0.9) ≈ 0.143, lifting d (1/4) past c (1/3)', () => {
    const list = results(4, { d: { brand: 'Oatly' } });
    const { results: out, explanations } = ranked(list, shopper({ learned: learned({ brands: { Oatly: affinity(0.9) } }) }));
    expect(skus(out)).toBe('abdc');
    expect(explanationOf(explanations, 'd').contributions.brand).toBeCloseTo(0.2 * Math.tanh(0.9), 12);
  });

  it('brand: the batch patterns give the brand its share of the shopper’s brand scores', () => {
    const list = results(4, { d: { brand: 'Oatly' } });
    const prefs = shopper({
      patterns: patterns({ brands: [{ name: 'Oatly', score: 2.7, share: 0.6, purchases: 3, cart_adds: 0, clicks: 0 }] }),
    });
    const { results: out, explanations } = ranked(list, prefs);
    expect(skus(out)).toBe('abdc');
    expect(explanationOf(explanations, 'd').contributions.brand).toBeCloseTo(0.12, 12);
  });

  it('category: a category affinity of 3 adds 0.1 × tanh(3) ≈ 0.0995, lifting d past c but not past b', () => {
    const list = results(4, { d: { category: 'bakery' } });
    const { results: out, explanations } = ranked(list, shopper({ learned: learned({ categories: { bakery: affinity(3) } }) }));
    expect(skus(out)).toBe('abdc');
    expect(explanationOf(explanations, 'd').contributions.category).toBeCloseTo(0.1 * Math.tanh(3), 12);
  });

  it('reorder_due: a product due by its real-time rhythm adds 0.4, lifting d (1/4) past b (1/2)', () => {
    // Bought every 7 days, due from 90% of that: 6.3 days after the last order.
    const due = ranked(results(4), shopper({ learned: learned({ reorder: { d: weeklyRhythm(6.5) } }) }));
    expect(skus(due.results)).toBe('adbc');
    expect(explanationOf(due.explanations, 'd').contributions.reorder_due).toBe(0.4);
    const notYet = ranked(results(4), shopper({ learned: learned({ reorder: { d: weeklyRhythm(6) } }) }));
    expect(skus(notYet.results)).toBe('abcd');
  });

  it('reorder_due: a regular item of the patterns is due once 0.9 of its interval has passed since its last purchase (no model fitted yet)', () => {
    const prefs = (lastDaysAgo: number) =>
      shopper({
        patterns: patterns({
          regular_items: [regularItem('d', { avg_interval_days: 7, last_purchased_at: daysBefore(lastDaysAgo), confidence: 0 })],
        }),
      });
    expect(explanationOf(ranked(results(4), prefs(7)).explanations, 'd').contributions.reorder_due).toBe(0.4);
    expect(explanationOf(ranked(results(4), prefs(3)).explanations, 'd').contributions.reorder_due).toBe(0);
  });

  it('recent: brand and category touched within the hour add 0.15, each half of it', () => {
    const list = results(4, { d: { brand: 'Oatly', category: 'dairy' } });
    const both = ranked(
      list,
      shopper({ learned: learned({ recent: { brands: { Oatly: minutesBefore(10) }, categories: { dairy: minutesBefore(10) } } }) }),
    );
    expect(skus(both.results)).toBe('abdc');
    expect(explanationOf(both.explanations, 'd').contributions.recent).toBeCloseTo(0.15, 12);
    // Half of it (0.075) is less than the 1/12 between c and d.
    const category = ranked(list, shopper({ learned: learned({ recent: { brands: {}, categories: { dairy: minutesBefore(10) } } }) }));
    expect(skus(category.results)).toBe('abcd');
    expect(explanationOf(category.explanations, 'd').contributions.recent).toBeCloseTo(0.075, 12);
    const stale = ranked(
      list,
      shopper({ learned: learned({ recent: { brands: { Oatly: minutesBefore(61) }, categories: { dairy: minutesBefore(61) } } }) }),
    );
    expect(explanationOf(stale.explanations, 'd').contributions.recent).toBe(0);
  });

  it('dietary: a tag the shopper buys with confidence 0.8 adds 0.2 × 0.8 = 0.16 to the items carrying it', () => {
    const list = results(4, { c: { dietary_tags: ['organic'] }, d: { dietary_tags: ['vegan', 'organic'] } });
    const prefs = shopper({
      patterns: patterns({ dietary: [{ tag: 'vegan', share: 0.9, confidence: 0.8, tagged_lines: 18, lines: 20 }] }),
    });
    const { results: out, explanations } = ranked(list, prefs);
    expect(skus(out)).toBe('abdc');
    expect(explanationOf(explanations, 'd').contributions.dietary).toBeCloseTo(0.16, 12);
    expect(explanationOf(explanations, 'c').contributions.dietary).toBe(0);
  });

  it('price: a budget shopper (position 0.1) gets cheap items lifted and dear ones pushed down, by 0.1 × (1 − 2 |item − shopper|)', () => {
    // Milk at 2, 2, 4 and 1: positions in the category 1/3, 1/3, 1 and 0.
    const list = results(4, {
      a: { category: 'milk', price: 2 },
      b: { category: 'milk', price: 2 },
      c: { category: 'milk', price: 4 },
      d: { category: 'milk', price: 1 },
    });
    const { results: out, explanations } = ranked(
      list,
      shopper({ patterns: patterns({ price: priceSensitivity({ position: 0.1, class: 'budget' }) }) }),
    );
    expect(skus(out)).toBe('abdc');
    expect(explanationOf(explanations, 'a').contributions.price).toBeCloseTo(0.1 * (1 - 2 * (1 / 3 - 0.1)), 12);
    expect(explanationOf(explanations, 'c').contributions.price).toBeCloseTo(-0.08, 12);
    expect(explanationOf(explanations, 'd').contributions.price).toBeCloseTo(0.08, 12);
  });

  it('price: the shopper’s position in the item’s category, and the catalogue’s price position, come first', () => {
    const list = results(2, { a: { category: 'milk', price_position: 0.9 }, b: { category: 'wine', price_position: 0.9 } });
    const prefs = shopper({
      patterns: patterns({
        price: priceSensitivity({
          position: 0.1,
          categories: [{ category: 'milk', lines: 5, units: 10, position: 0.9, index: 1.3, promo_share: 0 }],
        }),
      }),
    });
    const { explanations } = ranked(list, prefs);
    expect(explanationOf(explanations, 'a').contributions.price).toBeCloseTo(0.1, 12);
    expect(explanationOf(explanations, 'b').contributions.price).toBeCloseTo(0.1 * (1 - 2 * 0.8), 12);
  });

  it('price: says nothing of an item whose price cannot be placed (no category peer with another price)', () => {
    const list = results(2, { a: { category: 'milk', price: 2 }, b: { category: 'wine', price: 9 } });
    const { explanations, applied } = ranked(list, shopper({ patterns: patterns({ price: priceSensitivity({ position: 0 }) }) }));
    expect(applied).toBe(false);
    expect(explanations.map((e) => e.contributions.price)).toEqual([0, 0]);
  });

  it('promotion: a shopper who buys 90% on promotion gets promoted items 0.05 × 0.9 = 0.045 higher', () => {
    // g (1/7) passes f (1/6, 0.024 above) but not e (1/5, 0.057 above).
    const list = results(8, { g: { promotion: 'MILK10' } });
    const { results: out, explanations } = ranked(list, shopper({ patterns: patterns({ price: priceSensitivity({ promo_share: 0.9 }) }) }));
    expect(skus(out)).toBe('abcdegfh');
    expect(explanationOf(explanations, 'g').contributions.promotion).toBeCloseTo(0.045, 12);
  });

  it('explicit: a liked product goes to the top, a disliked brand below every unpersonalized result', () => {
    const list = results(4, { a: { brand: 'Acme' } });
    const like = ranked(list, shopper({ learned: learned({ explicit: { 'product:d': { action: 'like', at: NOW.toISOString() } } }) }));
    expect(skus(like.results)).toBe('dabc');
    expect(explanationOf(like.explanations, 'd').contributions.explicit).toBe(1);
    const dislike = ranked(
      list,
      shopper({ learned: learned({ explicit: { 'brand:Acme': { action: 'dislike', at: NOW.toISOString() } } }) }),
    );
    expect(skus(dislike.results)).toBe('bcda');
    expect(explanationOf(dislike.explanations, 'a').score).toBe(0);
    const reset = ranked(list, shopper({ learned: learned({ explicit: { 'brand:Acme': { action: 'reset', at: NOW.toISOString() } } }) }));
    expect(skus(reset.results)).toBe('abcd');
  });

  it('explicit: a dislike outweighs a like on the same item', () => {
    const list = results(2, { b: { brand: 'Acme', category: 'dairy' } });
    const prefs = shopper({
      learned: learned({
        explicit: {
          'brand:Acme': { action: 'like', at: NOW.toISOString() },
          'category:dairy': { action: 'dislike', at: NOW.toISOString() },
        },
      }),
    });
    expect(explanationOf(ranked(list, prefs).explanations, 'b').contributions.explicit).toBe(-1);
  });
});

describe('personalize: the engine order’s weight', () => {
  // d alone has a signal, a product affinity: 0.3 × tanh(0.3) ≈ 0.087 at the worked weights.
  const likesD = shopper({ learned: learned({ products: { d: affinity(0.3) } }) });
  const order = (priorWeight?: number) =>
    skus(personalize(results(4), likesD, { now: NOW, weights: WORKED, ...(priorWeight === undefined ? {} : { priorWeight }) }).results);

  it('weighs the engine’s order at 1 unless told: d passes c (1/12 apart) but not b', () => {
    expect(order()).toBe('abdc');
    expect(order(1)).toBe('abdc');
  });

  it('at 0 lets the engine’s order only break ties: any signal goes first', () => {
    expect(order(0)).toBe('dabc');
  });

  it('refuses a weight below 0 or not finite', () => {
    for (const bad of [-0.1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => personalize(results(2), likesD, { now: NOW, priorWeight: bad })).toThrow(RangeError);
  });
});

describe('personalize: privacy flags switch signals off', () => {
  // d carries every kind of evidence, so each flag's signals are seen to go.
  const list = results(4, {
    c: { category: 'milk', price: 3 },
    d: { brand: 'Oatly', category: 'milk', price: 1, dietary_tags: ['vegan'], promotion: 'OAT10' },
  });
  const everything = (privacy: Partial<PersonalizationFlags>) =>
    shopper({
      privacy,
      learned: learned({
        products: { d: affinity(0.5) },
        brands: { Oatly: affinity(0.9) },
        categories: { milk: affinity(0.9) },
        dietary: { vegan: affinity(0.9) },
        recent: { brands: { Oatly: minutesBefore(5) }, categories: { milk: minutesBefore(5) } },
        reorder: {
          d: {
            orders: 2,
            quantity: 2,
            first_at: daysBefore(14),
            last_at: daysBefore(7),
            mean_interval_days: 7,
            next_due_at: NOW.toISOString(),
          },
        },
        explicit: {
          'brand:Oatly': { action: 'like', at: NOW.toISOString() },
          'dietary_tag:vegan': { action: 'like', at: NOW.toISOString() },
        },
      }),
      patterns: patterns({ price: priceSensitivity({ position: 0, promo_share: 0.5 }) }),
    });
  const contributionsOfD = (privacy: Partial<PersonalizationFlags>) =>
    explanationOf(ranked(list, everything(privacy)).explanations, 'd').contributions;

  it('with every flag on, every signal speaks for d', () => {
    const all = contributionsOfD({});
    for (const signal of SIGNALS) expect(all[signal], signal).toBeGreaterThan(0);
  });

  it.each([
    ['learn_brands', ['brand'], { recent: 0.075, explicit: 1 }],
    ['learn_dietary', ['dietary'], { explicit: 1 }],
    ['learn_price', ['price', 'promotion'], {}],
    ['learn_schedule', ['reorder_due'], {}],
  ] as const)('%s off: no %j signal, and only what remains of the others', (flag, gone, left) => {
    const on = contributionsOfD({});
    const off = contributionsOfD({ [flag]: false });
    for (const signal of SIGNALS) {
      if ((gone as readonly string[]).includes(signal)) expect(off[signal], signal).toBe(0);
      else if (signal in left) expect(off[signal], signal).toBeCloseTo(left[signal as keyof typeof left] ?? Number.NaN, 12);
      else expect(off[signal], signal).toBe(on[signal]);
    }
  });

  it('learn_brands off also silences a liked brand, and learn_dietary off a liked tag: the explicit signal goes once both are off', () => {
    expect(contributionsOfD({ learn_brands: false, learn_dietary: false }).explicit).toBe(0);
  });

  it('learn_preferences off: nothing at all', () => {
    const { results: out, explanations, applied } = ranked(list, everything({ learn_preferences: false }));
    expect(skus(out)).toBe('abcd');
    expect(applied).toBe(false);
    expect(explanations.every((e) => SIGNALS.every((s) => e.contributions[s] === 0))).toBe(true);
  });
});

describe('personalize: determinism, strength and explanations', () => {
  const list = Array.from({ length: 30 }, (_, i): SearchResult => ({
    sku: `sku-${i}`,
    brand: ['Oatly', 'Alpro', 'Acme'][i % 3] ?? null,
    category: ['milk', 'bakery'][i % 2] ?? null,
    price: 1 + ((i * 7) % 10),
    dietary_tags: i % 4 === 0 ? ['vegan'] : [],
    promotion: i % 5 === 0 ? 'PROMO' : null,
  }));
  const rich = shopper({
    learned: learned({
      products: { 'sku-20': affinity(1.2), 'sku-3': affinity(-0.4) },
      brands: { Alpro: affinity(0.6), Acme: affinity(-0.2) },
      categories: { bakery: affinity(0.3) },
      dietary: { vegan: affinity(0.5) },
      recent: { brands: { Oatly: minutesBefore(3) }, categories: {} },
      reorder: {
        'sku-27': {
          orders: 4,
          quantity: 4,
          first_at: daysBefore(30),
          last_at: daysBefore(10),
          mean_interval_days: 10,
          next_due_at: NOW.toISOString(),
        },
      },
      explicit: { 'product:sku-1': { action: 'dislike', at: NOW.toISOString() } },
    }),
    patterns: patterns({ price: priceSensitivity({ position: 0.2, promo_share: 0.4 }) }),
  });

  it('answers the same for the same input, every time', () => {
    expect(ranked(list, rich)).toEqual(ranked(list, rich));
    expect(ranked(list, rich)).toEqual(ranked(structuredClone(list), structuredClone(rich)));
  });

  it('breaks ties by the engine’s order', () => {
    // A liked b at explicit weight 0.5 scores 1/2 + 1/2 = 1, exactly a's prior: a stays first.
    const prefs = shopper({ learned: learned({ explicit: { 'product:b': { action: 'like', at: NOW.toISOString() } } }) });
    const tie = personalize(results(3), prefs, { now: NOW, weights: { ...WORKED, explicit: 0.5 } });
    expect(tie.explanations.map((e) => e.score)).toEqual([1, 1, 1 / 3]);
    expect(skus(tie.results)).toBe('abc');
  });

  it('scales every contribution with strength; a higher strength moves more', () => {
    const one = ranked(list, rich, 1).explanations;
    const two = ranked(list, rich, 2).explanations;
    for (const e of one) {
      const doubled = explanationOf(two, e.sku);
      for (const signal of SIGNALS) expect(doubled.contributions[signal]).toBeCloseTo(2 * e.contributions[signal], 12);
    }
    const moved = (explanations: readonly Explanation[]) =>
      explanations.reduce((sum, e) => sum + Math.abs(e.position - e.original_position), 0);
    expect(moved(two)).toBeGreaterThan(moved(one));
  });

  it('explains every result: score = prior + Σ contributions, positions are a permutation, scores fall', () => {
    const { results: out, explanations } = ranked(list, rich);
    expect(explanations.map((e) => e.sku)).toEqual(out.map((r) => r.sku));
    expect(explanations.map((e) => e.position)).toEqual(list.map((_, i) => i + 1));
    expect(explanations.map((e) => e.original_position).sort((x, y) => x - y)).toEqual(list.map((_, i) => i + 1));
    for (const e of explanations) {
      expect(list[e.original_position - 1]?.sku).toBe(e.sku);
      expect(e.prior).toBe(prior(e.original_position - 1));
      const sum = SIGNALS.reduce((total, s) => total + e.contributions[s], e.prior);
      expect(e.score).toBeCloseTo(sum, 12);
    }
    for (let i = 1; i < explanations.length; i += 1)
      expect(explanations[i - 1]?.score).toBeGreaterThanOrEqual(explanations[i]?.score ?? Number.NaN);
    expect(skus(out)).not.toBe(skus(list));
  });

  it('keeps the caller’s own fields on each result, and the same objects', () => {
    const own = [
      { sku: 'x', title: 'X' },
      { sku: 'y', title: 'Y' },
    ];
    const { results: out } = ranked(
      own,
      shopper({ learned: learned({ explicit: { 'product:y': { action: 'like', at: NOW.toISOString() } } }) }),
    );
    expect(out).toEqual([
      { sku: 'y', title: 'Y' },
      { sku: 'x', title: 'X' },
    ]);
    expect(out[0]).toBe(own[1]);
  });

  it('takes weights per signal; a weight of 0 silences its signal', () => {
    const prefs = shopper({ learned: learned({ products: { c: affinity(0.9) } }) });
    const silent = personalize(results(3), prefs, { now: NOW, weights: { product: 0 } });
    expect(skus(silent.results)).toBe('abc');
  });

  it('defaults to weights twice the worked ones, with brand at 1', () => {
    expect(DEFAULT_RANKING_WEIGHTS).toEqual({
      product: 0.6,
      brand: 1,
      category: 0.2,
      reorder_due: 0.8,
      recent: 0.3,
      dietary: 0.4,
      price: 0.2,
      promotion: 0.1,
      explicit: 2,
    });
  });

  it('at the defaults, a brand bought once (click, cart, order: 1.7) lifts its product from 8th to the top', () => {
    // 1/8 + 1 × tanh(1.7) ≈ 0.125 + 0.935 = 1.06 > a's prior 1; one click alone (tanh 0.3 ≈ 0.29)
    // reaches 0.125 + 0.29 ≈ 0.42, past c (1/3) and not past b (1/2).
    const list = results(8, { h: { brand: 'Oatly' } });
    const bought = personalize(list, shopper({ learned: learned({ brands: { Oatly: affinity(1.7) } }) }), { now: NOW });
    expect(skus(bought.results)).toBe('habcdefg');
    const clicked = personalize(list, shopper({ learned: learned({ brands: { Oatly: affinity(0.3) } }) }), { now: NOW });
    expect(skus(clicked.results)).toBe('abhcdefg');
  });

  it('refuses a negative or non-finite strength, or a non-finite weight', () => {
    expect(() => ranked(list, rich, -1)).toThrow(RangeError);
    expect(() => ranked(list, rich, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => personalize(list, rich, { now: NOW, weights: { brand: Number.NaN } })).toThrow(RangeError);
  });

  it('treats names like `constructor` as data: no signal from Object.prototype', () => {
    const list2 = results(2, { b: { brand: 'constructor', category: 'toString', dietary_tags: ['constructor'] } });
    const { applied } = ranked(list2, shopper({ learned: learned() }));
    expect(applied).toBe(false);
  });
});
