import { z } from 'zod';
import { runJob } from '../jobs/lifecycle.ts';
import { REORDER_RULE_PARAMS } from '../kernel/reorder-rule.ts';
import type { Logger } from '../logging/logger.ts';
import type { SqlParams, SqlRow, SqlWarehouse } from '../warehouse/ports.ts';

export const JOB = 'metrics';

/**
 * The metric queries of `sql/`, one per family of metrics. Each answers rows shaped like
 * `learning_metrics` without `run_id` and `computed_at`, for the window [@window_start, @as_of).
 */
export const METRIC_QUERIES = [
  'metric_ctr',
  'metric_ctr_by_position',
  'metric_search_quality',
  'metric_challenger',
  'metric_reorder',
  'metric_brand_accuracy',
  'metric_cart',
  'metric_coverage',
] as const;

/** Every metric the queries answer, as `learning_metrics.metric` names it. */
export const METRICS = [
  'ctr',
  'ctr_by_position',
  'mrr',
  'bought_position',
  'challenger_ctr_gain',
  'challenger_mrr_gain',
  'reorder_precision',
  'reorder_recall',
  'brand_accuracy',
  'cart_abandonment_rate',
  'avg_cart_value',
  'coverage',
] as const;
export type MetricName = (typeof METRICS)[number];

/** The job runs daily: by default a run measures the whole UTC day before it. */
export const DEFAULT_WINDOW_DAYS = 1;
/** A longer window is a backfill that scans that many days of events (and `HISTORY_DAYS` more of orders): a quarter at most. */
export const MAX_WINDOW_DAYS = 92;

const DAY_MS = 86_400_000;

export type MetricsJobDeps = {
  warehouse: SqlWarehouse;
  clock: () => Date;
  logger: Logger;
  newRunId?: () => string;
};

export type MetricsRequest = {
  /** End of the measured window (exclusive). Default: the start (00:00 UTC) of the run's day; never later than now. */
  asOf?: Date;
  /** Start of the window (inclusive). Default: `windowDays` before `asOf`. */
  windowStart?: Date;
  /** Length of the window in days when `windowStart` is not given. Default 1. */
  windowDays?: number;
};

/** One row of `learning_metrics`, less the run's id and time. */
export type LearningMetric = {
  metric: MetricName;
  /** Experiment id; '' when the row is not per experiment. */
  experiment: string;
  /** Arm of the experiment; '' when not per arm. */
  arm: string;
  /** The slice: a position '1'…'10', 'personalized' or 'not_personalized', a day 'YYYY-MM-DD'; '' for none. */
  dimension: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  ci_low: number | null;
  ci_high: number | null;
};

export type MetricsRun = {
  run_id: string;
  as_of: string;
  window_start: string;
  /** Rows of the window now in `learning_metrics`: one per metric and slice with any data. */
  rows: number;
  metrics: LearningMetric[];
  bytes_processed: number | null;
  ms: number;
};

const Row = z.object({
  as_of: z.string(),
  window_start: z.string(),
  metric: z.enum(METRICS),
  experiment: z.string(),
  arm: z.string(),
  dimension: z.string(),
  value: z.number().nullable(),
  numerator: z.number().nullable(),
  denominator: z.number().nullable(),
  ci_low: z.number().nullable(),
  ci_high: z.number().nullable(),
});

/**
 * The metrics job: every metric query over the window at once, their rows staged in
 * `learning_metrics_staging` and merged into `learning_metrics` (`merge_learning_metrics.sql`), which
 * replaces whatever an earlier run wrote for the same window, so a retry or a backfill never doubles a
 * row. Then each row is logged as one "learning metric" entry, which Cloud Monitoring's log-based
 * metrics turn into time series (infra/metrics-job.ts); last the run is recorded in `job_runs`.
 * The metrics are aggregates over every shopper: nothing of one shopper is written or logged.
 */
export async function runMetricsJob(deps: MetricsJobDeps, request: MetricsRequest = {}): Promise<MetricsRun> {
  return runJob(deps, JOB, ({ runId, started, log }) => {
    const { warehouse } = deps;
    const asOf = request.asOf ?? startOfDay(started);
    const windowStart = request.windowStart ?? new Date(asOf.getTime() - (request.windowDays ?? DEFAULT_WINDOW_DAYS) * DAY_MS);
    const totals = { rows: 0, bytes: null as number | null };

    const work = async (): Promise<MetricsRun> => {
      checkWindow(asOf, windowStart, started);
      log.info('job started', { as_of: asOf.toISOString(), window_start: windowStart.toISOString() });
      // metric_reorder.sql judges by the rule search uses, bound from its one home.
      const params: SqlParams = { as_of: asOf, window_start: windowStart, ...REORDER_RULE_PARAMS };
      // The queries are independent: BigQuery runs them side by side.
      const answers = await Promise.all(
        METRIC_QUERIES.map(async (file) => {
          const result = await warehouse.query(`${file}.sql`, params, JOB);
          if (result.bytesProcessed !== null) totals.bytes = (totals.bytes ?? 0) + result.bytesProcessed;
          log.info(`query ${file} done`, {
            query: file,
            rows: result.rows.length,
            bytes_processed: result.bytesProcessed,
            ms: Math.round(result.ms),
          });
          return result.rows.map((row) => parseRow(file, row, asOf, windowStart));
        }),
      );
      const metrics = answers.flat().sort(byKey);
      totals.rows = metrics.length;

      const computedAt = deps.clock().toISOString();
      const staged: SqlRow[] = metrics.map((m) => ({
        run_id: runId,
        as_of: asOf.toISOString(),
        window_start: windowStart.toISOString(),
        ...m,
        computed_at: computedAt,
      }));
      await warehouse.replaceRows('learning_metrics_staging', staged, JOB);
      const merged = await warehouse.execute('merge_learning_metrics.sql', params, JOB);
      log.info('metrics merged', { rows: metrics.length, changed_rows: merged.affectedRows });

      // One entry per row, only once it is stored: the log-based metrics chart what the table holds.
      for (const m of metrics) log.info('learning metric', { ...m, as_of: asOf.toISOString(), window_start: windowStart.toISOString() });

      return {
        run_id: runId,
        as_of: asOf.toISOString(),
        window_start: windowStart.toISOString(),
        rows: metrics.length,
        metrics,
        bytes_processed: totals.bytes,
        ms: Math.round(deps.clock().getTime() - started.getTime()),
      };
    };

    return {
      work,
      // The measured window: since is its start; no later run starts from it, so the watermark is its end.
      // Aggregates only: no shopper is processed one by one, and nothing is published.
      figures: () => ({
        asOf,
        since: windowStart,
        watermark: asOf,
        shoppers: 0,
        changed: 0,
        resultRows: totals.rows,
        bytesProcessed: totals.bytes,
      }),
      // The rows were logged one by one above.
      succeeded: ({ metrics: _logged, ...outline }) => ({ message: 'job succeeded', fields: outline }),
    };
  });
}

/** 00:00 UTC of the instant's day. */
export function startOfDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

function checkWindow(asOf: Date, windowStart: Date, now: Date): void {
  if (Number.isNaN(asOf.getTime()) || Number.isNaN(windowStart.getTime())) throw new Error('as_of and the window start must be instants');
  // Metrics of a window that has not ended would be stored as if it had.
  if (asOf.getTime() > now.getTime()) throw new Error('as_of must not be in the future');
  const days = (asOf.getTime() - windowStart.getTime()) / DAY_MS;
  if (!(days > 0)) throw new Error('the window must start before as_of');
  if (days > MAX_WINDOW_DAYS) throw new Error(`the window must be at most ${MAX_WINDOW_DAYS} days long`);
}

/** A row of a metric query, checked: a query that answers something else is a broken file, not data. */
function parseRow(file: string, row: SqlRow, asOf: Date, windowStart: Date): LearningMetric {
  const parsed = Row.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`sql/${file}.sql answered an unexpected row: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  const { as_of, window_start, ...metric } = parsed.data;
  if (Date.parse(as_of) !== asOf.getTime() || Date.parse(window_start) !== windowStart.getTime()) {
    throw new Error(`sql/${file}.sql answered a row of another window`);
  }
  return metric;
}

function byKey(a: LearningMetric, b: LearningMetric): number {
  const key = (m: LearningMetric) => [m.metric, m.experiment, m.arm, m.dimension];
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < x.length; i += 1) {
    if (x[i] !== y[i]) return (x[i] ?? '') < (y[i] ?? '') ? -1 : 1;
  }
  return 0;
}
