import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { affinityStrength, strengthAt } from '../../functions/learn/affinity-strength.ts';
import { learningStatus } from '../../functions/learn/learning-status.ts';
import { signalValues } from '../../functions/search/signals.ts';
import { affinity, DAY_MS, learned, NOW, results, shopper } from '../search/shoppers.ts';

describe('affinity strength', () => {
  it('reads one click (0.3) as 0.29, one order (0.9) as 0.72 and three orders as 0.99', () => {
    expect(affinityStrength(0.3)).toBeCloseTo(0.291, 3);
    expect(affinityStrength(0.9)).toBeCloseTo(0.716, 3);
    expect(affinityStrength(2.7)).toBeCloseTo(0.991, 3);
  });

  it('lies in [−1, 1], keeps the sign of the affinity and grows with it', () => {
    const value = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(Math.abs(affinityStrength(a))).toBeLessThanOrEqual(1);
        expect(Math.sign(affinityStrength(a))).toBe(Math.sign(a));
        if (a < b) expect(affinityStrength(a)).toBeLessThanOrEqual(affinityStrength(b));
      }),
    );
  });

  it('decays a stored weight to now first: one half-life after the epoch a weight counts half', () => {
    const epoch = new Date(NOW.getTime() - 14 * DAY_MS);
    expect(strengthAt(0.9, NOW, epoch, 14)).toBeCloseTo(Math.tanh(0.45), 12);
  });

  it('is what both the search and the learning status read from a brand affinity', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 20, noNaN: true }), fc.double({ min: 0, max: 90, noNaN: true }), (weight, days) => {
        const document = learned({ brands: { Oatly: affinity(weight) } });
        const now = new Date(NOW.getTime() + days * DAY_MS);
        const [ranked] = signalValues(shopper({ learned: document }), results(1, { a: { brand: 'Oatly' } }), { now });
        const status = learningStatus(
          'shopper-1',
          { learned: document, patterns: null, privacy: { learn_preferences: true, learn_brands: true } },
          now,
        );
        const shown = status.top_brands[0]?.strength ?? 0;
        expect(ranked?.brand).toBe(strengthAt(weight, now, new Date(document.epoch), document.half_life_days));
        expect(shown).toBeCloseTo(ranked?.brand ?? NaN, 3);
      }),
    );
  });
});
