import type { CollectedEvent } from '../../functions/events/schema.ts';
import { learn } from '../../functions/learn/learn.ts';
import type { LearningConfig } from '../../functions/learn/learning-config.ts';
import type { Preferences } from '../../functions/learn/preferences.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { createSearchPersonalizer, createSearchPreferenceReader, type PersonalizeOptions } from '../../functions/search/index.ts';
import { buildCatalog, seededRandom } from './catalog.ts';
import { score, type Score } from './score.ts';
import { buildShoppers } from './shoppers.ts';
import { emptyLedger, shopTrip, type TripPorts, type TripWorld } from './trip.ts';

// The same shoppers and trips as the simulation, learned in this process: each trip's events go straight
// into `learn` (real-time learning, as the learn function applies them) and search reads the documents
// from memory. No collect, Pub/Sub, warehouse or batch jobs — so no patterns (regular items, brand
// shares) either. It is for trying a learning or ranking change on several seeds in seconds; the
// figures that count come from the simulation through the local stack.

export type InProcessOptions = {
  shoppers: number;
  days: number;
  seed: number;
  /** The search service's ranking settings; the defaults when not given. */
  ranking?: Omit<PersonalizeOptions, 'now'>;
  /** Real-time learning's settings; `DEFAULT_LEARNING_CONFIG` when not given. */
  learning?: LearningConfig;
  progress?: (text: string, fraction: number) => void;
};

export type InProcessResult = {
  options: { shoppers: number; days: number; seed: number };
  dates: string[];
  /** Events learned, and Σ event_count over the documents after the last day. */
  events: number;
  learned: number;
  /** Searches by why they were or were not personalized (`personalized`, `control`, `missing`, `no_signal`, …). */
  searches: Record<string, number>;
  score: Score;
  wallSeconds: number;
};

const DAY_MS = 86_400_000;

export async function runInProcess(options: InProcessOptions): Promise<InProcessResult> {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const catalog = buildCatalog(random);
  const categoryOfBrand = new Map<string, string>();
  for (const [category, brands] of catalog.brandsByCategory) for (const b of brands) categoryOfBrand.set(b, category);
  // The simulation's calendar: the N whole UTC days ending at today's midnight.
  const todayMs = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const dayStart = (day: number) => todayMs - (options.days - day) * DAY_MS;
  const dates = Array.from({ length: options.days }, (_, d) => new Date(dayStart(d)).toISOString().slice(0, 10));
  const shoppers = buildShoppers(random, catalog, options.shoppers, dayStart(0));

  const documents = new Map<string, Preferences>();
  const read = async (userId: string) => {
    const learned = documents.get(userId);
    return learned ? { learned, patterns: null } : null;
  };
  const reader = createSearchPreferenceReader({ documents: { read }, privacy: { read: async () => ({ ...DEFAULT_PRIVACY, updated_at: null }) } });
  let events = 0;
  const ports: TripPorts = {
    believed: async (userId) => {
      reader.forget(userId);
      return read(userId);
    },
    personalizer: (clock) => createSearchPersonalizer({ reader, clock, ...(options.ranking ? { ranking: options.ranking } : {}) }),
    send: async (userId, sent) => {
      // Collect's fields for a client whose clock is right: the event happened when it says.
      const collected = sent.map((e) => ({ ...e, user_id: userId, received_at: e.sent_at, event_time: e.occurred_at }) as CollectedEvent);
      const last = collected.at(-1);
      if (last) documents.set(userId, learn(documents.get(userId) ?? null, userId, collected, new Date(last.event_time), options.learning));
      events += sent.length;
    },
  };
  const world: TripWorld = { seed: options.seed, catalog, categoryOfBrand, dayStart, dates, ...(options.ranking ? { dueRule: options.ranking } : {}) };
  const ledger = emptyLedger();
  for (let day = 0; day < options.days; day++) {
    // One shopper after another, so the run is the same whatever the machine.
    for (const [index, truth] of shoppers.entries()) await shopTrip(world, ports, ledger, index, truth, day);
    options.progress?.(`day ${day + 1}/${options.days} ${dates[day]}: ${events} events learned`, (day + 1) / options.days);
  }
  return {
    options: { shoppers: options.shoppers, days: options.days, seed: options.seed },
    dates,
    events,
    learned: [...documents.values()].reduce((sum, d) => sum + d.event_count, 0),
    searches: ledger.personalizedReasons,
    score: score(dates, ledger.searches, ledger.reorders, ledger.brands),
    wallSeconds: (Date.now() - started) / 1000,
  };
}
