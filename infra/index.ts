import { fileURLToPath } from 'node:url';
import { enableApis } from './apis.ts';
import { CollectFunction } from './collect-function.ts';
import { loadConfig } from './config.ts';
import { erasureJob } from './erasure-job.ts';
import { FirestoreDatabase } from './firestore.ts';
import { IngestFunctions } from './ingest-functions.ts';
import { Messaging } from './messaging.ts';
import { Monitoring } from './monitoring.ts';
import { OperatorsFunction } from './operators-function.ts';
import { patternsJob } from './patterns-job.ts';
import { retentionJob } from './retention-job.ts';
import { metricsJob } from './metrics-job.ts';
import { Secrets } from './secrets.ts';
import { FunctionSource } from './source.ts';
import { FunctionBuild } from './function-build.ts';
import { waitForMetricDescriptor } from './metric-descriptors.ts';
import { UsersFunction } from './users-function.ts';
import { Warehouse } from './warehouse.ts';

const config = loadConfig();
const { project, region } = config;

// A component registers only after what it depends on exists, and its children wait for it:
// one dependsOn per component orders everything after the APIs it needs.
const afterApis = { dependsOn: enableApis(project) };

const messaging = new Messaging('messaging', { project, retention: config.messageRetention }, afterApis);
const secrets = new Secrets('secrets', { project, given: config.secrets }, afterApis);
const warehouse = new Warehouse(
  'warehouse',
  { project, ...config.bigquery, sqlDir: fileURLToPath(new URL('../sql', import.meta.url)) },
  afterApis,
);
const firestore = new FirestoreDatabase('firestore', { project, location: config.firestoreLocation }, afterApis);
const source = new FunctionSource(
  'function-source',
  { project, region, rootDir: fileURLToPath(new URL('..', import.meta.url)) },
  afterApis,
);
const { archive } = new FunctionBuild('function-build', { project, region, source }, afterApis);
// Every function that hashes user ids reads the one key; store-rejected and retention hash none.
const hashKey = secrets.userHashKey;

const collect = new CollectFunction(
  'collect',
  {
    project,
    region,
    settings: config.collect,
    token: config.token,
    source: archive,
    topics: { events: messaging.events, rejectedEvents: messaging.rejectedEvents },
    tokenKey: secrets.userTokenKey,
    hashKey,
  },
  afterApis,
);
const users = new UsersFunction(
  'users',
  {
    project,
    region,
    settings: config.users,
    token: config.token,
    source: archive,
    tokenKey: secrets.userTokenKey,
    hashKey,
  },
  afterApis,
);
const operators = new OperatorsFunction(
  'operators',
  {
    project,
    region,
    settings: config.operators,
    source: archive,
    hashKey,
    dataset: warehouse.dataset,
    tables: [warehouse],
    maximumBytesBilled: config.maximumBytesBilled,
  },
  afterApis,
);
const ingest = new IngestFunctions(
  'ingest',
  {
    project,
    region,
    ingest: config.ingest,
    storeRejected: config.storeRejected,
    source: archive,
    topics: { events: messaging.events, rejectedEvents: messaging.rejectedEvents, deadLetter: messaging.deadLetter },
    retention: config.messageRetention,
    dataset: warehouse.dataset,
    storage: [warehouse, firestore],
    hashKey,
  },
  afterApis,
);
const patterns = patternsJob(
  {
    project,
    region,
    settings: config.patterns,
    maximumBytesBilled: config.maximumBytesBilled,
    source: archive,
    dataset: warehouse.dataset,
    hashKey,
    uses: [warehouse, firestore],
  },
  afterApis,
);
const erasure = erasureJob(
  {
    project,
    region,
    settings: config.erasure,
    maximumBytesBilled: config.maximumBytesBilled,
    source: archive,
    dataset: warehouse.dataset,
    hashKey,
    uses: [warehouse, firestore],
  },
  afterApis,
);
const retention = retentionJob(
  {
    project,
    region,
    settings: config.retention,
    maximumBytesBilled: config.maximumBytesBilled,
    source: archive,
    dataset: warehouse.dataset,
    uses: [warehouse, firestore],
  },
  afterApis,
);
const metrics = metricsJob(
  {
    project,
    region,
    settings: config.metrics,
    maximumBytesBilled: config.maximumBytesBilled,
    source: archive,
    dataset: warehouse.dataset,
    uses: [warehouse],
  },
  afterApis,
);
const monitoring = new Monitoring(
  'monitoring',
  {
    project,
    alertEmail: config.alertEmail,
    services: { ingest: ingest.ingestService, collect: collect.serviceName },
    subscriptions: { ingestPush: ingest.ingestSubscription.name, deadLetterKeep: messaging.deadLetterKeep.name },
    rejectedEventsTopic: messaging.rejectedEvents.name,
    jobs: [patterns, erasure, retention, metrics].map((job) => job.jobName),
    metricReady: waitForMetricDescriptor(project),
  },
  afterApis,
);

export const collectUrl = collect.url;
export const usersUrl = users.url;
export const ingestUrl = ingest.ingestUrl;
export const storeRejectedUrl = ingest.storeRejectedUrl;
/** The URL the patterns schedule posts to; only the `patterns-scheduler` account may call it. */
export const patternsUrl = patterns.url;
export const patternsSchedulerJob = patterns.schedulerJob.name;
export const erasureSchedulerJob = erasure.schedulerJob.name;
export const retentionSchedulerJob = retention.schedulerJob.name;
export const metricsSchedulerJob = metrics.schedulerJob.name;
/** The URL operators call; only the members of the stack's `operators` may. */
export const operatorsUrl = operators.url;
/** The secret holding the user-hash key, which must never change: erasure finds tombstones by it. */
export const userHashKeySecret = secrets.userHashKey.secret.secretId;
/**
 * The key that verifies shopper tokens, a secret output (`pulumi stack output --show-secrets userTokenKey`): when the
 * stack generated it, the shop's back end signs HS256 tokens with it.
 */
export const userTokenKey = secrets.userTokenKeyValue;
export const eventsTopic = messaging.events.name;
export const rejectedEventsTopic = messaging.rejectedEvents.name;
export const deadLetterTopic = messaging.deadLetter.name;
export const sourceBucket = source.bucket.name;
export const datasetId = warehouse.dataset.datasetId;
export const dashboardId = monitoring.dashboard.id;
