import { z } from 'zod';
import {
  assignArms,
  bucketOf,
  DEFAULT_EXPERIMENT,
  isControl,
  parseExperiments,
  PERSONALIZATION_EXPERIMENT,
  type Experiment,
} from '../experiments/experiments.ts';
import type { Clock } from '../kernel/ports.ts';
import { CHALLENGER_SHARE, WEIGHTS_ARMS, weightsExperimentId, type WeightsVersion } from '../kernel/weights-versions.ts';
import type { Logger } from '../logging/logger.ts';
import { searchPerformedEvent, newSearchId, type RankingEntry, type SearchPerformedEvent, type SearchPerformedInput } from './events.ts';
import {
  personalize,
  rankingPriorWeight,
  rankingStrength,
  rankingWeights,
  type Explanation,
  type Personalized,
  type PersonalizeOptions,
} from './personalize.ts';
import type { PreferenceRead, SearchPreferenceReader, UnreadReason } from './preference-reader.ts';
import type { SearchResult } from './signals.ts';
import type { RankingWeightsReader } from './weights-reader.ts';

export type SearchPersonalizerSettings = {
  /** Usually `createSearchPreferenceReader(…)`: answers within its budget, never throws. */
  reader: Pick<SearchPreferenceReader, 'read'>;
  /**
   * The running experiments, validated here. Default `[DEFAULT_EXPERIMENT]`. Personalization follows the
   * `personalization` experiment: its control arm gets the engine's order; without that experiment
   * every shopper's search is personalized.
   */
  experiments?: readonly Experiment[];
  /**
   * Default false. When true, a control-arm search reads the shopper's preferences too and logs the signal values of
   * each shown result in `data.ranking`, while the order shown stays the engine's: the clicks of an order the signals
   * did not choose are what the ranking-weights fit learns from (docs/weights.md). Costs one preference read per
   * control search.
   */
  signalsInControl?: boolean;
  /**
   * Randomized swaps of adjacent results in the control arm, for the weights fit to tell the shoppers' attention by
   * position from the engine's relevance there (docs/weights.md). Only control searches that log their signal values
   * (`signalsInControl`) are swapped. Default `DEFAULT_SWAPS`; `{ share: 0 }` swaps nothing.
   */
  swaps?: Partial<SwapSettings>;
  /** Uniform in [0, 1): decides the swaps. Default `Math.random`. */
  random?: () => number;
  /**
   * Where the ranking weights' versions come from, usually `createRankingWeightsReader(…)` over Firestore. Without it
   * every personalized search ranks with `ranking.weights`. With it, the current version's weights replace those, and
   * while a challenger is tried, `CHALLENGER_SHARE` of the personalized arm's shoppers rank with the challenger's: they
   * are in the experiment `weights.<challenger>`, arm `challenger`, the others in its arm `current` (docs/weights.md).
   */
  weights?: RankingWeightsReader;
  /** How strongly to personalize; see `personalize`. Default strength 1, `DEFAULT_RANKING_WEIGHTS`. */
  ranking?: Omit<PersonalizeOptions, 'now'>;
  /** Default: the system clock. */
  clock?: Clock;
  logger?: Logger;
};

export type SearchRequest<T extends SearchResult> = {
  /** From the shopper's verified token. */
  userId: string;
  sessionId: string;
  query: string;
  /** The engine's results, best first. */
  results: readonly T[];
  /** How many results the engine found in all. Default: `results.length`. */
  resultsCount?: number;
  filters?: SearchPerformedInput['filters'];
  topCategories?: string[];
  context?: SearchPerformedInput['context'];
};

/** Why a search was not personalized: the shopper's arm, the read, or nothing learned applied to these results. */
export type NotPersonalizedReason = 'control' | UnreadReason | 'no_signal';

export type SearchOutcome<T> = {
  /** The results to show, in order. */
  results: T[];
  /** One per result, in the order shown: where it came from and why it moved. */
  explanations: Explanation[];
  /** Every running experiment's arm for the shopper, as `context.experiments` carries them. */
  experiments: Record<string, string>;
  /** The shopper's arm in the personalization experiment; null when it is not running. */
  arm: string | null;
  personalized: boolean;
  /** Null when personalized. */
  reason: NotPersonalizedReason | null;
  search_id: string;
  /** The `search_performed` event to send, with the results as shown. */
  event: SearchPerformedEvent;
};

/** Which control searches swap two adjacent results, and where. */
export const SwapSettings = z.strictObject({
  /** The share of control searches logging their signals that swap one pair, in [0, 0.5]. */
  share: z.number().min(0).max(0.5),
  /** The pair is `k, k + 1` with k uniform in 1 … depth − 1 (skipped when fewer results are shown): the first results, where clicks are. */
  depth: z.number().int().min(2).max(50),
});
export type SwapSettings = z.infer<typeof SwapSettings>;

/**
 * One control search in 10 that logs its signals swaps one pair among the first five results. Small, since a swap can
 * put the engine's better result one place lower; enough for the fit to see the engine's relevance apart from attention
 * within four weeks of a shop's control searches (docs/weights.md, "Randomized swaps").
 */
export const DEFAULT_SWAPS: Readonly<SwapSettings> = { share: 0.1, depth: 5 };

export type PersonalizeSearch = <T extends SearchResult>(request: SearchRequest<T>) => Promise<SearchOutcome<T>>;

/**
 * The search service's one call: assign the shopper's arms, read their preferences (only for the
 * personalized arm, within the reader's budget), re-rank, and build the `search_performed` event.
 * Settings are validated here, at start-up; the function it answers never throws for a shopper's
 * data — every way personalization can fail leaves the engine's order, with the reason.
 */
export function createSearchPersonalizer(settings: SearchPersonalizerSettings): PersonalizeSearch {
  const experiments = parseExperiments(settings.experiments ?? [DEFAULT_EXPERIMENT]);
  const gate = experiments.find((experiment) => experiment.id === PERSONALIZATION_EXPERIMENT) ?? null;
  const ranking = settings.ranking ?? {};
  // Checked once here rather than failing every search later.
  rankingStrength(ranking.strength);
  rankingWeights(ranking.weights);
  rankingPriorWeight(ranking.priorWeight);
  const clock = settings.clock ?? (() => new Date());
  const swaps = SwapSettings.parse({ ...DEFAULT_SWAPS, ...settings.swaps });
  const random = settings.random ?? Math.random;

  return async function personalizeSearch<T extends SearchResult>(request: SearchRequest<T>): Promise<SearchOutcome<T>> {
    const now = clock();
    const arms = assignArms(experiments, request.userId);
    const arm = gate ? (arms[gate.id] ?? null) : null;

    let reason: NotPersonalizedReason | null = null;
    let ranked = personalize(request.results, null, { now });
    let logged: readonly RankingEntry[] | null = null;
    if (gate && arm !== null && isControl(gate, arm)) {
      reason = 'control';
      if (settings.signalsInControl === true) logged = await controlSignals(settings.reader, request, { ...ranking, now });
      if (logged !== null) {
        const swapped = swapAdjacent(ranked, logged, swapAt(swaps, random, ranked.results.length));
        ranked = swapped.ranked;
        logged = swapped.logged;
      }
    } else {
      const [read, weights] = await Promise.all([
        readSafely(settings.reader, request.userId),
        weightsFor(settings.weights, request.userId, arms),
      ]);
      if (read.preferences === null) reason = read.reason;
      else {
        ranked = personalize(request.results, read.preferences, { ...ranking, ...(weights === null ? {} : weightOptions(weights)), now });
        if (!ranked.applied) reason = 'no_signal';
        if (ranked.signalsRead) logged = ranked.explanations;
      }
    }

    const personalized = reason === null;
    const searchId = newSearchId();
    const event = searchPerformedEvent({
      sessionId: request.sessionId,
      query: request.query,
      shown: ranked.results,
      personalized,
      ...(logged === null ? {} : { ranking: logged }),
      experiments: arms,
      now,
      searchId,
      resultsCount: request.resultsCount,
      filters: request.filters,
      topCategories: request.topCategories,
      context: request.context,
    });
    settings.logger?.debug('search ranked', { personalized, reason, arm, results: ranked.results.length });
    return {
      results: ranked.results,
      explanations: ranked.explanations,
      experiments: arms,
      arm,
      personalized,
      reason,
      search_id: searchId,
      event,
    };
  };
}

/**
 * The weights of the shopper's version, with their arm added to `arms` while a challenger is tried; null without a
 * weights reader. The arm follows the shopper's bucket in the challenger's own experiment, so each trial splits anew.
 */
async function weightsFor(
  reader: RankingWeightsReader | undefined,
  userId: string,
  arms: Record<string, string>,
): Promise<WeightsVersion | null> {
  if (reader === undefined) return null;
  const { current, challenger } = await reader.read();
  if (challenger === null) return current;
  const experiment = weightsExperimentId(challenger.version);
  const arm = bucketOf(experiment, userId) < CHALLENGER_SHARE ? WEIGHTS_ARMS.challenger : WEIGHTS_ARMS.current;
  arms[experiment] = arm;
  return arm === WEIGHTS_ARMS.challenger ? challenger : current;
}

/** A version's weights as `personalize` takes them: a version without a prior weight keeps the default, 1. */
function weightOptions(version: WeightsVersion): Pick<PersonalizeOptions, 'weights' | 'priorWeight'> {
  return { weights: version.weights, ...(version.prior_weight === undefined ? {} : { priorWeight: version.prior_weight }) };
}

/**
 * The signal values of each result in the engine's order, as the personalized arm would read them, for a search whose
 * order stays the engine's; null when nothing could be read.
 */
async function controlSignals(
  reader: Pick<SearchPreferenceReader, 'read'>,
  request: SearchRequest<SearchResult>,
  options: PersonalizeOptions,
): Promise<readonly RankingEntry[] | null> {
  const read = await readSafely(reader, request.userId);
  if (read.preferences === null) return null;
  const shadow = personalize(request.results, read.preferences, options);
  if (!shadow.signalsRead) return null;
  return shadow.explanations.toSorted((a, b) => a.original_position - b.original_position);
}

/** The first of the two adjacent positions (1-based) to swap, or null: drawn without looking at the results, so a swap says nothing about them. */
export function swapAt(swaps: SwapSettings, random: () => number, shown: number): number | null {
  if (swaps.share === 0 || random() >= swaps.share) return null;
  const k = 1 + Math.floor(random() * (swaps.depth - 1));
  return k < shown ? k : null;
}

/** The engine's order with the results at `k` and `k + 1` exchanged, and the logged entries in the order shown. */
function swapAdjacent<T extends SearchResult>(
  ranked: Personalized<T>,
  logged: readonly RankingEntry[],
  k: number | null,
): { ranked: Personalized<T>; logged: readonly RankingEntry[] } {
  if (k === null) return { ranked, logged };
  const exchange = <E>(items: readonly E[]): E[] => items.map((item, i) => (i === k - 1 ? items[k] : i === k ? items[k - 1] : item) as E);
  const explanations = exchange(ranked.explanations).map((e, i) => ({ ...e, position: i + 1 }));
  return { ranked: { ...ranked, results: exchange(ranked.results), explanations }, logged: exchange(logged) };
}

/** The reader promises never to throw; one that does still costs the shopper only personalization. */
async function readSafely(reader: Pick<SearchPreferenceReader, 'read'>, userId: string): Promise<PreferenceRead> {
  try {
    return await reader.read(userId);
  } catch {
    return { preferences: null, reason: 'error', cached: false };
  }
}
