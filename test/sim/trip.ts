import { randomUUID } from 'node:crypto';
import type { ClientEvent, ProductRef } from '../../functions/events/schema.ts';
import {
  searchContext,
  searchResultClickedEvent,
  type PersonalizeOptions,
  type PersonalizeSearch,
  type PreferenceDocument,
  type SearchPerformedEvent,
} from '../../functions/search/index.ts';
import { baselineSearch, buildCatalog, seededRandom, type Catalog, type Product, type Random } from './catalog.ts';
import type { ReorderModel } from '../../functions/kernel/reorder-model.ts';
import { WEIGHTS_EXPERIMENT_PREFIX } from '../../functions/kernel/weights-versions.ts';
import { brandEvidence, learnedTopBrands, reorderCandidates } from './observe.ts';
import { idealObserver, type IdealObserver } from './ideal.ts';
import { orderCountTopBrands, type BrandRecord, type ReorderRecord, type SearchRecord } from './score.ts';
import type { RankContext, Ranking } from './oracle.ts';
import { ATTRIBUTION_MINUTES } from '../../functions/warehouse/sql-macros.ts';
import { addsToCart, buildShoppers, chooseClick, queryFor, shopsOn, tripNeeds, type ShopperTruth } from './shoppers.ts';

// One shopper's trip on one simulated day: what they search, click, put in the cart and order, and
// what the scorer records about it. The loop is reached only through `TripPorts`, so the same trips
// run through the local stack (simulate.ts) or straight into the learning code (in-process.ts).

/** What both runners are asked for: the population, the days, the seed, and search's ranking. */
export type RunOptions = {
  shoppers: number;
  /** Live days: trips sent to the loop and scored. */
  days: number;
  seed: number;
  /**
   * Days of history before the first live day, shopped by the same shoppers before the loop was there (search
   * unpersonalized) and imported as order history (history.ts). Default 0: the loop starts cold.
   */
  historyDays?: number;
  /** The search service's ranking settings (strength, weights); the defaults when not given. */
  ranking?: Omit<PersonalizeOptions, 'now'>;
};

/** The simulated world every trip shares. */
export type TripWorld = {
  seed: number;
  catalog: Catalog;
  categoryOfBrand: Map<string, string>;
  /** The first millisecond of simulated day `day` (0-based). */
  dayStart: (day: number) => number;
  /** Each simulated day as YYYY-MM-DD. */
  dates: string[];
};

/** How a trip reaches the loop. */
export type TripPorts = {
  /** The shopper's preference document as the trip starts: the scorer's look at what the loop believes. */
  believed: (userId: string) => Promise<PreferenceDocument | null>;
  /** The reorder model search reads as the trip starts (null: none fitted yet), so the scorer judges what search acts on. */
  reorderModel: () => Promise<ReorderModel | null>;
  /** The search service, reading the shopper's preferences at the trip's simulated clock. */
  personalizer: (clock: () => Date) => PersonalizeSearch;
  /** Sends the trip's events, in order, as the shopper's app would. */
  send: (userId: string, events: ClientEvent[]) => Promise<void>;
  /** Replaces the order shown outside the control arm (an oracle's, oracle.ts); absent, the loop's order is shown. */
  rerank?: Ranking;
  /** Told every search as the shopper saw it, for the ceiling's breakdown (ceiling.ts). */
  searched?: (search: SearchSeen) => void;
};

/** One search as shown: when, in which arm, what every ranking may be told, the engine's results, the order shown and the click. */
export type SearchSeen = {
  day: number;
  arm: string;
  /** Why the loop did not personalize it (`control`, `missing`, `no_signal`…), null when it did. */
  reason: string | null;
  context: RankContext;
  engine: readonly Product[];
  shown: readonly Product[];
  clicked: number | null;
};

/** What the trips of a run add up to, for the scorer and the report. */
export type TripLedger = {
  searches: SearchRecord[];
  reorders: ReorderRecord[];
  brands: BrandRecord[];
  /** Every event sent per shopper, in order: all the order-count oracle may look at (never the truth). */
  sentEvents: Map<string, ClientEvent[]>;
  /** Per shopper, the ideal observer of their trips (ideal.ts): an upper bound for brand accuracy. */
  ideals: Map<string, IdealObserver>;
  /** Units of each SKU ordered so far per shopper: which purchases are repeats. */
  orderCounts: Map<string, Map<string, number>>;
  orderLines: number;
  searchCount: number;
  personalizedReasons: Record<string, number>;
};

const DAY_MS = 86_400_000;

/**
 * A run's seeded world and shoppers: the catalogue, then the shoppers, from one random stream, over the
 * N whole UTC days ending at today's midnight (the shoppers' week starts on the first of them).
 */
export function buildWorld(options: Omit<RunOptions, 'ranking'>): { world: TripWorld; shoppers: ShopperTruth[] } {
  const historyDays = options.historyDays ?? 0;
  const random = seededRandom(options.seed);
  const catalog = buildCatalog(random);
  const categoryOfBrand = new Map<string, string>();
  for (const [category, brands] of catalog.brandsByCategory) for (const b of brands) categoryOfBrand.set(b, category);
  const todayMs = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const dayStart = (day: number) => todayMs - (options.days - day) * DAY_MS;
  const dates = Array.from({ length: options.days }, (_, d) => new Date(dayStart(d)).toISOString().slice(0, 10));
  // The shoppers' staples start where their days start: the first day of history, if there is any.
  const shoppers = buildShoppers(random, catalog, options.shoppers, dayStart(-historyDays));
  return { world: { seed: options.seed, catalog, categoryOfBrand, dayStart, dates }, shoppers };
}

export function emptyLedger(): TripLedger {
  return {
    searches: [],
    reorders: [],
    brands: [],
    sentEvents: new Map(),
    ideals: new Map(),
    orderCounts: new Map(),
    orderLines: 0,
    searchCount: 0,
    personalizedReasons: {},
  };
}

const HOUR_MS = 3_600_000;

export function productRef(p: Product): ProductRef {
  return { sku: p.sku, name: p.name, category: p.category, brand: p.brand, price: p.price, dietary_tags: p.dietary_tags };
}

/** One shopper's random stream per day, so a run is reproducible whatever order trips finish in. */
export function streamSeed(seed: number, shopper: number, day: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 2654435761) ^ Math.imul(shopper + 1, 40503) ^ Math.imul(day + 1, 2246822519)) >>> 0;
}

/** Shopper `index`'s trip on `day`, if they shop that day: every event goes through `ports.send`. */
export async function shopTrip(
  world: TripWorld,
  ports: TripPorts,
  ledger: TripLedger,
  index: number,
  truth: ShopperTruth,
  day: number,
): Promise<void> {
  const { catalog, categoryOfBrand, dates } = world;
  const rng = seededRandom(streamSeed(world.seed, index, day));
  if (!shopsOn(rng, truth, day)) return;
  let at = world.dayStart(day) + truth.hour * HOUR_MS + rng.int(0, 50) * 60_000;
  const step = () => (at += rng.int(10, 60) * 1000);
  // A day of history before the live days has no entry in `dates`.
  const sessionId = `${truth.userId}-${dates[day] ?? new Date(world.dayStart(day)).toISOString().slice(0, 10)}`;
  // The scorer's look at what the loop believes as the trip starts (not the loop's own read).
  const believed = await ports.believed(truth.userId);
  const candidates = reorderCandidates(believed, new Date(at), await ports.reorderModel());
  // The reference: the same pairs judged by the order-count oracle over the events sent so far.
  const oracle = orderCountTopBrands(ledger.sentEvents.get(truth.userId) ?? []);
  const ideal = ledger.ideals.get(truth.userId) ?? idealObserver(catalog, truth);
  ledger.ideals.set(truth.userId, ideal);
  const categoryOf = (brand: string) => categoryOfBrand.get(brand);
  const evidence = brandEvidence(believed, categoryOf);
  for (const [category, predicted] of learnedTopBrands(believed, new Date(at), categoryOf)) {
    ledger.brands.push({
      day,
      predicted,
      oracle: oracle.get(category) ?? null,
      ideal: ideal.favourite(category),
      favourite: truth.favouriteBrand.get(category) ?? null,
      evidence: evidence.get(category) ?? 0,
    });
  }
  // The search service's clock is the simulated one, so decay and due dates are read at simulated time.
  let searchAt = new Date(at);
  const personalizeSearch = ports.personalizer(() => searchAt);
  const events: ClientEvent[] = [];
  const cart = new Map<string, Product>();
  // When each product went into the cart, and the trip's searches, for the positions of what was then bought.
  const addedAt = new Map<string, number>();
  const searched: { record: SearchRecord; shown: readonly Product[]; at: number }[] = [];
  let cartValue = 0;
  const addToCart = (product: Product, search: SearchPerformedEvent | null) => {
    if (cart.has(product.sku)) return;
    cart.set(product.sku, product);
    cartValue = Math.round((cartValue + product.price) * 100) / 100;
    const addMs = step();
    addedAt.set(product.sku, addMs);
    const time = new Date(addMs).toISOString();
    events.push({
      event_id: randomUUID(),
      type: 'cart_item_added',
      session_id: sessionId,
      occurred_at: time,
      sent_at: time,
      ...(search ? { context: searchContext(search) } : {}),
      data: { product: productRef(product), quantity: 1, cart_value: cartValue, ...(search ? { search_id: search.data.search_id } : {}) },
    });
  };
  const needs = tripNeeds(rng, catalog, truth, at);
  for (const need of needs) {
    const query = queryFor(rng, need);
    const engine = baselineSearch(catalog, query);
    if (engine.length === 0) continue;
    searchAt = new Date(step());
    const outcome = await personalizeSearch({
      userId: truth.userId,
      sessionId,
      query,
      results: engine.map((p) => ({ ...p, promotion: null })),
    });
    ledger.searchCount++;
    const reason = outcome.reason ?? 'personalized';
    ledger.personalizedReasons[reason] = (ledger.personalizedReasons[reason] ?? 0) + 1;
    events.push(outcome.event);
    const ranked = outcome.results.map((r) => catalog.bySku.get(r.sku) as Product);
    const context: RankContext = { truth, need, query, ideal, history: ledger.sentEvents.get(truth.userId) ?? [], at: searchAt, catalog };
    const shown = ports.rerank && outcome.reason !== 'control' ? ports.rerank(context, ranked) : ranked;
    const position = chooseClick(rng, truth, need, shown);
    // Before the ideal observer learns from this search: what it knew when the search was ranked.
    ports.searched?.({ day, arm: outcome.arm ?? 'none', reason: outcome.reason, context, engine, shown, clicked: position });
    ideal.searched(need, shown, position);
    const record: SearchRecord = { day, arm: outcome.arm ?? 'none', clicked: position, ...weightsArmOf(outcome.event) };
    ledger.searches.push(record);
    searched.push({ record, shown, at: searchAt.getTime() });
    if (position === null) continue;
    const clicked = shown[position - 1] as Product;
    events.push(searchResultClickedEvent(outcome.event, productRef(clicked), { now: new Date(step()), position }));
    if (addsToCart(rng, need)) addToCart(clicked, outcome.event);
  }
  // Staples are bought on their schedule whether or not a search found them (from the reorder list).
  for (const need of needs) if (need.kind === 'staple') addToCart(need.product, null);
  let orderedAt: number | null = null;
  if (cart.size > 0) {
    const items = [...cart.values()];
    orderedAt = step();
    const orderTime = new Date(orderedAt).toISOString();
    events.push({
      event_id: randomUUID(),
      type: 'order_completed',
      session_id: sessionId,
      occurred_at: orderTime,
      sent_at: orderTime,
      data: {
        order_id: `order-${sessionId}`,
        total: cartValue,
        currency: 'EUR',
        items: items.map((p) => ({ ...productRef(p), quantity: 1 })),
      },
    });
    ledger.orderLines += items.length;
    ideal.ordered(items);
    for (const staple of truth.staples) if (cart.has(staple.sku)) staple.lastBoughtAt = Date.parse(orderTime);
    const counts = ledger.orderCounts.get(truth.userId) ?? new Map<string, number>();
    ledger.orderCounts.set(truth.userId, counts);
    ledger.reorders.push({
      day,
      predicted: candidates.filter((c) => c.due).map((c) => c.sku),
      naive: candidates.filter((c) => c.naive).map((c) => c.sku),
      ranked: candidates.map((c) => ({ sku: c.sku, probability: c.probability })),
      ordered: items.map((p) => p.sku),
      repeat: items.filter((p) => (counts.get(p.sku) ?? 0) >= 2).map((p) => p.sku),
    });
    for (const p of items) counts.set(p.sku, (counts.get(p.sku) ?? 0) + 1);
  }
  for (const { record, shown, at: searchedAt } of searched) record.bought = boughtPositions(shown, searchedAt, addedAt, orderedAt);
  await ports.send(truth.userId, events);
  const history = ledger.sentEvents.get(truth.userId) ?? [];
  ledger.sentEvents.set(truth.userId, history);
  history.push(...events);
}

/**
 * The positions at which a search showed the products put in the cart or ordered within `ATTRIBUTION_MINUTES` after it,
 * each product once, at its best (first) position: what the metrics job's `bought_position` counts.
 */
export function boughtPositions(
  shown: readonly Product[],
  searchedAt: number,
  addedAt: ReadonlyMap<string, number>,
  orderedAt: number | null,
): number[] {
  const within = (ms: number | null | undefined) =>
    ms !== null && ms !== undefined && ms > searchedAt && ms <= searchedAt + ATTRIBUTION_MINUTES * 60_000;
  const seen = new Set<string>();
  const positions: number[] = [];
  shown.forEach((product, i) => {
    if (seen.has(product.sku)) return;
    seen.add(product.sku);
    const added = addedAt.get(product.sku);
    if (within(added) || (added !== undefined && within(orderedAt))) positions.push(i + 1);
  });
  return positions;
}

/** The arm of the ranking weights' trial a search was ranked in (`weights.<challenger>`), when one was running. */
function weightsArmOf(search: SearchPerformedEvent): Pick<SearchRecord, 'weights'> {
  const trial = Object.entries(search.context?.experiments ?? {}).find(([experiment]) => experiment.startsWith(WEIGHTS_EXPERIMENT_PREFIX));
  if (!trial) return {};
  const [experiment, arm] = trial;
  return { weights: { version: experiment.slice(WEIGHTS_EXPERIMENT_PREFIX.length), arm } };
}

/** The control arm's randomized swaps of a run, drawn from its seed, in the order trips draw them. */
export function controlSwaps(seed: number): Random {
  return seededRandom(seed ^ 0x5eed5a9);
}
