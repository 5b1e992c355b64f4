import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RANKING_WEIGHTS, prior, RANKING_SIGNALS, type RankingSignal } from '../../functions/kernel/signal-weights.ts';
import { fitRankingWeights, solve, type ClickCount } from '../../functions/weights/fit.ts';

const none = (): Record<RankingSignal, number> => Object.fromEntries(RANKING_SIGNALS.map((s) => [s, 0])) as Record<RankingSignal, number>;
const SHOWN = 100_000;

/**
 * The control arm as the model says it clicks: positions 1–10, each with and without a brand value of `brandValue`,
 * clicked at `logit = a + b · prior + β · brand`, counted without noise so the fit must give the model back.
 */
function controlClicks(a: number, b: number, beta: number, brandValue = 1): ClickCount[] {
  return Array.from({ length: 10 }, (_, rank) =>
    [0, brandValue].map((brand) => {
      const p = 1 / (1 + Math.exp(-(a + b * prior(rank) + beta * brand)));
      return { position: rank + 1, values: { ...none(), brand }, shown: SHOWN, clicked: Math.round(SHOWN * p) };
    }),
  ).flat();
}

describe('fitRankingWeights', () => {
  it('gives back the weight the control arm’s clicks were made with, in the prior’s units', () => {
    // β = 0.9 log-odds for a brand value of 1 against b = 3 per unit of prior: worth 0.3 of prior, about the gap from 2nd to 5th.
    const fit = fitRankingWeights(controlClicks(-2, 3, 0.9), DEFAULT_RANKING_WEIGHTS, {
      minSupport: 1,
      ridge: 0,
      maxIterations: 50,
      tolerance: 1e-10,
    });
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    expect(fit.priorCoefficient).toBeCloseTo(3, 2);
    expect(fit.signals.brand.coefficient).toBeCloseTo(0.9, 2);
    expect(fit.weights.brand).toBeCloseTo(0.3, 2);
    expect(fit.signals.brand.se).toBeGreaterThan(0);
  });

  it('keeps the current weight of a signal read too rarely to say anything', () => {
    const fit = fitRankingWeights(controlClicks(-2, 3, 0.9), DEFAULT_RANKING_WEIGHTS);
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    for (const signal of RANKING_SIGNALS.filter((s) => s !== 'brand')) {
      expect(fit.weights[signal]).toBe(DEFAULT_RANKING_WEIGHTS[signal]);
      expect(fit.signals[signal]).toMatchObject({ fitted: false, support: 0 });
    }
    expect(fit.signals.brand).toMatchObject({ fitted: true, support: 10 * SHOWN });
  });

  it('fits a negative weight for a signal shoppers avoid', () => {
    const fit = fitRankingWeights(controlClicks(-2, 3, -0.6, 0.5), DEFAULT_RANKING_WEIGHTS, {
      minSupport: 1,
      ridge: 0,
      maxIterations: 50,
      tolerance: 1e-10,
    });
    expect(fit.ok && fit.weights.brand).toBeCloseTo(-0.2, 2);
  });

  it('refuses to fit without clicks, or when clicks do not fall with position', () => {
    const noClicks = controlClicks(-2, 3, 0.9).map((c) => ({ ...c, clicked: 0 }));
    expect(fitRankingWeights(noClicks, DEFAULT_RANKING_WEIGHTS)).toMatchObject({ ok: false, reason: 'no_clicks' });
    expect(fitRankingWeights([], DEFAULT_RANKING_WEIGHTS)).toMatchObject({ ok: false, reason: 'no_clicks', shown: 0 });
    expect(fitRankingWeights(controlClicks(-2, -1, 0.9), DEFAULT_RANKING_WEIGHTS)).toMatchObject({
      ok: false,
      reason: 'no_position_effect',
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
      { position: rank + 1, values: { ...none(), brand: 1 }, shown: 1_000, clicked: 1_000 },
      { position: rank + 1, values: none(), shown: 100_000, clicked: Math.round(100_000 * 0.02 * prior(rank)) },
    ]).flat();
    const fit = fitRankingWeights(counts, DEFAULT_RANKING_WEIGHTS);
    expect(fit).toMatchObject({ ok: true });
    expect(fit.ok && fit.weights.brand).toBeGreaterThan(1);
  });
});
