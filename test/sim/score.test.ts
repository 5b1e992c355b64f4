import { describe, expect, it } from 'vitest';
import type { ClientEvent, ProductRef } from '../../functions/events/schema.ts';
import { mean, meanUplift, orderCountTopBrands, score, type BrandRecord, type SearchRecord } from './score.ts';

// The scorer's reference predictor: the order-count oracle reads only the events sent, never the truth.

const at = '2026-11-20T12:00:00.000Z';
let id = 0;
const envelope = () => ({
  event_id: `00000000-0000-4000-8000-${String(++id).padStart(12, '0')}`,
  session_id: 's-1',
  occurred_at: at,
  sent_at: at,
});
const product = (brand: string | undefined, category: string): ProductRef => ({
  sku: `${brand ?? 'none'}-${category}`,
  name: `${brand ?? 'Plain'} ${category}`,
  category,
  ...(brand ? { brand } : {}),
  price: 1,
});

const click = (brand: string | undefined, category: string): ClientEvent => ({
  ...envelope(),
  type: 'search_result_clicked',
  data: { search_id: 'q', query: category, product: product(brand, category), position: 1 },
});
const cartAdd = (brand: string | undefined, category: string, quantity = 1): ClientEvent => ({
  ...envelope(),
  type: 'cart_item_added',
  data: { product: product(brand, category), quantity, cart_value: 1 },
});
const order = (...lines: [brand: string | undefined, category: string, quantity: number][]): ClientEvent => ({
  ...envelope(),
  type: 'order_completed',
  data: { order_id: `o-${id}`, total: 1, items: lines.map(([brand, category, quantity]) => ({ ...product(brand, category), quantity })) },
});
const search = (category: string): ClientEvent => ({
  ...envelope(),
  type: 'search_performed',
  data: { search_id: 'q', query: category, results_count: 1, results: [{ sku: `Oatly-${category}`, position: 1 }], personalized: false },
});

describe('the order-count oracle', () => {
  it('takes the brand with the most units ordered per category, however much else was clicked or added', () => {
    const events = [
      click('Alpro', 'plant milk'),
      click('Alpro', 'plant milk'),
      click('Alpro', 'plant milk'),
      cartAdd('Alpro', 'plant milk'),
      cartAdd('Alpro', 'plant milk'),
      order(['Oatly', 'plant milk', 2], ['Alpro', 'plant milk', 1], ['Hovis', 'bread', 1]),
      click('Warburtons', 'bread'),
    ];
    expect(Object.fromEntries(orderCountTopBrands(events))).toEqual({ 'plant milk': 'Oatly', bread: 'Hovis' });
  });

  it('breaks a tie in orders by cart adds, then clicks, then the name; a category with only clicks or adds still has a brand', () => {
    const events = [
      order(['Oatly', 'plant milk', 1], ['Hovis', 'bread', 1], ['Lurpak', 'butter', 1]),
      order(['Alpro', 'plant milk', 1], ['Warburtons', 'bread', 1], ['Anchor', 'butter', 1]),
      cartAdd('Alpro', 'plant milk'),
      click('Oatly', 'plant milk'),
      click('Oatly', 'plant milk'),
      click('Warburtons', 'bread'),
      click('Heinz', 'beans'),
      cartAdd('Branston', 'beans'),
    ];
    expect(Object.fromEntries(orderCountTopBrands(events))).toEqual({
      'plant milk': 'Alpro',
      bread: 'Warburtons',
      butter: 'Anchor',
      beans: 'Branston',
    });
  });

  it('ignores searches and unbranded products, and has nothing to say without events', () => {
    expect(orderCountTopBrands([])).toEqual(new Map());
    expect(orderCountTopBrands([search('eggs'), click(undefined, 'eggs'), order([undefined, 'eggs', 3])])).toEqual(new Map());
    expect(Object.fromEntries(orderCountTopBrands([order([undefined, 'eggs', 3], ['Happy', 'eggs', 1])]))).toEqual({ eggs: 'Happy' });
  });

  it('is scored, with the ideal observer, over the same pairs and days as the loop, a missing prediction counting as a miss', () => {
    const brands: BrandRecord[] = [
      { day: 0, predicted: 'A', oracle: 'A', ideal: 'A', favourite: 'A', evidence: 1 },
      { day: 0, predicted: 'B', oracle: 'A', ideal: 'B', favourite: 'A', evidence: 1 },
      { day: 1, predicted: 'A', oracle: null, ideal: 'A', favourite: 'A', evidence: 3 },
      { day: 1, predicted: 'C', oracle: 'D', ideal: null, favourite: 'D', evidence: 3 },
      { day: 1, predicted: 'C', oracle: 'D', ideal: 'D', favourite: null, evidence: 3 },
    ];
    const s = score(['2026-11-19', '2026-11-20'], [], [], brands);
    expect(
      s.days.map((d) => [
        d.brand.numerator,
        d.brandOracle.numerator,
        d.brandIdeal.numerator,
        d.brand.denominator,
        d.brandOracle.denominator,
        d.brandIdeal.denominator,
      ]),
    ).toEqual([
      [1, 2, 1, 2, 2, 2],
      [1, 1, 1, 2, 2, 2],
    ]);
    expect(s.overall.brand.numerator).toBe(2);
    expect(s.overall.brandOracle.numerator).toBe(3);
    expect(s.overall.brandOracle.denominator).toBe(4);
    expect(s.overall.brandIdeal.numerator).toBe(2);
    expect(s.overall.brandIdeal.denominator).toBe(4);
  });

  it('breaks brand accuracy down by the evidence the loop held, from the day after the first week', () => {
    const at = (day: number, evidence: number, right: boolean): BrandRecord => ({
      day,
      predicted: right ? 'A' : 'B',
      oracle: 'A',
      ideal: 'A',
      favourite: 'A',
      evidence,
    });
    // Day 7 is the first scored after a week of eight days; day 6's records stay out.
    const brands = [at(6, 1, true), at(7, 1, false), at(7, 2, true), at(8, 4, true), at(8, 5, true), at(9, 12, false), at(9, 0, true)];
    const dates = Array.from({ length: 10 }, (_, d) => `2026-11-${String(10 + d)}`);
    const byBucket = score(dates, [], [], brands).afterFirstWeek.brandByEvidence.map((b) => [
      b.bucket,
      b.brand.numerator,
      b.brand.denominator,
      b.brandOracle.numerator,
    ]);
    expect(byBucket).toEqual([
      ['1–2', 1, 2, 2],
      ['3–5', 2, 2, 2],
      ['6–9', 0, 0, 0],
      ['≥ 10', 0, 1, 1],
    ]);
  });
});

describe('the mean reciprocal rank', () => {
  it('averages 1 / the position clicked per arm, a search without a click counting 0, with a normal interval', () => {
    const searches: SearchRecord[] = [
      { day: 0, arm: 'control', clicked: 1 },
      { day: 0, arm: 'control', clicked: 4 },
      { day: 0, arm: 'control', clicked: null },
      { day: 0, arm: 'personalized', clicked: 1 },
      { day: 0, arm: 'personalized', clicked: 2 },
      { day: 0, arm: 'none', clicked: 1 },
    ];
    const { mrr, mrrUplift, ctr } = score(['2026-11-19'], searches, [], []).overall;
    // Control: (1 + 1/4 + 0) / 3 = 5/12, s = √(((7/12)² + (1/6)² + (5/12)²) / 2) = √0.27083 ≈ 0.52042, se = s / √3 ≈ 0.30046.
    expect(mrr.control).toMatchObject({ total: 1.25, n: 3 });
    expect(mrr.control.value).toBeCloseTo(5 / 12, 12);
    expect(mrr.control.se).toBeCloseTo(0.30046, 5);
    expect(mrr.control.low).toBeCloseTo(5 / 12 - 1.96 * 0.30046, 4);
    // Personalized: (1 + 1/2) / 2 = 3/4, se = 0.35355 / √2 = 0.25.
    expect(mrr.personalized.value).toBe(0.75);
    expect(mrr.personalized.se).toBeCloseTo(0.25, 12);
    // Both arms have CTR 2/3 and 2/2 — MRR also sees that control's second click was at position 4.
    expect(ctr.control.value).toBeCloseTo(2 / 3, 12);
    // Uplift 0.75 / (5/12) − 1 = 0.8; log-ratio se = √((0.25 / 0.75)² + (0.30046 / (5/12))²) = √(0.11111 + 0.52) ≈ 0.79443.
    expect(mrrUplift.value).toBeCloseTo(0.8, 12);
    expect(mrrUplift.low).toBeCloseTo(1.8 * Math.exp(-1.96 * 0.79443) - 1, 3);
    expect(mrrUplift.high).toBeCloseTo(1.8 * Math.exp(1.96 * 0.79443) - 1, 3);
  });

  it('averages, per arm, the positions at which searches showed what was then bought; a search without any adds none', () => {
    const searches: SearchRecord[] = [
      { day: 0, arm: 'control', clicked: 3, bought: [3, 7] },
      { day: 0, arm: 'control', clicked: null, bought: [] },
      { day: 0, arm: 'control', clicked: 1 },
      { day: 0, arm: 'personalized', clicked: 1, bought: [1] },
      { day: 0, arm: 'personalized', clicked: 2, bought: [2] },
    ];
    const { boughtPosition } = score(['2026-11-19'], searches, [], []).overall;
    expect(boughtPosition.control).toMatchObject({ total: 10, n: 2, value: 5 });
    expect(boughtPosition.personalized).toMatchObject({ total: 3, n: 2, value: 1.5 });
    // s = √((0.5² + 0.5²) / 1) ≈ 0.7071, se = s / √2 = 0.5.
    expect(boughtPosition.personalized.se).toBeCloseTo(0.5, 12);
  });

  it('splits the personalized searches of a weights trial by its arm, each against the whole control arm', () => {
    const trial = (arm: string) => ({ version: 'fit-20261120', arm });
    const searches: SearchRecord[] = [
      { day: 0, arm: 'control', clicked: 1 },
      { day: 0, arm: 'control', clicked: null },
      { day: 0, arm: 'personalized', clicked: 1, weights: trial('current') },
      { day: 0, arm: 'personalized', clicked: null, weights: trial('current') },
      { day: 0, arm: 'personalized', clicked: 1, weights: trial('challenger') },
      { day: 0, arm: 'personalized', clicked: 2, weights: trial('challenger') },
      // Before the trial: in the personalized arm's figures, in neither of the trial's.
      { day: 0, arm: 'personalized', clicked: 1 },
    ];
    const { weightsTrial, ctr } = score(['2026-11-20'], searches, [], []).overall;
    expect(ctr.personalized).toMatchObject({ numerator: 4, denominator: 5 });
    expect(weightsTrial?.versions).toEqual(['fit-20261120']);
    const [current, challenger] = weightsTrial?.arms ?? [];
    expect(current).toMatchObject({ arm: 'current', ctr: { numerator: 1, denominator: 2 } });
    expect(current?.uplift.value).toBeCloseTo(0, 12);
    // CTR 1 against control's 1/2; MRR (1 + 1/2) / 2 = 0.75 against 0.5.
    expect(challenger).toMatchObject({ arm: 'challenger', ctr: { numerator: 2, denominator: 2 } });
    expect(challenger?.uplift.value).toBeCloseTo(1, 12);
    expect(challenger?.mrrUplift.value).toBeCloseTo(0.5, 12);
    // Without a trial there is nothing to split.
    expect(score(['2026-11-20'], searches.slice(0, 2), [], []).overall.weightsTrial).toBeNull();
  });

  it('has no value without searches, no interval for one, and no uplift over a control of 0', () => {
    expect(mean([])).toEqual({ total: 0, n: 0, value: null, se: null, low: null, high: null });
    expect(mean([0.5])).toEqual({ total: 0.5, n: 1, value: 0.5, se: null, low: null, high: null });
    expect(meanUplift(mean([1, 0.5]), mean([0, 0]))).toEqual({ value: null, low: null, high: null });
    expect(meanUplift(mean([1]), mean([0.5]))).toEqual({ value: 1, low: null, high: null });
  });
});
