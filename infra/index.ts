import { fileURLToPath } from 'node:url';
import { SCHEDULED } from '../functions/registry.ts';
import { enableApis } from './apis.ts';
import { loadConfig } from './config.ts';
import { FirestoreDatabase } from './firestore.ts';
import { deployFunctions } from './functions.ts';
import { Messaging } from './messaging.ts';
import { Monitoring } from './monitoring.ts';
import { Secrets } from './secrets.ts';
import { FunctionSource } from './source.ts';
import { FunctionBuild } from './function-build.ts';
import { importBucket } from './import-bucket.ts';
import { waitForMetricDescriptor } from './metric-descriptors.ts';
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

// Every function of the registry, each with what its descriptor says it needs.
const functions = deployFunctions(
  {
    project,
    region,
    config,
    source: archive,
    topics: { events: messaging.events, rejected: messaging.rejectedEvents },
    deadLetter: messaging.deadLetter,
    secrets: { TOKEN_KEY: secrets.userTokenKey, USER_HASH_KEY: secrets.userHashKey },
    dataset: warehouse.dataset,
    storage: [warehouse, firestore],
    importBucket: importBucket({ project, region }, afterApis),
  },
  afterApis,
);
const monitoring = new Monitoring(
  'monitoring',
  {
    project,
    alertEmail: config.alertEmail,
    services: { ingest: functions.ingest.serviceName, collect: functions.collect.serviceName },
    subscriptions: { ingestPush: functions.ingest.subscription.name, deadLetterKeep: messaging.deadLetterKeep.name },
    rejectedEventsTopic: messaging.rejectedEvents.name,
    jobs: SCHEDULED.map((job) => functions[job.name].jobName),
    metricReady: waitForMetricDescriptor(project),
  },
  afterApis,
);

export const collectUrl = functions.collect.url;
export const usersUrl = functions.users.url;
export const ingestUrl = functions.ingest.url;
export const storeRejectedUrl = functions.storeRejected.url;
/** The URL the patterns schedule posts to; only the `patterns-scheduler` account may call it. */
export const patternsUrl = functions.patterns.url;
export const patternsSchedulerJob = functions.patterns.schedulerJob.name;
export const erasureSchedulerJob = functions.erasure.schedulerJob.name;
export const retentionSchedulerJob = functions.retention.schedulerJob.name;
export const metricsSchedulerJob = functions.metrics.schedulerJob.name;
/** The URL operators call; only the members of the stack's `operators` may. */
export const operatorsUrl = functions.operators.url;
/** The URL `npm run import` calls with `--project`; only the members of the stack's `operators` may. */
export const historyUrl = functions.history.url;
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
