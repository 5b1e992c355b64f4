import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { MESSAGE_INGESTED } from '../functions/ingest/log-messages.ts';
import type { MetricReady } from './metric-descriptors.ts';

export type MonitoringArgs = {
  project: string;
  /** Address mailed when an alert opens; without one, incidents only show in the console. */
  alertEmail?: string;
  /** Cloud Run services of the functions whose logs the log-based metrics read. */
  services: { ingest: pulumi.Input<string>; collect: pulumi.Input<string> };
  /** The push subscription that feeds `ingest`, and the pull subscription that keeps dead letters. */
  subscriptions: { ingestPush: pulumi.Input<string>; deadLetterKeep: pulumi.Input<string> };
  /** The topic `collect` publishes rejected events to. */
  rejectedEventsTopic: pulumi.Input<string>;
  /** The scheduled jobs, as their failures are labelled (`labels.job`): named in the failure alert's runbook. */
  jobs: string[];
  /**
   * Resolves once Cloud Monitoring knows a log-based metric's type. A new metric takes up to about 10 minutes to get
   * there, and an alert policy naming it is refused with 404 until then: each policy on a log-based metric waits
   * for it (`waitForMetricDescriptor`).
   */
  metricReady: MetricReady;
};

/** End-to-end lag (collect received → ingest learned) above which the lag alert opens. */
export const LAG_ALERT_MS = 2_000;

/**
 * Buckets of `ingest_lag_ms`: 31.25 ms × 2^k, so that 2,000 ms (k = 6) is a bucket boundary and a p99 estimated
 * from the histogram crosses the alert threshold exactly when more than 1 % of messages took 2 s or longer.
 * 27 finite buckets reach 31.25 × 2^27 ms ≈ 48 days, beyond the longest retention (31 days): a message replayed
 * late still lands in a finite bucket. Below 31.25 ms is the underflow bucket; nothing in the loop is that fast.
 */
export const LAG_BUCKETS = { scale: LAG_ALERT_MS / 2 ** 6, growthFactor: 2, numFiniteBuckets: 27 } as const;

/** Events learned per message: 1, 2, 4 … 1,024 (a batch is far smaller); only the sum and count are charted. */
const LEARNED_BUCKETS = { scale: 1, growthFactor: 2, numFiniteBuckets: 11 } as const;

/** A log-based metric's type in Cloud Monitoring. */
const userMetric = (name: string) => `logging.googleapis.com/user/${name}`;
/** The same metric as PromQL names it (first `/` → `:`, every other `.` and `/` → `_`). */
const promMetric = (name: string) => `logging_googleapis_com:user_${name}`;

// ---- The subset of the Cloud Monitoring dashboard JSON (monitoring.v1 Dashboard) the dashboard uses. ----

type Aggregation = {
  alignmentPeriod: string;
  perSeriesAligner: string;
  crossSeriesReducer?: string;
  groupByFields?: string[];
};
type TimeSeriesQuery =
  { timeSeriesFilter: { filter: string; aggregation: Aggregation } } | { prometheusQuery: string; unitOverride?: string };
type DataSet = {
  timeSeriesQuery: TimeSeriesQuery;
  plotType: 'LINE' | 'STACKED_AREA' | 'STACKED_BAR';
  legendTemplate?: string;
  minAlignmentPeriod?: string;
};
type Widget = {
  title: string;
  xyChart: {
    dataSets: DataSet[];
    thresholds?: { value: number; label: string; color?: 'YELLOW' | 'RED' }[];
    yAxis: { label: string; scale: 'LINEAR' | 'LOG10' };
  };
};
type Tile = { xPos: number; yPos: number; width: number; height: number; widget: Widget };
/** A dashboard as `gcp.monitoring.Dashboard` takes it, JSON-encoded. */
export type DashboardSpec = { displayName: string; mosaicLayout: { columns: number; tiles: Tile[] } };

/** What the dashboard charts, each resolved to a plain name. */
type DashboardNames = {
  ingest: string;
  collect: string;
  ingestPush: string;
  deadLetterKeep: string;
  rejectedEventsTopic: string;
  lagMetric: string;
  learnedMetric: string;
  jobFailuresMetric: string;
};

/** Dashboard width in grid columns; charts are half of it, two per row. */
const COLUMNS = 48;

/**
 * Log-based metrics read from the functions' structured logs, alert policies that say what to do when the loop
 * stalls or loses data, and one dashboard of the loop's health.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly dashboard: gcp.monitoring.Dashboard;
  /** The email channel, when `alertEmail` is set. */
  readonly channel: gcp.monitoring.NotificationChannel | undefined;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:monitoring:Monitoring', name, {}, opts);
    const { project, services, subscriptions } = args;

    this.channel = args.alertEmail
      ? new gcp.monitoring.NotificationChannel(
          'alert-email',
          { project, type: 'email', displayName: `Learning loop alerts (${args.alertEmail})`, labels: { email_address: args.alertEmail } },
          { parent: this },
        )
      : undefined;

    // The functions write one JSON line per event to stdout/stderr; Cloud Run turns it into a jsonPayload
    // entry of the function's service, with the line's `severity` as the entry's severity.
    const ofService = (service: pulumi.Input<string>) =>
      pulumi.interpolate`resource.type="cloud_run_revision" AND resource.labels.service_name="${service}"`;
    const ingested = pulumi.interpolate`${ofService(services.ingest)} AND jsonPayload.message="${MESSAGE_INGESTED}"`;

    const lag = new gcp.logging.Metric(
      'ingest-lag-ms',
      {
        project,
        name: 'ingest_lag_ms',
        description: `Milliseconds from collect receiving a batch to ingest having learned from it (lag_ms of "${MESSAGE_INGESTED}").`,
        filter: ingested,
        metricDescriptor: { metricKind: 'DELTA', valueType: 'DISTRIBUTION', unit: 'ms', displayName: 'Ingest lag' },
        valueExtractor: 'EXTRACT(jsonPayload.lag_ms)',
        bucketOptions: { exponentialBuckets: LAG_BUCKETS },
      },
      { parent: this },
    );
    // A counter log-based metric only counts matching entries; summing a field takes a distribution of it,
    // whose sum (PromQL `_sum`) is the events learned and whose count is the messages ingested.
    const learned = new gcp.logging.Metric(
      'events-learned',
      {
        project,
        name: 'events_learned',
        description: `Events learned from per ingested message (learned of "${MESSAGE_INGESTED}"); its sum is the events learned.`,
        filter: ingested,
        metricDescriptor: { metricKind: 'DELTA', valueType: 'DISTRIBUTION', unit: '1', displayName: 'Events learned' },
        valueExtractor: 'EXTRACT(jsonPayload.learned)',
        bucketOptions: { exponentialBuckets: LEARNED_BUCKETS },
      },
      { parent: this },
    );
    const counter = (resourceName: string, metricName: string, description: string, filter: pulumi.Input<string>) =>
      new gcp.logging.Metric(
        resourceName,
        { project, name: metricName, description, filter, metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1' } },
        { parent: this },
      );
    // Also counts Cloud Run's own request log entries of failed pushes (5xx), and crashes the runtime logs.
    const ingestErrors = counter(
      'ingest-errors',
      'ingest_errors',
      'Entries of severity ERROR or worse logged by ingest or by Cloud Run for it.',
      pulumi.interpolate`${ofService(services.ingest)} AND severity>=ERROR`,
    );
    const publishFailures = counter(
      'collect-publish-failures',
      'collect_publish_failures',
      'Requests collect answered 503 because Pub/Sub did not take the batch ("publish failed").',
      pulumi.interpolate`${ofService(services.collect)} AND severity>=ERROR AND jsonPayload.message="publish failed"`,
    );

    // A scheduled job logs one ERROR line "job failed …" with the label `job` when a run fails (whatever the
    // function's name), so one metric counts every job's failures, by job.
    const jobFailures = new gcp.logging.Metric(
      'job-failures',
      {
        project,
        name: 'job_failures',
        description: 'Failed runs of the scheduled jobs, by job ("job failed" entries of severity ERROR with the label job).',
        filter: 'resource.type="cloud_run_revision" AND severity>=ERROR AND labels.job:* AND jsonPayload.message=~"^job failed"',
        metricDescriptor: {
          metricKind: 'DELTA',
          valueType: 'INT64',
          unit: '1',
          labels: [{ key: 'job', valueType: 'STRING', description: 'The job whose run failed, e.g. patterns.' }],
        },
        labelExtractors: { job: 'EXTRACT(labels.job)' },
      },
      { parent: this },
    );

    const notificationChannels = this.channel ? [this.channel.name] : [];
    const alert = (
      resourceName: string,
      spec: {
        displayName: string;
        severity: 'CRITICAL' | 'ERROR' | 'WARNING';
        /** What to do, in Markdown: shown in the incident and in the notification. */
        runbook: string;
        condition: gcp.types.input.monitoring.AlertPolicyConditionConditionThreshold;
      },
    ) =>
      new gcp.monitoring.AlertPolicy(
        resourceName,
        {
          project,
          displayName: spec.displayName,
          severity: spec.severity,
          combiner: 'OR',
          conditions: [{ displayName: spec.displayName, conditionThreshold: spec.condition }],
          documentation: { subject: `Learning loop: ${spec.displayName}`, mimeType: 'text/markdown', content: spec.runbook },
          notificationChannels,
          // Closes the incident by itself a day after the condition stops firing, should no data come to close it.
          alertStrategy: { autoClose: '86400s' },
        },
        { parent: this },
      );
    // A policy naming a log-based metric is refused until Cloud Monitoring knows it, which may be minutes after the
    // metric is created: the filter resolves, and the policy is registered, only once `metricReady` says so.
    const ofMetric = (metric: gcp.logging.Metric) => {
      const type = metric.name.apply(async (metricName) => {
        await args.metricReady(userMetric(metricName));
        return userMetric(metricName);
      });
      return pulumi.interpolate`metric.type="${type}" AND resource.type="cloud_run_revision"`;
    };
    const ofSubscription = (metricType: string, subscription: pulumi.Input<string>) =>
      pulumi.interpolate`metric.type="pubsub.googleapis.com/subscription/${metricType}" AND resource.type="pubsub_subscription" AND resource.labels.subscription_id="${subscription}"`;

    alert('dead-letters-present', {
      displayName: 'Dead letters present',
      severity: 'ERROR',
      runbook: [
        'Messages failed 5 push deliveries to `ingest` and were moved to `events-dead-letter`; they are kept, unacked, in the pull subscription `events-dead-letter-keep`. The alert stays open while any is unacked.',
        '',
        '1. Look at ERROR entries of the `ingest` service around the time they failed (alert "Ingest errors"), and at the messages: `gcloud pubsub subscriptions pull events-dead-letter-keep --limit 10` (without `--auto-ack`).',
        '2. Fix the cause (a deploy, a permission, a quota, a table).',
        '3. Republish each message to `events` within `markerTtlDays` (ingest is idempotent within that window), then ack it in `events-dead-letter-keep`. Acked messages stay retained for replay.',
      ].join('\n'),
      condition: {
        filter: ofSubscription('num_undelivered_messages', subscriptions.deadLetterKeep),
        aggregations: [{ alignmentPeriod: '60s', perSeriesAligner: 'ALIGN_MIN' }],
        comparison: 'COMPARISON_GT',
        thresholdValue: 0,
        duration: '300s',
      },
    });
    alert('ingest-errors', {
      displayName: 'Ingest errors',
      severity: 'ERROR',
      runbook: [
        '`ingest` logged ERROR entries (or Cloud Run logged failed requests for it) in the last 10 minutes. Pub/Sub retries each failed message with backoff, up to 5 times, then dead-letters it.',
        '',
        '1. Open Logs Explorer: `resource.type="cloud_run_revision" resource.labels.service_name="ingest" severity>=ERROR`.',
        '2. Transient errors (Firestore contention, BigQuery 5xx) clear by themselves; persistent ones (permissions, a missing table, a bad deploy) need a fix or a rollback.',
        '3. Check "Dead letters present" afterwards: messages that ran out of attempts must be replayed.',
      ].join('\n'),
      condition: {
        filter: ofMetric(ingestErrors),
        aggregations: [{ alignmentPeriod: '600s', perSeriesAligner: 'ALIGN_RATE', crossSeriesReducer: 'REDUCE_SUM' }],
        comparison: 'COMPARISON_GT',
        thresholdValue: 0,
        duration: '0s',
      },
    });
    alert('ingest-lag', {
      displayName: 'Ingest lag p99 above 2 s',
      severity: 'WARNING',
      runbook: [
        `The 99th percentile of the time from \`collect\` receiving a batch to \`ingest\` having learned from it exceeded ${LAG_ALERT_MS} ms over 10 minutes: personalization is running behind the shoppers.`,
        '',
        '1. Look at the dashboard: a growing push backlog means ingest cannot keep up (instances at `ingestMaxInstances`, slow Firestore transactions); a flat one with retries means failing deliveries (alert "Ingest errors").',
        '2. Raise `ingestMaxInstances` or `ingestConcurrency` if ingest is saturated and Firestore has headroom; look for hot documents if transactions are slow.',
        '3. A burst of replayed or retried messages raises the lag by itself and passes.',
      ].join('\n'),
      condition: {
        filter: ofMetric(lag),
        // Merges every revision's histogram over the window, then takes the 99th percentile of the whole.
        aggregations: [{ alignmentPeriod: '600s', perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_PERCENTILE_99' }],
        comparison: 'COMPARISON_GT',
        thresholdValue: LAG_ALERT_MS,
        duration: '0s',
      },
    });
    alert('push-backlog-age', {
      displayName: 'Push backlog growing',
      severity: 'ERROR',
      runbook: [
        'The oldest unacked message of `events-ingest` is more than 10 minutes old: ingest is not draining its push subscription. (One message that times out on all 5 attempts can reach about 12 minutes before it is dead-lettered; then "Dead letters present" opens too.)',
        '',
        '1. Check that `ingest` is deployed and healthy, and that `pubsub-push` may invoke it (a 401/403 in its request log).',
        '2. Look at "Ingest errors": failing messages are retried, then dead-lettered after 5 attempts.',
        '3. If ingest is merely saturated, raise `ingestMaxInstances`; messages are retained for `messageRetention`, so nothing is lost before that.',
      ].join('\n'),
      condition: {
        filter: ofSubscription('oldest_unacked_message_age', subscriptions.ingestPush),
        aggregations: [{ alignmentPeriod: '60s', perSeriesAligner: 'ALIGN_MAX' }],
        comparison: 'COMPARISON_GT',
        thresholdValue: 600,
        duration: '0s',
      },
    });
    alert('collect-publish-failures', {
      displayName: 'Collect publish failures',
      severity: 'CRITICAL',
      runbook: [
        "`collect` could not publish to Pub/Sub and answered 503: shoppers' events are not being captured unless their clients retry.",
        '',
        '1. Open Logs Explorer: `resource.type="cloud_run_revision" resource.labels.service_name="collect" jsonPayload.message="publish failed"` and read the error.',
        '2. A permission error means `collect-fn` lost `roles/pubsub.publisher` on `events` or `rejected-events`; a missing topic, that it was deleted: run `pulumi up`.',
        '3. Otherwise check the Pub/Sub status page and quotas; clients retry with the same event ids, which ingest de-duplicates.',
      ].join('\n'),
      condition: {
        filter: ofMetric(publishFailures),
        aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_RATE', crossSeriesReducer: 'REDUCE_SUM' }],
        comparison: 'COMPARISON_GT',
        thresholdValue: 0,
        duration: '0s',
      },
    });

    alert('scheduled-job-failures', {
      displayName: 'Scheduled job failed',
      severity: 'ERROR',
      runbook: [
        `A run of a scheduled job logged "job failed" in the last hour: the incident's \`job\` label names it (${args.jobs.map((job) => `\`${job}\``).join(', ')}); \`<job>\` below stands for it. Cloud Scheduler retries a failed run 3 times, 5, 10 and 20 minutes apart, and every job is safe to run again: a failed patterns run moves no watermark, an erasure request stays pending until a run completes it.`,
        '',
        '1. Open Logs Explorer: `resource.type="cloud_run_revision" labels.job="<job>" severity>=ERROR` and read the error (a query over `maximumBytesBilled`, a permission, a missing table, a Firestore quota).',
        "2. Look at the job's history in BigQuery: `SELECT * FROM learning_loop.job_runs WHERE job = '<job>' ORDER BY started_at DESC LIMIT 10` (the dataset is `bigqueryDataset`).",
        '3. Once fixed, run it now instead of waiting for the schedule: `gcloud scheduler jobs run <job> --location <region>`. Erasure has a deadline (a month from the request under the GDPR): do not leave it failing.',
        '4. A run that was stopped at its timeout or ran out of memory logs no "job failed": check the Cloud Scheduler job\'s last attempt (`gcloud scheduler jobs describe <job> --location <region>`) when runs stop being recorded.',
      ].join('\n'),
      condition: {
        filter: ofMetric(jobFailures),
        // Jobs run hourly at most: an hour's window holds a failure long enough to be seen, one incident per job.
        aggregations: [
          {
            alignmentPeriod: '3600s',
            perSeriesAligner: 'ALIGN_RATE',
            crossSeriesReducer: 'REDUCE_SUM',
            groupByFields: ['metric.label.job'],
          },
        ],
        comparison: 'COMPARISON_GT',
        thresholdValue: 0,
        duration: '0s',
      },
    });

    const names = pulumi.output({
      ingest: services.ingest,
      collect: services.collect,
      ingestPush: subscriptions.ingestPush,
      deadLetterKeep: subscriptions.deadLetterKeep,
      rejectedEventsTopic: args.rejectedEventsTopic,
      lagMetric: lag.name,
      learnedMetric: learned.name,
      jobFailuresMetric: jobFailures.name,
    });
    this.dashboard = new gcp.monitoring.Dashboard(
      'learning-loop',
      { project, dashboardJson: names.apply((n) => JSON.stringify(dashboardSpec(n))) },
      { parent: this },
    );

    this.registerOutputs({ dashboard: this.dashboard.id, channel: this.channel?.name });
  }
}

/** The loop's dashboard: what it learns, how late, and where messages pile up or fail. */
export function dashboardSpec(n: DashboardNames): DashboardSpec {
  const ofRevision = (service: string) => `resource.type="cloud_run_revision" AND resource.labels.service_name="${service}"`;
  const ofSubscription = (metricType: string, subscription: string) =>
    `metric.type="pubsub.googleapis.com/subscription/${metricType}" AND resource.type="pubsub_subscription" AND resource.labels.subscription_id="${subscription}"`;
  const line = (filter: string, aggregation: Aggregation, legendTemplate?: string): DataSet => ({
    timeSeriesQuery: { timeSeriesFilter: { filter, aggregation } },
    plotType: 'LINE',
    ...(legendTemplate ? { legendTemplate } : {}),
  });
  const lagPercentile = (p: 50 | 99) =>
    line(
      `metric.type="${userMetric(n.lagMetric)}" AND ${ofRevision(n.ingest)}`,
      { alignmentPeriod: '60s', perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: `REDUCE_PERCENTILE_${p}` },
      `p${p}`,
    );

  const widgets: Widget[] = [
    {
      title: 'Events learned per minute',
      xyChart: {
        dataSets: [
          {
            // The distribution's sum is the events learned; PromQL reads it as `_sum`.
            timeSeriesQuery: {
              prometheusQuery: `60 * sum(rate(${promMetric(n.learnedMetric)}_sum{monitored_resource="cloud_run_revision",service_name="${n.ingest}"}[5m]))`,
            },
            plotType: 'LINE',
            legendTemplate: 'events learned / min',
          },
        ],
        yAxis: { label: 'events / min', scale: 'LINEAR' },
      },
    },
    {
      title: 'Ingest lag p50 / p99 (ms)',
      xyChart: {
        dataSets: [lagPercentile(50), lagPercentile(99)],
        thresholds: [{ value: LAG_ALERT_MS, label: 'alert', color: 'YELLOW' }],
        yAxis: { label: 'ms', scale: 'LOG10' },
      },
    },
    {
      title: `Dead-letter backlog (${n.deadLetterKeep})`,
      xyChart: {
        dataSets: [
          line(ofSubscription('num_undelivered_messages', n.deadLetterKeep), { alignmentPeriod: '60s', perSeriesAligner: 'ALIGN_MAX' }),
        ],
        thresholds: [{ value: 0, label: 'any is too many', color: 'RED' }],
        yAxis: { label: 'messages', scale: 'LINEAR' },
      },
    },
    {
      title: `Push backlog age (${n.ingestPush})`,
      xyChart: {
        dataSets: [
          line(ofSubscription('oldest_unacked_message_age', n.ingestPush), { alignmentPeriod: '60s', perSeriesAligner: 'ALIGN_MAX' }),
        ],
        thresholds: [{ value: 600, label: 'alert', color: 'RED' }],
        yAxis: { label: 's', scale: 'LINEAR' },
      },
    },
    {
      title: 'Collect requests by response class (5xx = failures)',
      xyChart: {
        dataSets: [
          line(
            `metric.type="run.googleapis.com/request_count" AND ${ofRevision(n.collect)}`,
            {
              alignmentPeriod: '60s',
              perSeriesAligner: 'ALIGN_RATE',
              crossSeriesReducer: 'REDUCE_SUM',
              groupByFields: ['metric.label.response_code_class'],
            },
            '${metric.labels.response_code_class}',
          ),
        ],
        yAxis: { label: 'requests / s', scale: 'LINEAR' },
      },
    },
    {
      title: `Rejected-event publishes (${n.rejectedEventsTopic})`,
      xyChart: {
        dataSets: [
          line(
            `metric.type="pubsub.googleapis.com/topic/send_message_operation_count" AND resource.type="pubsub_topic" AND resource.labels.topic_id="${n.rejectedEventsTopic}"`,
            { alignmentPeriod: '60s', perSeriesAligner: 'ALIGN_RATE', crossSeriesReducer: 'REDUCE_SUM' },
          ),
        ],
        yAxis: { label: 'messages / s', scale: 'LINEAR' },
      },
    },
    {
      title: 'Scheduled job failures by job',
      xyChart: {
        dataSets: [
          {
            ...line(
              `metric.type="${userMetric(n.jobFailuresMetric)}" AND resource.type="cloud_run_revision"`,
              {
                alignmentPeriod: '3600s',
                perSeriesAligner: 'ALIGN_DELTA',
                crossSeriesReducer: 'REDUCE_SUM',
                groupByFields: ['metric.label.job'],
              },
              '${metric.labels.job}',
            ),
            plotType: 'STACKED_BAR',
          },
        ],
        thresholds: [{ value: 0, label: 'any is too many', color: 'RED' }],
        yAxis: { label: 'failed runs / h', scale: 'LINEAR' },
      },
    },
  ];

  const width = COLUMNS / 2;
  const height = 16;
  return {
    displayName: 'Learning loop',
    mosaicLayout: {
      columns: COLUMNS,
      tiles: widgets.map((widget, i) => ({ xPos: (i % 2) * width, yPos: Math.floor(i / 2) * height, width, height, widget })),
    },
  };
}
