// The scorer: the one place where the loop's behaviour and predictions meet the shoppers' hidden truth.

export type Share = { numerator: number; denominator: number; value: number | null; low: number | null; high: number | null };

/** Wilson score interval at 95%. */
export function wilson(numerator: number, denominator: number): Share {
  if (denominator === 0) return { numerator, denominator, value: null, low: null, high: null };
  const z = 1.96;
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
  return { value: t / c - 1, low: Math.exp(log - 1.96 * se) - 1, high: Math.exp(log + 1.96 * se) - 1 };
}

export type SearchRecord = { day: number; arm: string; clicked: boolean };
/** At the start of a trip: what the loop held due, what the order held, and which of those were bought twice before. */
export type ReorderRecord = { day: number; predicted: string[]; ordered: string[]; repeat: string[] };
/** The loop's top brand in a category vs the shopper's hidden favourite there (null: the shopper has none). */
export type BrandRecord = { day: number; predicted: string; favourite: string | null };

export type DayScore = {
  day: number;
  date: string;
  ctr: { control: Share; personalized: Share };
  uplift: Uplift;
  reorder: { precision: Share; recall: Share };
  brand: Share;
};

export type Score = {
  days: DayScore[];
  /** From the day after the first week on (all days if the run is shorter): the guide's "after one week". */
  afterFirstWeek: { fromDay: number; ctr: { control: Share; personalized: Share }; uplift: Uplift; reorder: { precision: Share; recall: Share }; brand: Share };
  overall: { ctr: { control: Share; personalized: Share }; uplift: Uplift; reorder: { precision: Share; recall: Share }; brand: Share };
};

function ctrOf(searches: SearchRecord[]) {
  const arm = (name: string) => {
    const of = searches.filter((s) => s.arm === name);
    return wilson(of.filter((s) => s.clicked).length, of.length);
  };
  const control = arm('control');
  const personalized = arm('personalized');
  return { ctr: { control, personalized }, uplift: uplift(personalized, control) };
}

function reorderOf(records: ReorderRecord[]) {
  let hits = 0;
  let predicted = 0;
  let repeatHits = 0;
  let repeats = 0;
  for (const r of records) {
    const ordered = new Set(r.ordered);
    const due = new Set(r.predicted);
    predicted += r.predicted.length;
    hits += r.predicted.filter((sku) => ordered.has(sku)).length;
    repeats += r.repeat.length;
    repeatHits += r.repeat.filter((sku) => due.has(sku)).length;
  }
  return { precision: wilson(hits, predicted), recall: wilson(repeatHits, repeats) };
}

function brandOf(records: BrandRecord[]) {
  const judged = records.filter((r) => r.favourite !== null);
  return wilson(judged.filter((r) => r.predicted === r.favourite).length, judged.length);
}

export function score(dates: string[], searches: SearchRecord[], reorders: ReorderRecord[], brands: BrandRecord[]): Score {
  const days = dates.map((date, day): DayScore => ({
    day,
    date,
    ...ctrOf(searches.filter((s) => s.day === day)),
    reorder: reorderOf(reorders.filter((r) => r.day === day)),
    brand: brandOf(brands.filter((b) => b.day === day)),
  }));
  const fromDay = dates.length > 7 ? 7 : 0;
  return {
    days,
    afterFirstWeek: {
      fromDay,
      ...ctrOf(searches.filter((s) => s.day >= fromDay)),
      reorder: reorderOf(reorders.filter((r) => r.day >= fromDay)),
      brand: brandOf(brands.filter((b) => b.day >= fromDay)),
    },
    overall: { ...ctrOf(searches), reorder: reorderOf(reorders), brand: brandOf(brands) },
  };
}
