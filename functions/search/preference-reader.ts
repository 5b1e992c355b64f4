import { createExpiringCache } from '../kernel/expiring-cache.ts';
import type { Clock } from '../kernel/ports.ts';
import type { Logger } from '../logging/logger.ts';
import type { PreferenceDocumentReader } from '../learn/preference-document.ts';
import type { ReorderModel, ReorderModelReader } from '../kernel/reorder-model.ts';
import type { PrivacyReader, ShopperPreferences } from './ports.ts';

/** Why a search goes on unpersonalized. */
export type UnreadReason =
  /** The read did not answer within the budget. */
  | 'timeout'
  /** The document or the settings could not be read. */
  | 'error'
  /** Nothing has been learned about the shopper (no document, or neither learning nor patterns in it). */
  | 'missing'
  /** The shopper switched learn_preferences off. */
  | 'not_learning';

export type PreferenceRead =
  { preferences: ShopperPreferences; reason: null; cached: boolean } | { preferences: null; reason: UnreadReason; cached: boolean };

export interface SearchPreferenceReader {
  /** Never throws and never takes much longer than the budget. */
  read(userId: string): Promise<PreferenceRead>;
  /** Drops the shopper's cached answer, e.g. right after they changed their settings. */
  forget(userId: string): void;
}

export type SearchPreferenceReaderSettings = {
  /** Longest a search waits for the preferences, ms. Default 50: a fraction of a search's own latency budget. */
  budgetMs?: number;
  /**
   * How long an answer is reused, ms. Default 30,000: learning changes a document within seconds, but a
   * search or two with a 30-second-old picture costs little, and a privacy change takes effect within it.
   */
  ttlMs?: number;
  /** Shoppers whose answers are kept at once; the least recently used goes first. Default 10,000. */
  maxEntries?: number;
  /** Default: the system clock. */
  clock?: Clock;
  logger?: Logger;
};

export const DEFAULT_BUDGET_MS = 50;
export const DEFAULT_TTL_MS = 30_000;
export const DEFAULT_MAX_ENTRIES = 10_000;

type Answer = { preferences: ShopperPreferences; reason: null } | { preferences: null; reason: UnreadReason };

/**
 * A shopper's preferences and privacy settings, read together (in parallel) within a time budget,
 * with a small LRU cache. Reads of one shopper in flight at once share one read. A read that misses
 * the budget goes on: when it answers, its answer fills the cache, so the shopper's next search is
 * personalized. Answers are cached; errors are not, so the next search tries again.
 */
export function createSearchPreferenceReader(
  ports: {
    documents: PreferenceDocumentReader;
    privacy: PrivacyReader;
    /** The reorder model in force, read once per `ttlMs` for every shopper; without it, the default due rule decides. */
    reorderModel?: ReorderModelReader;
  },
  settings: SearchPreferenceReaderSettings = {},
): SearchPreferenceReader {
  const budgetMs = positive('budgetMs', settings.budgetMs ?? DEFAULT_BUDGET_MS);
  const ttlMs = positive('ttlMs', settings.ttlMs ?? DEFAULT_TTL_MS);
  const maxEntries = positive('maxEntries', settings.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const clock = settings.clock ?? (() => new Date());
  // Logging must not break a search, nor reject a read nobody waits for any more.
  const warn = (message: string, fields: Record<string, unknown>) => {
    try {
      settings.logger?.warn(message, fields);
    } catch {
      // Nothing else to tell.
    }
  };
  const answers = createExpiringCache<string, Answer>({ max: maxEntries, nowMs: () => clock().getTime() });
  const inFlight = new Map<string, Promise<Answer>>();
  const reorderModel = sharedModel(ports.reorderModel, ttlMs, () => clock().getTime(), warn);

  async function readNow(userId: string): Promise<Answer> {
    try {
      const [document, privacy, model] = await Promise.all([ports.documents.read(userId), ports.privacy.read(userId), reorderModel()]);
      if (!privacy.learn_preferences) return { preferences: null, reason: 'not_learning' };
      if (!document || (document.learned === null && document.patterns === null)) return { preferences: null, reason: 'missing' };
      const { learn_preferences, learn_brands, learn_price, learn_schedule, learn_dietary } = privacy;
      return {
        preferences: {
          ...document,
          privacy: { learn_preferences, learn_brands, learn_price, learn_schedule, learn_dietary },
          reorder_model: model,
        },
        reason: null,
      };
    } catch (error) {
      warn('preferences could not be read; searching unpersonalized', { error });
      return { preferences: null, reason: 'error' };
    }
  }

  function fetch(userId: string): Promise<Answer> {
    const running = inFlight.get(userId);
    if (running) return running;
    const flight = readNow(userId).then((answer) => {
      // A shopper forgotten meanwhile may have changed their settings: this answer is not to be kept.
      if (inFlight.get(userId) !== flight) return answer;
      inFlight.delete(userId);
      try {
        if (answer.reason !== 'error') answers.set(userId, answer, clock().getTime() + ttlMs);
      } catch {
        // Nobody may be waiting for this read any more (it missed the budget): it must not reject.
      }
      return answer;
    });
    inFlight.set(userId, flight);
    return flight;
  }

  return {
    async read(userId) {
      try {
        const hit = answers.get(userId);
        if (hit) return { ...hit, cached: true };
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<Answer>((resolve) => {
          timer = setTimeout(() => resolve({ preferences: null, reason: 'timeout' }), budgetMs);
        });
        const answer = await Promise.race([fetch(userId), timedOut]).finally(() => clearTimeout(timer));
        if (answer.reason === 'timeout')
          warn('preferences were not read within the budget; searching unpersonalized', { budget_ms: budgetMs });
        return { ...answer, cached: false };
      } catch {
        // Only a broken clock gets here; the search must go on regardless.
        return { preferences: null, reason: 'error', cached: false };
      }
    },
    forget(userId) {
      answers.delete(userId);
      inFlight.delete(userId);
    },
  };
}

/**
 * The one model every shopper's read shares: fetched at most once per `ttlMs` (reads at once share the fetch). A
 * failed fetch keeps the last model read (null at first), so a search never waits on it twice, and is tried again next.
 */
function sharedModel(
  reader: ReorderModelReader | undefined,
  ttlMs: number,
  nowMs: () => number,
  warn: (message: string, fields: Record<string, unknown>) => void,
): () => Promise<ReorderModel | null> {
  let model: ReorderModel | null = null;
  let readAt = Number.NEGATIVE_INFINITY;
  let flight: Promise<ReorderModel | null> | null = null;
  return () => {
    if (reader === undefined) return Promise.resolve(null);
    if (nowMs() - readAt < ttlMs) return Promise.resolve(model);
    flight ??= reader
      .read()
      .then(
        (read) => {
          model = read;
          readAt = nowMs();
          return model;
        },
        (error: unknown) => {
          warn('the reorder model could not be read; deciding by the last one read', { error });
          return model;
        },
      )
      .finally(() => {
        flight = null;
      });
    return flight;
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, not ${value}`);
  return value;
}
