import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { DENOMINATOR_BUCKETS, VALUE_BUCKETS } from '../../infra/metrics-job.ts';
import {
  grants,
  named,
  objectAt,
  ofType,
  PROJECT,
  PULUMI_PROJECT,
  runProgram,
  serviceAccountMember,
  serviceUrl,
  TYPES,
  type Grant,
  type Registered,
} from './run-program.ts';

const TABLE_IAM = TYPES.tableIam;

// The metrics job takes settings unlike its defaults, each of which must have come from the stack.
const STACK = {
  metricsSchedule: '0 5 * * *',
  metricsTimeZone: 'Europe/Amsterdam',
  metricsLogLevel: 'DEBUG',
  metricsMemory: '1Gi',
  metricsTimeoutSeconds: '900',
};

const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];
const LABELS = ['metric', 'experiment', 'arm', 'dimension'];

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** What a grant is on: a table, the dataset, the Cloud Run service or the project. */
function onWhat(grant: Grant): string {
  if (grant.type === TABLE_IAM) return `${String(grant.inputs.datasetId)}.${String(grant.inputs.tableId)}`;
  if (grant.type === TYPES.datasetIam) return String(grant.inputs.datasetId);
  if (grant.type === TYPES.runServiceIam) return String(grant.inputs.name);
  return String(grant.inputs.project);
}

// The program runs once per file (a module is imported once).
let resources: Registered[];
beforeAll(async () => {
  // The tables take a while to create, so a grant that did not wait for them would show it.
  resources = await runProgram(
    Object.fromEntries(Object.entries(STACK).map(([key, value]) => [`${PULUMI_PROJECT}:${key}`, value])),
    (type) => type === TYPES.table,
  );
});

const serviceConfig = () => objectAt(named(resources, TYPES.function, 'metrics').inputs.serviceConfig);
const schedulerJob = () => named(resources, TYPES.schedulerJob, 'metrics');
const httpTarget = () => objectAt(schedulerJob().inputs.httpTarget);
const heldBy = (accountId: string) =>
  grants(resources)
    .filter((g) => g.member === serviceAccountMember(accountId))
    .map((g) => `${g.type} ${onWhat(g)}: ${g.role}`)
    .sort();

describe('the metrics job', () => {
  it('is a Node 22 function built from the same archive and build as collect, with its own entry point', () => {
    const collect = objectAt(named(resources, TYPES.function, 'collect').inputs.buildConfig);

    expect(named(resources, TYPES.function, 'metrics').inputs).toMatchObject({
      name: 'metrics',
      project: PROJECT,
      location: 'europe-west1',
    });
    expect(named(resources, TYPES.function, 'metrics').inputs.buildConfig).toEqual({ ...collect, entryPoint: 'metrics' });
  });

  it('runs as its own account metrics-fn', () => {
    expect(serviceConfig().serviceAccountEmail).toBe(`metrics-fn@${PROJECT}.iam.gserviceaccount.com`);
    expect(named(resources, TYPES.account, 'metrics-fn').inputs).toMatchObject({ accountId: 'metrics-fn', project: PROJECT });
  });

  it('is told the warehouse, the dataset and its location, the byte cap and its log level, and reads no secret', () => {
    expect(serviceConfig().environmentVariables).toEqual({
      GOOGLE_CLOUD_PROJECT: PROJECT,
      LOG_LEVEL: 'DEBUG',
      WAREHOUSE: 'bigquery',
      BIGQUERY_DATASET: 'learning_loop',
      BIGQUERY_LOCATION: 'EU',
      MAXIMUM_BYTES_BILLED: '1099511627776',
    });
    expect(serviceConfig().secretEnvironmentVariables).toBeUndefined();
    expect(serviceConfig().secretVolumes).toBeUndefined();
  });

  it('runs one run at a time on one instance, with 1Gi, one vCPU and 900 s, scaling to zero', () => {
    expect(serviceConfig()).toMatchObject({
      availableMemory: '1Gi',
      availableCpu: '1',
      maxInstanceRequestConcurrency: 1,
      maxInstanceCount: 1,
      minInstanceCount: 0,
      timeoutSeconds: 900,
    });
  });

  it('may run BigQuery jobs, read what it measures, and write its metrics and its own runs in job_runs: no Firestore, no secret', () => {
    expect(heldBy('metrics-fn')).toEqual(
      [
        `${TYPES.projectIam} ${PROJECT}: roles/bigquery.jobUser`,
        `${TABLE_IAM} learning_loop.events: roles/bigquery.dataViewer`,
        `${TABLE_IAM} learning_loop.order_items: roles/bigquery.dataViewer`,
        // A linked visitor's events count as their shopper's.
        `${TABLE_IAM} learning_loop.identity_links: roles/bigquery.dataViewer`,
        `${TABLE_IAM} learning_loop.user_patterns: roles/bigquery.dataViewer`,
        // metric_reorder.sql judges by the reorder model in force.
        `${TABLE_IAM} learning_loop.reorder_model: roles/bigquery.dataViewer`,
        `${TABLE_IAM} learning_loop.learning_metrics: roles/bigquery.dataEditor`,
        `${TABLE_IAM} learning_loop.learning_metrics_staging: roles/bigquery.dataEditor`,
        // Every run inserts its row into job_runs (insert_job_run.sql), succeeded or failed.
        `${TABLE_IAM} learning_loop.job_runs: roles/bigquery.dataEditor`,
      ].sort(),
    );
  });

  it('grants on its tables only once they exist: after the warehouse', () => {
    const tableGrants = ofType(resources, TABLE_IAM).filter((g) => g.inputs.member === serviceAccountMember('metrics-fn'));
    const lastTable = Math.max(...ofType(resources, TYPES.table).map((t) => t.created ?? Infinity));

    expect(tableGrants).toHaveLength(8);
    for (const grant of tableGrants) expect(grant.started, grant.name).toBeGreaterThan(lastTable);
  });

  it('may be invoked only by metrics-scheduler, which may invoke nothing else', () => {
    const onService = grants(resources).filter((g) => g.type.startsWith('gcp:cloudrunv2/') && g.inputs.name === 'metrics');

    expect(onService.map((g) => [g.role, g.member])).toEqual([['roles/run.invoker', serviceAccountMember('metrics-scheduler')]]);
    expect(heldBy('metrics-scheduler')).toEqual([`${TYPES.runServiceIam} metrics: roles/run.invoker`]);
    expect(named(resources, TYPES.account, 'metrics-scheduler').inputs).toMatchObject({ accountId: 'metrics-scheduler', project: PROJECT });
  });

  it('is named together with no public principal', () => {
    const about = resources.filter((r) => r.type !== TYPES.function && JSON.stringify(r.inputs).includes('"metrics"'));

    expect(about.length).toBeGreaterThan(0);
    expect(about.filter((r) => PUBLIC_MEMBERS.some((m) => JSON.stringify(r.inputs).includes(m))).map((r) => r.name)).toEqual([]);
  });

  it('runs on the stack’s schedule 0 5 * * * in Europe/Amsterdam, in the functions’ region', () => {
    expect(schedulerJob().inputs).toMatchObject({
      name: 'metrics',
      project: PROJECT,
      region: 'europe-west1',
      schedule: '0 5 * * *',
      timeZone: 'Europe/Amsterdam',
    });
  });

  it('posts {} to the function’s service URL with an OIDC token of its own scheduler account, for that URL', () => {
    expect(httpTarget()).toMatchObject({ uri: serviceUrl('metrics'), httpMethod: 'POST', headers: { 'Content-Type': 'application/json' } });
    expect(Buffer.from(String(httpTarget().body), 'base64').toString('utf8')).toBe('{}');
    expect(httpTarget().oidcToken).toEqual({
      serviceAccountEmail: `metrics-scheduler@${PROJECT}.iam.gserviceaccount.com`,
      audience: serviceUrl('metrics'),
    });
    expect(httpTarget().oauthToken).toBeUndefined();
  });

  it('waits for a run as long as the function may run, and retries a failed one 3 times from 5 minutes on', () => {
    expect(schedulerJob().inputs.attemptDeadline).toBe('900s');
    expect(schedulerJob().inputs.retryConfig).toEqual({
      retryCount: 3,
      minBackoffDuration: '300s',
      maxBackoffDuration: '3600s',
      maxDoublings: 3,
    });
  });

  it('exports the scheduler job as metricsSchedulerJob', async () => {
    const program: Record<string, unknown> = await import('../../infra/index.ts');
    const output = program.metricsSchedulerJob;
    if (!pulumi.Output.isInstance(output)) throw new Error('metricsSchedulerJob is not an output of the program');

    expect(await valueOf(output)).toBe('metrics');
  });

  it('is one of the jobs whose failures are alerted on', () => {
    const runbook = String(objectAt(named(resources, TYPES.alertPolicy, 'scheduled-job-failures').inputs.documentation).content);
    expect(runbook).toContain('`metrics`');
  });
});

describe('the learning metrics in Cloud Monitoring', () => {
  const logMetric = (name: string) => named(resources, TYPES.logMetric, name);

  it.each([
    ['learning-metric-value', 'learning_metric_value', 'value', VALUE_BUCKETS],
    ['learning-metric-denominator', 'learning_metric_denominator', 'denominator', DENOMINATOR_BUCKETS],
  ])('%s: a distribution of the %s of each "learning metric" entry of the metrics function', (resourceName, name, field, buckets) => {
    const metric = logMetric(resourceName).inputs;

    expect(metric).toMatchObject({
      project: PROJECT,
      name,
      valueExtractor: `EXTRACT(jsonPayload.${field})`,
      bucketOptions: { exponentialBuckets: buckets },
    });
    expect(metric.filter).toBe(
      'resource.type="cloud_run_revision" AND resource.labels.service_name="metrics" AND jsonPayload.message="learning metric"',
    );
    expect(objectAt(metric.metricDescriptor)).toMatchObject({ metricKind: 'DELTA', valueType: 'DISTRIBUTION' });
  });

  it.each(['learning-metric-value', 'learning-metric-denominator'])(
    '%s is labelled by metric, experiment, arm and dimension, from the entry',
    (resourceName) => {
      const metric = logMetric(resourceName).inputs;
      const labels = objectAt(metric.metricDescriptor).labels as { key: string; valueType: string }[];

      expect(labels.map((l) => [l.key, l.valueType])).toEqual(LABELS.map((key) => [key, 'STRING']));
      expect(metric.labelExtractors).toEqual(Object.fromEntries(LABELS.map((key) => [key, `EXTRACT(jsonPayload.${key})`])));
    },
  );

  it('covers shares and order values alike: 0.001 to over 10,000', () => {
    expect(VALUE_BUCKETS.scale).toBe(0.001);
    expect(VALUE_BUCKETS.scale * VALUE_BUCKETS.growthFactor ** VALUE_BUCKETS.numFiniteBuckets).toBeGreaterThan(10_000);
  });
});
