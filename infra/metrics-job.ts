import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { ScheduledJob } from './scheduled-job.ts';

/** What a "learning metric" log entry is about, each a label of the log-based metrics. */
const LABELS = [
  { key: 'metric', description: 'The metric, e.g. ctr, reorder_precision (learning_metrics.metric).' },
  { key: 'experiment', description: 'The experiment id; empty when not per experiment.' },
  { key: 'arm', description: 'The arm of the experiment; empty when not per arm.' },
  { key: 'dimension', description: 'The slice: a result position, personalized or not_personalized, a day; empty for none.' },
] as const;

/**
 * Buckets of `learning_metric_value`: 0.001 × 2^k up to about 16,000, for shares (0 to 1) and mean order totals
 * alike. A series gets one value per run, so its mean (sum ÷ count) is the value itself; the buckets only bound it.
 */
export const VALUE_BUCKETS = { scale: 0.001, growthFactor: 2, numFiniteBuckets: 24 } as const;
/** Buckets of `learning_metric_denominator`: 1, 2, 4 … about a billion searches or orders. */
export const DENOMINATOR_BUCKETS = { scale: 1, growthFactor: 2, numFiniteBuckets: 30 } as const;

/** The log-based metrics over the "learning metric" entries: one distribution per field of the entry. */
const SERIES = [
  {
    resourceName: 'learning-metric-value',
    name: 'learning_metric_value',
    field: 'value',
    displayName: 'Learning metric',
    description:
      'The learning metrics of each day as the metrics job stored them (value of "learning metric"), by metric, experiment, arm and dimension.',
    buckets: VALUE_BUCKETS,
  },
  {
    resourceName: 'learning-metric-denominator',
    name: 'learning_metric_denominator',
    field: 'denominator',
    displayName: 'Learning metric sample size',
    description: 'What each learning metric rests on: searches, products, sessions or orders (denominator of "learning metric").',
    buckets: DENOMINATOR_BUCKETS,
  },
] as const;

/**
 * The Cloud Monitoring series of the `metrics` job. Each row it stores is also logged as a "learning metric" entry, and
 * two log-based metrics turn those entries into time series labelled by metric, experiment, arm and dimension:
 * `learning_metric_value` and `learning_metric_denominator` (how many searches, products or orders the value rests
 * on). They are the gauges a Prometheus exporter would publish, in Google Cloud's own form: chart a series' mean, or
 * query it in PromQL as `logging_googleapis_com:user_learning_metric_value_sum / …_count`.
 */
export function learningMetrics(project: string, job: ScheduledJob): void {
  const entries = pulumi.interpolate`resource.type="cloud_run_revision" AND resource.labels.service_name="${job.fn.name}" AND jsonPayload.message="learning metric"`;
  const labels = LABELS.map(({ key, description }) => ({ key, valueType: 'STRING', description }));
  const labelExtractors = Object.fromEntries(LABELS.map(({ key }) => [key, `EXTRACT(jsonPayload.${key})`]));
  for (const series of SERIES) {
    new gcp.logging.Metric(
      series.resourceName,
      {
        project,
        name: series.name,
        description: series.description,
        filter: entries,
        metricDescriptor: { metricKind: 'DELTA', valueType: 'DISTRIBUTION', unit: '1', displayName: series.displayName, labels },
        valueExtractor: `EXTRACT(jsonPayload.${series.field})`,
        labelExtractors,
        bucketOptions: { exponentialBuckets: series.buckets },
      },
      { parent: job },
    );
  }
}
