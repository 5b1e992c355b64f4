import { withDeadline } from '../kernel/deadline.ts';
import type { Clock } from '../kernel/ports.ts';
import { handSetVersion, type WeightsStore, type WeightsVersion } from '../kernel/weights-versions.ts';
import type { Logger } from '../logging/logger.ts';

/** The versions search ranks with: `current` for everyone, and a `challenger` tried on a share of the personalized arm. */
export type RankingVersions = { current: WeightsVersion; challenger: WeightsVersion | null };

export interface RankingWeightsReader {
  /** Never throws: on a failed read, the last versions read, else the hand-set weights alone. */
  read(): Promise<RankingVersions>;
}

export type RankingWeightsReaderSettings = {
  /** How long the versions are reused, ms. Default 60,000: a promotion reaches every instance within a minute. */
  ttlMs?: number;
  /** Longest a search waits for a refresh, ms. Default 200; a slower refresh keeps the versions it had. */
  budgetMs?: number;
  clock?: Clock;
  logger?: Logger;
};

export const DEFAULT_WEIGHTS_TTL_MS = 60_000;
export const DEFAULT_WEIGHTS_BUDGET_MS = 200;

/**
 * The versions of `ranking/rollout` (functions/kernel/weights-versions.ts), read at most once per `ttlMs` for the whole
 * process, not per search: they change once a day at most. A version the rollout names but the store lacks is left
 * out (a missing current falls back to the hand-set weights), so a bad rollout never fails a search.
 */
export function createRankingWeightsReader(
  store: Pick<WeightsStore, 'rollout' | 'read'>,
  settings: RankingWeightsReaderSettings = {},
): RankingWeightsReader {
  const ttlMs = settings.ttlMs ?? DEFAULT_WEIGHTS_TTL_MS;
  const budgetMs = settings.budgetMs ?? DEFAULT_WEIGHTS_BUDGET_MS;
  const clock = settings.clock ?? (() => new Date());
  let known: RankingVersions = { current: handSetVersion(), challenger: null };
  let freshUntil = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<RankingVersions> | null = null;

  const refresh = async (): Promise<RankingVersions> => {
    const rollout = await store.rollout();
    const [current, challenger] = await Promise.all([
      store.read(rollout.current),
      rollout.challenger === null ? null : store.read(rollout.challenger),
    ]);
    return { current: current ?? handSetVersion(), challenger };
  };

  return {
    async read() {
      if (clock().getTime() < freshUntil) return known;
      refreshing ??= withDeadline(refresh(), budgetMs, 'ranking weights read')
        .then((versions) => (known = versions))
        .catch((error: unknown) => {
          settings.logger?.warn('ranking weights not read; ranking with the last known', { error, current: known.current.version });
          return known;
        })
        .finally(() => {
          // Success or not, the next read waits a ttl: a failing store is not asked on every search.
          freshUntil = clock().getTime() + ttlMs;
          refreshing = null;
        });
      return refreshing;
    },
  };
}
