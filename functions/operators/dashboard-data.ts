import { z } from 'zod';
import { PERSONALIZATION_EXPERIMENT } from '../experiments/experiments.ts';
import type { SqlRow, SqlWarehouse } from '../warehouse/ports.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Runs of each job the dashboard lists, newest first. */
export const RUNS_PER_JOB = 20;

/**
 * The dashboard's query string: `hours` of recent traffic (events, rejects, lag; default 24, at most a
 * week), `days` of history (learning metrics, job runs; default 30) and the `experiment` whose arms the
 * CTR chart compares (default `personalization`).
 */
export const DashboardQuery = z.strictObject({
  hours: z.coerce.number().int().min(1).max(168).default(24),
  days: z.coerce.number().int().min(1).max(90).default(30),
  experiment: z
    .string()
    .regex(/^[a-z0-9_.-]{1,64}$/, 'must be an experiment id')
    .default(PERSONALIZATION_EXPERIMENT),
});
export type DashboardQuery = z.infer<typeof DashboardQuery>;

/**
 * What the dashboard covers, in whole minutes: `asOf` is the end of the current minute, so an event sent
 * a moment ago shows at once, in the last minute of the traffic charts, which is still filling. The
 * first and last hour of the hourly charts may be partial.
 */
export type DashboardWindow = { asOf: Date; since: Date; historySince: Date; hours: number; days: number; experiment: string };

export function dashboardWindow(now: Date, query: DashboardQuery): DashboardWindow {
  const asOf = new Date((Math.floor(now.getTime() / MINUTE_MS) + 1) * MINUTE_MS);
  return {
    asOf,
    since: new Date(asOf.getTime() - query.hours * HOUR_MS),
    historySince: new Date(asOf.getTime() - query.days * DAY_MS),
    hours: query.hours,
    days: query.days,
    experiment: query.experiment,
  };
}

export type MetricPoint = {
  as_of: string;
  value: number;
  numerator: number | null;
  denominator: number | null;
  ci_low: number | null;
  ci_high: number | null;
};
/** One line of a metric chart: an arm's CTR, MRR or bought position, or reorder precision or recall (of an arm, or overall). */
export type MetricSeries = { name: string; metric: string; experiment: string; arm: string; points: MetricPoint[] };

export type JobRun = {
  job: string;
  run_id: string;
  status: string;
  started_at: string;
  finished_at: string;
  duration_seconds: number;
  shoppers: number;
  changed: number;
  result_rows: number;
  bytes_processed: number | null;
  error: string | null;
};

export type DashboardData = {
  as_of: string;
  since: string;
  history_since: string;
  hours: number;
  days: number;
  experiment: string;
  /** CTR per arm of `experiment`; the overall CTR as one line when no arm was measured. */
  ctr: MetricSeries[];
  /** The mean reciprocal rank of clicks, per arm as `ctr`. */
  mrr: MetricSeries[];
  /** The mean position at which searches showed what was then bought, per arm as `ctr`. */
  bought_position: MetricSeries[];
  reorder: MetricSeries[];
  /** Minutes with events only; a minute left out had none. */
  events_per_minute: { minute: string; events: number }[];
  events: number;
  /** Per clock hour of the window, oldest first: `hours[i]` is the start of the hour `sources[].counts[i]` counts. */
  rejected: { hours: string[]; sources: { source: string; counts: number[] }[]; total: number };
  ingest_lag: { hour: string; events: number; p50_seconds: number; p95_seconds: number; max_seconds: number }[];
  /** Per job (by name), oldest first. */
  job_runs: JobRun[];
};

const count = z.number().int().nonnegative();
const time = z.string();
const nullableNumber = z.number().nullable();

/** Each file's rows, as `sql/dashboard_*.sql` selects them: a renamed column fails loudly here. */
const ROWS = {
  dashboard_events_per_minute: z.object({ minute: time, events: count }),
  dashboard_ingest_lag: z.object({ hour: time, events: count, p50_seconds: z.number(), p95_seconds: z.number(), max_seconds: z.number() }),
  dashboard_rejected: z.object({ hour: time, source: z.string(), rejected: count }),
  dashboard_job_runs: z.object({
    job: z.string(),
    run_id: z.string(),
    status: z.string(),
    started_at: time,
    finished_at: time,
    shoppers: count,
    changed: count,
    result_rows: count,
    bytes_processed: nullableNumber,
    error: z.string().nullable(),
  }),
  dashboard_learning_metrics: z.object({
    metric: z.string(),
    experiment: z.string(),
    arm: z.string(),
    as_of: time,
    value: nullableNumber,
    numerator: nullableNumber,
    denominator: nullableNumber,
    ci_low: nullableNumber,
    ci_high: nullableNumber,
  }),
} satisfies Record<string, z.ZodType>;
type File = keyof typeof ROWS;
type RowOf<F extends File> = z.infer<(typeof ROWS)[F]>;

/** The dashboard's rows, one query per file, straight from the warehouse. */
export type DashboardRows = { [F in File]: RowOf<F>[] };

/** Runs the dashboard's five queries side by side, on BigQuery or DuckDB alike. */
export async function readDashboardRows(warehouse: Pick<SqlWarehouse, 'query'>, window: DashboardWindow): Promise<DashboardRows> {
  const params = { as_of: window.asOf, since: window.since, history_since: window.historySince, runs_per_job: RUNS_PER_JOB };
  const read = async <F extends File>(file: F): Promise<RowOf<F>[]> => {
    const { rows } = await warehouse.query(`${file}.sql`, params, 'dashboard');
    return rows.map((row) => parseRow(file, row));
  };
  const [perMinute, lag, rejected, runs, metrics] = await Promise.all([
    read('dashboard_events_per_minute'),
    read('dashboard_ingest_lag'),
    read('dashboard_rejected'),
    read('dashboard_job_runs'),
    read('dashboard_learning_metrics'),
  ]);
  return {
    dashboard_events_per_minute: perMinute,
    dashboard_ingest_lag: lag,
    dashboard_rejected: rejected,
    dashboard_job_runs: runs,
    dashboard_learning_metrics: metrics,
  };
}

function parseRow<F extends File>(file: F, row: SqlRow): RowOf<F> {
  const parsed = ROWS[file].safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`sql/${file}.sql answered an unexpected row: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return parsed.data as RowOf<F>;
}

/** The dashboard from its rows: the series each chart draws. Pure. */
export function assembleDashboard(rows: DashboardRows, window: DashboardWindow): DashboardData {
  const metrics = rows.dashboard_learning_metrics.filter((r) => r.value !== null);
  // Per arm of the experiment, or all searches as one line when no arm was measured.
  const perArm = (metric: string) => {
    const ofExperiment = metrics.filter((r) => r.metric === metric && r.experiment === window.experiment && r.arm !== '');
    const rowsOf = ofExperiment.length ? ofExperiment : metrics.filter((r) => r.metric === metric && r.experiment === '' && r.arm === '');
    return metricSeries(rowsOf, (r) => r.arm || 'all shoppers');
  };
  // Reorder quality overall, and per arm of the same experiment when the metrics job measured it so.
  const reorder = metrics.filter(
    (r) =>
      (r.metric === 'reorder_precision' || r.metric === 'reorder_recall') && (r.experiment === '' || r.experiment === window.experiment),
  );
  return {
    as_of: window.asOf.toISOString(),
    since: window.since.toISOString(),
    history_since: window.historySince.toISOString(),
    hours: window.hours,
    days: window.days,
    experiment: window.experiment,
    ctr: perArm('ctr'),
    mrr: perArm('mrr'),
    bought_position: perArm('bought_position'),
    reorder: metricSeries(reorder, (r) => {
      const name = r.metric === 'reorder_precision' ? 'precision' : 'recall';
      return r.arm ? `${name} · ${r.arm}` : name;
    }),
    events_per_minute: rows.dashboard_events_per_minute.map(({ minute, events }) => ({ minute: iso(minute), events })),
    events: rows.dashboard_events_per_minute.reduce((sum, r) => sum + r.events, 0),
    rejected: rejectedPerHour(rows.dashboard_rejected, window),
    ingest_lag: rows.dashboard_ingest_lag.map((r) => ({ ...r, hour: iso(r.hour) })),
    job_runs: rows.dashboard_job_runs.map((r) => ({
      ...r,
      started_at: iso(r.started_at),
      finished_at: iso(r.finished_at),
      duration_seconds: (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000,
    })),
  };
}

type MetricRow = RowOf<'dashboard_learning_metrics'>;

/** One series per name, in order of name; points oldest first. */
function metricSeries(rows: MetricRow[], nameOf: (row: MetricRow) => string): MetricSeries[] {
  const series = new Map<string, MetricSeries>();
  for (const row of rows) {
    const name = nameOf(row);
    let line = series.get(name);
    if (!line) {
      line = { name, metric: row.metric, experiment: row.experiment, arm: row.arm, points: [] };
      series.set(name, line);
    }
    const { as_of, value, numerator, denominator, ci_low, ci_high } = row;
    line.points.push({ as_of: iso(as_of), value: value ?? 0, numerator, denominator, ci_low, ci_high });
  }
  for (const line of series.values()) line.points.sort((a, b) => Date.parse(a.as_of) - Date.parse(b.as_of));
  return [...series.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Every clock hour the window touches, and per source its count in each: 0 where nothing was rejected. */
function rejectedPerHour(rows: RowOf<'dashboard_rejected'>[], window: DashboardWindow): DashboardData['rejected'] {
  const hours = clockHours(window.since, window.asOf);
  const index = new Map(hours.map((hour, i) => [hour, i]));
  const sources = new Map<string, number[]>();
  for (const row of rows) {
    const at = index.get(iso(row.hour));
    if (at === undefined) continue;
    let counts = sources.get(row.source);
    if (!counts) {
      counts = hours.map(() => 0);
      sources.set(row.source, counts);
    }
    counts[at] = (counts[at] ?? 0) + row.rejected;
  }
  return {
    hours,
    sources: [...sources].map(([source, counts]) => ({ source, counts })).sort((a, b) => a.source.localeCompare(b.source)),
    total: rows.reduce((sum, r) => sum + r.rejected, 0),
  };
}

/** The starts of the clock hours that [from, to) touches, oldest first. */
export function clockHours(from: Date, to: Date): string[] {
  const hours: string[] = [];
  for (let t = Math.floor(from.getTime() / HOUR_MS) * HOUR_MS; t < to.getTime(); t += HOUR_MS) hours.push(new Date(t).toISOString());
  return hours;
}

/** Timestamps as `Date#toISOString` writes them, whichever adapter answered. */
function iso(value: string): string {
  return new Date(value).toISOString();
}

/** Reads and assembles the dashboard as of `window`. */
export async function readDashboard(warehouse: Pick<SqlWarehouse, 'query'>, window: DashboardWindow): Promise<DashboardData> {
  return assembleDashboard(await readDashboardRows(warehouse, window), window);
}
