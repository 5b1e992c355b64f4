import { beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULED } from '../../functions/registry.ts';
import { resourceName } from '../../infra/functions.ts';
import { LAG_ALERT_MS, Monitoring, type DashboardSpec } from '../../infra/monitoring.ts';
import {
  named,
  objectAt,
  ofType,
  PROJECT,
  PULUMI_PROJECT,
  runProgram,
  settled,
  startMocks,
  TYPES,
  type Registered,
} from './run-program.ts';

const ALERT_EMAIL = 'oncall@shop.example';
const CHANNEL = `projects/${PROJECT}/notificationChannels/alert-email`;

/** The threshold condition of a policy's only condition. */
function threshold(policy: Registered): Record<string, unknown> {
  const conditions = policy.inputs.conditions;
  if (!Array.isArray(conditions) || conditions.length !== 1) throw new Error(`${policy.name} should have one condition`);
  return objectAt(objectAt(conditions[0]).conditionThreshold);
}

function aggregation(condition: Record<string, unknown>): Record<string, unknown> {
  const aggregations = condition.aggregations;
  if (!Array.isArray(aggregations) || aggregations.length !== 1) throw new Error('expected one aggregation');
  return objectAt(aggregations[0]);
}

/** Every `key="value"` a Cloud Monitoring or Logging filter pins `key` to. */
function pinned(filter: unknown, key: string): string[] {
  return [...String(filter).matchAll(new RegExp(`${key.replaceAll('.', '\\.')}="([^"]*)"`, 'g'))].map((m) => m[1] ?? '');
}

// The program runs once per file (a module is imported once): here with an alert address configured.
let resources: Registered[];
beforeAll(async () => {
  resources = await runProgram({ [`${PULUMI_PROJECT}:alertEmail`]: ALERT_EMAIL });
});

const policy = (name: string) => named(resources, TYPES.alertPolicy, name);
const metric = (name: string) => named(resources, TYPES.logMetric, name);

describe('alert policies', () => {
  it('declares one policy per failure the loop can have', () => {
    expect(
      ofType(resources, TYPES.alertPolicy)
        .map((p) => p.name)
        .sort(),
    ).toEqual([
      'collect-publish-failures',
      'dead-letters-present',
      'ingest-errors',
      'ingest-lag',
      'push-backlog-age',
      'scheduled-job-failures',
    ]);
  });

  it('mails the configured address through one email channel', () => {
    const channels = ofType(resources, TYPES.notificationChannel);

    expect(channels).toHaveLength(1);
    expect(channels[0]?.inputs).toMatchObject({ project: PROJECT, type: 'email', labels: { email_address: ALERT_EMAIL } });
  });

  it('tells, in every policy, what to do, and notifies the channel', () => {
    for (const p of ofType(resources, TYPES.alertPolicy)) {
      const documentation = objectAt(p.inputs.documentation);

      expect(documentation.mimeType, p.name).toBe('text/markdown');
      expect(String(documentation.content).length, p.name).toBeGreaterThan(100);
      expect(String(documentation.content), p.name).toMatch(/^1\. /m);
      expect(p.inputs.notificationChannels, p.name).toEqual([CHANNEL]);
      expect(p.inputs).toMatchObject({ project: PROJECT, combiner: 'OR' });
    }
  });

  it('opens on dead letters kept in exactly events-dead-letter-keep for 5 minutes', () => {
    const condition = threshold(policy('dead-letters-present'));

    expect(pinned(condition.filter, 'metric.type')).toEqual(['pubsub.googleapis.com/subscription/num_undelivered_messages']);
    expect(pinned(condition.filter, 'resource.labels.subscription_id')).toEqual(['events-dead-letter-keep']);
    expect(condition).toMatchObject({ comparison: 'COMPARISON_GT', thresholdValue: 0, duration: '300s' });
  });

  it('opens when the p99 of ingest_lag_ms over 10 minutes exceeds 2000 ms', () => {
    const condition = threshold(policy('ingest-lag'));

    expect(LAG_ALERT_MS).toBe(2000);
    expect(pinned(condition.filter, 'metric.type')).toEqual(['logging.googleapis.com/user/ingest_lag_ms']);
    expect(condition).toMatchObject({ comparison: 'COMPARISON_GT', thresholdValue: 2000 });
    expect(aggregation(condition)).toEqual({
      alignmentPeriod: '600s',
      perSeriesAligner: 'ALIGN_DELTA',
      crossSeriesReducer: 'REDUCE_PERCENTILE_99',
    });
  });

  it('opens on any ingest error over 10 minutes', () => {
    const condition = threshold(policy('ingest-errors'));

    expect(pinned(condition.filter, 'metric.type')).toEqual(['logging.googleapis.com/user/ingest_errors']);
    expect(condition).toMatchObject({ comparison: 'COMPARISON_GT', thresholdValue: 0 });
    expect(aggregation(condition)).toMatchObject({ alignmentPeriod: '600s', perSeriesAligner: 'ALIGN_RATE' });
  });

  it('opens when the oldest unacked message of events-ingest is older than 600 s', () => {
    const condition = threshold(policy('push-backlog-age'));

    expect(pinned(condition.filter, 'metric.type')).toEqual(['pubsub.googleapis.com/subscription/oldest_unacked_message_age']);
    expect(pinned(condition.filter, 'resource.labels.subscription_id')).toEqual(['events-ingest']);
    expect(condition).toMatchObject({ comparison: 'COMPARISON_GT', thresholdValue: 600 });
  });

  it('opens on any failed run of a scheduled job within an hour, one incident per job', () => {
    const condition = threshold(policy('scheduled-job-failures'));

    expect(pinned(condition.filter, 'metric.type')).toEqual(['logging.googleapis.com/user/job_failures']);
    expect(condition).toMatchObject({ comparison: 'COMPARISON_GT', thresholdValue: 0, duration: '0s' });
    expect(aggregation(condition)).toEqual({
      alignmentPeriod: '3600s',
      perSeriesAligner: 'ALIGN_RATE',
      crossSeriesReducer: 'REDUCE_SUM',
      groupByFields: ['metric.label.job'],
    });
  });

  it('is about every scheduled job, none in particular, and its runbook names each of them', () => {
    const failures = policy('scheduled-job-failures');
    const runbook = String(objectAt(failures.inputs.documentation).content);
    const jobs = ofType(resources, TYPES.schedulerJob).map((j) => String(j.inputs.name));

    expect(jobs.sort()).toEqual(SCHEDULED.map((job) => resourceName(job.name)).sort());
    expect(jobs).toEqual(expect.arrayContaining(['erasure', 'metrics', 'patterns', 'retention']));
    for (const job of jobs) {
      expect(runbook).toContain(`\`${job}\``);
      expect(JSON.stringify(failures.inputs.conditions)).not.toContain(job);
      expect(String(metric('job-failures').inputs.filter)).not.toContain(job);
      // Its commands take the incident's job, not one fixed job.
      expect(runbook).not.toMatch(new RegExp(`labels\\.job="${job}"|jobs (run|describe) ${job}|job = '${job}'`));
    }
    expect(runbook).toContain('labels.job="<job>"');
  });

  it('opens on any collect publish failure', () => {
    const condition = threshold(policy('collect-publish-failures'));

    expect(pinned(condition.filter, 'metric.type')).toEqual(['logging.googleapis.com/user/collect_publish_failures']);
    expect(condition).toMatchObject({ comparison: 'COMPARISON_GT', thresholdValue: 0 });
  });
});

describe('log-based metrics', () => {
  it('declares the five metrics the alerts and the dashboard read, beside the learning metrics of the metrics job', () => {
    expect(
      ofType(resources, TYPES.logMetric)
        .map((m) => m.inputs.name)
        .sort(),
    ).toEqual([
      'collect_publish_failures',
      'events_learned',
      'ingest_errors',
      'ingest_lag_ms',
      'job_failures',
      // test/infra/metrics-job.test.ts
      'learning_metric_denominator',
      'learning_metric_value',
    ]);
  });

  it('counts the "job failed" ERROR entries of any scheduled job, labelled by the job their line names', () => {
    const failures = metric('job-failures').inputs;
    const filter = String(failures.filter);

    // The line a failed run writes: severity ERROR, message "job failed", the label job (functions/patterns/job.ts).
    expect(pinned(filter, 'resource.type')).toEqual(['cloud_run_revision']);
    expect(filter).toContain('severity>=ERROR');
    expect(filter).toContain('jsonPayload.message=~"^job failed"');
    expect(filter).toContain('labels.job:*');
    expect(failures.labelExtractors).toEqual({ job: 'EXTRACT(labels.job)' });
    expect(failures.metricDescriptor).toMatchObject({
      metricKind: 'DELTA',
      valueType: 'INT64',
      labels: [{ key: 'job', valueType: 'STRING' }],
    });
  });

  it.each([
    ['ingest-lag-ms', 'ingest', 'message ingested'],
    ['events-learned', 'ingest', 'message ingested'],
    ['ingest-errors', 'ingest', undefined],
    ['collect-publish-failures', 'collect', 'publish failed'],
  ])('reads %s from the Cloud Run service %s, entries "%s"', (name, service, message) => {
    const filter = metric(name).inputs.filter;

    expect(pinned(filter, 'resource.type')).toEqual(['cloud_run_revision']);
    expect(pinned(filter, 'resource.labels.service_name')).toEqual([service]);
    expect(pinned(filter, 'jsonPayload.message')).toEqual(message === undefined ? [] : [message]);
  });

  it.each(['ingest-errors', 'collect-publish-failures'])('counts %s entries of severity ERROR or worse', (name) => {
    expect(String(metric(name).inputs.filter)).toContain('severity>=ERROR');
    expect(metric(name).inputs.metricDescriptor).toEqual({ metricKind: 'DELTA', valueType: 'INT64', unit: '1' });
  });

  it('records lag_ms as a distribution whose buckets have a boundary at the alert threshold', () => {
    const lag = metric('ingest-lag-ms').inputs;
    const { scale, growthFactor, numFiniteBuckets } = objectAt(objectAt(lag.bucketOptions).exponentialBuckets);
    const bounds = Array.from({ length: Number(numFiniteBuckets) + 1 }, (_, k) => Number(scale) * Number(growthFactor) ** k);

    expect(lag).toMatchObject({
      valueExtractor: 'EXTRACT(jsonPayload.lag_ms)',
      metricDescriptor: { metricKind: 'DELTA', valueType: 'DISTRIBUTION', unit: 'ms' },
    });
    expect(bounds).toContain(LAG_ALERT_MS);
    // A message can wait out the longest retention Pub/Sub allows (31 days) and still land in a finite bucket.
    expect(bounds.at(-1)).toBeGreaterThan(31 * 86_400_000);
  });

  it('records learned as a distribution, whose sum is the events learned', () => {
    expect(metric('events-learned').inputs).toMatchObject({
      valueExtractor: 'EXTRACT(jsonPayload.learned)',
      metricDescriptor: { metricKind: 'DELTA', valueType: 'DISTRIBUTION' },
      bucketOptions: { exponentialBuckets: {} },
    });
  });
});

describe('dashboard', () => {
  let spec: DashboardSpec;
  beforeAll(() => {
    const dashboards = ofType(resources, TYPES.dashboard);
    expect(dashboards).toHaveLength(1);
    spec = JSON.parse(String(dashboards[0]?.inputs.dashboardJson)) as DashboardSpec;
  });

  /** The queries of the one widget whose title starts with `title`, as text. */
  const queriesOf = (title: string): string => {
    const tiles = spec.mosaicLayout.tiles.filter((t) => t.widget.title.startsWith(title));
    expect(tiles, title).toHaveLength(1);
    return JSON.stringify(tiles[0]?.widget.xyChart.dataSets.map((d) => d.timeSeriesQuery));
  };

  it('has one chart per thing to watch, laid out within the grid without overlap', () => {
    expect(spec.mosaicLayout.tiles.map((t) => t.widget.title)).toEqual([
      'Events learned per minute',
      'Ingest lag p50 / p99 (ms)',
      'Dead-letter backlog (events-dead-letter-keep)',
      'Push backlog age (events-ingest)',
      'Collect requests by response class (5xx = failures)',
      'Rejected-event publishes (rejected-events)',
      'Scheduled job failures by job',
    ]);
    const cells = spec.mosaicLayout.tiles.flatMap((t) =>
      Array.from({ length: t.width * t.height }, (_, i) => `${t.xPos + (i % t.width)},${t.yPos + Math.floor(i / t.width)}`),
    );
    expect(new Set(cells).size).toBe(cells.length);
    for (const t of spec.mosaicLayout.tiles) expect(t.xPos + t.width).toBeLessThanOrEqual(spec.mosaicLayout.columns);
  });

  it('charts events learned per minute from the sum of events_learned', () => {
    expect(queriesOf('Events learned')).toContain('60 * sum(rate(logging_googleapis_com:user_events_learned_sum{');
    expect(queriesOf('Events learned')).toContain('service_name=\\"ingest\\"');
  });

  it('charts the p50 and p99 of ingest_lag_ms', () => {
    const queries = queriesOf('Ingest lag');

    expect(queries).toContain('logging.googleapis.com/user/ingest_lag_ms');
    expect(queries).toContain('REDUCE_PERCENTILE_50');
    expect(queries).toContain('REDUCE_PERCENTILE_99');
  });

  it('charts both backlogs from their subscriptions', () => {
    expect(queriesOf('Dead-letter backlog')).toMatch(/num_undelivered_messages.*subscription_id=\\"events-dead-letter-keep\\"/);
    expect(queriesOf('Push backlog age')).toMatch(/oldest_unacked_message_age.*subscription_id=\\"events-ingest\\"/);
  });

  it('charts collect requests by response class, and rejected-event publishes', () => {
    const requests = queriesOf('Collect requests');

    expect(requests).toContain('run.googleapis.com/request_count');
    expect(requests).toContain('service_name=\\"collect\\"');
    expect(requests).toContain('metric.label.response_code_class');
    expect(queriesOf('Rejected-event publishes')).toMatch(/topic\/send_message_operation_count.*topic_id=\\"rejected-events\\"/);
  });

  it('charts failed runs per hour of each scheduled job, one series per job, none singled out', () => {
    const queries = queriesOf('Scheduled job failures');

    expect(queries).toContain('logging.googleapis.com/user/job_failures');
    expect(queries).toContain('metric.label.job');
    for (const job of SCHEDULED.map((fn) => resourceName(fn.name))) expect(queries).not.toContain(job);
  });
});

describe('without alertEmail', () => {
  let alone: Registered[];
  beforeAll(async () => {
    alone = await startMocks({ preview: true });
    new Monitoring('monitoring', {
      project: PROJECT,
      services: { ingest: 'ingest', collect: 'collect' },
      subscriptions: { ingestPush: 'events-ingest', deadLetterKeep: 'events-dead-letter-keep' },
      rejectedEventsTopic: 'rejected-events',
      jobs: ['nightly'],
      metricReady: async () => undefined,
    });
    await settled();
  });

  it('declares no channel, and the policies notify nobody', () => {
    expect(ofType(alone, TYPES.notificationChannel)).toEqual([]);
    const policies = ofType(alone, TYPES.alertPolicy);
    expect(policies).toHaveLength(6);
    for (const p of policies) expect(p.inputs.notificationChannels ?? [], p.name).toEqual([]);
  });
});

describe('the first deploy, while Cloud Monitoring does not know the new log-based metrics yet', () => {
  /** The metric types asked about, each released when the test says Cloud Monitoring knows it. */
  const waiting = new Map<string, () => void>();
  let registered: Registered[];
  const alertPolicies = () =>
    ofType(registered, TYPES.alertPolicy)
      .map((p) => p.name)
      .sort();

  beforeAll(async () => {
    registered = await startMocks({ preview: true });
    new Monitoring('monitoring', {
      project: PROJECT,
      services: { ingest: 'ingest', collect: 'collect' },
      subscriptions: { ingestPush: 'events-ingest', deadLetterKeep: 'events-dead-letter-keep' },
      rejectedEventsTopic: 'rejected-events',
      jobs: ['nightly'],
      metricReady: (metricType) => new Promise<void>((resolve) => waiting.set(metricType, resolve)),
    });
    for (let tries = 0; waiting.size < 4 && tries < 200; tries += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('asks after each log-based metric an alert policy names', () => {
    expect([...waiting.keys()].sort()).toEqual(
      ['collect_publish_failures', 'ingest_errors', 'ingest_lag_ms', 'job_failures'].map((name) => `logging.googleapis.com/user/${name}`),
    );
  });

  it('creates the policies on those metrics only once Cloud Monitoring knows them; the others at once', async () => {
    // A policy created before its metric is known is refused with 404, and fails the whole `pulumi up`.
    expect(alertPolicies()).toEqual(['dead-letters-present', 'push-backlog-age']);

    for (const release of waiting.values()) release();
    await settled();

    expect(alertPolicies()).toEqual([
      'collect-publish-failures',
      'dead-letters-present',
      'ingest-errors',
      'ingest-lag',
      'push-backlog-age',
      'scheduled-job-failures',
    ]);
  });
});
