import { prior, RANKING_SIGNALS, type RankingSignal, type RankingWeights } from '../kernel/signal-weights.ts';

/** One row of `ranking_click_counts.sql`: results shown at `position` with these (rounded) signal values, and how many were clicked. */
export type ClickCount = { position: number; values: Record<RankingSignal, number>; shown: number; clicked: number };

export type FitSettings = { minSupport: number; ridge: number; maxIterations: number; tolerance: number };

/** What the fit needs to trust a signal, and how hard it holds unsupported coefficients to 0. */
export const FIT_SETTINGS: Readonly<FitSettings> = {
  /** A signal read non-zero on fewer shown results keeps its current weight: too few clicks say nothing. */
  minSupport: 200,
  /** Ridge on the signal coefficients (not on the intercept or the prior): keeps a rare signal's coefficient finite. */
  ridge: 1,
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

export type WeightsFit =
  | {
      ok: true;
      weights: RankingWeights;
      /** Log-odds of a click per unit of prior: the control's click curve, which converts coefficients into weights. */
      priorCoefficient: number;
      signals: Record<RankingSignal, SignalFit>;
      shown: number;
      clicked: number;
      iterations: number;
    }
  | { ok: false; reason: 'no_clicks' | 'no_position_effect' | 'not_converged'; shown: number; clicked: number };

/**
 * Fits `logit P(click) = a + b · prior(position − 1) + Σ β_s · value_s` to the control arm's grouped clicks by Newton's
 * method, and turns each coefficient into a ranking weight `β_s / b`: the ranking's score is `prior + Σ w_s · value_s`,
 * so with these weights it orders results by their fitted click odds. In the control arm the position is the engine's,
 * not chosen by the signals, so β_s is what a signal is worth at a fixed position: the clicks' position bias is held
 * in `a + b · prior` instead of leaking into the signals. A signal with too little support keeps its `current` weight.
 */
export function fitRankingWeights(
  counts: readonly ClickCount[],
  current: Readonly<RankingWeights>,
  settings: Readonly<FitSettings> = FIT_SETTINGS,
): WeightsFit {
  const shown = counts.reduce((sum, c) => sum + c.shown, 0);
  const clicked = counts.reduce((sum, c) => sum + c.clicked, 0);
  if (clicked === 0 || clicked === shown) return { ok: false, reason: 'no_clicks', shown, clicked };

  const support = Object.fromEntries(
    RANKING_SIGNALS.map((s) => [s, counts.reduce((sum, c) => sum + (c.values[s] === 0 ? 0 : c.shown), 0)]),
  ) as Record<RankingSignal, number>;
  const used = RANKING_SIGNALS.filter((s) => support[s] >= settings.minSupport);
  const rows = counts.map((c) => ({ x: [1, prior(c.position - 1), ...used.map((s) => c.values[s])], n: c.shown, k: c.clicked }));
  const size = 2 + used.length;
  const penalty = (j: number) => (j >= 2 ? settings.ridge : 0);

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
        gradient[i] = (gradient[i] ?? 0) + (k - n * p) * (x[i] ?? 0);
        const line = information[i] ?? [];
        for (let j = 0; j < size; j += 1) line[j] = (line[j] ?? 0) + w * (x[i] ?? 0) * (x[j] ?? 0);
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

  const priorCoefficient = beta[1] ?? 0;
  // Without clicks falling with position there is no scale to weigh a signal against the engine's order.
  if (!(priorCoefficient > 0)) return { ok: false, reason: 'no_position_effect', shown, clicked };
  const covariance = inverse(information);
  const weights = { ...current };
  const signals = {} as Record<RankingSignal, SignalFit>;
  for (const signal of RANKING_SIGNALS) {
    const j = used.indexOf(signal);
    if (j < 0) {
      signals[signal] = { coefficient: 0, se: Number.NaN, support: support[signal], fitted: false };
      continue;
    }
    const coefficient = beta[j + 2] ?? 0;
    signals[signal] = { coefficient, se: Math.sqrt(covariance?.[j + 2]?.[j + 2] ?? Number.NaN), support: support[signal], fitted: true };
    weights[signal] = coefficient / priorCoefficient;
  }
  return { ok: true, weights, priorCoefficient, signals, shown, clicked, iterations: iterations + 1 };
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
