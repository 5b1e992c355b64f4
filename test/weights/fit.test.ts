import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RANKING_WEIGHTS, prior, RANKING_SIGNALS, type RankingSignal } from '../../functions/kernel/signal-weights.ts';
import { fitRankingWeights, solve, type ClickCount } from '../../functions/weights/fit.ts';

const none = (): Record<RankingSignal, number> => Object.fromEntries(RANKING_SIGNALS.map((s) => [s, 0])) as Record<RankingSignal, number>;
const HAND_SET = { weights: DEFAULT_RANKING_WEIGHTS, priorWeight: 1 };
const EXACT = { minSupport: 1, minSwapped: 1, ridge: 0, attentionRidge: 0, maxIterations: 50, tolerance: 1e-10 };
const SHOWN = 100_000;
const SWAPPED = 20_000;

/** Attention that falls by a third from one position to the next: 1, 0.67, 0.44, … in odds of a click on the same result. */
const ATTENTION = (position: number) => -0.4 * (position - 1);

type World = { a: number; relevance: number; beta: number; brandValue?: number; swaps?: boolean; shown?: number; swapped?: number };

/**
 * The control arm as the model says it clicks, over positions 1–10: each engine position shown in place (`SHOWN` results)
 * and, by a swap, one place up or down (`SWAPPED` each), with and without a brand value, clicked at
 * `logit = a + attention(shown) + relevance · prior(engine) + β · brand`, counted without noise so the fit must give
 * the model back.
 */
function controlClicks({
  a,
  relevance,
  beta,
  brandValue = 1,
  swaps = true,
  shown: inPlace = SHOWN,
  swapped = SWAPPED,
}: World): ClickCount[] {
  const cells: { position: number; originalPosition: number; shown: number }[] = [];
  for (let original = 1; original <= 10; original += 1) {
    cells.push({ position: original, originalPosition: original, shown: inPlace });
    if (!swaps) continue;
    if (original > 1) cells.push({ position: original - 1, originalPosition: original, shown: swapped });
    if (original < 10) cells.push({ position: original + 1, originalPosition: original, shown: swapped });
  }
  return cells.flatMap(({ position, originalPosition, shown }) =>
    [0, brandValue].map((brand) => {
      const p = 1 / (1 + Math.exp(-(a + ATTENTION(position) + relevance * prior(originalPosition - 1) + beta * brand)));
      return { position, originalPosition, values: { ...none(), brand }, shown, clicked: Math.round(shown * p) };
    }),
  );
}

describe('fitRankingWeights', () => {
  it('tells the engine’s relevance from the shoppers’ attention by the swapped results, and weighs the signal against relevance alone', () => {
    // Clicks fall with position mostly by attention; the engine's order is worth 0.5 log-odds per unit of prior, the brand 0.9.
    const fit = fitRankingWeights(controlClicks({ a: -2, relevance: 0.5, beta: 0.9 }), HAND_SET, EXACT);
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    expect(fit.priorCoefficient).toBeCloseTo(0.5, 2);
    expect(fit.signals.brand.coefficient).toBeCloseTo(0.9, 2);
    expect(fit.attention[1]).toBeCloseTo(Math.exp(ATTENTION(2)), 2);
    expect(fit.attention[9]).toBeCloseTo(Math.exp(ATTENTION(10)), 2);
    // The ranking's terms keep the fitted ratio: brand is worth 0.9 / 0.5 = 1.8 units of prior, not what the click curve says.
    expect(fit.weights.brand / fit.priorWeight).toBeCloseTo(1.8, 2);
    // So the engine's 10th result of the brand goes above its 1st without: 0.1 · 0.5 + 0.9 > 1 · 0.5 in log-odds. The
    // control's click curve, attention and all, prices the brand at 0.31 units of prior (the fit before the swaps), and
    // lifts it only to 3rd.
    const score = (rank: number, brand: number) => fit.priorWeight * prior(rank) + fit.weights.brand * brand;
    expect(score(9, 1)).toBeGreaterThan(score(0, 0));
    expect(fit.signals.brand.se).toBeGreaterThan(0);
    expect(fit.priorSe).toBeGreaterThan(0);
    expect(fit.swapped).toBe(18 * SWAPPED * 2);
  });

  it('leaves the click curve’s fall to attention unless the few swapped clicks say otherwise', () => {
    // A shop's month: 5,000 results in place per position, 300 swapped each way, the engine worth nothing of its own.
    const fit = fitRankingWeights(controlClicks({ a: -2, relevance: 0, beta: 0.9, shown: 5_000, swapped: 300 }), HAND_SET);
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    expect(Math.abs(fit.priorCoefficient)).toBeLessThan(0.2);
    expect(fit.attention[9]).toBeCloseTo(Math.exp(ATTENTION(10)), 1);
  });

  it('lets an engine order that earns no clicks of its own only break ties', () => {
    const fit = fitRankingWeights(controlClicks({ a: -2, relevance: 0, beta: 0.9 }), HAND_SET, EXACT);
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    expect(fit.priorCoefficient).toBeCloseTo(0, 2);
    expect(fit.priorWeight).toBeLessThan(0.01);
    expect(fit.weights.brand).toBeGreaterThan(0.5);
  });

  it('rescales to the current weights’ units, an unfitted signal keeping its standing', () => {
    const fit = fitRankingWeights(controlClicks({ a: -2, relevance: 0.5, beta: 0.9 }), HAND_SET, { ...EXACT, minSupport: 200 });
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    // (0.5, 0.9) against the current (1, 1): |(0.5, 0.9)| / |(1, 1)| log-odds per unit of the hand-set weights.
    const rate = Math.hypot(0.5, 0.9) / Math.SQRT2;
    expect(fit.priorWeight).toBeCloseTo(0.5 / rate, 2);
    expect(fit.weights.brand).toBeCloseTo(0.9 / rate, 2);
    for (const signal of RANKING_SIGNALS.filter((s) => s !== 'brand')) {
      expect(fit.weights[signal]).toBe(DEFAULT_RANKING_WEIGHTS[signal]);
      expect(fit.signals[signal]).toMatchObject({ fitted: false, support: 0 });
    }
    expect(fit.signals.brand).toMatchObject({ fitted: true, support: 10 * SHOWN + 18 * SWAPPED });
  });

  it('fits a negative weight for a signal shoppers avoid', () => {
    const fit = fitRankingWeights(controlClicks({ a: -2, relevance: 0.5, beta: -0.6, brandValue: 0.5 }), HAND_SET, EXACT);
    expect(fit.ok && fit.weights.brand / fit.priorWeight).toBeCloseTo(-1.2, 2);
  });

  it('refuses to fit without clicks, or without swapped results to tell relevance from attention', () => {
    const noClicks = controlClicks({ a: -2, relevance: 0.5, beta: 0.9 }).map((c) => ({ ...c, clicked: 0 }));
    expect(fitRankingWeights(noClicks, HAND_SET)).toMatchObject({ ok: false, reason: 'no_clicks' });
    expect(fitRankingWeights([], HAND_SET)).toMatchObject({ ok: false, reason: 'no_clicks', shown: 0 });
    expect(fitRankingWeights(controlClicks({ a: -2, relevance: 0.5, beta: 0.9, swaps: false }), HAND_SET)).toMatchObject({
      ok: false,
      reason: 'no_swaps',
    });
  });
});

describe('solve', () => {
  it('solves a well-conditioned system: A · solve(A, b) = b', () => {
    const entry = fc.double({ min: -1, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(fc.array(entry, { minLength: 3, maxLength: 3 }), { minLength: 3, maxLength: 3 }),
        fc.array(entry, { minLength: 3, maxLength: 3 }),
        (m, b) => {
          // Diagonally dominant: never singular.
          const a = m.map((row, i) => row.map((v, j) => (i === j ? v + 4 : v)));
          const x = solve(a, b);
          expect(x).not.toBeNull();
          a.forEach((row, i) => expect(row.reduce((sum, v, j) => sum + v * (x?.[j] ?? 0), 0)).toBeCloseTo(b[i] ?? 0, 9));
        },
      ),
    );
  });

  it('says a singular system has no answer', () => {
    expect(
      solve(
        [
          [1, 2],
          [2, 4],
        ],
        [1, 2],
      ),
    ).toBeNull();
  });
});

describe('fitRankingWeights where a signal all but decides the click', () => {
  it('still converges, the ridge holding the coefficient finite', () => {
    // Every result with the brand is clicked, and few without: Newton's full step overshoots here.
    const counts: ClickCount[] = Array.from({ length: 10 }, (_, rank) => [
      { position: rank + 1, originalPosition: rank + 1, values: { ...none(), brand: 1 }, shown: 1_000, clicked: 1_000 },
      { position: rank + 1, originalPosition: rank + 1, values: none(), shown: 100_000, clicked: Math.round(100_000 * 0.02 * prior(rank)) },
      { position: rank + 2, originalPosition: rank + 1, values: none(), shown: 1_000, clicked: Math.round(1_000 * 0.02 * prior(rank + 1)) },
    ]).flat();
    const fit = fitRankingWeights(counts, HAND_SET);
    expect(fit).toMatchObject({ ok: true });
    expect(fit.ok && fit.weights.brand).toBeGreaterThan(1);
  });
});
