import { fileURLToPath } from 'node:url';
import { enableApis } from './apis.ts';
import { CollectFunction } from './collect-function.ts';
import { loadConfig } from './config.ts';
import { FirestoreDatabase } from './firestore.ts';
import { IngestFunctions } from './ingest-functions.ts';
import { Messaging } from './messaging.ts';
import { Monitoring } from './monitoring.ts';
import { patternsJob } from './patterns-job.ts';
import { Secrets } from './secrets.ts';
import { FunctionSource } from './source.ts';
import { UsersFunction } from './users-function.ts';
import { Warehouse } from './warehouse.ts';

const config = loadConfig();
const { project, region } = config;

// A component registers only after what it depends on exists, and its children wait for it:
// one dependsOn per component orders everything after the APIs it needs.
const afterApis = { dependsOn: enableApis(project) };

const messaging = new Messaging('messaging', { project, retention: config.messageRetention }, afterApis);
const secrets = new Secrets('secrets', { project }, afterApis);
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
const archive = { bucket: source.bucket.name, object: source.archive.name };

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
    uses: [warehouse, firestore],
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
export const eventsTopic = messaging.events.name;
export const rejectedEventsTopic = messaging.rejectedEvents.name;
export const deadLetterTopic = messaging.deadLetter.name;
export const sourceBucket = source.bucket.name;
export const datasetId = warehouse.dataset.datasetId;
export const dashboardId = monitoring.dashboard.id;
