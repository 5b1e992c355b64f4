import type { CollectedEvent } from '../../functions/events/schema.ts';
import { learn } from '../../functions/learn/learn.ts';
import type { Preferences } from '../../functions/learn/preferences.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { createSearchPersonalizer, createSearchPreferenceReader } from '../../functions/search/index.ts';
import { shopHistory } from './history.ts';
import { score, type Score } from './score.ts';
import { buildWorld, emptyLedger, shopTrip, type RunOptions, type TripPorts } from './trip.ts';

// The same shoppers and trips as the simulation, learned in this process: each trip's events go straight
// into `learn` (real-time learning, as the learn function applies them) and search reads the documents
// from memory. No collect, Pub/Sub, warehouse or batch jobs — so no patterns (regular items, brand
// shares) either. It is for trying a learning or ranking change on several seeds in seconds; the
// figures that count come from the simulation through the local stack.

export type InProcessOptions = RunOptions & {
  progress?: (text: string, fraction: number) => void;
};

export type InProcessResult = {
  options: { shoppers: number; days: number; seed: number; historyDays: number };
  /** The orders of the days before the first live day, seeded before it as an import seeds them. */
  history: { orders: number; shoppers: number };
  dates: string[];
  /** Events learned, and Σ event_count over the documents after the last day. */
  events: number;
  learned: number;
  /** Searches by why they were or were not personalized (`personalized`, `control`, `missing`, `no_signal`, …). */
  searches: Record<string, number>;
  score: Score;
  wallSeconds: number;
};

export async function runInProcess(options: InProcessOptions): Promise<InProcessResult> {
  const started = Date.now();
  const { world, shoppers } = buildWorld(options, options.ranking);
  const { dates } = world;

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
      const collected = sent.map((e) => ({ ...e, user_id: userId, received_at: e.sent_at, event_time: e.occurred_at }));
      const last = collected.at(-1);
      if (last) documents.set(userId, learn(documents.get(userId) ?? null, userId, collected, new Date(last.event_time)));
      events += sent.length;
    },
  };
  const ledger = emptyLedger();
  const historyDays = options.historyDays ?? 0;
  const history = await shopHistory(world, shoppers, ledger, historyDays, (day) => options.progress?.(`history day ${day + historyDays + 1}/${historyDays}`, 0));
  // Seeded at the first live day, from the orders alone: what an import of them learns (test/history/seeding.property.test.ts).
  const seededAt = new Date(world.dayStart(0));
  const ordersOf = new Map<string, CollectedEvent[]>();
  for (const { userId, event } of history) {
    const collected = { ...event, user_id: userId, received_at: seededAt.toISOString(), event_time: event.occurred_at } as CollectedEvent;
    ordersOf.set(userId, [...(ordersOf.get(userId) ?? []), collected]);
  }
  for (const [userId, orders] of ordersOf) documents.set(userId, learn(null, userId, orders, seededAt));
  for (let day = 0; day < options.days; day++) {
    // One shopper after another, so the run is the same whatever the machine.
    for (const [index, truth] of shoppers.entries()) await shopTrip(world, ports, ledger, index, truth, day);
    options.progress?.(`day ${day + 1}/${options.days} ${dates[day]}: ${events} events learned`, (day + 1) / options.days);
  }
  return {
    options: { shoppers: options.shoppers, days: options.days, seed: options.seed, historyDays },
    history: { orders: history.length, shoppers: ordersOf.size },
    dates,
    events,
    learned: [...documents.values()].reduce((sum, d) => sum + d.event_count, 0),
    searches: ledger.personalizedReasons,
    score: score(dates, ledger.searches, ledger.reorders, ledger.brands),
    wallSeconds: (Date.now() - started) / 1000,
  };
}
