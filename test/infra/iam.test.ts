import { beforeAll, describe, expect, it } from 'vitest';
import type { Needs } from '../../functions/descriptor.ts';
import { FUNCTIONS, SCHEDULED } from '../../functions/registry.ts';
import { resourceName } from '../../infra/functions.ts';
import {
  grants,
  named,
  PROJECT,
  PROJECT_NUMBER,
  runProgram,
  serviceAccountMember,
  TYPES,
  type Grant,
  type Registered,
} from './run-program.ts';

const COLLECT_SA = serviceAccountMember('collect-fn');
const USERS_SA = serviceAccountMember('users-fn');
const INGEST_SA = serviceAccountMember('ingest-fn');
const STORE_REJECTED_SA = serviceAccountMember('store-rejected-fn');
const PUSH_SA = serviceAccountMember('pubsub-push');
const PATTERNS_SA = serviceAccountMember('patterns-fn');
const PATTERNS_SCHEDULER_SA = serviceAccountMember('patterns-scheduler');
const ERASURE_SA = serviceAccountMember('erasure-fn');
const ERASURE_SCHEDULER_SA = serviceAccountMember('erasure-scheduler');
const RETENTION_SA = serviceAccountMember('retention-fn');
const RETENTION_SCHEDULER_SA = serviceAccountMember('retention-scheduler');
const METRICS_SA = serviceAccountMember('metrics-fn');
const HISTORY_SA = serviceAccountMember('history-fn');
const METRICS_SCHEDULER_SA = serviceAccountMember('metrics-scheduler');
const OPERATORS_SA = serviceAccountMember('operators-fn');
const BUILD_SA = serviceAccountMember('functions-build');
const PUBSUB_AGENT = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];
/** The account each function of the registry runs as, and each job's scheduler account. */
const FUNCTION_ACCOUNTS = [
  ...FUNCTIONS.map((fn) => serviceAccountMember(`${resourceName(fn.name)}-fn`)),
  ...SCHEDULED.map((job) => serviceAccountMember(`${resourceName(job.name)}-scheduler`)),
];
const PROJECT_LEVEL_IAM = ['gcp:projects/iAMMember:IAMMember', 'gcp:projects/iAMBinding:IAMBinding', 'gcp:projects/iAMPolicy:IAMPolicy'];

/** A grant as one readable line: on what, which role. */
function scopeOf(grant: Grant): string {
  const on = grant.inputs;
  switch (grant.type) {
    case TYPES.topicIam:
      return `topic ${String(on.topic)}: ${grant.role}`;
    case TYPES.subscriptionIam:
      return `subscription ${String(on.subscription)}: ${grant.role}`;
    case 'gcp:secretmanager/secretIamMember:SecretIamMember':
      return `secret ${String(on.secretId)}: ${grant.role}`;
    case TYPES.projectIam:
      return `project ${String(on.project)}: ${grant.role}`;
    case TYPES.datasetIam:
      return `dataset ${String(on.datasetId)}: ${grant.role}`;
    case 'gcp:bigquery/iamMember:IamMember':
      return `table ${String(on.datasetId)}.${String(on.tableId)}: ${grant.role}`;
    case TYPES.bucketIam:
      return `bucket ${String(on.bucket)}: ${grant.role}`;
    case TYPES.runServiceIam:
      return `run service ${String(on.location)}/${String(on.name)}: ${grant.role}`;
    case TYPES.serviceAccountIam:
      return `service account ${String(on.serviceAccountId)}: ${grant.role}`;
    case TYPES.repositoryIam:
      return `repository ${String(on.location)}/${String(on.repository)}: ${grant.role}`;
    default:
      return `${grant.type} ${grant.name}: ${grant.role}`;
  }
}

describe('who may do what', () => {
  let resources: Registered[];
  let all: Grant[];
  beforeAll(async () => {
    resources = await runProgram();
    all = grants(resources);
  });
  const heldBy = (member: string) =>
    all
      .filter((g) => g.member === member)
      .map(scopeOf)
      .sort();

  it('lets anyone invoke collect and users, which verify shopper tokens themselves, and nothing else', () => {
    // Searched in every input, so that a public principal inside a policy document is found too.
    const open = resources.filter((r) => PUBLIC_MEMBERS.some((member) => JSON.stringify(r.inputs).includes(member)));
    const invokerOf = (name: string) => {
      const fn = named(resources, TYPES.function, name);
      return {
        type: TYPES.runServiceIam,
        inputs: { role: 'roles/run.invoker', member: 'allUsers', name: fn.inputs.name, location: fn.inputs.location, project: PROJECT },
      };
    };

    expect(open.map((r) => `${r.type} ${String(r.inputs.name)}`).sort()).toEqual([
      `${TYPES.runServiceIam} collect`,
      `${TYPES.runServiceIam} users`,
    ]);
    expect(open.find((r) => r.inputs.name === 'collect')).toMatchObject(invokerOf('collect'));
    expect(open.find((r) => r.inputs.name === 'users')).toMatchObject(invokerOf('users'));
  });

  it('gives the collect account exactly the roles it uses, each on the narrowest resource', () => {
    expect(heldBy(COLLECT_SA)).toEqual([
      `project ${PROJECT}: roles/datastore.viewer`,
      'secret user-hash-key: roles/secretmanager.secretAccessor',
      'secret user-token-key: roles/secretmanager.secretAccessor',
      'topic events: roles/pubsub.publisher',
      'topic rejected-events: roles/pubsub.publisher',
    ]);
  });

  it('lets the users account use Firestore, stream links into their table and read the token and hash keys, nothing more', () => {
    expect(heldBy(USERS_SA)).toEqual([
      'dataset learning_loop: roles/bigquery.metadataViewer',
      `project ${PROJECT}: roles/datastore.user`,
      'secret user-hash-key: roles/secretmanager.secretAccessor',
      'secret user-token-key: roles/secretmanager.secretAccessor',
      'table learning_loop.identity_links: roles/bigquery.dataEditor',
    ]);
  });

  // No account of a function writes logs through the Logging API: Cloud Run collects what they print.
  it('lets the ingest account write the three tables it streams into, use Firestore and read the hash key, nothing more', () => {
    expect(heldBy(INGEST_SA)).toEqual([
      'dataset learning_loop: roles/bigquery.metadataViewer',
      `project ${PROJECT}: roles/datastore.user`,
      'secret user-hash-key: roles/secretmanager.secretAccessor',
      'table learning_loop.events: roles/bigquery.dataEditor',
      'table learning_loop.order_items: roles/bigquery.dataEditor',
      'table learning_loop.rejected_events: roles/bigquery.dataEditor',
    ]);
  });

  it('lets the store-rejected account write rejected_events alone, not touch Firestore', () => {
    expect(heldBy(STORE_REJECTED_SA)).toEqual([
      'dataset learning_loop: roles/bigquery.metadataViewer',
      'table learning_loop.rejected_events: roles/bigquery.dataEditor',
    ]);
  });

  it('lets the push account invoke the two pushed functions and nothing else', () => {
    expect(heldBy(PUSH_SA)).toEqual([
      'run service europe-west1/ingest: roles/run.invoker',
      'run service europe-west1/store-rejected: roles/run.invoker',
    ]);
  });

  it('lets the patterns account run BigQuery jobs, read events, orders and links, write its staging tables, patterns, reorder models and runs, use Firestore and read the hash key', () => {
    expect(heldBy(PATTERNS_SA)).toEqual([
      `project ${PROJECT}: roles/bigquery.jobUser`,
      `project ${PROJECT}: roles/datastore.user`,
      'secret user-hash-key: roles/secretmanager.secretAccessor',
      'table learning_loop.category_price_ranges_staging: roles/bigquery.dataEditor',
      'table learning_loop.engagement_staging: roles/bigquery.dataEditor',
      'table learning_loop.events: roles/bigquery.dataViewer',
      'table learning_loop.identity_links: roles/bigquery.dataViewer',
      'table learning_loop.job_runs: roles/bigquery.dataEditor',
      'table learning_loop.order_items: roles/bigquery.dataViewer',
      'table learning_loop.order_lines_staging: roles/bigquery.dataEditor',
      'table learning_loop.reorder_model: roles/bigquery.dataEditor',
      'table learning_loop.reorder_model_staging: roles/bigquery.dataEditor',
      'table learning_loop.run_engagement_staging: roles/bigquery.dataEditor',
      'table learning_loop.run_order_lines_staging: roles/bigquery.dataEditor',
      'table learning_loop.shopper_privacy_staging: roles/bigquery.dataEditor',
      'table learning_loop.user_patterns: roles/bigquery.dataEditor',
      'table learning_loop.user_patterns_staging: roles/bigquery.dataEditor',
    ]);
  });

  it('lets the erasure account run BigQuery jobs, delete from every table holding a user id, log erasures and runs, use Firestore and read the hash key', () => {
    expect(heldBy(ERASURE_SA)).toEqual([
      `project ${PROJECT}: roles/bigquery.jobUser`,
      `project ${PROJECT}: roles/datastore.user`,
      'secret user-hash-key: roles/secretmanager.secretAccessor',
      'table learning_loop.engagement_staging: roles/bigquery.dataEditor',
      'table learning_loop.erasure_log: roles/bigquery.dataEditor',
      'table learning_loop.events: roles/bigquery.dataEditor',
      'table learning_loop.identity_links: roles/bigquery.dataEditor',
      'table learning_loop.import_events_staging: roles/bigquery.dataEditor',
      'table learning_loop.import_order_items_staging: roles/bigquery.dataEditor',
      'table learning_loop.import_rejected_staging: roles/bigquery.dataEditor',
      'table learning_loop.job_runs: roles/bigquery.dataEditor',
      'table learning_loop.order_items: roles/bigquery.dataEditor',
      'table learning_loop.order_lines_staging: roles/bigquery.dataEditor',
      'table learning_loop.rejected_events: roles/bigquery.dataEditor',
      'table learning_loop.run_engagement_staging: roles/bigquery.dataEditor',
      'table learning_loop.run_order_lines_staging: roles/bigquery.dataEditor',
      'table learning_loop.shopper_privacy_staging: roles/bigquery.dataEditor',
      'table learning_loop.shopper_retention_staging: roles/bigquery.dataEditor',
      'table learning_loop.user_patterns: roles/bigquery.dataEditor',
      'table learning_loop.user_patterns_staging: roles/bigquery.dataEditor',
    ]);
  });

  it('lets the history account run BigQuery jobs on the ingest and import staging tables, use Firestore and the import bucket, read the hash key, and invoke patterns', () => {
    const bucket = named(resources, TYPES.bucket, 'imports');
    expect(heldBy(HISTORY_SA)).toEqual([
      `bucket ${String(bucket.inputs.name)}: roles/storage.objectAdmin`,
      `project ${PROJECT}: roles/bigquery.jobUser`,
      `project ${PROJECT}: roles/datastore.user`,
      'run service europe-west1/patterns: roles/run.invoker',
      'secret user-hash-key: roles/secretmanager.secretAccessor',
      'table learning_loop.events: roles/bigquery.dataEditor',
      'table learning_loop.import_events_staging: roles/bigquery.dataEditor',
      'table learning_loop.import_order_items_staging: roles/bigquery.dataEditor',
      'table learning_loop.import_rejected_staging: roles/bigquery.dataEditor',
      'table learning_loop.order_items: roles/bigquery.dataEditor',
      'table learning_loop.rejected_events: roles/bigquery.dataEditor',
    ]);
  });

  it('keeps the import bucket private: uniform access, public access prevented, and staged rows deleted after a week', () => {
    const bucket = named(resources, TYPES.bucket, 'imports');
    expect(bucket.inputs).toMatchObject({
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      lifecycleRules: [{ action: { type: 'Delete' }, condition: { age: 7, matchesPrefixes: ['import-staging/'] } }],
    });
    expect(all.filter((g) => g.type === TYPES.bucketIam).map((g) => g.member)).toEqual([HISTORY_SA]);
  });

  it('lets the retention account run BigQuery jobs, delete from the three event tables, read the links, stage retentions, record runs and read Firestore', () => {
    expect(heldBy(RETENTION_SA)).toEqual([
      `project ${PROJECT}: roles/bigquery.jobUser`,
      `project ${PROJECT}: roles/datastore.viewer`,
      'table learning_loop.events: roles/bigquery.dataEditor',
      'table learning_loop.identity_links: roles/bigquery.dataViewer',
      'table learning_loop.job_runs: roles/bigquery.dataEditor',
      'table learning_loop.order_items: roles/bigquery.dataEditor',
      'table learning_loop.rejected_events: roles/bigquery.dataEditor',
      'table learning_loop.shopper_retention_staging: roles/bigquery.dataEditor',
    ]);
  });

  it('lets the metrics account run BigQuery jobs, read what it measures, and write its metrics and its runs (job_runs), nothing more', () => {
    expect(heldBy(METRICS_SA)).toEqual([
      `project ${PROJECT}: roles/bigquery.jobUser`,
      'table learning_loop.events: roles/bigquery.dataViewer',
      'table learning_loop.identity_links: roles/bigquery.dataViewer',
      'table learning_loop.job_runs: roles/bigquery.dataEditor',
      'table learning_loop.learning_metrics: roles/bigquery.dataEditor',
      'table learning_loop.learning_metrics_staging: roles/bigquery.dataEditor',
      'table learning_loop.order_items: roles/bigquery.dataViewer',
      'table learning_loop.reorder_model: roles/bigquery.dataViewer',
      'table learning_loop.user_patterns: roles/bigquery.dataViewer',
    ]);
  });

  it('lets the operators account use Firestore, read the hash key and read the four tables its dashboard charts, nothing more', () => {
    expect(heldBy(OPERATORS_SA)).toEqual([
      `project ${PROJECT}: roles/bigquery.jobUser`,
      `project ${PROJECT}: roles/datastore.user`,
      'secret user-hash-key: roles/secretmanager.secretAccessor',
      'table learning_loop.events: roles/bigquery.dataViewer',
      'table learning_loop.job_runs: roles/bigquery.dataViewer',
      'table learning_loop.learning_metrics: roles/bigquery.dataViewer',
      'table learning_loop.rejected_events: roles/bigquery.dataViewer',
    ]);
  });

  it("lets no function's account edit or read the dataset as a whole", () => {
    const onDataset = all.filter((g) => g.type === TYPES.datasetIam).map((g) => `${g.member} ${g.role}`);

    // Streaming inserts need the dataset's metadata, and nothing else of it.
    expect(onDataset.sort()).toEqual(
      [
        `${INGEST_SA} roles/bigquery.metadataViewer`,
        `${STORE_REJECTED_SA} roles/bigquery.metadataViewer`,
        `${USERS_SA} roles/bigquery.metadataViewer`,
      ].sort(),
    );
  });

  it('lets the build account write build logs, read the function sources and push images to the functions repository, nothing more', () => {
    expect(heldBy(BUILD_SA)).toEqual([
      `project ${PROJECT}: roles/logging.logWriter`,
      `project ${PROJECT}: roles/storage.objectViewer`,
      'repository europe-west1/functions: roles/artifactregistry.writer',
    ]);
  });

  it("gives no function's account a logging role: Cloud Run collects what the functions print", () => {
    const logging = all.filter((g) => g.role.startsWith('roles/logging.'));

    expect(logging.map((g) => g.member)).toEqual([BUILD_SA]);
  });

  it.each([
    [PATTERNS_SCHEDULER_SA, 'patterns'],
    [ERASURE_SCHEDULER_SA, 'erasure'],
    [RETENTION_SCHEDULER_SA, 'retention'],
    [METRICS_SCHEDULER_SA, 'metrics'],
  ])('lets the scheduler account %s invoke %s and nothing else', (account, job) => {
    expect(heldBy(account)).toEqual([`run service europe-west1/${job}: roles/run.invoker`]);
  });

  it('lets nobody invoke operators while the stack names no operators', () => {
    const onOperators = all.filter((g) => g.type.startsWith('gcp:cloudrunv2/') && g.inputs.name === 'operators');

    expect(named(resources, TYPES.function, 'operators').inputs.name).toBe('operators');
    expect(onOperators.map((g) => `${g.member} ${g.role}`)).toEqual([]);
  });

  it('lets the Pub/Sub service agent mint push tokens and forward dead letters, and only that', () => {
    expect(heldBy(PUBSUB_AGENT)).toEqual([
      `service account projects/${PROJECT}/serviceAccounts/pubsub-push@${PROJECT}.iam.gserviceaccount.com: roles/iam.serviceAccountTokenCreator`,
      'subscription events-ingest: roles/pubsub.subscriber',
      'subscription rejected-events-store: roles/pubsub.subscriber',
      'topic events-dead-letter: roles/pubsub.publisher',
    ]);
  });

  it('grants nothing to anyone else', () => {
    const known = new Set([...FUNCTION_ACCOUNTS, PUSH_SA, BUILD_SA, PUBSUB_AGENT, 'allUsers']);

    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((g) => !known.has(g.member)).map((g) => `${g.member} ${scopeOf(g)}`)).toEqual([]);
  });

  it('grants no Pub/Sub or Secret Manager role at project level, and of BigQuery only jobUser to the batch job and operators accounts', () => {
    const projectWide = all.filter((g) => PROJECT_LEVEL_IAM.includes(g.type));

    expect(projectWide.length).toBeGreaterThan(0);
    for (const grant of projectWide) expect(grant.role).not.toMatch(/^roles\/(pubsub|secretmanager)\./);
    // Jobs belong to a project, so running one can be granted nowhere narrower; table access stays on the dataset.
    const runningJobs = FUNCTIONS.filter((fn) => {
      const needs: Needs = fn.needs;
      return needs.warehouse?.via === 'jobs';
    }).map((fn) => fn.name);
    expect(runningJobs).toEqual(expect.arrayContaining(['erasure', 'metrics', 'operators', 'patterns', 'retention']));
    expect(
      projectWide
        .filter((g) => g.role.startsWith('roles/bigquery.'))
        .map((g) => `${g.member} ${g.role}`)
        .sort(),
    ).toEqual(runningJobs.map((fn) => `${serviceAccountMember(`${resourceName(fn)}-fn`)} roles/bigquery.jobUser`).sort());
  });

  it('lets only the token verifiers, the collect and users accounts, read the token key', () => {
    const secret = named(resources, TYPES.secret, 'user-token-key');
    const onSecret = all.filter((g) => g.type.startsWith('gcp:secretmanager/') && g.inputs.secretId === secret.inputs.secretId);

    expect(onSecret.map((g) => [g.member, g.role]).sort()).toEqual([
      [COLLECT_SA, 'roles/secretmanager.secretAccessor'],
      [USERS_SA, 'roles/secretmanager.secretAccessor'],
    ]);
  });

  it('lets exactly the functions that hash user ids read the hash key: not store-rejected, not retention', () => {
    const secret = named(resources, TYPES.secret, 'user-hash-key');
    const onSecret = all.filter((g) => g.type.startsWith('gcp:secretmanager/') && g.inputs.secretId === secret.inputs.secretId);

    expect(secret.inputs.secretId).toBe('user-hash-key');
    expect(onSecret.map((g) => [g.member, g.role]).sort()).toEqual(
      [COLLECT_SA, ERASURE_SA, HISTORY_SA, INGEST_SA, OPERATORS_SA, PATTERNS_SA, USERS_SA].map((member) => [
        member,
        'roles/secretmanager.secretAccessor',
      ]),
    );
  });

  it('gives no other account any role on Secret Manager', () => {
    const onSecrets = all.filter((g) => g.type.startsWith('gcp:secretmanager/') || g.role.startsWith('roles/secretmanager.'));

    expect(new Set(onSecrets.map((g) => g.member))).toEqual(
      new Set([COLLECT_SA, USERS_SA, INGEST_SA, PATTERNS_SA, ERASURE_SA, OPERATORS_SA, HISTORY_SA]),
    );
    // Each on one secret, never on the project: an account reads only the secrets named for it.
    for (const grant of onSecrets)
      expect(grant.type, `${grant.member} ${grant.role}`).toBe('gcp:secretmanager/secretIamMember:SecretIamMember');
  });

  it('gives Firestore to exactly these accounts: read-only to collect and retention, read-write to the others', () => {
    const firestoreRoles = all.filter((g) => g.role.startsWith('roles/datastore.') || g.role.startsWith('roles/firestore.'));

    expect(firestoreRoles.map((g) => `${g.member} ${g.role}`).sort()).toEqual([
      `${COLLECT_SA} roles/datastore.viewer`,
      `${ERASURE_SA} roles/datastore.user`,
      `${HISTORY_SA} roles/datastore.user`,
      `${INGEST_SA} roles/datastore.user`,
      `${OPERATORS_SA} roles/datastore.user`,
      `${PATTERNS_SA} roles/datastore.user`,
      `${RETENTION_SA} roles/datastore.viewer`,
      `${USERS_SA} roles/datastore.user`,
      `${serviceAccountMember('weights-fn')} roles/datastore.user`,
    ]);
  });

  it.each([
    ['collect', 'collect-fn'],
    ['users', 'users-fn'],
    ['patterns', 'patterns-fn'],
    ['erasure', 'erasure-fn'],
    ['retention', 'retention-fn'],
    ['operators', 'operators-fn'],
    ['history', 'history-fn'],
  ])('runs %s as its own account %s, not the default compute one', (name, account) => {
    const fn = named(resources, TYPES.function, name);

    expect(fn.inputs.serviceConfig).toMatchObject({ serviceAccountEmail: `${account}@${PROJECT}.iam.gserviceaccount.com` });
    expect(named(resources, TYPES.account, account).inputs).toMatchObject({ accountId: account, project: PROJECT });
  });
});
