import { parseArgs } from 'node:util';
import type { ClientEvent } from '../../functions/events/schema.ts';
import { LEARNING_SIGNALS } from '../../functions/kernel/signal-weights.ts';
import { DAY_MS } from '../../functions/learn/decay.ts';
import { DEFAULT_LEARNING_CONFIG } from '../../functions/learn/learning-config.ts';
import { buildWorld, emptyLedger } from './trip.ts';
import { ALL_EVIDENCE, idealObserver, type IdealEvidence, type IdealObserver } from './ideal.ts';
import { runInProcess } from './in-process.ts';
import { orderCountTopBrands } from './score.ts';

// `node test/sim/brand-gap.ts --shoppers N --days D --seed S`: where the ideal observer's lead over the loop comes
// from. The same in-process run, with the ideal observer restricted to one kind of evidence at a time, and learners
// that read only the events sent, each judged on the loop's pairs after the first week.

const { values } = parseArgs({
  options: {
    shoppers: { type: 'string', default: '300' },
    days: { type: 'string', default: '14' },
    seed: { type: 'string', default: '2' },
  },
});
const options = { shoppers: Number(values.shoppers), days: Number(values.days), seed: Number(values.seed) };

const VARIANTS: Record<string, Partial<IdealEvidence>> = {
  ideal: {},
  'no skips': { skips: false },
  'no staples': { staples: false },
  'need unknown': { needs: 'unknown' },
  'need from repeats': { needs: 'repeat' },
  'parameters means': { parameters: 'means' },
  'need from repeats, parameters marginal': { needs: 'repeat', parameters: 'marginal' },
  'need from repeats, parameters marginal, no skips': { needs: 'repeat', parameters: 'marginal', skips: false },
};

type Learner = (events: readonly ClientEvent[]) => Map<string, string>;

const { world, shoppers } = buildWorld(options);
const brandOf = (sku: string) => world.catalog.bySku.get(sku);

/** Per category, the brand with the highest score; ties to the first name. */
function top(scores: Map<string, Map<string, number>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [category, byBrand] of scores) {
    const best = [...byBrand].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0];
    if (best && best[1] > 0) out.set(category, best[0]);
  }
  return out;
}

/** Each choice among alternatives once: a product's first order, and a click on a product not ordered before; skipped results above a click count −skip. */
function choices(skip: number, firstOnly: boolean, clickWeight = 1, orderWeight = 1): Learner {
  return (events) => {
    const scores = new Map<string, Map<string, number>>();
    const add = (category: string, brand: string | undefined, w: number) => {
      if (brand === undefined) return;
      const m = scores.get(category) ?? new Map<string, number>();
      scores.set(category, m.set(brand, (m.get(brand) ?? 0) + w));
    };
    const ordered = new Set<string>();
    const shown = new Map<string, string[]>();
    for (const e of events) {
      if (e.type === 'search_performed')
        shown.set(
          e.data.search_id,
          e.data.results.map((r) => r.sku),
        );
      if (e.type === 'search_result_clicked') {
        const p = e.data.product;
        if (firstOnly && ordered.has(p.sku)) continue;
        add(p.category, p.brand, clickWeight);
        const above = (shown.get(e.data.search_id) ?? []).slice(0, e.data.position - 1);
        for (const sku of above) {
          const q = brandOf(sku);
          if (q && q.category === p.category && q.brand !== p.brand) add(q.category, q.brand, -skip);
        }
      }
      if (e.type === 'order_completed')
        for (const item of e.data.items) {
          if (firstOnly && ordered.has(item.sku)) continue;
          ordered.add(item.sku);
          add(item.category, item.brand, orderWeight);
        }
    }
    return top(scores);
  };
}

// Real-time learning's brand weights, half-life and epoch, so that the first of the learners below is the loop's own.
const HALF_LIFE_MS = DEFAULT_LEARNING_CONFIG.halfLifeDays * DAY_MS;
const EPOCH_MS = Date.parse(DEFAULT_LEARNING_CONFIG.epoch);
const KIND = { click: LEARNING_SIGNALS.click.brand, cart: LEARNING_SIGNALS.cart_add.brand, order: LEARNING_SIGNALS.order.brand } as const;
type Touch = { sku: string; category: string; brand?: string | undefined; kind: keyof typeof KIND; at: number };
function touches(events: readonly ClientEvent[]): Touch[] {
  const out: Touch[] = [];
  for (const e of events) {
    const at = Date.parse(e.occurred_at);
    if (e.type === 'search_result_clicked') out.push({ ...e.data.product, kind: 'click', at });
    if (e.type === 'cart_item_added') out.push({ ...e.data.product, kind: 'cart', at });
    if (e.type === 'order_completed') for (const i of e.data.items) out.push({ ...i, kind: 'order', at });
  }
  return out;
}
/** The loop's weights and decay; `mode`: every touch summed, touches after a product's first order ignored, or each product once at its strongest kind and latest touch. */
function decayed(mode: 'sum' | 'first' | 'refresh' | 'first-order'): Learner {
  return (events) => {
    const scores = new Map<string, Map<string, number>>();
    const perProduct = new Map<string, { category: string; brand: string; w: number; at: number }>();
    const ordered = new Set<string>();
    for (const t of touches(events)) {
      if (t.brand === undefined) continue;
      const f = 2 ** ((t.at - EPOCH_MS) / HALF_LIFE_MS);
      if (mode === 'refresh') {
        const prev = perProduct.get(t.sku);
        perProduct.set(t.sku, {
          category: t.category,
          brand: t.brand,
          w: Math.max(prev?.w ?? 0, KIND[t.kind]),
          at: Math.max(prev?.at ?? 0, t.at),
        });
        continue;
      }
      if (mode === 'first' && ordered.has(t.sku)) continue;
      if (mode === 'first-order' && t.kind === 'order' && ordered.has(t.sku)) continue;
      if (t.kind === 'order') ordered.add(t.sku);
      const m = scores.get(t.category) ?? new Map<string, number>();
      scores.set(t.category, m.set(t.brand, (m.get(t.brand) ?? 0) + KIND[t.kind] * f));
    }
    for (const p of perProduct.values()) {
      const m = scores.get(p.category) ?? new Map<string, number>();
      scores.set(p.category, m.set(p.brand, (m.get(p.brand) ?? 0) + p.w * 2 ** ((p.at - EPOCH_MS) / HALF_LIFE_MS)));
    }
    return top(scores);
  };
}

const LEARNERS: Record<string, Learner> = {
  'loop-like (weights, decay, every touch)': decayed('sum'),
  'loop-like, touches after a product is first ordered ignored': decayed('first'),
  'loop-like, a product’s orders after its first ignored (clicks, cart adds kept)': decayed('first-order'),
  'loop-like, each product once at its strongest kind and latest touch': decayed('refresh'),
  'order-count oracle': orderCountTopBrands,
  'every click and order, 1 each': choices(0, false),
  'first order of a product + clicks on products not ordered before': choices(0, true),
  'the same, skips above −0.25': choices(0.25, true),
  'the same, skips above −0.5': choices(0.5, true),
  'every click and order, skips above −0.25': choices(0.25, false),
  'first-only, clicks 2 orders 1': choices(0, true, 2, 1),
  'first-only, clicks 1 orders 2': choices(0, true, 1, 2),
};

const answers: Record<string, (string | null)[]> = Object.fromEntries(
  [...Object.keys(VARIANTS), ...Object.keys(LEARNERS)].map((k) => [k, []]),
);
const ledger = emptyLedger();
for (const truth of shoppers) {
  const observers = Object.entries(VARIANTS).map(
    ([name, e]) => [name, idealObserver(world.catalog, truth, { ...ALL_EVIDENCE, ...e })] as const,
  );
  let cache: { length: number; tops: [string, Map<string, string>][] } | null = null;
  const composite: IdealObserver = {
    searched: (need, shown, clicked) => observers.forEach(([, o]) => o.searched(need, shown, clicked)),
    ordered: (products) => observers.forEach(([, o]) => o.ordered(products)),
    favourite: (category) => {
      for (const [name, o] of observers) answers[name]!.push(o.favourite(category));
      const events = ledger.sentEvents.get(truth.userId) ?? [];
      if (cache?.length !== events.length)
        cache = { length: events.length, tops: Object.entries(LEARNERS).map(([n, l]) => [n, l(events)]) };
      for (const [name, tops] of cache.tops) answers[name]!.push(tops.get(category) ?? null);
      return observers[0]![1].favourite(category);
    },
    chances: (category) => observers[0]![1].chances(category),
  };
  ledger.ideals.set(truth.userId, composite);
}
const result = await runInProcess({ ...options, ledger });
const judged = ledger.brands.map((b, i) => ({ b, i })).filter(({ b }) => b.favourite !== null && b.day >= 7);
const pct = (hits: number) => ((100 * hits) / judged.length).toFixed(1);
const loop = judged.filter(({ b }) => b.predicted === b.favourite).length;
process.stdout.write(
  `seed ${options.seed}, ${options.shoppers} shoppers, ${options.days} days: ${judged.length} pairs after the first week\n`,
);
process.stdout.write(`loop: ${pct(loop)}  (CTR uplift ${((result.score.afterFirstWeek.uplift.value ?? 0) * 100).toFixed(1)})\n`);
for (const [name, list] of Object.entries(answers))
  process.stdout.write(`${name}: ${pct(judged.filter(({ b, i }) => list[i] === b.favourite).length)}\n`);
