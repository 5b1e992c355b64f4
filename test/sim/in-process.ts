import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import type { ReorderModel } from '../../functions/kernel/reorder-model.ts';
import { learn } from '../../functions/learn/learn.ts';
import { createLogger } from '../../functions/logging/logger.ts';
import { BEGINNING, runPatternsJob } from '../../functions/patterns/job.ts';
import type { Preferences } from '../../functions/learn/preferences.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { createSearchPersonalizer, createSearchPreferenceReader, type RankingWeightsReader } from '../../functions/search/index.ts';
import { shopHistory } from './history.ts';
import { score, type Score } from './score.ts';
import { buildWorld, controlSwaps, emptyLedger, shopTrip, type RunOptions, type TripLedger, type TripPorts } from './trip.ts';

// The same shoppers and trips as the simulation, learned in this process: each trip's events go straight
// into `learn` (real-time learning, as the learn function applies them) and search reads the documents
// from memory. No collect or Pub/Sub, and no published patterns (regular items, brand shares): the orders
// go to an in-memory DuckDB warehouse, where the patterns job runs after each day for the reorder model it
// fits, which search and the scorer then read. It is for trying a learning or ranking change on several
// seeds in a minute or two; the figures that count come from the simulation through the local stack.

export type InProcessOptions = RunOptions & {
  progress?: (text: string, fraction: number) => void;
  /** Passed to the personalizer: control searches log their signal values (the weights fit's data). */
  signalsInControl?: boolean;
  /** Passed to the personalizer: the ranking weights' current and challenger versions. */
  weights?: RankingWeightsReader;
  /** Orders the personalized arm's results instead of the loop (an oracle, oracle.ts); the control arm is untouched. */
  rerank?: TripPorts['rerank'];
  /** Told every search as shown (ceiling.ts). */
  searched?: TripPorts['searched'];
  /** Told every event as collect would store it, e.g. to fill a warehouse. */
  collected?: (events: readonly CollectedEvent[]) => void;
  /** The ledger the trips fill (a fresh one by default), e.g. with other observers already in `ideals`. */
  ledger?: TripLedger;
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
  const { world, shoppers } = buildWorld(options);
  const { dates } = world;

  const documents = new Map<string, Preferences>();
  const read = async (userId: string) => {
    const learned = documents.get(userId);
    return learned ? { learned, patterns: null } : null;
  };
  const warehouse = await createDuckDbWarehouse(':memory:');
  let model: ReorderModel | null = null;
  // A reader per simulated day: the model is read fresh after each night's fit, as a day outlasts its cache.
  const newReader = () =>
    createSearchPreferenceReader({
      documents: { read },
      privacy: { read: async () => ({ ...DEFAULT_PRIVACY, updated_at: null }) },
      reorderModel: { read: async () => model },
    });
  let reader = newReader();
  let events = 0;
  const orders: CollectedEvent[] = [];
  // The control arm's randomized swaps, drawn in trip order from the run's seed so that a run repeats.
  const swaps = controlSwaps(options.seed);
  const ports: TripPorts = {
    believed: async (userId) => {
      reader.forget(userId);
      return read(userId);
    },
    reorderModel: async () => model,
    personalizer: (clock) =>
      createSearchPersonalizer({
        reader,
        clock,
        ...(options.ranking ? { ranking: options.ranking } : {}),
        ...(options.signalsInControl ? { signalsInControl: true, random: swaps.next } : {}),
        ...(options.weights ? { weights: options.weights } : {}),
      }),
    ...(options.rerank ? { rerank: options.rerank } : {}),
    ...(options.searched ? { searched: options.searched } : {}),
    send: async (userId, sent) => {
      // Collect's fields for a client whose clock is right: the event happened when it says.
      const collected = sent.map((e) => ({ ...e, user_id: userId, received_at: e.sent_at, event_time: e.occurred_at }));
      options.collected?.(collected);
      const last = collected.at(-1);
      if (last) documents.set(userId, learn(documents.get(userId) ?? null, userId, collected, new Date(last.event_time)));
      orders.push(...collected.filter((e) => e.type === 'order_completed'));
      events += sent.length;
    },
  };
  /** The day's orders into the warehouse, then the patterns job as of `asOf`, for the reorder model it fits (or keeps). */
  const fit = async (asOf: Date) => {
    model = (await fitReorderModelInWarehouse(warehouse, orders.splice(0), asOf)) ?? model;
    reader = newReader();
  };
  const ledger = options.ledger ?? emptyLedger();
  const historyDays = options.historyDays ?? 0;
  const history = await shopHistory(world, shoppers, ledger, historyDays, (day) =>
    options.progress?.(`history day ${day + historyDays + 1}/${historyDays}`, 0),
  );
  // Seeded at the first live day, from the orders alone: what an import of them learns (test/history/seeding.property.test.ts).
  const seededAt = new Date(world.dayStart(0));
  const ordersOf = new Map<string, CollectedEvent[]>();
  for (const { userId, event } of history) {
    const collected = { ...event, user_id: userId, received_at: seededAt.toISOString(), event_time: event.occurred_at } as CollectedEvent;
    ordersOf.set(userId, [...(ordersOf.get(userId) ?? []), collected]);
    orders.push(collected);
  }
  for (const [userId, imported] of ordersOf) documents.set(userId, learn(null, userId, imported, seededAt));
  // The patterns job runs over the imported range, as an import runs it.
  if (ordersOf.size > 0) await fit(seededAt);
  try {
    for (let day = 0; day < options.days; day++) {
      // One shopper after another, so the run is the same whatever the machine.
      for (const [index, truth] of shoppers.entries()) await shopTrip(world, ports, ledger, index, truth, day);
      await fit(new Date(world.dayStart(day + 1)));
      options.progress?.(`day ${day + 1}/${options.days} ${dates[day]}: ${events} events learned`, (day + 1) / options.days);
    }
  } finally {
    await warehouse.close();
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

const quiet = createLogger({ minSeverity: 'ERROR', sink: () => undefined });

/**
 * Adds `orders` to the warehouse and runs the patterns job over every shopper as of `asOf`, keeping only the reorder
 * model it fits (null when its examples were too few); the shoppers' patterns are not published here.
 */
async function fitReorderModelInWarehouse(
  warehouse: DuckDbWarehouse,
  orders: readonly CollectedEvent[],
  asOf: Date,
): Promise<ReorderModel | null> {
  // As ingest stores them: the events and their order lines.
  const { failed } = await warehouse.insertEvents(orders, 'simulation');
  if (failed.length > 0) throw new Error(`the warehouse refused ${failed.length} orders, e.g. ${failed[0]?.reason}`);
  let fitted: ReorderModel | null = null;
  await runPatternsJob(
    {
      warehouse,
      publisher: { publish: async (entries) => ({ written: entries.length }) },
      reorderModels: {
        publish: async (m) => {
          fitted = m;
        },
      },
      privacy: { readMany: async (ids) => new Map(ids.map((id) => [id, { ...DEFAULT_PRIVACY, updated_at: null }])) },
      erasures: { pending: async () => [] },
      clock: () => asOf,
      logger: quiet,
      settleMs: 0,
    },
    { asOf, since: BEGINNING },
  );
  return fitted;
}
