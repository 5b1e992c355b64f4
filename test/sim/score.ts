import type { ClientEvent } from '../../functions/events/schema.ts';
import { WEIGHTS_ARMS } from '../../functions/kernel/weights-versions.ts';
import { Z_95 } from '../../functions/warehouse/sql-macros.ts';

// The scorer: the one place where the loop's behaviour and predictions meet the shoppers' hidden truth.

export type Share = { numerator: number; denominator: number; value: number | null; low: number | null; high: number | null };

/** Wilson score interval at 95%, at the z the metrics' intervals use. */
export function wilson(numerator: number, denominator: number): Share {
  if (denominator === 0) return { numerator, denominator, value: null, low: null, high: null };
  const z = Z_95;
  const p = numerator / denominator;
  const centre = (p + (z * z) / (2 * denominator)) / (1 + (z * z) / denominator);
  const half = (z * Math.sqrt((p * (1 - p)) / denominator + (z * z) / (4 * denominator * denominator))) / (1 + (z * z) / denominator);
  return { numerator, denominator, value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export type Uplift = { value: number | null; low: number | null; high: number | null };

/** treatment / control − 1, with a 95% interval from the log of the ratio (delta method). */
export function uplift(treatment: Share, control: Share): Uplift {
  const t = treatment.value;
  const c = control.value;
  if (t === null || c === null || t === 0 || c === 0) return { value: null, low: null, high: null };
  const se = Math.sqrt((1 - t) / treatment.numerator + (1 - c) / control.numerator);
  const log = Math.log(t / c);
  return { value: t / c - 1, low: Math.exp(log - Z_95 * se) - 1, high: Math.exp(log + Z_95 * se) - 1 };
}

/** A mean, with its standard error s / √n and normal 95% interval (none for fewer than two values). */
export type Mean = { total: number; n: number; value: number | null; se: number | null; low: number | null; high: number | null };

/** The mean of `values` with its interval mean ± z · s / √n, as the metrics job's means. */
export function mean(values: readonly number[]): Mean {
  const n = values.length;
  const total = values.reduce((a, b) => a + b, 0);
  if (n === 0) return { total, n, value: null, se: null, low: null, high: null };
  const value = total / n;
  if (n < 2) return { total, n, value, se: null, low: null, high: null };
  const se = Math.sqrt(values.reduce((sum, v) => sum + (v - value) ** 2, 0) / (n - 1)) / Math.sqrt(n);
  return { total, n, value, se, low: value - Z_95 * se, high: value + Z_95 * se };
}

/** treatment / control − 1 for two means, with a 95% interval from the log of the ratio (delta method: var(log m) ≈ (se / m)²). */
export function meanUplift(treatment: Mean, control: Mean): Uplift {
  const t = treatment.value;
  const c = control.value;
  if (t === null || c === null || t === 0 || c === 0) return { value: null, low: null, high: null };
  if (treatment.se === null || control.se === null) return { value: t / c - 1, low: null, high: null };
  const se = Math.hypot(treatment.se / t, control.se / c);
  const log = Math.log(t / c);
  return { value: t / c - 1, low: Math.exp(log - Z_95 * se) - 1, high: Math.exp(log + Z_95 * se) - 1 };
}

/**
 * A search as the scorer sees it: its day and arm, the 1-based position clicked (null without a click), and the
 * positions at which it showed the products its shopper then put in the cart or ordered within
 * `ATTRIBUTION_MINUTES`, each product once, at its best position (as the metrics job's `bought_position`).
 */
export type SearchRecord = {
  day: number;
  arm: string;
  clicked: number | null;
  bought?: readonly number[];
  /** While a challenger's ranking weights were tried: the trial's version and this search's arm of it (`current`, `challenger`). */
  weights?: { version: string; arm: string };
};

/** 1 / the position clicked, 0 without a click: the reciprocal rank the metrics job's `mrr` averages. */
export function reciprocalRank(search: SearchRecord): number {
  return search.clicked === null ? 0 : 1 / search.clicked;
}
/**
 * At the start of a trip: what the loop held due, what the naive rule would have (bought at least twice, and at least
 * one mean interval since), each product with a rhythm and its fitted probability (null before a model was fitted),
 * what the order held, and which of those were bought twice before.
 */
export type ReorderRecord = {
  day: number;
  predicted: string[];
  naive: string[];
  ranked: { sku: string; probability: number | null }[];
  ordered: string[];
  repeat: string[];
};

/** Reorder precision and recall of a set of due predictions. */
export type ReorderShares = { precision: Share; recall: Share };
/**
 * The loop's top brand in a category vs the shopper's hidden favourite there (null: the shopper has none),
 * and, for the same shopper, category and moment, the order-count oracle's brand (null: it has none there).
 */
export type BrandRecord = {
  day: number;
  predicted: string;
  oracle: string | null;
  /** The ideal observer's brand there (ideal.ts): what the most any learner could name. */
  ideal: string | null;
  favourite: string | null;
  /** How many brand signals (clicks, cart adds, ordered lines, views) the loop had counted in the category. */
  evidence: number;
};

/** The evidence buckets brand accuracy is broken down by: signals the loop counted in the category. */
export const EVIDENCE_BUCKETS = [
  { label: '1–2', min: 1, max: 2 },
  { label: '3–5', min: 3, max: 5 },
  { label: '6–9', min: 6, max: 9 },
  { label: '≥ 10', min: 10, max: Number.POSITIVE_INFINITY },
] as const;

export type EvidenceShare = { bucket: string; brand: Share; brandOracle: Share; brandIdeal: Share };

/**
 * The order-count oracle: a reference predictor of each category's favourite brand that sees only what
 * the loop saw, the events sent for one shopper (no ground truth). Per category (the product's category
 * as the event carries it), the brand with the most units ordered (Σ quantity over `order_completed`
 * lines) wins; ties are broken by units added to carts (Σ quantity over `cart_item_added`), then by
 * `search_result_clicked` events, then by the brand's name (the first in code-unit order), so the answer
 * is deterministic. Only brands with at least one of these signals in the category are candidates, and
 * products without a brand are ignored. A category the events never touched has no prediction.
 */
export function orderCountTopBrands(events: readonly ClientEvent[]): Map<string, string> {
  type Tally = { orders: number; cartAdds: number; clicks: number };
  const tallies = new Map<string, Map<string, Tally>>();
  const tally = (category: string, brand: string | undefined): Tally | null => {
    if (brand === undefined) return null;
    const byBrand = tallies.get(category) ?? new Map<string, Tally>();
    tallies.set(category, byBrand);
    const t = byBrand.get(brand) ?? { orders: 0, cartAdds: 0, clicks: 0 };
    byBrand.set(brand, t);
    return t;
  };
  for (const e of events) {
    if (e.type === 'order_completed') {
      for (const item of e.data.items) {
        const t = tally(item.category, item.brand);
        if (t) t.orders += item.quantity;
      }
    } else if (e.type === 'cart_item_added') {
      const t = tally(e.data.product.category, e.data.product.brand);
      if (t) t.cartAdds += e.data.quantity;
    } else if (e.type === 'search_result_clicked') {
      const t = tally(e.data.product.category, e.data.product.brand);
      if (t) t.clicks += 1;
    }
  }
  const top = new Map<string, string>();
  for (const [category, byBrand] of tallies) {
    let best: [string, Tally] | null = null;
    for (const entry of byBrand) {
      const [brand, t] = entry;
      if (best === null) {
        best = entry;
        continue;
      }
      const [bestBrand, b] = best;
      const better =
        t.orders !== b.orders
          ? t.orders > b.orders
          : t.cartAdds !== b.cartAdds
            ? t.cartAdds > b.cartAdds
            : t.clicks !== b.clicks
              ? t.clicks > b.clicks
              : brand < bestBrand;
      if (better) best = entry;
    }
    if (best) top.set(category, best[0]);
  }
  return top;
}

/** The figures scored over a set of trips: a day, the days after the first week, or the whole run. */
export type Measures = {
  ctr: { control: Share; personalized: Share };
  uplift: Uplift;
  /** The mean reciprocal rank of the clicked result per arm, which does not saturate as CTR does, and its uplift. */
  mrr: { control: Mean; personalized: Mean };
  mrrUplift: Uplift;
  /**
   * The mean position at which searches showed what their shoppers then bought, per arm: lower is better, and no
   * click enters it, so neither does the position bias of clicks.
   */
  boughtPosition: { control: Mean; personalized: Mean };
  /**
   * Where a trial of ranking weights ran (the weights job's challenger): the personalized searches of each of its arms,
   * `current` and `challenger`, against the whole control arm. Null without a trial.
   */
  weightsTrial: WeightsTrial | null;
  reorder: ReorderShares & {
    /** The naive rule on the same trips. */
    naive: ReorderShares;
    /**
     * The fitted probabilities as a ranking, cut at the first level whose recall reaches the naive rule's: the
     * precision the model gives at the naive rule's recall. Null when no cut reaches it (too few fitted trips).
     */
    atNaiveRecall: ReorderShares | null;
  };
  brand: Share;
  /** The order-count oracle over the same shopper-category pairs (see orderCountTopBrands). */
  brandOracle: Share;
  /** The ideal observer over the same pairs (ideal.ts): the upper bound of brand accuracy. */
  brandIdeal: Share;
};

export type WeightsTrial = {
  /** The challengers tried, by version (one a trial: a newer fit replaces a challenger only after its trial). */
  versions: string[];
  arms: { arm: string; ctr: Share; uplift: Uplift; mrr: Mean; mrrUplift: Uplift }[];
};

export type DayScore = Measures & { day: number; date: string };

export type Score = {
  days: DayScore[];
  /** The first seven days: with imported history, the loop's first live week. */
  firstWeek: Measures;
  /** From the day after the first week on (all days if the run is shorter): the guide's "after one week". */
  afterFirstWeek: Measures & {
    fromDay: number;
    /** Brand accuracy by how much the loop had seen in the category (pairs with no counted signal are left out). */
    brandByEvidence: EvidenceShare[];
  };
  overall: Measures;
};

function ctrOf(searches: SearchRecord[]) {
  const ofArm = (name: string) => searches.filter((s) => s.arm === name);
  const ctr = (name: string) => wilson(ofArm(name).filter((s) => s.clicked !== null).length, ofArm(name).length);
  const mrr = (name: string) => mean(ofArm(name).map(reciprocalRank));
  const control = ctr('control');
  const personalized = ctr('personalized');
  const mrrControl = mrr('control');
  const mrrPersonalized = mrr('personalized');
  const boughtAt = (name: string) => mean(ofArm(name).flatMap((s) => s.bought ?? []));
  const tried = ofArm('personalized').filter((s) => s.weights !== undefined);
  const trialArm = (arm: string) => {
    const of = tried.filter((s) => s.weights?.arm === arm);
    const ctr = wilson(of.filter((s) => s.clicked !== null).length, of.length);
    const mrr = mean(of.map(reciprocalRank));
    return { arm, ctr, uplift: uplift(ctr, control), mrr, mrrUplift: meanUplift(mrr, mrrControl) };
  };
  return {
    ctr: { control, personalized },
    uplift: uplift(personalized, control),
    mrr: { control: mrrControl, personalized: mrrPersonalized },
    mrrUplift: meanUplift(mrrPersonalized, mrrControl),
    boughtPosition: { control: boughtAt('control'), personalized: boughtAt('personalized') },
    weightsTrial:
      tried.length === 0
        ? null
        : {
            versions: [...new Set(tried.map((s) => s.weights?.version ?? ''))].sort(),
            arms: [WEIGHTS_ARMS.current, WEIGHTS_ARMS.challenger].map(trialArm),
          },
  };
}

function sharesOf(records: readonly ReorderRecord[], predictedOf: (r: ReorderRecord) => readonly string[]): ReorderShares {
  let hits = 0;
  let predicted = 0;
  let repeatHits = 0;
  let repeats = 0;
  for (const r of records) {
    const ordered = new Set(r.ordered);
    const due = new Set(predictedOf(r));
    predicted += due.size;
    hits += [...due].filter((sku) => ordered.has(sku)).length;
    repeats += r.repeat.length;
    repeatHits += r.repeat.filter((sku) => due.has(sku)).length;
  }
  return { precision: wilson(hits, predicted), recall: wilson(repeatHits, repeats) };
}

/** The ranked products, most probable first, cut at the first probability level whose recall reaches `target`. */
function atRecall(records: readonly ReorderRecord[], target: number | null): ReorderShares | null {
  if (target === null) return null;
  const repeats = records.reduce((sum, r) => sum + r.repeat.length, 0);
  const ranked = records
    .flatMap((r) => {
      const ordered = new Set(r.ordered);
      const repeat = new Set(r.repeat);
      return r.ranked.flatMap((c) =>
        c.probability === null ? [] : [{ probability: c.probability, hit: ordered.has(c.sku), repeatHit: repeat.has(c.sku) }],
      );
    })
    .sort((a, b) => b.probability - a.probability);
  let predicted = 0;
  let hits = 0;
  let repeatHits = 0;
  for (let i = 0; i < ranked.length; i++) {
    const c = ranked[i]!;
    predicted += 1;
    hits += Number(c.hit);
    repeatHits += Number(c.repeatHit);
    const levelEnds = ranked[i + 1]?.probability !== c.probability;
    if (levelEnds && repeats > 0 && repeatHits / repeats >= target)
      return { precision: wilson(hits, predicted), recall: wilson(repeatHits, repeats) };
  }
  return null;
}

function reorderOf(records: ReorderRecord[]): Measures['reorder'] {
  const naive = sharesOf(records, (r) => r.naive);
  return { ...sharesOf(records, (r) => r.predicted), naive, atNaiveRecall: atRecall(records, naive.recall.value) };
}

/** The loop's, the oracle's and the ideal observer's accuracy over the same judged pairs; a reference without a brand there counts as a miss. */
function brandOf(records: BrandRecord[]) {
  const judged = records.filter((r) => r.favourite !== null);
  return {
    brand: wilson(judged.filter((r) => r.predicted === r.favourite).length, judged.length),
    brandOracle: wilson(judged.filter((r) => r.oracle === r.favourite).length, judged.length),
    brandIdeal: wilson(judged.filter((r) => r.ideal === r.favourite).length, judged.length),
  };
}

function brandByEvidence(records: BrandRecord[]): EvidenceShare[] {
  return EVIDENCE_BUCKETS.map(({ label, min, max }) => ({
    bucket: label,
    ...brandOf(records.filter((r) => r.evidence >= min && r.evidence <= max)),
  }));
}

/** The first day the report judges: the day after the first week, or the first day of a run a week or shorter. */
export function judgedFromDay(days: number): number {
  return days > 7 ? 7 : 0;
}

export function score(dates: string[], searches: SearchRecord[], reorders: ReorderRecord[], brands: BrandRecord[]): Score {
  const days = dates.map((date, day): DayScore => ({
    day,
    date,
    ...ctrOf(searches.filter((s) => s.day === day)),
    reorder: reorderOf(reorders.filter((r) => r.day === day)),
    ...brandOf(brands.filter((b) => b.day === day)),
  }));
  const fromDay = judgedFromDay(dates.length);
  const firstWeek = (r: { day: number }) => r.day < 7;
  return {
    days,
    firstWeek: {
      ...ctrOf(searches.filter(firstWeek)),
      reorder: reorderOf(reorders.filter(firstWeek)),
      ...brandOf(brands.filter(firstWeek)),
    },
    afterFirstWeek: {
      fromDay,
      ...ctrOf(searches.filter((s) => s.day >= fromDay)),
      reorder: reorderOf(reorders.filter((r) => r.day >= fromDay)),
      ...brandOf(brands.filter((b) => b.day >= fromDay)),
      brandByEvidence: brandByEvidence(brands.filter((b) => b.day >= fromDay)),
    },
    overall: { ...ctrOf(searches), reorder: reorderOf(reorders), ...brandOf(brands) },
  };
}
