import type { CollectedEvent } from '../events/schema.ts';
import { affinitySignals, orderedProducts, type AffinityMap, type AffinitySignal } from './affinity-signals.ts';
import { currentValue, scaleToEpoch } from './decay.ts';
import { DEFAULT_LEARNING_CONFIG, type LearningConfig } from './learning-config.ts';
import { PREFERENCES_SCHEMA_VERSION, type Affinity, type ExplicitPreference, type Preferences, type ReorderState } from './preferences.ts';
import { keepTop, keepWhere } from './prune.ts';
import { recordOrder } from './reorder-state.ts';

/** A shopper nothing has been learned about yet. */
export function emptyPreferences(userId: string, config: LearningConfig = DEFAULT_LEARNING_CONFIG): Preferences {
  return {
    schema_version: PREFERENCES_SCHEMA_VERSION,
    user_id: userId,
    epoch: config.epoch,
    half_life_days: config.halfLifeDays,
    products: {},
    brands: {},
    categories: {},
    brands_by_category: {},
    dietary: {},
    recent: { brands: {}, categories: {} },
    reorder: {},
    explicit: {},
    event_count: 0,
    last_event_at: null,
  };
}

/**
 * The shopper's preferences after `events`. Pure: the inputs are never mutated. Every increment uses
 * the event's own `event_time`, so the same events in any order or any split into calls give the same
 * document; `now` only decides what is pruned (weak or overflowing entries, interests past the recent
 * window). Pruning is the one lossy step: order matters only when an entry is dropped and evidence for
 * it arrives later, i.e. once a map overflows its top-K or an entry fades below `pruneBelow`; what is
 * lost is then the weakest entry beyond K, or less than `pruneBelow` of current value.
 *
 * The caller removes already-applied events (idempotency): a repeated event counts again.
 * A document keeps the epoch and half-life it was created with, whatever `config` says, so its
 * weights are never sums of differently scaled terms.
 */
export function learn(
  current: Preferences | null,
  userId: string,
  events: readonly CollectedEvent[],
  now: Date,
  config: LearningConfig = DEFAULT_LEARNING_CONFIG,
): Preferences {
  const base = current ?? emptyPreferences(userId, config);
  if (base.user_id !== userId) throw new Error(`the preferences of ${base.user_id} cannot learn for ${userId}`);
  const epoch = new Date(base.epoch);
  const halfLifeDays = base.half_life_days;
  const doc = workingCopy(base);

  for (const event of events) {
    // A stray event would leak one shopper's behaviour into another's document.
    if (event.user_id !== userId) throw new Error(`an event of ${event.user_id} cannot be learned for ${userId}`);
    const at = new Date(event.event_time);
    doc.lastEventAt = latest(doc.lastEventAt, at);
    for (const signal of affinitySignals(event, config)) {
      const map = doc.affinities[signal.map];
      const scaled = scaleToEpoch(signal.signal, at, epoch, halfLifeDays);
      map.set(signal.key, withSignal(map.get(signal.key), signal, scaled, at));
      if (signal.category !== undefined) {
        const brands = doc.brandsByCategory.get(signal.category) ?? new Map<string, Affinity>();
        doc.brandsByCategory.set(signal.category, brands.set(signal.key, withSignal(brands.get(signal.key), signal, scaled, at)));
      }
      if (signal.signal > 0 && (signal.map === 'brands' || signal.map === 'categories')) {
        doc.recent[signal.map].set(signal.key, latest(doc.recent[signal.map].get(signal.key) ?? null, at));
      }
    }
    if (event.type === 'order_completed') {
      for (const { item, quantity } of orderedProducts(event.data.items))
        doc.reorder.set(item.sku, recordOrder(doc.reorder.get(item.sku), quantity, at));
    }
    if (event.type === 'preference_updated') {
      const key = `${event.data.preference}:${event.data.value}`;
      const statement: ExplicitPreference = { action: event.data.action, at: at.toISOString() };
      const known = doc.explicit.get(key);
      if (known === undefined || supersedes(statement, known)) doc.explicit.set(key, statement);
    }
  }
  doc.eventCount += events.length;
  return settle(base, doc, now, config);
}

/** A document's maps as maps, to change in place: a brand called `__proto__` or `constructor` is data like any other. */
export type WorkingCopy = {
  affinities: Record<AffinityMap, Map<string, Affinity>>;
  brandsByCategory: Map<string, Map<string, Affinity>>;
  recent: { brands: Map<string, string>; categories: Map<string, string> };
  reorder: Map<string, ReorderState>;
  explicit: Map<string, ExplicitPreference>;
  eventCount: number;
  lastEventAt: string | null;
};

export function workingCopy(base: Preferences): WorkingCopy {
  return {
    affinities: {
      products: new Map(Object.entries(base.products)),
      brands: new Map(Object.entries(base.brands)),
      categories: new Map(Object.entries(base.categories)),
      dietary: new Map(Object.entries(base.dietary)),
    },
    brandsByCategory: new Map(
      Object.entries(base.brands_by_category ?? {}).map(([category, brands]) => [category, new Map(Object.entries(brands))]),
    ),
    recent: { brands: new Map(Object.entries(base.recent.brands)), categories: new Map(Object.entries(base.recent.categories)) },
    reorder: new Map(Object.entries(base.reorder)),
    explicit: new Map(Object.entries(base.explicit)),
    eventCount: base.event_count,
    lastEventAt: base.last_event_at,
  };
}

/**
 * `base` with the working copy's maps, pruned as of `now`: weak and overflowing affinities, interests past the
 * recent window, and the oldest reorder states and statements beyond their top-K.
 */
export function settle(base: Preferences, doc: WorkingCopy, now: Date, config: LearningConfig): Preferences {
  const epoch = new Date(base.epoch);
  const { topK } = config;
  // Entries carrying an explicit statement stay: dropping them would lose that count between calls.
  const worthKeeping = (a: Affinity) =>
    a.signals.explicit !== undefined || Math.abs(currentValue(a.weight, now, epoch, base.half_life_days)) >= config.pruneBelow;
  // One factor decays every weight alike, so ranking stored weights ranks current values.
  const strength = (a: Affinity) => Math.abs(a.weight);
  const recentSince = now.getTime() - config.recentWindowMs;
  const isRecent = (at: string) => Date.parse(at) >= recentSince;
  const { affinities, recent } = doc;
  return {
    ...base,
    products: Object.fromEntries(keepTop(keepWhere(affinities.products, worthKeeping), topK.products, strength)),
    brands: Object.fromEntries(keepTop(keepWhere(affinities.brands, worthKeeping), topK.brands, strength)),
    categories: Object.fromEntries(keepTop(keepWhere(affinities.categories, worthKeeping), topK.categories, strength)),
    brands_by_category: keptBrandsByCategory(doc.brandsByCategory, topK, worthKeeping, strength),
    dietary: Object.fromEntries(keepTop(keepWhere(affinities.dietary, worthKeeping), topK.dietary, strength)),
    recent: {
      brands: Object.fromEntries(keepTop(keepWhere(recent.brands, isRecent), topK.recentBrands, Date.parse)),
      categories: Object.fromEntries(keepTop(keepWhere(recent.categories, isRecent), topK.recentCategories, Date.parse)),
    },
    reorder: Object.fromEntries(keepTop(doc.reorder, topK.reorder, (state) => Date.parse(state.last_at))),
    explicit: Object.fromEntries(keepTop(doc.explicit, topK.explicit, (statement) => Date.parse(statement.at))),
    event_count: doc.eventCount,
    last_event_at: doc.lastEventAt,
  };
}

/** The strongest brands of each category, in the categories whose strongest brand is strongest. */
function keptBrandsByCategory(
  byCategory: ReadonlyMap<string, ReadonlyMap<string, Affinity>>,
  topK: LearningConfig['topK'],
  worthKeeping: (a: Affinity) => boolean,
  strength: (a: Affinity) => number,
): Record<string, Record<string, Affinity>> {
  const kept = new Map<string, Map<string, Affinity>>();
  for (const [category, brands] of byCategory) {
    const top = keepTop(keepWhere(brands, worthKeeping), topK.brandsPerCategory, strength);
    if (top.size > 0) kept.set(category, top);
  }
  const strongest = (brands: ReadonlyMap<string, Affinity>) => Math.max(...[...brands.values()].map(strength));
  return Object.fromEntries(
    [...keepTop(kept, topK.brandCategories, strongest)].map(([category, brands]) => [category, Object.fromEntries(brands)]),
  );
}

function withSignal(affinity: Affinity | undefined, signal: AffinitySignal, scaled: number, at: Date): Affinity {
  return {
    weight: (affinity?.weight ?? 0) + scaled,
    signals: { ...affinity?.signals, [signal.kind]: (affinity?.signals[signal.kind] ?? 0) + 1 },
    last_at: latest(affinity?.last_at ?? null, at),
  };
}

/** The later of a stored time and an event time, as ISO 8601. */
export function latest(stored: string | null, at: Date): string {
  return stored !== null && Date.parse(stored) >= at.getTime() ? stored : at.toISOString();
}

// On a tie to the millisecond the more cautious statement wins, so arrival order never decides.
const CAUTION = { like: 0, reset: 1, dislike: 2 } as const;

/** Whether `statement` replaces `known`: the later one wins, and on a tie the more cautious. */
export function supersedes(statement: ExplicitPreference, known: ExplicitPreference): boolean {
  const byTime = Date.parse(statement.at) - Date.parse(known.at);
  return byTime > 0 || (byTime === 0 && CAUTION[statement.action] > CAUTION[known.action]);
}
