import { z } from 'zod';
import { DEFAULT_EXPERIMENT, PERSONALIZATION_EXPERIMENT } from '../experiments/experiments.ts';
import { runJob } from '../jobs/lifecycle.ts';
import { RANKING_SIGNALS, type RankingSignal } from '../kernel/signal-weights.ts';
import { trialStart, type WeightsStore, type WeightsVersion } from '../kernel/weights-versions.ts';
import type { Logger } from '../logging/logger.ts';
import type { SqlWarehouse } from '../warehouse/ports.ts';
import { fitRankingWeights, type ClickCount, type WeightsFit } from './fit.ts';

export const JOB = 'weights';

/** Days of control-arm clicks each fit reads: four weeks, every weekday four times. */
export const DEFAULT_FIT_DAYS = 28;

/**
 * Days a challenger is tried before a newer fit may replace it: every weekday once, and enough searches for the readout
 * to decide. A fit replacing yesterday's challenger every night would restart its trial every night, and no readout
 * could ever gather more than a day.
 */
export const TRIAL_DAYS = 7;

const DAY_MS = 86_400_000;

export type WeightsJobDeps = {
  warehouse: SqlWarehouse;
  store: WeightsStore;
  clock: () => Date;
  logger: Logger;
  newRunId?: () => string;
};

export type WeightsRequest = {
  /** End of the clicks read (exclusive). Default: 00:00 UTC of the run's day. */
  asOf?: Date;
  /** Their start. Default: `DEFAULT_FIT_DAYS` before `asOf`. */
  since?: Date;
};

export type WeightsRun = {
  run_id: string;
  as_of: string;
  since: string;
  /** The version the fit started from (the current one) and, when the fit succeeded, the challenger it saved. */
  current: string;
  challenger: string | null;
  /** Why nothing was saved, when nothing was: the fit's reason, or `trial_running` when nothing was fitted. */
  not_fitted: Extract<WeightsFit, { ok: false }>['reason'] | 'trial_running' | null;
  shown: number;
  clicked: number;
  groups: number;
  bytes_processed: number | null;
};

const Count = z.coerce.number().int().nonnegative();
const Value = z.coerce.number().min(-1).max(1);
const Values = Object.fromEntries(RANKING_SIGNALS.map((s) => [s, Value])) as Record<RankingSignal, typeof Value>;
const Position = Count.pipe(z.number().positive());
const Row = z.object({ position: Position, original_position: Position, shown: Count, clicked: Count, ...Values });

/**
 * The weights job: the control arm's clicks of the last four weeks by shown and engine position and signal values
 * (`ranking_click_counts.sql`), fitted into ranking weights (functions/weights/fit.ts) starting from the current
 * version, saved as version `fit-<as_of day>` and made the challenger, which search then tries on a share of the
 * personalized arm; while the challenger before it is younger than `TRIAL_DAYS`, nothing is fitted. It never makes a
 * version current: that is `npm run weights -- promote`, once the metrics job's readout says the challenger wins.
 * Aggregates only: no shopper's row leaves the warehouse.
 */
export async function runWeightsJob(deps: WeightsJobDeps, request: WeightsRequest = {}): Promise<WeightsRun> {
  return runJob(deps, JOB, ({ runId, started, log }) => {
    const asOf = request.asOf ?? new Date(Math.floor(started.getTime() / DAY_MS) * DAY_MS);
    const since = request.since ?? new Date(asOf.getTime() - DEFAULT_FIT_DAYS * DAY_MS);
    const totals = { groups: 0 };

    const work = async (): Promise<WeightsRun> => {
      if (!(since.getTime() < asOf.getTime())) throw new Error('since must be before as_of');
      if (asOf.getTime() > started.getTime()) throw new Error('as_of must not be in the future');
      const params = {
        since,
        as_of: asOf,
        personalization_experiment: PERSONALIZATION_EXPERIMENT,
        control_arm: DEFAULT_EXPERIMENT.control,
      };
      const rollout = await deps.store.rollout();
      const run = { run_id: runId, as_of: asOf.toISOString(), since: since.toISOString(), current: rollout.current };
      const trial = rollout.challenger === null ? null : await deps.store.read(rollout.challenger);
      // A challenger younger than its trial is left to it, unread warehouse and all; a rerun of its own day refits it.
      if (trial !== null && trial.version !== versionName(asOf) && asOf.getTime() - trialStart(trial) < TRIAL_DAYS * DAY_MS) {
        log.info('challenger still on trial', { challenger: trial.version, trial_days: TRIAL_DAYS });
        return { ...run, challenger: null, not_fitted: 'trial_running', shown: 0, clicked: 0, groups: 0, bytes_processed: null };
      }
      const answer = await deps.warehouse.query('ranking_click_counts.sql', params, JOB);
      const counts = answer.rows.map(parseCount);
      totals.groups = counts.length;
      const current = await deps.store.read(rollout.current);
      if (current === null) throw new Error(`the current weights version ${rollout.current} is not stored`);
      const fit = fitRankingWeights(counts, { weights: current.weights, priorWeight: current.prior_weight ?? 1 });
      const base = { ...run, shown: fit.shown, clicked: fit.clicked, groups: counts.length, bytes_processed: answer.bytesProcessed };
      if (!fit.ok) {
        log.warn('weights not fitted', { reason: fit.reason, shown: fit.shown, clicked: fit.clicked });
        return { ...base, challenger: null, not_fitted: fit.reason };
      }
      const version = fittedVersion(fit, asOf, since, deps.clock());
      await deps.store.saveChallenger(version, deps.clock());
      log.info('challenger saved', { version: version.version, weights: version.weights, prior_weight: version.prior_weight });
      return { ...base, challenger: version.version, not_fitted: null };
    };

    return {
      work,
      figures: (run) => ({
        asOf,
        since,
        watermark: asOf,
        shoppers: 0,
        changed: run?.challenger ? 1 : 0,
        resultRows: totals.groups,
        bytesProcessed: run?.bytes_processed ?? null,
      }),
    };
  });
}

/** The version a fit of clicks ending at `asOf` is saved as: one a day, and a rerun of the day replaces it. */
export function versionName(asOf: Date): string {
  return `fit-${asOf.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** A fit's version, named by the day its clicks end (`versionName`). */
export function fittedVersion(fit: Extract<WeightsFit, { ok: true }>, asOf: Date, since: Date, now: Date): WeightsVersion {
  const signals = Object.fromEntries(
    RANKING_SIGNALS.map((s) => {
      const f = fit.signals[s];
      return [s, { coefficient: f.coefficient, se: Number.isFinite(f.se) ? f.se : null, support: f.support, fitted: f.fitted }];
    }),
  );
  return {
    version: versionName(asOf),
    weights: fit.weights,
    prior_weight: fit.priorWeight,
    created_at: now.toISOString(),
    source: {
      kind: 'fit',
      since: since.toISOString(),
      as_of: asOf.toISOString(),
      shown: fit.shown,
      clicked: fit.clicked,
      prior_coefficient: fit.priorCoefficient,
      prior_se: Number.isFinite(fit.priorSe) ? fit.priorSe : null,
      swapped: fit.swapped,
      attention: fit.attention,
      signals,
    },
  };
}

function parseCount(row: unknown): ClickCount {
  const parsed = Row.safeParse(row);
  if (!parsed.success) throw new Error(`sql/ranking_click_counts.sql answered an unexpected row: ${parsed.error.issues[0]?.message ?? ''}`);
  const values = Object.fromEntries(RANKING_SIGNALS.map((s) => [s, parsed.data[s]])) as Record<RankingSignal, number>;
  const { position, original_position: originalPosition, shown, clicked } = parsed.data;
  return { position, originalPosition, values, shown, clicked };
}
