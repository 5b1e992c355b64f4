import { z } from 'zod';
import { DEFAULT_RANKING_WEIGHTS, RANKING_SIGNALS, type RankingWeights } from './signal-weights.ts';

/**
 * Ranking weights as versions in Firestore: the weights job saves each fit as a version and makes it the challenger;
 * search ranks a share of the personalized arm with the challenger and the rest with the current version; an operator
 * promotes a version to current with one command (`npm run weights -- promote <version>`). Here, in the kernel,
 * because the weights job writes what search reads, and neither may import the other.
 */

/** The weights of `DEFAULT_RANKING_WEIGHTS`: current until a fitted version is promoted; never stored. */
export const HAND_SET_VERSION = 'hand-set';

/** Where versions live: `ranking_weights/{version}`, and which are current and challenger: `ranking/rollout`. */
export const WEIGHTS_COLLECTIONS = { versions: 'ranking_weights', rollout: 'ranking', rolloutDocument: 'rollout' } as const;

/** The experiment a challenger is tried in: its id names the challenger, its arms are these two. */
export const WEIGHTS_EXPERIMENT_PREFIX = 'weights.';
export const WEIGHTS_ARMS = { current: 'current', challenger: 'challenger' } as const;

/** The share of the personalized arm's shoppers ranked by the challenger while it is tried. */
export const CHALLENGER_SHARE = 0.5;

/** A version's name: as an experiment arm's, so the experiment id `weights.<version>` is one too. */
export const VersionName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,55}$/, 'must be 1–56 lower case letters, digits, "_", "." or "-", starting with a letter or digit');

const finite = z.number().finite();
export const StoredRankingWeights = z.strictObject(
  Object.fromEntries(RANKING_SIGNALS.map((s) => [s, finite])) as Record<keyof RankingWeights, typeof finite>,
);

/** One stored version: its weights and where they came from. */
export const WeightsVersion = z.strictObject({
  version: VersionName,
  weights: StoredRankingWeights,
  /**
   * The engine order's weight against the signals (`priorWeight`, functions/search/personalize.ts); absent: 1, as the
   * hand-set weights. A fit sets it to the engine's relevance it measured, 0 when it measured none.
   */
  prior_weight: finite.min(0).optional(),
  /** ISO instant the version was saved. */
  created_at: z.string(),
  /** The fit's window and figures, or `manual` for weights set by hand. */
  source: z.union([
    z.strictObject({
      kind: z.literal('fit'),
      since: z.string(),
      as_of: z.string(),
      shown: z.number().int().nonnegative(),
      clicked: z.number().int().nonnegative(),
      /** Log-odds of a click per unit of prior, at a fixed shown position: the engine's relevance. */
      prior_coefficient: finite,
      /** Its standard error; null when it could not be computed. */
      prior_se: finite.nullable().optional(),
      /** Shown results the randomized swaps put one place from the engine's: what tells relevance from attention. */
      swapped: z.number().int().nonnegative().optional(),
      /** Odds of a click at shown positions 1, 2, … relative to position 1, for the same result: the shoppers' attention. */
      attention: z.array(finite).optional(),
      /** Per signal: log-odds per unit, its standard error (null when not fitted), support, and whether it was fitted. */
      signals: z.record(
        z.string(),
        z.strictObject({ coefficient: finite, se: finite.nullable(), support: z.number().int().nonnegative(), fitted: z.boolean() }),
      ),
    }),
    z.strictObject({ kind: z.literal('manual') }),
  ]),
});
export type WeightsVersion = z.infer<typeof WeightsVersion>;

/** Which version ranks everyone, and which (if any) is being tried against it. */
export const Rollout = z.strictObject({ current: VersionName, challenger: VersionName.nullable(), updated_at: z.string() });
export type Rollout = z.infer<typeof Rollout>;

export const INITIAL_ROLLOUT: Rollout = { current: HAND_SET_VERSION, challenger: null, updated_at: new Date(0).toISOString() };

export type PromoteOutcome = { promoted: true; rollout: Rollout } | { promoted: false; reason: 'unknown_version' | 'already_current' };

/** Where versions and the rollout are kept (Firestore in production and locally, through the emulator). */
export interface WeightsStore {
  /** The version, the hand-set one included; null when no such version was saved. */
  read(version: string): Promise<WeightsVersion | null>;
  rollout(): Promise<Rollout>;
  /** Saves a new version and makes it the challenger, replacing any other challenger, in one transaction; refuses the current version's name. */
  saveChallenger(version: WeightsVersion, now: Date): Promise<Rollout>;
  /** Makes a saved version current (ending its trial if it was the challenger), in one transaction. */
  promote(version: string, now: Date): Promise<PromoteOutcome>;
}

/** The hand-set version as a stored one would read. */
export function handSetVersion(): WeightsVersion {
  return {
    version: HAND_SET_VERSION,
    weights: { ...DEFAULT_RANKING_WEIGHTS },
    created_at: new Date(0).toISOString(),
    source: { kind: 'manual' },
  };
}

/**
 * When a version's trial as challenger began, ms: the end of its fit's clicks (search tries it from then), or a manual
 * version's saving. The weights job waits `TRIAL_DAYS` from here before replacing it.
 */
export function trialStart(version: WeightsVersion): number {
  return Date.parse(version.source.kind === 'fit' ? version.source.as_of : version.created_at);
}

/** The experiment id under which `version` is tried as a challenger. */
export function weightsExperimentId(version: string): string {
  return `${WEIGHTS_EXPERIMENT_PREFIX}${version}`;
}
