import { prior, RANKING_SIGNALS, type RankingSignal, type RankingWeights } from '../kernel/signal-weights.ts';

/**
 * One row of `ranking_click_counts.sql`: results the engine ranked at `originalPosition`, shown at `position` (the same
 * but where a randomized swap moved them one place) with these (rounded) signal values, and how many were clicked.
 */
export type ClickCount = {
  position: number;
  originalPosition: number;
  values: Record<RankingSignal, number>;
  shown: number;
  clicked: number;
};

export type FitSettings = {
  minSupport: number;
  minSwapped: number;
  ridge: number;
  attentionRidge: number;
  maxIterations: number;
  tolerance: number;
};

/** What the fit needs to trust a signal, and how hard it holds unsupported coefficients to 0. */
export const FIT_SETTINGS: Readonly<FitSettings> = {
  /** A signal read non-zero on fewer shown results keeps its current weight: too few clicks say nothing. */
  minSupport: 200,
  /** Fewer swapped results than this cannot tell the engine's relevance from attention: nothing is fitted. */
  minSwapped: 200,
  /** Ridge on the signal coefficients (not on the intercept or the prior): keeps a rare signal's coefficient finite. */
  ridge: 1,
  /**
   * Ridge on each position's attention, only to keep a position without clicks finite. Any more would say attention is
   * flat and push the whole click curve into the prior: only the few swapped clicks may tell the two apart.
   */
  attentionRidge: 1e-4,
  /** Newton steps at most; the log-likelihood is concave, so a few suffice. */
  maxIterations: 50,
  /** Stop when no coefficient moves more than this. */
  tolerance: 1e-9,
};

export type SignalFit = {
  /** Log-odds of a click per unit of the signal's value, at a fixed position. */
  coefficient: number;
  /** Its standard error, from the inverse of the information matrix. */
  se: number;
  /** Shown results whose value was not 0. */
  support: number;
  /** Whether the weight comes from this fit (else the current weight is kept). */
  fitted: boolean;
};

/** The ranking a fit starts from: its weights and the engine order's weight (1 for the hand-set weights). */
export type CurrentRanking = { weights: Readonly<RankingWeights>; priorWeight: number };

export type WeightsFit =
  | {
      ok: true;
      weights: RankingWeights;
      /** The engine order's weight in the same units: `priorWeight × prior + Σ weight × value` ranks by fitted relevance. */
      priorWeight: number;
      /** Log-odds of a click per unit of prior at a fixed shown position: the engine's relevance, apart from attention. */
      priorCoefficient: number;
      priorSe: number;
      /** Odds of a click on the same result at shown positions 1, 2, … relative to position 1: the shoppers' attention. */
      attention: number[];
      signals: Record<RankingSignal, SignalFit>;
      shown: number;
      clicked: number;
      /** Shown results a swap put one place from the engine's position. */
      swapped: number;
      iterations: number;
    }
  | { ok: false; reason: 'no_clicks' | 'no_swaps' | 'no_scale' | 'not_converged'; shown: number; clicked: number };

/**
 * Fits `logit P(click) = α(position) + c · prior(original_position − 1) + Σ β_s · value_s` to the control arm's grouped
 * clicks by Newton's method. α, one coefficient per shown position, is the shoppers' attention; `c · prior` is the
 * engine's relevance. In the engine's own order the two move together and cannot be told apart; the randomized swaps of
 * adjacent results show a result one place from where the engine ranked it, and only those clicks separate them. β_s is
 * what a signal is worth at a fixed position. The ranking `c · prior + Σ β_s · value_s` then orders results by fitted
 * relevance, attention taken out; it is rescaled to the current weights' units (the fitted terms as long a vector as
 * the current ones), and a signal with too little support keeps its `current` weight in those units.
 */
export function fitRankingWeights(
  counts: readonly ClickCount[],
  current: Readonly<CurrentRanking>,
  settings: Readonly<FitSettings> = FIT_SETTINGS,
): WeightsFit {
  const shown = counts.reduce((sum, c) => sum + c.shown, 0);
  const clicked = counts.reduce((sum, c) => sum + c.clicked, 0);
  if (clicked === 0 || clicked === shown) return { ok: false, reason: 'no_clicks', shown, clicked };
  const swapped = counts.reduce((sum, c) => sum + (c.position === c.originalPosition ? 0 : c.shown), 0);
  if (swapped < settings.minSwapped) return { ok: false, reason: 'no_swaps', shown, clicked };

  const support = Object.fromEntries(
    RANKING_SIGNALS.map((s) => [s, counts.reduce((sum, c) => sum + (c.values[s] === 0 ? 0 : c.shown), 0)]),
  ) as Record<RankingSignal, number>;
  const used = RANKING_SIGNALS.filter((s) => support[s] >= settings.minSupport);
  const positions = Math.max(...counts.map((c) => c.position));
  // Columns: intercept (position 1), positions 2 … n, the prior, the signals used.
  const PRIOR = positions;
  const rows = counts.map((c) => ({
    x: [
      1,
      ...Array.from({ length: positions - 1 }, (_, j) => (c.position === j + 2 ? 1 : 0)),
      prior(c.originalPosition - 1),
      ...used.map((s) => c.values[s]),
    ],
    n: c.shown,
    k: c.clicked,
  }));
  const size = positions + 1 + used.length;
  const penalty = (j: number) => (j === 0 || j === PRIOR ? 0 : j < PRIOR ? settings.attentionRidge : settings.ridge);

  let beta = new Array<number>(size).fill(0);
  beta[0] = Math.log(clicked / (shown - clicked));
  let information: number[][] = [];
  let iterations = 0;
  for (; iterations < settings.maxIterations; iterations += 1) {
    const gradient = beta.map((b, j) => -penalty(j) * b);
    information = beta.map((_, i) => beta.map((__, j) => (i === j ? penalty(i) : 0)));
    for (const { x, n, k } of rows) {
      const p = 1 / (1 + Math.exp(-dot(x, beta)));
      const w = n * p * (1 - p);
      for (let i = 0; i < size; i += 1) {
        const xi = x[i] ?? 0;
        if (xi === 0) continue;
        gradient[i] = (gradient[i] ?? 0) + (k - n * p) * xi;
        const line = information[i] ?? [];
        for (let j = 0; j < size; j += 1) line[j] = (line[j] ?? 0) + w * xi * (x[j] ?? 0);
      }
    }
    const step = solve(information, gradient);
    if (step === null) return { ok: false, reason: 'not_converged', shown, clicked };
    // Newton's full step can overshoot where clicks are rare; halving it until the likelihood rises always converges.
    const before = logLikelihood(rows, beta, penalty);
    let scale = 1;
    let next = beta.map((b, j) => b + (step[j] ?? 0));
    while (logLikelihood(rows, next, penalty) < before && scale > 1e-6) {
      scale /= 2;
      next = beta.map((b, j) => b + scale * (step[j] ?? 0));
    }
    beta = next;
    if (scale * Math.max(...step.map(Math.abs)) < settings.tolerance) break;
  }
  if (iterations === settings.maxIterations || beta.some((b) => !Number.isFinite(b)))
    return { ok: false, reason: 'not_converged', shown, clicked };

  const covariance = inverse(information);
  const priorCoefficient = beta[PRIOR] ?? 0;
  const signals = {} as Record<RankingSignal, SignalFit>;
  for (const signal of RANKING_SIGNALS) {
    const j = used.indexOf(signal);
    signals[signal] =
      j < 0
        ? { coefficient: 0, se: Number.NaN, support: support[signal], fitted: false }
        : {
            coefficient: beta[PRIOR + 1 + j] ?? 0,
            se: Math.sqrt(covariance?.[PRIOR + 1 + j]?.[PRIOR + 1 + j] ?? Number.NaN),
            support: support[signal],
            fitted: true,
          };
  }
  // An engine order that earns no clicks of its own (c ≤ 0) only breaks ties: the ranking cannot turn it upside down.
  const relevance = Math.max(priorCoefficient, 0);
  // Log-odds per unit of the current weights: the fitted terms as long as the current ones, so that an unfitted signal
  // keeps its standing beside them.
  const fitted = [[relevance, current.priorWeight], ...used.map((s) => [signals[s].coefficient, current.weights[s]])] as const;
  const rate = Math.hypot(...fitted.map(([f]) => f)) / Math.hypot(...fitted.map(([, c]) => c));
  if (!(rate > 0 && Number.isFinite(rate))) return { ok: false, reason: 'no_scale', shown, clicked };
  const weights = { ...current.weights };
  for (const signal of used) weights[signal] = signals[signal].coefficient / rate;
  return {
    ok: true,
    weights,
    priorWeight: relevance / rate,
    priorCoefficient,
    priorSe: Math.sqrt(covariance?.[PRIOR]?.[PRIOR] ?? Number.NaN),
    attention: Array.from({ length: positions }, (_, j) => (j === 0 ? 1 : Math.exp(beta[j] ?? 0))),
    signals,
    shown,
    clicked,
    swapped,
    iterations: iterations + 1,
  };
}

/** The penalized log-likelihood of grouped binomial counts: Σ k·η − n·log(1 + e^η) − ½ Σ λ_j β_j². */
function logLikelihood(
  rows: readonly { x: number[]; n: number; k: number }[],
  beta: readonly number[],
  penalty: (j: number) => number,
): number {
  let total = -0.5 * beta.reduce((sum, b, j) => sum + penalty(j) * b * b, 0);
  for (const { x, n, k } of rows) {
    const eta = dot(x, beta);
    // log(1 + e^η) without overflow for large η.
    total += k * eta - n * (eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta)));
  }
  return total;
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
}

/** `A x = b` by Gaussian elimination with partial pivoting; null when A is singular. */
export function solve(a: readonly (readonly number[])[], b: readonly number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] ?? 0]);
  for (let col = 0; col < n; col += 1) {
    let pivot = col;
    for (let r = col + 1; r < n; r += 1) if (Math.abs(m[r]?.[col] ?? 0) > Math.abs(m[pivot]?.[col] ?? 0)) pivot = r;
    const top = m[pivot];
    if (top === undefined || Math.abs(top[col] ?? 0) < 1e-12) return null;
    [m[col], m[pivot]] = [top, m[col] ?? []];
    for (let r = 0; r < n; r += 1) {
      const row = m[r];
      if (r === col || row === undefined) continue;
      const factor = (row[col] ?? 0) / (top[col] ?? 1);
      for (let c = col; c <= n; c += 1) row[c] = (row[c] ?? 0) - factor * (top[c] ?? 0);
    }
  }
  return m.map((row, i) => (row[n] ?? 0) / (row[i] ?? 1));
}

function inverse(a: readonly (readonly number[])[]): number[][] | null {
  const columns = a.map((_, j) =>
    solve(
      a,
      a.map((__, i) => (i === j ? 1 : 0)),
    ),
  );
  if (columns.some((c) => c === null)) return null;
  return a.map((_, i) => columns.map((c) => c?.[i] ?? Number.NaN));
}
